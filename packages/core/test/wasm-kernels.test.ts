import { describe, expect, it } from 'vitest';
import { createRng, tf, useBackend } from '../src/index';

const cases: [string, number[], number[], boolean, boolean][] = [
  ['rank 2', [5, 3], [3, 4], false, false],
  ['rank 2, transpose a', [3, 5], [3, 4], true, false],
  ['rank 2, transpose b', [5, 3], [4, 3], false, true],
  ['rank 2, both transposed', [3, 5], [4, 3], true, true],
  ['batched', [2, 3, 5, 3], [2, 3, 3, 4], false, false],
  ['batched, transpose a', [4, 3, 5], [4, 3, 2], true, false],
  ['batched, transpose b', [4, 5, 3], [4, 2, 3], false, true],
  ['batched against shared b', [6, 5, 3], [3, 4], false, false],
  ['batched against shared transposed b', [6, 5, 3], [4, 3], false, true],
  ['batched, transposed a against shared b', [6, 3, 5], [3, 4], true, false],
  ['shared a against batched b', [5, 3], [6, 3, 4], false, false],
  ['rank-3 with batch 1', [1, 5, 3], [1, 3, 4], false, false],
];

async function compute(backend: string, shapeA: number[], shapeB: number[], ta: boolean, tb: boolean) {
  await useBackend(backend, backend === 'wasm' ? { native: 'off' } : {});
  const rng = createRng(shapeA.length * 100 + shapeB.length);
  const a = tf.tensor(rng.normal(shapeA.reduce((p, s) => p * s, 1)), shapeA);
  const b = tf.tensor(rng.normal(shapeB.reduce((p, s) => p * s, 1)), shapeB);
  const c = tf.matMul(a, b, ta, tb);
  const result = { shape: c.shape, values: Array.from(c.dataSync()) };
  tf.dispose([a, b, c]);
  return result;
}

describe('wasm BatchMatMul kernel', () => {
  for (const [name, shapeA, shapeB, ta, tb] of cases) {
    it(`${name} equals the cpu reference`, async () => {
      const reference = await compute('cpu', shapeA, shapeB, ta, tb);
      await useBackend('wasm', { native: 'off' });
      const before = tf.engine().backend.numDataIds();
      const actual = await compute('wasm', shapeA, shapeB, ta, tb);
      expect(tf.engine().backend.numDataIds()).toBe(before);
      const original = await (async () => {
        await useBackend('wasm', { optimisedKernels: false, native: 'off' });
        const result = await compute('wasm', shapeA, shapeB, ta, tb);
        await useBackend('wasm', { native: 'off' });
        return result;
      })();
      original.values.forEach((v, i) => {
        expect(Math.abs(v - reference.values[i]!)).toBeLessThan(1e-5);
      });
      expect(actual.shape).toEqual(reference.shape);
      actual.values.forEach((v, i) => {
        expect(Math.abs(v - reference.values[i]!)).toBeLessThan(1e-5);
      });
    });
  }
});

describe('wasm Tanh and Identity kernels', () => {
  it('tanh is within 3e-7 relative error of Math.tanh from 1e-7 to saturation', async () => {
    await useBackend('wasm', { native: 'off' });
    const values = new Float32Array(200_003);
    for (let i = 0; i < values.length; i += 1) {
      const magnitude = 10 ** (-7 + (9 * i) / values.length); // 1e-7 .. 1e2, log-spaced
      values[i] = i % 2 === 0 ? magnitude : -magnitude;
    }
    const x = tf.tensor1d(values);
    const y = tf.tanh(x);
    const out = y.dataSync();
    let worst = 0;
    values.forEach((v, i) => {
      const exact = Math.tanh(v);
      worst = Math.max(worst, Math.abs(out[i]! - exact) / Math.abs(exact));
    });
    tf.dispose([x, y]);
    expect(worst).toBeLessThan(3e-7);
  });

  it('identity shares the data: the copy outlives its source, and memory is freed with both', async () => {
    await useBackend('wasm', { native: 'off' });
    const before = tf.engine().backend.numDataIds();
    const source = tf.tensor1d([1, 2, 3]);
    const copy = tf.clone(source);
    expect(tf.engine().backend.numDataIds()).toBe(before + 1);
    source.dispose();
    expect(Array.from(copy.dataSync())).toEqual([1, 2, 3]);
    copy.dispose();
    expect(tf.engine().backend.numDataIds()).toBe(before);
  });
});

describe('wasm Slice, Unpack and SplitV kernels', () => {
  const run = async (backend: string) => {
    await useBackend(backend, backend === 'wasm' ? { native: 'off' } : {});
    const x = tf.tensor(createRng(3).normal(4 * 5 * 6), [4, 5, 6]);
    const ints = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], 'int32');
    const results = [
      tf.slice(x, [1, 2, 3], [2, 3, 2]),
      tf.slice(x, [0, 1, 0], [4, 1, 6]),
      tf.slice(x, [2, 0, 0], [1, 5, 6]),
      tf.slice(tf.reshape(x, [120]), [7], [11]),
      tf.slice(ints, [0, 1], [2, 2]),
      ...tf.unstack(x, 1),
      ...tf.unstack(x, 2),
      ...tf.unstack(ints, 0),
      ...tf.split(x, 3, 2),
      ...tf.split(x, [1, 3, 1], 1),
      ...tf.split(ints, 3, 1),
    ];
    const out = results.map((t) => ({ shape: t.shape, dtype: t.dtype, values: Array.from(t.dataSync()) }));
    tf.dispose([x, ints, ...results]);
    return out;
  };

  it('equal the cpu backend exactly, for float and int tensors, any axis', async () => {
    const expected = await run('cpu');
    const actual = await run('wasm');
    expect(actual).toEqual(expected);
  });
});
