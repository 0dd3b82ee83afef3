import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BINARY_OPERATIONS, NATIVE_INTERFACE_VERSION, type NativeKernels } from '../src/index';
import { loadNativeKernelsForTests } from './load-native-kernels-for-tests';

// The kernels alone, on a plain (and a shared) Float32Array standing in for the wasm heap. Their
// agreement with tfjs's own kernels is tested through @metarl/core (test/native-kernels.test.ts there).
const loaded = loadNativeKernelsForTests();
const kernels = loaded as NativeKernels;

function random(length: number, seed: number): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 31 - 1;
  });
}

/** C = op(A) op(B) in float64. */
function referenceProduct(
  a: Float32Array,
  b: Float32Array,
  m: number,
  n: number,
  k: number,
  transposeA: boolean,
  transposeB: boolean,
): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i += 1)
    for (let j = 0; j < n; j += 1) {
      let sum = 0;
      for (let p = 0; p < k; p += 1)
        sum += a[transposeA ? p * m + i : i * k + p]! * b[transposeB ? j * k + p : p * n + j]!;
      c[i * n + j] = sum;
    }
  return c;
}

function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let difference = 0;
  let norm = 0;
  for (let i = 0; i < expected.length; i += 1) {
    difference += (actual[i]! - expected[i]!) ** 2;
    norm += expected[i]! ** 2;
  }
  return Math.sqrt(difference / Math.max(norm, 1e-30));
}

describe.skipIf(loaded === undefined)('@metarl/native kernels', () => {
  it('reports its version, layout and instruction sets', () => {
    expect(kernels.interfaceVersion).toBe(NATIVE_INTERFACE_VERSION);
    expect(kernels.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(kernels.supportedIsas()).toContain('portable');
    expect(kernels.supportedIsas()).toContain(kernels.isa());
  });

  it.each([
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ])('multiplies batches of matrices, transposeA %s transposeB %s, on every instruction set', (ta, tb) => {
    const original = kernels.isa();
    try {
      for (const isa of kernels.supportedIsas()) {
        kernels.setIsa(isa);
        for (const [batch, m, n, k] of [
          [1, 1, 1, 1],
          [3, 7, 5, 3],
          [2, 65, 63, 130],
          [1, 200, 64, 64],
          [2, 64, 64, 300],
          [1, 0, 4, 4],
          [1, 4, 4, 0],
        ] as const) {
          const a = random(batch * m * k, 1 + m);
          const b = random(batch * k * n, 2 + n);
          const heap = new Float32Array(8 + a.length + b.length + batch * m * n + 8);
          heap.set(a, 8);
          heap.set(b, 8 + a.length);
          const cOffset = 8 + a.length + b.length;
          heap.fill(Number.NaN, cOffset);
          kernels.matMul(
            heap,
            Int32Array.of(
              batch,
              m,
              n,
              k,
              ta ? 1 : 0,
              tb ? 1 : 0,
              8,
              m * k,
              8 + a.length,
              k * n,
              cOffset,
              -1,
              0,
              0,
            ),
          );
          for (let i = 0; i < batch; i += 1) {
            const expected = referenceProduct(
              a.subarray(i * m * k, (i + 1) * m * k),
              b.subarray(i * k * n, (i + 1) * k * n),
              m,
              n,
              k,
              ta,
              tb,
            );
            const actual = heap.subarray(cOffset + i * m * n, cOffset + (i + 1) * m * n);
            if (k === 0) expect(Array.from(actual).every((v) => v === 0)).toBe(true);
            else expect(relativeError(actual, expected), `${isa} ${batch}x${m}x${n}x${k}`).toBeLessThan(1e-5);
          }
          // Nothing written past C.
          expect(Array.from(heap.subarray(cOffset + batch * m * n)).every(Number.isNaN)).toBe(true);
        }
      }
    } finally {
      kernels.setIsa(original);
    }
  });

  it('adds a bias and applies tanh in the product epilogue; a zero batch stride broadcasts', () => {
    const [m, n, k] = [9, 17, 5];
    const a = random(2 * m * k, 3);
    const b = random(k * n, 4);
    const bias = random(2 * n, 5);
    const heap = new Float32Array(a.length + b.length + bias.length + 2 * m * n);
    heap.set(a, 0);
    heap.set(b, a.length);
    heap.set(bias, a.length + b.length);
    const c = a.length + b.length + bias.length;
    kernels.matMul(
      heap,
      Int32Array.of(2, m, n, k, 0, 0, 0, m * k, a.length, 0, c, a.length + b.length, n, 1),
    );
    for (let t = 0; t < 2; t += 1) {
      const product = referenceProduct(a.subarray(t * m * k), b, m, n, k, false, false);
      const expected = product.map((v, index) => Math.tanh(v + bias[t * n + (index % n)]!));
      expect(relativeError(heap.subarray(c + t * m * n, c + (t + 1) * m * n), expected)).toBeLessThan(1e-5);
    }
  });

  it('computes tanh within 3e-7 of Math.tanh, keeps NaN and saturates at ±1', () => {
    const x = Float32Array.from({ length: 4001 }, (_v, i) => (i - 2000) / 100);
    const heap = new Float32Array(2 * x.length + 4);
    heap.set(x);
    heap[x.length] = Number.NaN;
    heap[x.length + 1] = Number.POSITIVE_INFINITY;
    kernels.tanh(heap, Int32Array.of(x.length + 2, 0, x.length + 2));
    let worst = 0;
    for (let i = 0; i < x.length; i += 1) {
      const exact = Math.tanh(x[i]!);
      worst = Math.max(worst, Math.abs(heap[x.length + 2 + i]! - exact) / Math.max(Math.abs(exact), 1e-30));
    }
    expect(worst).toBeLessThan(3e-7);
    expect(heap[2 * x.length + 2]).toBeNaN();
    expect(heap[2 * x.length + 3]).toBe(1);
  });

  it('applies binary operations with broadcasting by strides, exactly as float32 arithmetic', () => {
    // out [3, 4] = a [3, 4] op b [4] (b's first axis broadcast with stride 0)
    const a = random(12, 6);
    const b = random(4, 7);
    for (const [name, code] of Object.entries(BINARY_OPERATIONS)) {
      const heap = new Float32Array(28);
      heap.set(a, 0);
      heap.set(b, 12);
      kernels.binary(heap, Int32Array.of(code, 2, 16, 0, 12, 3, 4, 4, 1, 0, 1));
      const expected = Float32Array.from(a, (x, i) => {
        const z = b[i % 4]!;
        return name === 'add' ? x + z : name === 'sub' ? x - z : name === 'mul' ? x * z : x / z;
      });
      expect(Array.from(heap.subarray(16, 28))).toEqual(Array.from(expected));
    }
  });

  it('sums over the middle axis of [outer, reduce, inner], and over the last', () => {
    const x = random(3 * 50 * 7, 8);
    const heap = new Float32Array(x.length + 21);
    heap.set(x);
    kernels.sum(heap, Int32Array.of(3, 50, 7, 0, x.length));
    for (let o = 0; o < 3; o += 1)
      for (let i = 0; i < 7; i += 1) {
        let expected = 0;
        for (let r = 0; r < 50; r += 1) expected += x[(o * 50 + r) * 7 + i]!;
        expect(heap[x.length + o * 7 + i]).toBeCloseTo(expected, 4);
      }
    kernels.sum(heap, Int32Array.of(21, 50, 1, 0, x.length));
    const rowSum = x.subarray(0, 50).reduce((s, v) => s + v, 0);
    expect(heap[x.length]).toBeCloseTo(rowSum, 4);
  });

  it('copies by strides: a transpose and a tile', () => {
    const heap = new Float32Array(40);
    heap.set([1, 2, 3, 4, 5, 6]); // [2, 3]
    kernels.copy(heap, Int32Array.of(2, 0, 10, 3, 2, 1, 3)); // transpose to [3, 2]
    expect(Array.from(heap.subarray(10, 16))).toEqual([1, 4, 2, 5, 3, 6]);
    kernels.copy(heap, Int32Array.of(2, 0, 20, 2, 3, 0, 1)); // the first row twice
    expect(Array.from(heap.subarray(20, 26))).toEqual([1, 2, 3, 1, 2, 3]);
  });

  it('works on a heap backed by a SharedArrayBuffer (the threaded wasm build)', () => {
    const heap = new Float32Array(new SharedArrayBuffer(64 * 4));
    heap.set([0.5, -2]);
    kernels.tanh(heap, Int32Array.of(2, 0, 2));
    expect(heap[2]).toBeCloseTo(Math.tanh(0.5), 6);
    expect(heap[3]).toBeCloseTo(Math.tanh(-2), 6);
  });

  it('rejects every operand that reaches outside the heap, naming it, and writes nothing', () => {
    const heap = new Float32Array(100).fill(7);
    const calls: [string, () => void, RegExp][] = [
      [
        'matMul c',
        () => kernels.matMul(heap, Int32Array.of(1, 10, 10, 1, 0, 0, 0, 0, 0, 0, 95, -1, 0, 0)),
        /matMul: c reaches/,
      ],
      [
        'matMul a',
        () => kernels.matMul(heap, Int32Array.of(2, 10, 1, 10, 0, 0, 0, 100, 0, 0, 0, -1, 0, 0)),
        /matMul: a reaches/,
      ],
      [
        'matMul bias',
        () => kernels.matMul(heap, Int32Array.of(1, 2, 2, 2, 0, 0, 0, 0, 0, 0, 0, 99, 0, 0)),
        /matMul: bias/,
      ],
      ['tanh', () => kernels.tanh(heap, Int32Array.of(10, 95, 0)), /tanh: x reaches/],
      ['negative offset', () => kernels.tanh(heap, Int32Array.of(10, -1, 0)), /tanh: x reaches/],
      ['binary', () => kernels.binary(heap, Int32Array.of(0, 1, 0, 0, 91, 10, 1, 1)), /binary: b reaches/],
      ['sum', () => kernels.sum(heap, Int32Array.of(1, 101, 1, 0, 0)), /sum: x reaches/],
      ['copy', () => kernels.copy(heap, Int32Array.of(1, 0, 0, 10, 12)), /copy: source reaches/],
      ['rank', () => kernels.copy(heap, Int32Array.of(17, 0, 0)), /rank must be 0 to 16/],
      ['short args', () => kernels.matMul(heap, Int32Array.of(1, 2)), /args has 2 entries/],
      ['bad op', () => kernels.binary(heap, Int32Array.of(9, 1, 0, 0, 0, 1, 1, 1)), /op must be/],
      [
        'heap type',
        () => kernels.tanh(new Float64Array(4) as unknown as Float32Array, Int32Array.of(1, 0, 1)),
        /heap must be a Float32Array/,
      ],
    ];
    for (const [label, call, message] of calls) expect(call, label).toThrow(message);
    expect(Array.from(heap).every((v) => v === 7)).toBe(true);
  });

  it('runs products on two threads with the same results as on one', () => {
    const [m, n, k] = [300, 64, 64];
    const a = random(m * k, 9);
    const b = random(k * n, 10);
    const run = (threads: number) => {
      kernels.setThreads(threads);
      const heap = new Float32Array(a.length + b.length + m * n);
      heap.set(a);
      heap.set(b, a.length);
      kernels.matMul(
        heap,
        Int32Array.of(4, m / 4, n, k, 0, 0, 0, (m / 4) * k, a.length, 0, a.length + b.length, -1, 0, 0),
      );
      return heap.slice(a.length + b.length);
    };
    try {
      expect(Array.from(run(2))).toEqual(Array.from(run(1)));
      expect(kernels.threads()).toBe(1);
    } finally {
      kernels.setThreads(1);
    }
    expect(() => kernels.setThreads(0)).toThrow(/threads must be an integer from 1 to 64/);
    expect(() => kernels.setIsa('sse' as 'portable')).toThrow(/isa must be/);
  });

  it('lets a process with product threads exit by itself', () => {
    const script = [
      `const { loadNativeKernels } = require(${JSON.stringify(join(__dirname, '..', 'dist', 'index.cjs'))});`,
      'const kernels = loadNativeKernels();',
      'kernels.setThreads(2);',
      'const heap = new Float32Array(3 * 256 * 256);',
      'kernels.matMul(heap, Int32Array.of(1, 256, 256, 256, 0, 0, 0, 0, 65536, 0, 131072, -1, 0, 0));',
      "console.log('done', kernels.threads());",
    ].join('\n');
    const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(result.error).toBeUndefined(); // a timeout would mean the threads kept it alive
    expect(result.stdout.trim()).toBe('done 2');
    expect(result.status).toBe(0);
  });
});
