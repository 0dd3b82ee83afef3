import {
  createRng,
  disposeParams,
  listLeaves,
  type ParamTree,
  tf,
  useBackend,
  valueAndGradients,
} from '@metarl/core';
import { countLiveTensors, requireNativeKernels } from '@metarl/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { createMannNetwork, crossEntropy, type MannNetworkOptions } from '../src/index';

// Small sizes where the memory wraps: 6 steps, 5 slots, 2 heads (2 least-used slots per step).
const small = { inputSize: 7, outputSize: 3, controllerSize: 6, memorySlots: 5, memoryWidth: 4, heads: 2 };
const shapes = [
  { batch: 3, steps: 6 },
  { batch: 1, steps: 12 }, // more steps than slots: every slot is cleared and rewritten
  { batch: 2, steps: 1 },
];

const variants: readonly MannNetworkOptions[] = [
  { ...small },
  { ...small, readMemory: 'written' },
  { ...small, writeVector: 'add', keyStrength: 'learned', initialKeyStrength: 4 },
  { ...small, writeVector: 'add', keyStrength: 'learned', readMemory: 'written', usageDecay: 0.5 },
  { ...small, heads: 1, keyStrength: 'learned', initialKeyStrength: 10, readMemory: 'written' },
  { ...small, heads: 1, writeVector: 'add' },
  { ...small, heads: 5 }, // as many heads as slots
  { ...small, memory: 'reads-zeroed' },
  { ...small, memory: 'none' },
];

function describeVariant(options: MannNetworkOptions): string {
  const {
    inputSize: _i,
    outputSize: _o,
    controllerSize: _c,
    memorySlots: _n,
    memoryWidth: _w,
    ...rest
  } = options;
  return JSON.stringify(rest);
}

/** Random inputs and labels; params with biases moved off zero so that every path carries signal. */
function setUp(options: MannNetworkOptions, seed: number, { batch, steps } = shapes[0]!) {
  const model = createMannNetwork(options);
  const initial = model.init(createRng(seed));
  const rng = createRng(seed + 100);
  const params = perturb(initial, () => 0.3 * (2 * rng.next() - 1));
  disposeParams(initial);
  const inputs = tf.tensor3d(
    Float32Array.from({ length: batch * steps * small.inputSize }, () => 2 * rng.next() - 1),
    [batch, steps, small.inputSize],
  );
  const labels = tf.tensor2d(
    Int32Array.from({ length: batch * steps }, () => Math.floor(rng.next() * small.outputSize)),
    [batch, steps],
    'int32',
  );
  return { model, params, inputs, labels };
}

function perturb(params: ParamTree, noise: () => number): ParamTree {
  const out: Record<string, ParamTree | tf.Tensor> = {};
  for (const [key, value] of Object.entries(params)) {
    if (value instanceof tf.Tensor) {
      const values = value.dataSync().map((v) => v + noise());
      out[key] = tf.tensor(values, value.shape);
    } else out[key] = perturb(value as ParamTree, noise);
  }
  return out as ParamTree;
}

/**
 * The largest element-wise error |a - b| / (|b| + 1% of the largest |b|): every element against
 * its own size, so that small blocks (a head's gate and key-strength weights beside its key
 * weights, 100x smaller) are checked nearly as tightly as large ones, while entries below 1% of
 * the largest are held to an absolute bound (float32 cancellation).
 */
function largestRelativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let largest = 0;
  for (let i = 0; i < b.length; i += 1) largest = Math.max(largest, Math.abs(b[i]!));
  const floor = Math.max(0.01 * largest, 1e-12);
  let worst = 0;
  for (let i = 0; i < a.length; i += 1)
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / (Math.abs(b[i]!) + floor));
  return worst;
}

function checkAgainstUnroll(options: MannNetworkOptions, seed: number, shape = shapes[0]!): void {
  const { batch, steps } = shape;
  const { model, params, inputs, labels } = setUp(options, seed, shape);
  // Forward (no gradient recorded: fused).
  const fused = model.logits(params, inputs);
  const unrolled = model.unroll(params, inputs);
  expect(fused.shape).toEqual([batch, steps, small.outputSize]);
  expect(largestRelativeError(fused.dataSync(), unrolled.logits.dataSync())).toBeLessThan(1e-4);
  tf.dispose([fused, unrolled.logits, unrolled.features]);
  tf.dispose(Object.values(unrolled.state.controller));
  if (unrolled.state.memory) tf.dispose(Object.values(unrolled.state.memory));
  // First-order gradients of the episode loss: fused against op by op, every parameter.
  const a = valueAndGradients((p) => crossEntropy(model.logits(p, inputs), labels), params);
  const b = valueAndGradients((p) => crossEntropy(model.unroll(p, inputs).logits, labels), params);
  expect(Math.abs(a.value.dataSync()[0]! - b.value.dataSync()[0]!)).toBeLessThan(1e-5);
  const fusedLeaves = listLeaves(a.gradients);
  const plainLeaves = listLeaves(b.gradients);
  expect(fusedLeaves.map((leaf) => leaf.path)).toEqual(plainLeaves.map((leaf) => leaf.path));
  let nonZero = 0;
  fusedLeaves.forEach((leaf, i) => {
    const actual = leaf.tensor.dataSync();
    const error = largestRelativeError(actual, plainLeaves[i]!.tensor.dataSync());
    if (error >= 1e-3)
      throw new Error(`${describeVariant(options)} ${batch}x${steps}: ${leaf.path} differs by ${error}`);
    if (actual.some((v) => v !== 0)) nonZero += 1;
  });
  // Every parameter that reaches the loss gets a gradient from the fused op: in 'on' over more
  // than one step, all of them (with one step, the recurrent weights see only the zero state).
  if (options.memory === undefined && steps > 1) expect(nonZero).toBe(plainLeaves.length);
  tf.dispose([a.value, b.value, inputs, labels]);
  disposeParams(a.gradients);
  disposeParams(b.gradients);
  disposeParams(params);
}

describe('fused MANN sequence (hand-written backward through controller and LRUA)', () => {
  afterAll(async () => {
    await useBackend('cpu');
  });

  it('matches the op-by-op network, logits and every gradient, on the JavaScript products (cpu backend)', async () => {
    await useBackend('cpu');
    variants.forEach((options, i) => {
      for (const shape of shapes) checkAgainstUnroll(options, 10 + i, shape);
    });
  });

  it('matches it on the wasm backend (native products where @metarl/native is installed)', async () => {
    const info = await useBackend('wasm');
    requireNativeKernels(info);
    variants.forEach((options, i) => {
      for (const shape of shapes) checkAgainstUnroll(options, 20 + i, shape);
    });
  });

  it('steps aside under a second-order gradient (the op-by-op network differentiates it)', async () => {
    await useBackend('cpu');
    const { model, params, inputs, labels } = setUp(small, 3);
    const secondDerivative = (logitsOf: (scaled: tf.Tensor) => tf.Tensor) =>
      tf.tidy(
        () =>
          tf
            .grad((scale: tf.Tensor) =>
              tf.grad((s: tf.Tensor) => crossEntropy(logitsOf(tf.mul(inputs, s)), labels))(scale),
            )(tf.scalar(0.7))
            .dataSync()[0]!,
      );
    const fusedPath = secondDerivative((x) => model.logits(params, x));
    const plainPath = secondDerivative((x) => model.unroll(params, x).logits);
    expect(Math.abs(plainPath)).toBeGreaterThan(1e-4);
    expect(fusedPath).toBe(plainPath);
    tf.dispose([inputs, labels]);
    disposeParams(params);
  });

  it('leaves no tensor behind over training steps', async () => {
    await useBackend('cpu');
    const { model, params, inputs, labels } = setUp(small, 4);
    const step = () => {
      const { value, gradients } = valueAndGradients(
        (p) => crossEntropy(model.logits(p, inputs), labels),
        params,
      );
      value.dispose();
      disposeParams(gradients);
    };
    step();
    const before = countLiveTensors();
    for (let i = 0; i < 20; i += 1) step();
    expect(countLiveTensors()).toBe(before);
    tf.dispose([inputs, labels]);
    disposeParams(params);
  });
});
