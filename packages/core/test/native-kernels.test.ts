import type { NativeIsa, NativeKernels } from '@metarl/native';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng, currentBackend, tf, useBackend } from '../src/index';

// Every kernel @metarl/native replaces, against tfjs-backend-wasm's own kernel on the same inputs,
// on every instruction set this CPU runs: random shapes with odd sizes, broadcasting, transposes,
// batches and empty tensors. Products and sums agree normwise (the summation order differs);
// elementwise arithmetic and copies agree exactly.
// Without a binary (no C compiler at build time) or with METARL_NATIVE=off these tests skip with
// one line; with METARL_REQUIRE_NATIVE=1 (CI's first pass) a missing binary fails instead.
const status = await useBackend('wasm');
const loaded = status.native
  ? ((await import('@metarl/native')).loadNativeKernels() as NativeKernels)
  : undefined;
if (loaded === undefined) {
  if (process.env.METARL_REQUIRE_NATIVE === '1' && process.env.METARL_NATIVE !== 'off')
    throw new Error(`the native kernels are required here: ${status.nativeUnavailable}`);
  console.warn(`skipping the native kernel tests: ${status.nativeUnavailable}`);
}
const native = loaded as NativeKernels;
const isas: NativeIsa[] = loaded?.supportedIsas() ?? [];
const size = (shape: readonly number[]) => shape.reduce((p, s) => p * s, 1);

type Case = { name: string; run: () => tf.Tensor | tf.Tensor[]; tolerance: number };

/** Runs `run` under tfjs's own wasm kernels and under the native ones (each instruction set). */
async function differ(test: Case): Promise<void> {
  const read = () => {
    const outputs = tf.tidy(() => {
      const result = test.run();
      return Array.isArray(result) ? result : [result];
    });
    const values = outputs.map((t) => ({ shape: t.shape, dtype: t.dtype, data: Array.from(t.dataSync()) }));
    tf.dispose(outputs);
    return values;
  };
  await useBackend('wasm', { native: 'off', optimisedKernels: false });
  const reference = read();
  await useBackend('wasm', { native: 'on' });
  for (const isa of isas) {
    native.setIsa(isa);
    const before = tf.memory().numTensors;
    const actual = read();
    expect(tf.memory().numTensors, `${test.name}: tensors left behind`).toBe(before);
    expect(actual.length).toBe(reference.length);
    actual.forEach((output, i) => {
      const expected = reference[i]!;
      expect(output.shape, `${test.name} (${isa}) shape`).toEqual(expected.shape);
      expect(output.dtype).toBe(expected.dtype);
      if (test.tolerance === 0) {
        expect(output.data, `${test.name} (${isa})`).toEqual(expected.data);
        return;
      }
      let difference = 0;
      let norm = 0;
      expected.data.forEach((v, j) => {
        difference += (output.data[j]! - v) ** 2;
        norm += v * v;
      });
      const error = Math.sqrt(difference / Math.max(norm, 1e-30));
      expect(error, `${test.name} (${isa}): normwise relative error`).toBeLessThanOrEqual(test.tolerance);
    });
  }
}

const rng = createRng(17);
/** A tensor of `shape` whose values depend only on the shape (both runs build the same one). */
const tensor = (shape: number[], dtype: 'float32' | 'int32' = 'float32') => {
  const values = createRng(1 + shape.reduce((h, s) => h * 31 + s, 7)).normal(size(shape));
  return dtype === 'int32'
    ? tf.tensor(
        Int32Array.from(values, (v) => Math.round(5 * v)),
        shape,
        'int32',
      )
    : tf.tensor(values, shape);
};
const randomSize = () => 1 + Math.floor(rng.next() * 70);

// Shapes are drawn once, so both runs see the same ones (each run builds its own inputs from them).
function fixed<T>(make: () => T): () => T {
  const value = make();
  return () => value;
}

const productCases: Case[] = [];
for (const [ta, tb] of [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const) {
  for (const batch of [[], [3], [2, 2]] as number[][]) {
    for (let trial = 0; trial < 3; trial += 1) {
      const [m, n, k] = [randomSize(), randomSize(), randomSize() * 4];
      const shapeA = [...batch, ...(ta ? [k, m] : [m, k])];
      const shapeB = [...batch, ...(tb ? [n, k] : [k, n])];
      const inputs = fixed(() => ({ a: rng.normal(size(shapeA)), b: rng.normal(size(shapeB)) }));
      productCases.push({
        name: `matMul [${shapeA}]${ta ? 'ᵀ' : ''} x [${shapeB}]${tb ? 'ᵀ' : ''}`,
        tolerance: 1e-5,
        run: () => tf.matMul(tf.tensor(inputs().a, shapeA), tf.tensor(inputs().b, shapeB), ta, tb),
      });
    }
  }
}
const broadcastProducts: [number[], number[], boolean, boolean][] = [
  [[6, 5, 3], [3, 4], false, false],
  [[6, 3, 5], [4, 3], true, true],
  [[5, 3], [6, 3, 4], false, false],
  [[1, 5, 3], [4, 3, 2], false, false],
  [[2, 1, 5, 3], [2, 1, 3, 4], false, false],
  [[0, 3], [3, 4], false, false],
  [[5, 0], [0, 4], false, false],
  [[3, 5, 0], [3, 0, 2], false, false],
  [[1, 1], [1, 1], false, false],
  [[2000, 64], [64, 64], false, false],
  [[2000, 64], [2000, 64], true, false],
];
for (const [shapeA, shapeB, ta, tb] of broadcastProducts) {
  const inputs = fixed(() => ({ a: rng.normal(size(shapeA)), b: rng.normal(size(shapeB)) }));
  productCases.push({
    name: `matMul [${shapeA}] x [${shapeB}]`,
    tolerance: 1e-5,
    run: () => tf.matMul(tf.tensor(inputs().a, shapeA), tf.tensor(inputs().b, shapeB), ta, tb),
  });
}

const binaryShapes: [number[], number[]][] = [
  [
    [3, 4],
    [3, 4],
  ],
  [[3, 4], [4]],
  [
    [3, 1],
    [1, 4],
  ],
  [
    [2, 3, 4],
    [3, 1],
  ],
  [[], [5]],
  [
    [7, 1, 5],
    [1, 6, 1],
  ],
  [[0, 3], [3]],
  [
    [65, 33],
    [65, 1],
  ],
  [[1], [1]],
];
const elementwiseCases: Case[] = [];
for (const [shapeA, shapeB] of binaryShapes) {
  const inputs = fixed(() => ({ a: rng.normal(size(shapeA)), b: rng.normal(size(shapeB)) }));
  for (const [name, op] of [
    ['add', tf.add],
    ['sub', tf.sub],
    ['mul', tf.mul],
    ['div', tf.div],
  ] as const) {
    elementwiseCases.push({
      name: `${name} [${shapeA}] [${shapeB}]`,
      tolerance: 0,
      run: () => op(tf.tensor(inputs().a, shapeA), tf.tensor(inputs().b, shapeB)),
    });
  }
}
elementwiseCases.push(
  {
    name: 'add int32 (tfjs fallback)',
    tolerance: 0,
    run: () => tf.add(tensor([3, 4], 'int32'), tensor([4], 'int32')),
  },
  {
    name: 'mul float32 by int32 cast',
    tolerance: 0,
    run: () => tf.mul(tensor([5]), tf.cast(tensor([5], 'int32'), 'float32')),
  },
);
for (const shape of [[1], [7], [33, 65], [0, 4], [2, 3, 4]]) {
  const values = fixed(() =>
    Float32Array.from(rng.normal(size(shape)), (v, i) => (i === 0 ? Number.NaN : 6 * v)),
  );
  elementwiseCases.push({
    name: `tanh [${shape}]`,
    tolerance: 1e-6,
    run: () => {
      const y = tf.tanh(tf.tensor(values(), shape));
      return tf.where(tf.isNaN(y), tf.fill(y.shape, 5), y); // NaN stays NaN on both (compared as 5)
    },
  });
}

const reductionCases: Case[] = [];
const x = fixed(() => rng.normal(4 * 5 * 6));
for (const [axis, keepDims] of [
  [0, false],
  [1, false],
  [2, true],
  [[0, 1], false],
  [[1, 2], true],
  [[0, 1, 2], false],
  [-1, false],
  [[0, 2], false],
] as [number | number[], boolean][]) {
  reductionCases.push({
    name: `sum [4,5,6] axis ${JSON.stringify(axis)} keepDims ${keepDims}`,
    tolerance: 1e-6,
    run: () => tf.sum(tf.tensor(x(), [4, 5, 6]), axis, keepDims),
  });
}
const tall = fixed(() => rng.normal(128000));
reductionCases.push(
  { name: 'sum [2000, 64] axis 0', tolerance: 1e-6, run: () => tf.sum(tf.tensor(tall(), [2000, 64]), 0) },
  { name: 'sum int32 (tfjs fallback)', tolerance: 0, run: () => tf.sum(tensor([4, 3], 'int32'), 0) },
);

const copyCases: Case[] = [
  { name: 'tile [2,3] x [2,2]', tolerance: 0, run: () => tf.tile(tensor([2, 3]), [2, 2]) },
  { name: 'tile [3] x [4]', tolerance: 0, run: () => tf.tile(tensor([3]), [4]) },
  {
    name: 'tile [2,1,3] x [1,5,2] int32',
    tolerance: 0,
    run: () => tf.tile(tensor([2, 1, 3], 'int32'), [1, 5, 2]),
  },
  { name: 'tile empty', tolerance: 0, run: () => tf.tile(tf.zeros([0, 2]), [3, 1]) },
  { name: 'transpose [5,7]', tolerance: 0, run: () => tf.transpose(tensor([5, 7])) },
  { name: 'transpose [2,3,4] [2,0,1]', tolerance: 0, run: () => tf.transpose(tensor([2, 3, 4]), [2, 0, 1]) },
  { name: 'transpose [65,33] int32', tolerance: 0, run: () => tf.transpose(tensor([65, 33], 'int32')) },
  { name: 'slice [4,5,6]', tolerance: 0, run: () => tf.slice(tensor([4, 5, 6]), [1, 0, 2], [2, 5, 3]) },
  { name: 'slice to empty', tolerance: 0, run: () => tf.slice(tensor([4, 5]), [1, 2], [0, 2]) },
  { name: 'unstack [4,5,6] axis 1', tolerance: 0, run: () => tf.unstack(tensor([4, 5, 6]), 1) },
  { name: 'unstack [4,5,6] axis 2', tolerance: 0, run: () => tf.unstack(tensor([4, 5, 6]), 2) },
  { name: 'split [4,6] [1,2,3] axis 1', tolerance: 0, run: () => tf.split(tensor([4, 6]), [1, 2, 3], 1) },
  {
    name: 'split bool (tfjs fallback)',
    tolerance: 0,
    run: () => tf.split(tf.tensor([true, false, true, true], [4], 'bool'), 2),
  },
];
describe.skipIf(loaded === undefined)('@metarl/native kernels against tfjs-backend-wasm', () => {
  let before: string | undefined;
  beforeAll(() => {
    before = native.isa();
  });
  afterAll(async () => {
    native.setIsa(before as NativeIsa);
    await useBackend('wasm');
  });

  it.each(productCases.map((c) => [c.name, c] as const))('%s', async (_name, test) => differ(test));
  it.each(elementwiseCases.map((c) => [c.name, c] as const))('%s', async (_name, test) => differ(test));
  it.each(reductionCases.map((c) => [c.name, c] as const))('%s', async (_name, test) => differ(test));
  it.each(copyCases.map((c) => [c.name, c] as const))('%s', async (_name, test) => differ(test));
});

describe.skipIf(loaded === undefined)("useBackend('wasm', { native })", () => {
  it("reports the kernels in use with 'on', none with 'off', and keeps tensors flat across iterations", async () => {
    const on = await useBackend('wasm', { native: 'on' });
    expect(on.native).toEqual({ isa: native.isa(), threads: 1, version: native.version });
    expect(on.nativeUnavailable).toBeUndefined();
    // A second-order step through the replaced kernels, many times: nothing accumulates.
    const w = tf.variable(tf.randomNormal([16, 16], 0, 0.3, 'float32', 3));
    const input = tf.randomNormal([40, 16], 0, 1, 'float32', 4);
    const step = () =>
      tf.tidy(() => {
        const inner = (v: tf.Tensor) => tf.sum(tf.square(tf.tanh(tf.matMul(input, v))));
        const g = tf.grad(inner);
        const outer = tf.grad((v: tf.Tensor) => inner(tf.sub(v, tf.mul(0.1, g(v)))));
        return tf.sum(outer(w)).dataSync()[0]!;
      });
    step();
    const count = tf.memory().numTensors;
    for (let i = 0; i < 30; i += 1) expect(Number.isFinite(step())).toBe(true);
    expect(tf.memory().numTensors).toBe(count);
    tf.dispose([w, input]);
    const off = await useBackend('wasm', { native: 'off' });
    expect(off.native).toBeUndefined();
    expect(off.nativeUnavailable).toBe("native: 'off'");
    expect(currentBackend()?.native).toBeUndefined();
  });

  it("sums over an empty axis to 0 (tfjs-backend-wasm's own Sum returns uninitialised memory there)", async () => {
    await useBackend('wasm', { native: 'on' });
    const total = tf.sum(tf.zeros([0, 3]), 0);
    expect(Array.from(total.dataSync())).toEqual([0, 0, 0]);
    total.dispose();
  });

  it('rejects a bad mode, and a bad METARL_NATIVE, naming the value', async () => {
    await expect(useBackend('wasm', { native: 'yes' as 'on' })).rejects.toThrow(
      /native must be 'auto', 'on' or 'off', got "yes"/,
    );
    process.env.METARL_NATIVE = 'maybe';
    try {
      await expect(useBackend('wasm')).rejects.toThrow(
        /METARL_NATIVE must be 'auto', 'on' or 'off', got "maybe"/,
      );
    } finally {
      delete process.env.METARL_NATIVE;
    }
    await useBackend('wasm');
  });

  it("gives threads to the native products with 'on', and wasm keeps one", async () => {
    const info = await useBackend('wasm', { native: 'on', threads: 2 });
    expect(info.threads).toBe(2);
    expect(info.native?.threads).toBe(2);
    const a = tf.randomNormal([300, 64], 0, 1, 'float32', 5);
    const b = tf.randomNormal([64, 64], 0, 1, 'float32', 6);
    const two = tf.matMul(a, b);
    await useBackend('wasm', { native: 'on', threads: 1 });
    const one = tf.matMul(a, b);
    expect(Array.from(two.dataSync())).toEqual(Array.from(one.dataSync()));
    tf.dispose([a, b, one, two]);
  });
});
