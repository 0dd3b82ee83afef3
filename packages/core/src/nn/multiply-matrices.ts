/**
 * Matrix products on host memory: operands are regions of one `Float32Array`, for hand-written
 * forward and backward passes that keep their intermediates off the tensor engine (a fused
 * recurrent sequence runs hundreds of small products per update; as tfjs kernels each would cost
 * ~30 µs of dispatch). Where the active backend is wasm with @metarl/native's kernels loaded, the
 * product is the native one (~0.1 µs per call, 75-122 GFLOP/s on one core); elsewhere it is a
 * plain loop in JavaScript (the same values up to float32 rounding).
 */
import { activeNativeKernels } from '../backend/builtin-backends';

/** One (batched) product C = op(A) op(B) + bias, every operand an offset into the same heap. */
export interface MatrixProduct {
  /** Rows m of C (and of op(A)). */
  readonly rows: number;
  /** Columns n of C (and of op(B)). */
  readonly columns: number;
  /** The shared dimension k. */
  readonly inner: number;
  /** Offset of A: [m, k] row-major, or [k, m] when `transposeA`. */
  readonly a: number;
  /** Offset of B: [k, n] row-major, or [n, k] when `transposeB`. */
  readonly b: number;
  /** Offset of C [m, n] (overwritten; its span must not overlap those of A, B or the bias). */
  readonly c: number;
  /** Whether A is stored transposed; default false. */
  readonly transposeA?: boolean;
  /** Whether B is stored transposed; default false. */
  readonly transposeB?: boolean;
  /** Offset of a bias [n] added to every row of C; default none. */
  readonly bias?: number;
  /** Independent products; default 1. Matrix j reads A and B at j times their batch strides and writes C at j·m·n. */
  readonly batch?: number;
  /** Elements between consecutive A matrices; default m·k. */
  readonly aBatchStride?: number;
  /** Elements between consecutive B matrices; default k·n (0: one B for all). */
  readonly bBatchStride?: number;
}

const args = new Int32Array(14);

/** [first, last] element a strided operand reaches, or undefined when it is empty. */
function spanOf(offset: number, count: number, stride: number, size: number): [number, number] | undefined {
  return count === 0 || size === 0 ? undefined : [offset, offset + (count - 1) * stride + size - 1];
}

/**
 * Validates a product against the heap: sizes, offsets and strides are integers >= 0, every
 * operand lies inside the heap, and C overlaps none of A, B and the bias. Errors name the field,
 * the value and the expected form. Returns the batch and the batch strides.
 */
function checkProduct(
  heap: Float32Array,
  p: MatrixProduct,
): { batch: number; aStride: number; bStride: number } {
  const batch = p.batch ?? 1;
  const { rows: m, columns: n, inner: k } = p;
  const aStride = p.aBatchStride ?? m * k;
  const bStride = p.bBatchStride ?? k * n;
  const fields: [string, unknown][] = [
    ['rows', m],
    ['columns', n],
    ['inner', k],
    ['batch', batch],
    ['a', p.a],
    ['b', p.b],
    ['c', p.c],
    ['aBatchStride', aStride],
    ['bBatchStride', bStride],
  ];
  if (p.bias !== undefined) fields.push(['bias', p.bias]);
  for (const [name, value] of fields)
    if (!Number.isInteger(value) || (value as number) < 0)
      throw new RangeError(`multiplyMatrices: ${name} must be an integer >= 0, got ${String(value)}`);
  const spans: [string, [number, number] | undefined][] = [
    ['A', spanOf(p.a, batch, aStride, m * k)],
    ['B', spanOf(p.b, batch, bStride, k * n)],
    ['C', spanOf(p.c, batch, m * n, m * n)],
  ];
  if (p.bias !== undefined) spans.push(['the bias', spanOf(p.bias, 1, 0, n)]);
  for (const [name, span] of spans)
    if (span !== undefined && span[1] >= heap.length)
      throw new RangeError(
        `multiplyMatrices: ${name} reaches elements ${span[0]} to ${span[1]}, outside the heap of ${heap.length} elements`,
      );
  const c = spans[2]![1];
  if (c !== undefined)
    for (const [name, span] of spans)
      if (name !== 'C' && span !== undefined && span[0] <= c[1] && c[0] <= span[1])
        throw new RangeError(
          `multiplyMatrices: C (elements ${c[0]} to ${c[1]}) overlaps ${name} (elements ${span[0]} to ${span[1]}); C must not overlap its operands`,
        );
  return { batch, aStride, bStride };
}

/**
 * C = op(A) op(B) (+ bias) for every matrix of the batch, on `heap` (see `MatrixProduct`).
 * Natively where the active backend is wasm with @metarl/native loaded, else in JavaScript.
 */
export function multiplyMatrices(heap: Float32Array, product: MatrixProduct): void {
  const { batch, aStride, bStride } = checkProduct(heap, product);
  const { rows: m, columns: n, inner: k } = product;
  const kernels = activeNativeKernels();
  // The native arguments are 32-bit: a heap beyond 2^31 floats takes the JavaScript path.
  if (kernels !== undefined && heap.length <= 0x7fffffff) {
    args.set([
      batch,
      m,
      n,
      k,
      product.transposeA === true ? 1 : 0,
      product.transposeB === true ? 1 : 0,
      product.a,
      aStride,
      product.b,
      bStride,
      product.c,
      product.bias ?? -1,
      0,
      0,
    ]);
    kernels.matMul(heap, args);
    return;
  }
  multiplyMatricesInJavaScript(heap, product);
}

/** `multiplyMatrices`'s JavaScript path (exported for tests that compare both paths). */
export function multiplyMatricesInJavaScript(heap: Float32Array, product: MatrixProduct): void {
  const { batch, aStride, bStride } = checkProduct(heap, product);
  const { rows: m, columns: n, inner: k } = product;
  const transposeA = product.transposeA === true;
  const transposeB = product.transposeB === true;
  const row = new Float64Array(n);
  for (let matrix = 0; matrix < batch; matrix += 1) {
    const a = product.a + matrix * aStride;
    const b = product.b + matrix * bStride;
    const c = product.c + matrix * m * n;
    for (let i = 0; i < m; i += 1) {
      row.fill(0);
      for (let p = 0; p < k; p += 1) {
        const aip = heap[transposeA ? a + p * m + i : a + i * k + p]!;
        if (transposeB) for (let j = 0; j < n; j += 1) row[j]! += aip * heap[b + j * k + p]!;
        else {
          const bRow = b + p * n;
          for (let j = 0; j < n; j += 1) row[j]! += aip * heap[bRow + j]!;
        }
      }
      const cRow = c + i * n;
      if (product.bias === undefined) for (let j = 0; j < n; j += 1) heap[cRow + j] = row[j]!;
      else for (let j = 0; j < n; j += 1) heap[cRow + j] = row[j]! + heap[product.bias + j]!;
    }
  }
}
