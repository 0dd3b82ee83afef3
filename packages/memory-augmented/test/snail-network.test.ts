import {
  countParams,
  createRng,
  disposeParams,
  gradients,
  type ParamTree,
  tf,
  useBackend,
} from '@metarl/core';
import { checkGradientCase, measureTensorGrowth } from '@metarl/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSnailNetwork, type SnailNetwork } from '../src/index';

/** Largest absolute difference of two equally long arrays. */
function largestDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i += 1) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

function randomInputs(seed: number, shape: number[]): tf.Tensor {
  return tf.tensor(createRng(seed).normal(shape.reduce((p, d) => p * d, 1)), shape);
}

/** Steps through `inputs` `[B, L, I]` from `cache` (disposed); features `[B, L, out]` and the last cache. */
function stepThrough(snail: SnailNetwork, params: ParamTree, inputs: tf.Tensor, cache: tf.Tensor) {
  const [batch, steps] = inputs.shape as [number, number, number];
  const features: tf.Tensor[] = [];
  let current = cache;
  for (let t = 0; t < steps; t += 1) {
    const input = tf.tidy(() =>
      tf.reshape(tf.slice(inputs, [0, t, 0], [batch, 1, snail.inputSize]), [batch, -1]),
    );
    const result = snail.step(params, input, current);
    input.dispose();
    current.dispose();
    current = result.cache;
    features.push(result.features);
  }
  const stacked = tf.stack(features, 1);
  for (const f of features) f.dispose();
  return { features: stacked, cache: current };
}

function readAndDispose(...tensors: tf.Tensor[]): Float32Array[] {
  const values = tensors.map((tensor) => tensor.dataSync() as Float32Array);
  for (const tensor of tensors) tensor.dispose();
  return values;
}

// ── A float64 SNAIL written independently of the tfjs one (loops, no shared code) ──

interface ReferenceLayer {
  readonly inputSize: number;
  readonly dilation: number;
}

/**
 * `inputs` flat `[B, L, I]`; per dense layer its weight `[2c, 2F]`, gain and bias; the attention
 * weight `[W, 3F]`. Returns the features flat `[B, L, W + F]`.
 */
function referenceSnail(
  snail: SnailNetwork,
  batch: number,
  steps: number,
  inputs: Float64Array,
  dense: readonly { weight: Float64Array; gain: Float64Array; bias: Float64Array }[],
  attention: Float64Array,
): Float64Array {
  const F = snail.featureSize;
  const layers = snail.layers.filter((layer) => layer.dilation !== null) as ReferenceLayer[];
  const out = new Float64Array(batch * steps * snail.outputSize);
  for (let b = 0; b < batch; b += 1) {
    let rows: number[][] = [];
    for (let t = 0; t < steps; t += 1)
      rows.push(
        Array.from(inputs.subarray((b * steps + t) * snail.inputSize, (b * steps + t + 1) * snail.inputSize)),
      );
    layers.forEach((layer, index) => {
      const { weight, gain, bias } = dense[index]!;
      const c = layer.inputSize;
      const next = rows.map((present, t) => {
        const past = t >= layer.dilation ? rows[t - layer.dilation]! : new Array<number>(c).fill(0);
        const pre = new Array<number>(2 * F).fill(0);
        for (let j = 0; j < 2 * F; j += 1)
          for (let i = 0; i < c; i += 1)
            pre[j]! += past[i]! * weight[i * 2 * F + j]! + present[i]! * weight[(c + i) * 2 * F + j]!;
        const mean = pre.reduce((p, v) => p + v, 0) / (2 * F);
        const variance = pre.reduce((p, v) => p + (v - mean) ** 2, 0) / (2 * F);
        const normed = pre.map((v, j) => gain[j]! * ((v - mean) / Math.sqrt(variance + 1e-8)) + bias[j]!);
        const added = Array.from(
          { length: F },
          (_v, j) => (1 / (1 + Math.exp(-normed[j]!))) * Math.tanh(normed[F + j]!),
        );
        return [...present, ...added];
      });
      rows = next;
    });
    const W = rows[0]!.length;
    const project = (row: number[], offset: number) =>
      Array.from({ length: F }, (_v, j) =>
        row.reduce((p, x, i) => p + x * attention[i * 3 * F + offset + j]!, 0),
      );
    const queries = rows.map((row) => project(row, 0));
    const keys = rows.map((row) => project(row, F));
    const values = rows.map((row) => project(row, 2 * F));
    for (let t = 0; t < steps; t += 1) {
      const first = Math.max(0, t - snail.contextSize + 1);
      const scores: number[] = [];
      for (let s = first; s <= t; s += 1)
        scores.push(queries[t]!.reduce((p, q, j) => p + q * keys[s]![j]!, 0) / Math.sqrt(F));
      const top = Math.max(...scores);
      const exps = scores.map((score) => Math.exp(score - top));
      const total = exps.reduce((p, v) => p + v, 0);
      const attended = new Array<number>(F).fill(0);
      for (let s = first; s <= t; s += 1)
        for (let j = 0; j < F; j += 1) attended[j]! += (exps[s - first]! / total) * values[s]![j]!;
      out.set([...rows[t]!, ...attended], (b * steps + t) * (W + F));
    }
  }
  return out;
}

describe('createSnailNetwork', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('has the peer implementation’s feature sizes and parameter counts (F = 32)', () => {
    const small = createSnailNetwork({ inputSize: 7, contextSize: 10 });
    expect(small.outputSize).toBe(295);
    expect(small.parameterCount).toBe(148_128);
    expect(small.blocksPerTemporalBlock).toBe(4);
    expect(small.cacheSize).toBe(11 * (263 + 64));
    expect(
      small.layers.map((layer) => [layer.name, layer.inputSize, layer.outputSize, layer.dilation]),
    ).toEqual([
      ['temporal1/dense0', 7, 39, 1],
      ['temporal1/dense1', 39, 71, 2],
      ['temporal1/dense2', 71, 103, 4],
      ['temporal1/dense3', 103, 135, 8],
      ['temporal2/dense0', 135, 167, 1],
      ['temporal2/dense1', 167, 199, 2],
      ['temporal2/dense2', 199, 231, 4],
      ['temporal2/dense3', 231, 263, 8],
      ['attention', 263, 295, null],
    ]);
    const mdp = createSnailNetwork({ inputSize: 17, contextSize: 100 });
    expect(mdp.outputSize).toBe(497);
    expect(mdp.parameterCount).toBe(449_632);
    expect(mdp.blocksPerTemporalBlock).toBe(7);
    expect(mdp.cacheSize).toBe(101 * (465 + 64));
    for (const snail of [small, mdp]) {
      const params = snail.init(createRng(1));
      expect(countParams(params)).toBe(snail.parameterCount);
      disposeParams(params);
    }
  });

  it('initialises as PyTorch’s defaults: U(±1/sqrt(2c)) convolutions, LayerNorm 1 and 0, Xavier-normal attention', () => {
    const snail = createSnailNetwork({ inputSize: 17, contextSize: 100 });
    const params = snail.init(createRng(2));
    const first = (params.temporal1 as ParamTree).dense0 as ParamTree;
    const weight = (first.weight as tf.Tensor).dataSync() as Float32Array;
    expect(first.weight!.shape).toEqual([34, 64]);
    const limit = 1 / Math.sqrt(34);
    expect(Math.max(...weight.map(Math.abs))).toBeLessThanOrEqual(limit);
    expect(Math.max(...weight.map(Math.abs))).toBeGreaterThan(0.95 * limit);
    expect(Array.from((first.gain as tf.Tensor).dataSync())).toEqual(new Array(64).fill(1));
    expect(Array.from((first.bias as tf.Tensor).dataSync())).toEqual(new Array(64).fill(0));
    const attention = ((params.attention as ParamTree).weight as tf.Tensor).dataSync() as Float32Array;
    const deviation = Math.sqrt(attention.reduce((p, v) => p + v * v, 0) / attention.length);
    expect(deviation).toBeCloseTo(Math.sqrt(2 / (465 + 96)), 3);
    const again = snail.init(createRng(2));
    expect(Array.from(((again.attention as ParamTree).weight as tf.Tensor).dataSync())).toEqual(
      Array.from(attention),
    );
    disposeParams(params);
    disposeParams(again);
  });

  it('rejects bad options and inputs with messages that name them', () => {
    expect(() => createSnailNetwork({ inputSize: 0, contextSize: 4 })).toThrow(
      'createSnailNetwork: inputSize must be an integer >= 1, got 0',
    );
    expect(() => createSnailNetwork({ inputSize: 3, contextSize: 2.5 })).toThrow(
      'contextSize must be an integer',
    );
    const snail = createSnailNetwork({ inputSize: 3, featureSize: 2, contextSize: 4 });
    const params = snail.init(createRng(0));
    const wrong = tf.zeros([2, 5, 4]);
    expect(() => snail.apply(params, wrong)).toThrow(
      'snail.apply: inputs must be a tensor [batch, steps >= 1, 3]',
    );
    const input = tf.zeros([2, 3]);
    const cache = tf.zeros([2, 7]);
    expect(() => snail.step(params, input, cache)).toThrow(`cache must be a tensor [2, ${snail.cacheSize}]`);
    tf.dispose([wrong, input, cache]);
    disposeParams(params);
  });

  for (const [contextSize, steps] of [
    [6, 6],
    [6, 15],
    [1, 4],
    [2, 5],
  ] as const) {
    it(`stepping from the zero cache equals the parallel forward (T = ${contextSize}, L = ${steps})`, () => {
      const snail = createSnailNetwork({ inputSize: 5, featureSize: 4, contextSize });
      const params = snail.init(createRng(3));
      const inputs = randomInputs(4, [3, steps, 5]);
      const parallel = snail.apply(params, inputs);
      expect(parallel.shape).toEqual([3, steps, snail.outputSize]);
      const stepped = stepThrough(snail, params, inputs, snail.initialCache(3));
      const [a, b] = readAndDispose(parallel, stepped.features);
      expect(largestDifference(a!, b!)).toBeLessThan(1e-5);
      stepped.cache.dispose();
      inputs.dispose();
      disposeParams(params);
    });
  }

  it('the parallel forward matches a float64 reference written with loops', () => {
    const snail = createSnailNetwork({ inputSize: 3, featureSize: 4, contextSize: 5 });
    const params = snail.init(createRng(5));
    const inputs = randomInputs(6, [2, 9, 3]);
    const dense = snail.layers
      .filter((layer) => layer.dilation !== null)
      .map((layer) => {
        const [temporal, name] = layer.name.split('/') as [string, string];
        const block = (params[temporal] as ParamTree)[name] as ParamTree;
        const read = (key: string) => Float64Array.from((block[key] as tf.Tensor).dataSync());
        return { weight: read('weight'), gain: read('gain'), bias: read('bias') };
      });
    const attention = Float64Array.from(((params.attention as ParamTree).weight as tf.Tensor).dataSync());
    const expected = referenceSnail(snail, 2, 9, Float64Array.from(inputs.dataSync()), dense, attention);
    const [actual] = readAndDispose(snail.apply(params, inputs));
    expect(largestDifference(actual!, expected)).toBeLessThan(1e-5);
    inputs.dispose();
    disposeParams(params);
  });

  for (const split of [4, 9, 12]) {
    it(`cacheAfter ${split} steps, then stepping, equals stepping all the way (T = 6, L = 15)`, () => {
      const snail = createSnailNetwork({ inputSize: 5, featureSize: 4, contextSize: 6 });
      const params = snail.init(createRng(7));
      const inputs = randomInputs(8, [2, 15, 5]);
      const all = stepThrough(snail, params, inputs, snail.initialCache(2));
      const head = tf.slice(inputs, [0, 0, 0], [2, split, 5]);
      const tail = tf.slice(inputs, [0, split, 0], [2, 15 - split, 5]);
      const headCache = snail.cacheAfter(params, head);
      const steppedHead = stepThrough(snail, params, head, snail.initialCache(2));
      const [fromParallel, fromSteps] = readAndDispose(headCache.clone(), steppedHead.cache);
      expect(largestDifference(fromParallel!, fromSteps!)).toBeLessThan(1e-5);
      const rest = stepThrough(snail, params, tail, headCache);
      const expectedTail = tf.slice(all.features, [0, split, 0], [2, 15 - split, snail.outputSize]);
      const [a, b, c, d] = readAndDispose(rest.features, expectedTail, rest.cache, all.cache);
      expect(largestDifference(a!, b!)).toBeLessThan(1e-5);
      expect(largestDifference(c!, d!)).toBeLessThan(1e-5);
      tf.dispose([inputs, head, tail, all.features, steppedHead.features]);
      disposeParams(params);
    });
  }

  it('steps sequences at different positions in one batch, and restarts a sequence whose cache row is zeroed', () => {
    const snail = createSnailNetwork({ inputSize: 5, featureSize: 4, contextSize: 6 });
    const params = snail.init(createRng(9));
    const first = randomInputs(10, [1, 3, 5]);
    const second = randomInputs(11, [1, 11, 5]);
    const firstCache = snail.cacheAfter(params, first);
    const secondCache = snail.cacheAfter(params, second);
    const restarted = tf.mul(secondCache, 0); // a finished sequence, restarted by zeroing its row
    const cache = tf.concat([firstCache, secondCache, restarted], 0);
    const input = randomInputs(12, [3, 5]);
    const batched = snail.step(params, input, cache);
    // Each sequence alone: the features of its next step in one parallel pass.
    const expected = [first, second, undefined].map((past, b) => {
      const next = tf.reshape(tf.slice(input, [b, 0], [1, 5]), [1, 1, 5]);
      const sequence = past === undefined ? next : tf.concat([past, next], 1);
      const features = snail.apply(params, sequence);
      const last = tf.slice(features, [0, sequence.shape[1]! - 1, 0], [1, 1, snail.outputSize]);
      const values = Array.from(last.dataSync());
      tf.dispose([next, sequence, features, last]);
      return values;
    });
    const [actual, counters] = readAndDispose(
      batched.features,
      tf.slice(batched.cache, [0, snail.contextSize * snail.rowSize], [3, 1]),
    );
    expect(largestDifference(actual!, expected.flat())).toBeLessThan(1e-5);
    expect(Array.from(counters!)).toEqual([4, 12, 1]);
    tf.dispose([first, second, firstCache, secondCache, restarted, cache, input, batched.cache]);
    disposeParams(params);
  });

  it('is causal: changing inputs after step t leaves the features up to t bit for bit and changes later ones', () => {
    const snail = createSnailNetwork({ inputSize: 4, featureSize: 4, contextSize: 5 });
    const params = snail.init(createRng(13));
    const inputs = randomInputs(14, [2, 12, 4]);
    const t = 6;
    const changed = tf.concat(
      [tf.slice(inputs, [0, 0, 0], [2, t + 1, 4]), randomInputs(15, [2, 12 - t - 1, 4])],
      1,
    );
    const [a, b] = readAndDispose(snail.apply(params, inputs), snail.apply(params, changed));
    const cut = (t + 1) * snail.outputSize; // the first t + 1 steps of a sequence
    for (const sequence of [0, 1]) {
      const start = sequence * 12 * snail.outputSize;
      expect(Array.from(a!.subarray(start, start + cut))).toEqual(
        Array.from(b!.subarray(start, start + cut)),
      );
      for (let later = t + 1; later < 12; later += 1) {
        const from = start + later * snail.outputSize;
        expect(
          largestDifference(
            a!.subarray(from, from + snail.outputSize),
            b!.subarray(from, from + snail.outputSize),
          ),
        ).toBeGreaterThan(0);
      }
    }
    tf.dispose([inputs, changed]);
    disposeParams(params);
  });

  it('has exact first- and second-order gradients (float64 finite differences of the reference)', async () => {
    const snail = createSnailNetwork({ inputSize: 2, featureSize: 2, contextSize: 3 });
    const batch = 2;
    const steps = 4;
    const rng = createRng(16);
    const params = snail.init(rng);
    const dense = snail.layers.filter((layer) => layer.dilation !== null);
    const leaves: { name: string; shape: number[]; values: Float64Array }[] = [];
    const fround = (values: ArrayLike<number>) => Float64Array.from(values, (v) => Math.fround(v));
    leaves.push({ name: 'inputs', shape: [batch, steps, 2], values: fround(rng.normal(batch * steps * 2)) });
    for (const layer of dense) {
      const [temporal, name] = layer.name.split('/') as [string, string];
      const block = (params[temporal] as ParamTree)[name] as ParamTree;
      const weight = block.weight as tf.Tensor;
      leaves.push({ name: `${layer.name}/weight`, shape: weight.shape, values: fround(weight.dataSync()) });
      // Gains and biases away from 1 and 0, so that their gradients are tested in general.
      leaves.push({
        name: `${layer.name}/gain`,
        shape: [4],
        values: fround(rng.normal(4).map((v) => 1 + 0.3 * v)),
      });
      leaves.push({
        name: `${layer.name}/bias`,
        shape: [4],
        values: fround(rng.normal(4).map((v) => 0.3 * v)),
      });
    }
    const attention = (params.attention as ParamTree).weight as tf.Tensor;
    leaves.push({ name: 'attention/weight', shape: attention.shape, values: fround(attention.dataSync()) });
    disposeParams(params);
    const coefficients = fround(rng.normal(batch * steps * snail.outputSize));

    const toTree = (tensors: tf.Tensor[]): ParamTree => {
      const tree: Record<string, Record<string, Record<string, tf.Tensor>>> = {
        temporal1: {},
        temporal2: {},
      };
      dense.forEach((layer, index) => {
        const [temporal, name] = layer.name.split('/') as [string, string];
        tree[temporal]![name] = {
          weight: tensors[1 + 3 * index]!,
          gain: tensors[2 + 3 * index]!,
          bias: tensors[3 + 3 * index]!,
        };
      });
      return { ...tree, attention: { weight: tensors[tensors.length - 1]! } };
    };
    const loss = (tree: ParamTree, inputs: tf.Tensor) =>
      tf.sum(
        tf.mul(
          snail.apply(tree, inputs),
          tf.tensor3d(Float32Array.from(coefficients), [batch, steps, snail.outputSize]),
        ),
      ) as tf.Scalar;

    const [first, second] = await checkGradientCase(
      {
        name: 'snail',
        // The second-order finite differences' truncation error shrinks as h^2 (measured: 7.8e-5
        // at h = 1e-4, 7.4e-6 at 3e-5, 1.6e-6 at 1e-5): a step of 1e-5 leaves the 1e-5 tolerance to
        // the autodiff's float32 rounding.
        steps: { second: 1e-5 },
        inputs: leaves.map(({ values, shape }) => ({ values, shape })),
        compute: (tensors) => loss(toTree(tensors), tensors[0]!),
        reference: (values) => {
          const features = referenceSnail(
            snail,
            batch,
            steps,
            values[0]!,
            dense.map((_layer, index) => ({
              weight: values[1 + 3 * index]!,
              gain: values[2 + 3 * index]!,
              bias: values[3 + 3 * index]!,
            })),
            values[values.length - 1]!,
          );
          return features.reduce((p, v, i) => p + v * coefficients[i]!, 0);
        },
      },
      createRng(17),
    );
    expect(first.passed, `first order: relative error ${first.relativeError}`).toBe(true);
    expect(second.passed, `second order: relative error ${second.relativeError}`).toBe(true);

    // Core's differentiation (which refuses kernels without an exact gradient) accepts it.
    const tensors = leaves.map(({ values, shape }) => tf.tensor(Float32Array.from(values), shape));
    const tree = toTree(tensors);
    const grads = gradients((p) => loss(p, tensors[0]!), tree);
    disposeParams(grads);
    tf.dispose(tensors);
  });

  it('steps equal the parallel forward, and cacheAfter the stepped cache, on the wasm backend too', async () => {
    await useBackend('wasm');
    try {
      const snail = createSnailNetwork({ inputSize: 5, featureSize: 4, contextSize: 6 });
      const params = snail.init(createRng(21));
      const inputs = randomInputs(22, [3, 15, 5]);
      const stepped = stepThrough(snail, params, inputs, snail.initialCache(3));
      const [a, b, c, d] = readAndDispose(
        snail.apply(params, inputs),
        stepped.features,
        snail.cacheAfter(params, inputs),
        stepped.cache,
      );
      expect(largestDifference(a!, b!)).toBeLessThan(1e-5);
      expect(largestDifference(c!, d!)).toBeLessThan(1e-5);
      inputs.dispose();
      disposeParams(params);
    } finally {
      await useBackend('cpu');
    }
  });

  it('keeps the live tensor count flat over repeated steps, parallel passes and caches', async () => {
    const snail = createSnailNetwork({ inputSize: 5, featureSize: 4, contextSize: 6 });
    const params = snail.init(createRng(18));
    const inputs = randomInputs(19, [2, 7, 5]);
    const input = randomInputs(20, [2, 5]);
    let cache = snail.initialCache(2);
    const growth = await measureTensorGrowth(() => {
      const result = snail.step(params, input, cache);
      cache.dispose();
      cache = result.cache;
      result.features.dispose();
      snail.apply(params, inputs).dispose();
      snail.cacheAfter(params, inputs).dispose();
      disposeParams(gradients((p) => tf.sum(snail.apply(p, inputs)) as tf.Scalar, params));
    });
    expect(growth.perIteration).toBe(0);
    tf.dispose([inputs, input, cache]);
    disposeParams(params);
  });
});
