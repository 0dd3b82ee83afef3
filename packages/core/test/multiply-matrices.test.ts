import { afterAll, describe, expect, it } from 'vitest';
import { createRng, type MatrixProduct, multiplyMatrices, useBackend } from '../src/index';
import { multiplyMatricesInJavaScript } from '../src/nn/multiply-matrices';
import { requireNativeKernels } from '../src/testing/index';

/** float64 reference of one product. */
function referenceProduct(heap: Float32Array, p: MatrixProduct): Float64Array {
  const batch = p.batch ?? 1;
  const { rows: m, columns: n, inner: k } = p;
  const aStride = p.aBatchStride ?? m * k;
  const bStride = p.bBatchStride ?? k * n;
  const out = new Float64Array(batch * m * n);
  for (let matrix = 0; matrix < batch; matrix += 1)
    for (let i = 0; i < m; i += 1)
      for (let j = 0; j < n; j += 1) {
        let sum = p.bias === undefined ? 0 : heap[p.bias + j]!;
        for (let q = 0; q < k; q += 1) {
          const a = heap[p.a + matrix * aStride + (p.transposeA ? q * m + i : i * k + q)]!;
          const b = heap[p.b + matrix * bStride + (p.transposeB ? j * k + q : q * n + j)]!;
          sum += a * b;
        }
        out[(matrix * m + i) * n + j] = sum;
      }
  return out;
}

const cases: readonly MatrixProduct[] = [
  { rows: 3, columns: 5, inner: 4, a: 0, b: 40, c: 200 },
  { rows: 16, columns: 37, inner: 29, a: 0, b: 600, c: 2000, transposeB: true },
  { rows: 7, columns: 6, inner: 9, a: 0, b: 100, c: 300, transposeA: true, bias: 250 },
  { rows: 4, columns: 13, inner: 11, a: 0, b: 300, c: 1200, transposeA: true, transposeB: true },
  { batch: 5, rows: 4, columns: 10, inner: 6, a: 0, b: 200, c: 700 },
  { batch: 3, rows: 10, columns: 8, inner: 2, a: 0, b: 100, c: 500, transposeA: true, bBatchStride: 0 },
  {
    batch: 2,
    rows: 2,
    columns: 3,
    inner: 5,
    a: 0,
    aBatchStride: 17,
    b: 100,
    bBatchStride: 20,
    c: 200,
    transposeB: true,
  },
  { rows: 0, columns: 4, inner: 3, a: 0, b: 10, c: 20 },
  { rows: 2, columns: 3, inner: 0, a: 0, b: 10, c: 20, bias: 30 },
];

function checkCases(): void {
  const rng = createRng(7);
  for (const product of cases) {
    const heap = Float32Array.from({ length: 3000 }, () => 2 * rng.next() - 1);
    const expected = referenceProduct(heap, product);
    const before = heap.slice();
    multiplyMatrices(heap, product);
    let worst = 0;
    let scale = 1e-6;
    for (let i = 0; i < expected.length; i += 1) {
      worst = Math.max(worst, Math.abs(heap[product.c + i]! - expected[i]!));
      scale = Math.max(scale, Math.abs(expected[i]!));
    }
    expect(worst / scale, JSON.stringify(product)).toBeLessThan(1e-5);
    // Nothing outside C changed.
    for (let i = 0; i < heap.length; i += 1)
      if (i < product.c || i >= product.c + expected.length) expect(heap[i]).toBe(before[i]);
  }
}

describe('multiplyMatrices (products on host memory)', () => {
  afterAll(async () => {
    await useBackend('cpu');
  });

  it('matches a float64 reference in JavaScript (cpu backend): transposes, batches, strides, bias, empty sizes', async () => {
    await useBackend('cpu');
    checkCases();
  });

  it('matches it on the wasm backend, natively where @metarl/native is loaded, and equals the JavaScript path there', async () => {
    const info = await useBackend('wasm');
    requireNativeKernels(info);
    checkCases();
    const rng = createRng(8);
    for (const product of cases) {
      const heap = Float32Array.from({ length: 3000 }, () => 2 * rng.next() - 1);
      const copy = heap.slice();
      multiplyMatrices(heap, product);
      multiplyMatricesInJavaScript(copy, product);
      for (let i = 0; i < heap.length; i += 1) expect(Math.abs(heap[i]! - copy[i]!)).toBeLessThan(1e-5);
    }
  });

  it('refuses operands outside the heap, overlaps and bad sizes, naming them, on every backend', async () => {
    for (const backend of ['cpu', 'wasm'] as const) {
      await useBackend(backend);
      const heap = new Float32Array(10);
      expect(() => multiplyMatrices(heap, { rows: 2, columns: 3, inner: 1, a: 0, b: 2, c: 5 })).toThrow(
        /multiplyMatrices: C reaches elements 5 to 10, outside the heap of 10 elements/,
      );
      expect(() => multiplyMatrices(heap, { rows: 1, columns: 2, inner: 3, a: 0, b: 6, c: 3 })).toThrow(
        /multiplyMatrices: B reaches elements 6 to 11, outside the heap of 10 elements/,
      );
      expect(() =>
        multiplyMatrices(heap, { rows: 1, columns: 2, inner: 1, a: 0, b: 1, c: 3, bias: 9 }),
      ).toThrow(/multiplyMatrices: the bias reaches elements 9 to 10/);
      expect(() => multiplyMatrices(heap, { rows: 2, columns: 2, inner: 1, a: 0, b: 2, c: 1 })).toThrow(
        /C \(elements 1 to 4\) overlaps A \(elements 0 to 1\)/,
      );
      expect(() => multiplyMatrices(heap, { rows: 1.5, columns: 3, inner: 1, a: 0, b: 2, c: 5 })).toThrow(
        /rows must be an integer >= 0, got 1.5/,
      );
      expect(() =>
        multiplyMatrices(heap, {
          batch: 2,
          rows: 1,
          columns: 1,
          inner: 1,
          a: 0,
          aBatchStride: 1.5,
          b: 3,
          c: 5,
        }),
      ).toThrow(/aBatchStride must be an integer >= 0, got 1.5/);
      expect(() =>
        multiplyMatrices(heap, { rows: 1, columns: 1, inner: 1, a: 0, b: 1, c: 2, bias: -1 }),
      ).toThrow(/bias must be an integer >= 0, got -1/);
    }
  });
});
