/**
 * Core's one PPO: the loss from per-step tensors (clipped or not, masked or not, value loss in a
 * value scale's units) and the minibatch-epoch runner (partition, shuffle, clipping, memory).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createRng,
  createSgd,
  defaultPpoSettings,
  disposeOptimizerState,
  disposeParams,
  type ParamTree,
  ppoLossTerms,
  resolvePpoSettings,
  runPpoEpochs,
  tf,
  useBackend,
} from '../src/index';

const read = (t: tf.Tensor) => t.dataSync()[0]!;

describe('ppoLossTerms', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('equals a hand computation: clipped surrogate, scaled value loss, entropy, weights', () => {
    // ratios 1.5, 0.5, 1.1, 0.7; advantages 2, 2, -1, -1: surrogate 2.4, 1, -1.1, -0.8.
    const logProb = tf.tensor1d([Math.log(1.5), Math.log(0.5), Math.log(1.1), Math.log(0.7)]);
    const inputs = {
      logProb,
      oldLogProb: tf.zeros([4]),
      advantages: tf.tensor1d([2, 2, -1, -1]),
      entropy: tf.tensor1d([1, 2, 3, 4]),
      values: tf.tensor1d([1, 2, 3, 4]),
      returns: tf.tensor1d([2, 2, 1, 4]),
      valueScale: tf.tensor1d([2]),
    };
    const terms = ppoLossTerms(inputs, { clipRange: 0.2, valueCoefficient: 0.25, entropyCoefficient: 0.1 });
    const policyLoss = -(2.4 + 1 - 1.1 - 0.8) / 4;
    const valueLoss = 0.5 * ((0.5 ** 2 + 0 + 1 ** 2 + 0) / 4); // errors -1, 0, 2, 0 over scale 2
    expect(read(terms.policyLoss)).toBeCloseTo(policyLoss, 6);
    expect(read(terms.valueLoss)).toBeCloseTo(valueLoss, 6);
    expect(read(terms.entropy)).toBeCloseTo(2.5, 6);
    expect(read(terms.clipFraction)).toBeCloseTo(0.75, 6); // ratios 1.5, 0.5 and 0.7 leave [0.8, 1.2]
    expect(read(terms.loss)).toBeCloseTo(policyLoss - 0.1 * 2.5 + 0.25 * valueLoss, 6);
    // Unclipped (TRPO's surrogate): -mean r A, and no clip fraction.
    const unclipped = ppoLossTerms(inputs, { clipRange: undefined });
    expect(read(unclipped.policyLoss)).toBeCloseTo(-(3 + 1 - 1.1 - 0.7) / 4, 6);
    expect(read(unclipped.clipFraction)).toBe(0);
    tf.dispose([...Object.values(inputs), ...Object.values(terms), ...Object.values(unclipped)]);
  });

  it('with a mask, equals the unmasked loss on the real steps (padding ignored)', () => {
    const real = {
      logProb: tf.tensor1d([-0.2, -1.1, -0.7]),
      oldLogProb: tf.tensor1d([-0.4, -0.9, -0.7]),
      advantages: tf.tensor1d([1, -2, 0.5]),
      entropy: tf.tensor1d([0.9, 0.4, 0.6]),
      values: tf.tensor1d([0.1, 0.2, 0.3]),
      returns: tf.tensor1d([1, -1, 0]),
    };
    // Two padded trials [2, 3]: real steps (0,0), (0,1), (1,0); garbage on the padding.
    const padded = {
      logProb: tf.tensor2d([-0.2, -1.1, 5, -0.7, 9, 9], [2, 3]),
      oldLogProb: tf.tensor2d([-0.4, -0.9, -3, -0.7, 1, 2], [2, 3]),
      advantages: tf.tensor2d([1, -2, 100, 0.5, -50, 7], [2, 3]),
      entropy: tf.tensor2d([0.9, 0.4, 10, 0.6, 10, 10], [2, 3]),
      values: tf.tensor2d([0.1, 0.2, 30, 0.3, 40, 50], [2, 3]),
      returns: tf.tensor2d([1, -1, 0, 0, 0, 0], [2, 3]),
      mask: tf.tensor2d([1, 1, 0, 1, 0, 0], [2, 3]),
    };
    const settings = { clipRange: 0.2, valueCoefficient: 0.5, entropyCoefficient: 0.01 };
    const a = ppoLossTerms(real, settings);
    const b = ppoLossTerms(padded, settings);
    for (const key of ['loss', 'policyLoss', 'valueLoss', 'entropy', 'clipFraction'] as const)
      expect(read(b[key])).toBeCloseTo(read(a[key]), 6);
    tf.dispose([...Object.values(real), ...Object.values(padded), ...Object.values(a), ...Object.values(b)]);
  });
});

describe('runPpoEpochs', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  /** A loss that records its minibatches: mean over the chosen units of (w - target_i)^2. */
  function recordingProblem(units: number) {
    const targets = tf.tensor1d(Array.from({ length: units }, (_v, i) => i));
    const seen: number[][] = [];
    const loss = (p: ParamTree, indices: Int32Array) => {
      seen.push(Array.from(indices));
      const picked = tf.gather(targets, tf.tensor1d(indices, 'int32'));
      return { loss: tf.mean(tf.square(tf.sub(p.w as tf.Tensor, picked))) as tf.Scalar };
    };
    return { targets, seen, loss };
  }

  it('covers every unit exactly once per epoch, by count (floor(m n / count) boundaries) and by size (remainder dropped)', () => {
    const optimizer = createSgd({ learningRate: 0.01 });
    const params = { w: tf.scalar(0) };
    const state = optimizer.init(params);
    const byCount = recordingProblem(10);
    const result = runPpoEpochs({
      params,
      optimizer,
      state,
      rng: createRng(1),
      units: 10,
      epochs: 3,
      minibatches: 3,
      loss: byCount.loss,
    });
    expect(byCount.seen.map((m) => m.length)).toEqual([3, 3, 4, 3, 3, 4, 3, 3, 4]);
    for (let epoch = 0; epoch < 3; epoch += 1) {
      const units = byCount.seen.slice(3 * epoch, 3 * epoch + 3).flat();
      expect([...units].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    }
    // The order is the Fisher-Yates shuffle both former implementations drew, epoch after epoch.
    const rng = createRng(1);
    const order = Array.from({ length: 10 }, (_v, i) => i);
    for (let epoch = 0; epoch < 3; epoch += 1) {
      for (let i = 9; i > 0; i -= 1) {
        const j = rng.nextInt(i + 1);
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      expect(byCount.seen.slice(3 * epoch, 3 * epoch + 3).flat()).toEqual(order);
    }
    expect(result.metrics.updates).toBe(9);
    disposeParams(result.params);
    disposeOptimizerState(result.state);

    const bySize = recordingProblem(10);
    const sized = runPpoEpochs({
      params,
      optimizer,
      state,
      rng: createRng(2),
      units: 10,
      epochs: 2,
      minibatchSize: 4,
      loss: bySize.loss,
    });
    expect(bySize.seen.map((m) => m.length)).toEqual([4, 4, 4, 4]);
    for (let epoch = 0; epoch < 2; epoch += 1)
      expect(new Set(bySize.seen.slice(2 * epoch, 2 * epoch + 2).flat()).size).toBe(8);
    disposeParams(sized.params);
    tf.dispose([params.w, byCount.targets, bySize.targets]);
  });

  it('without an rng runs full-batch epochs in unit order and draws nothing; several minibatches then fail', () => {
    const optimizer = createSgd({ learningRate: 0.1 });
    const params = { w: tf.scalar(0) };
    const state = optimizer.init(params);
    const problem = recordingProblem(4);
    const result = runPpoEpochs({
      params,
      optimizer,
      state,
      units: 4,
      epochs: 2,
      minibatches: 1,
      loss: problem.loss,
    });
    expect(problem.seen).toEqual([
      [0, 1, 2, 3],
      [0, 1, 2, 3],
    ]);
    // Two SGD steps on mean (w - i)^2, i = 0..3: w1 = 0.1 * 2 * 1.5 = 0.3, w2 = 0.3 + 0.2 * 1.2 = 0.54.
    expect(read(result.params.w as tf.Tensor)).toBeCloseTo(0.54, 6);
    expect(result.metrics.initialLoss).toBeCloseTo((0 + 1 + 4 + 9) / 4, 6);
    expect(result.metrics.policyLoss).toBeUndefined();
    expect(() =>
      runPpoEpochs({ params, optimizer, state, units: 4, epochs: 1, minibatches: 2, loss: problem.loss }),
    ).toThrow(
      /runPpoEpochs: without an rng the units are not shuffled, so only one minibatch is allowed; got 2/,
    );
    expect(() => runPpoEpochs({ params, optimizer, state, units: 4, epochs: 1, loss: problem.loss })).toThrow(
      /give minibatches or minibatchSize \(exactly one\)/,
    );
    expect(() =>
      runPpoEpochs({ params, optimizer, state, units: 0, epochs: 1, minibatches: 1, loss: problem.loss }),
    ).toThrow(/runPpoEpochs: units must be an integer >= 1, got 0/);
    disposeParams(result.params);
    tf.dispose([params.w, problem.targets]);
  });

  it('clips the global gradient norm, averages the diagnostics, leaves the caller tensors alive and leaks nothing', () => {
    const optimizer = createSgd({ learningRate: 1 });
    const params = { a: tf.tensor1d([0, 0]), b: { c: tf.scalar(1) } };
    const state = optimizer.init(params);
    const before = tf.memory().numTensors;
    // loss = -(3 a0 + 4 a1): gradient (-3, -4), norm 5; clipped to norm 1: step (0.6, 0.8).
    const result = runPpoEpochs({
      params,
      optimizer,
      state,
      rng: createRng(3),
      units: 2,
      epochs: 2,
      minibatches: 1,
      maxGradientNorm: 1,
      loss: (p) => {
        const a = p.a as tf.Tensor;
        // (c enters with a zero gradient: every leaf gets one.)
        const loss = tf.add(
          tf.neg(tf.sum(tf.mul(a, tf.tensor1d([3, 4])))),
          tf.mul(0, (p.b as ParamTree).c as tf.Tensor),
        ) as tf.Scalar;
        return { loss, policyLoss: tf.mul(loss, 2) as tf.Scalar, entropy: tf.scalar(0.5) };
      },
    });
    expect(Array.from((result.params.a as tf.Tensor).dataSync()).map((v) => Number(v.toFixed(5)))).toEqual([
      1.2, 1.6,
    ]);
    expect(result.metrics.gradientNorm).toBeCloseTo(5, 5);
    expect(result.metrics.initialLoss).toBeCloseTo(0, 6);
    expect(result.metrics.loss).toBeCloseTo((0 - 5) / 2, 5);
    expect(result.metrics.policyLoss).toBeCloseTo(-5, 5);
    expect(result.metrics.entropy).toBeCloseTo(0.5, 6);
    expect(result.metrics.valueLoss).toBeUndefined();
    expect(Array.from((params.a as tf.Tensor).dataSync())).toEqual([0, 0]);
    disposeParams(result.params);
    disposeOptimizerState(result.state);
    expect(tf.memory().numTensors).toBe(before);
    disposeParams(params);
  });
});

describe('PPO settings', () => {
  it('fills the documented defaults and names the owner and field on bad values', () => {
    expect(resolvePpoSettings('trainer')).toEqual({ ...defaultPpoSettings });
    expect(resolvePpoSettings('trainer', { minibatches: 4, entropyCoefficient: 0.01 })).toEqual({
      clipRange: 0.2,
      epochs: 10,
      minibatches: 4,
      valueCoefficient: 0.5,
      entropyCoefficient: 0.01,
      maxGradientNorm: 0.5,
    });
    expect(() => resolvePpoSettings('createRl2', { epochs: 0 })).toThrow(
      'createRl2: ppo.epochs must be an integer >= 1, got 0',
    );
    expect(() => resolvePpoSettings('createRl2', { clipRange: -1 })).toThrow(
      'createRl2: ppo.clipRange must be a finite number > 0, got -1',
    );
    expect(() => resolvePpoSettings('trainer', { minibatches: 2, minibatchSize: 8 }, '')).toThrow(
      'trainer: give minibatches or minibatchSize, not both (got 2 and 8)',
    );
  });
});
