import { beforeAll, describe, expect, it } from 'vitest';
import {
  clipByGlobalNorm,
  createAdam,
  createSgd,
  disposeParams,
  flattenParams,
  type ParamTree,
  tf,
  useBackend,
} from '../src/index';

describe('optimisers', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('SGD with momentum follows v <- mu v + g, p <- p - lr v', () => {
    const sgd = createSgd({ learningRate: 0.1, momentum: 0.9 });
    let params: ParamTree = { w: tf.tensor1d([1, -2]) };
    let state = sgd.init(params);
    const grads: ParamTree = { w: tf.tensor1d([0.5, 1]) };
    let velocity = [0, 0];
    let expected = [1, -2];
    for (let step = 0; step < 3; step += 1) {
      const next = sgd.step(params, grads, state);
      params = next.params;
      state = next.state;
      velocity = velocity.map((v, i) => 0.9 * v + [0.5, 1][i]!);
      expected = expected.map((p, i) => p - 0.1 * velocity[i]!);
    }
    const got = flattenParams(params);
    expected.forEach((v, i) => {
      expect(got[i]).toBeCloseTo(v, 6);
    });
    expect(state.step).toBe(3);
  });

  it('Adam matches the bias-corrected update of Kingma and Ba computed by hand', () => {
    const adam = createAdam({ learningRate: 0.01 });
    const gradientsSeen = [
      [0.3, -1],
      [0.1, 2],
      [-0.4, 0.5],
    ];
    let params: ParamTree = { w: tf.tensor1d([1, 1]) };
    let state = adam.init(params);
    const p = [1, 1];
    const m = [0, 0];
    const v = [0, 0];
    gradientsSeen.forEach((g, t) => {
      const grads: ParamTree = { w: tf.tensor1d(g) };
      const next = adam.step(params, grads, state);
      disposeParams(params);
      disposeParams(grads);
      params = next.params;
      state = next.state;
      for (let i = 0; i < 2; i += 1) {
        m[i] = 0.9 * m[i]! + 0.1 * g[i]!;
        v[i] = 0.999 * v[i]! + 0.001 * g[i]! ** 2;
        const mHat = m[i]! / (1 - 0.9 ** (t + 1));
        const vHat = v[i]! / (1 - 0.999 ** (t + 1));
        p[i] = p[i]! - (0.01 * mHat) / (Math.sqrt(vHat) + 1e-8);
      }
    });
    const got = flattenParams(params);
    p.forEach((value, i) => {
      expect(got[i]).toBeCloseTo(value, 6);
    });
  });

  it('leaves its inputs untouched (pure)', () => {
    const adam = createAdam();
    const params: ParamTree = { w: tf.tensor1d([1, 2]) };
    const state = adam.init(params);
    const next = adam.step(params, { w: tf.tensor1d([1, 1]) }, state);
    expect(Array.from(flattenParams(params))).toEqual([1, 2]);
    expect(state.step).toBe(0);
    expect(next.state.step).toBe(1);
  });

  it('refuses NaN gradients naming the parameter, and bad options naming the option', () => {
    const adam = createAdam();
    const params: ParamTree = { policy: { w: tf.tensor1d([1, 2]) } };
    const state = adam.init(params);
    expect(() => adam.step(params, { policy: { w: tf.tensor1d([Number.NaN, 1]) } }, state)).toThrow(
      "adam: gradients: 'policy/w' (shape [2]) holds NaN at flat index 0",
    );
    expect(() => createAdam({ learningRate: -1 })).toThrow(
      'createAdam: learningRate must be a finite number > 0, got -1',
    );
    expect(() => createSgd({ learningRate: 0.1, momentum: 1 })).toThrow(
      /momentum must be in \[0, 1\), got 1/,
    );
    expect(() => createSgd({ learningRate: 0.1 }).step(params, params, state)).toThrow(
      /state was made by 'adam', expected 'sgd'/,
    );
  });

  it('clips by global norm', () => {
    const grads: ParamTree = { a: tf.tensor1d([3]), b: tf.tensor1d([4]) };
    const clipped = clipByGlobalNorm(grads, 1);
    expect(clipped.norm).toBeCloseTo(5, 6);
    const values = flattenParams(clipped.gradients);
    expect(values[0]).toBeCloseTo(0.6, 6);
    expect(values[1]).toBeCloseTo(0.8, 6);
    const untouched = clipByGlobalNorm(grads, 10);
    expect(Array.from(flattenParams(untouched.gradients))).toEqual([3, 4]);
  });
});
