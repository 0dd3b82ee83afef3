/**
 * Faster WebAssembly kernels, registered over tfjs's own when the `wasm` backend is selected.
 *
 * Measured on tfjs-backend-wasm 4.22 (2-core x86, SIMD, one thread): its BatchMatMul reaches
 * 12-16 GFLOP/s only for a single (rank-2), untransposed product, where it calls XNNPACK.
 * With a transposed operand it is 12x slower ([8192, 64]^T [8192, 64]: 75 ms against 5 ms),
 * and with a batch of matrices 10x slower ([20, 2000, 64] x [20, 64, 64]: 320 ms). Backward
 * passes transpose and task-batched meta-learning batches, so those are the common case here.
 * This kernel reduces every product to untransposed rank-2 XNNPACK calls: shared operands are
 * folded into one large product, transposes are done by a copy, batches run one matrix at a
 * time. The arithmetic is the same, so results agree with the reference to float32 rounding
 * (the conformance suite and `wasm-kernels.test.ts` check it). They use the wasm backend's heap
 * and members, so `useBackend` installs them on the verified tfjs only (`tfjs-version-gate.ts`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { type NativeKernelsLike, nativeReplacements } from './native-kernels';
import { createSliceKernels, type KernelFunction } from './slice-kernels';

interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
  disposeData(dataId: tf.DataId): boolean;
}

const product = (shape: readonly number[]) => shape.reduce((p, s) => p * s, 1);
const SMALL_PRODUCT = 32768;
const TILE = 32;

/** Copies matrix `index` of `source` (rows x cols, row-major) into a new rank-2 tensor, transposed if asked. */
function copyMatrix(
  backend: WasmBackend,
  source: tf.TensorInfo,
  index: number,
  rows: number,
  cols: number,
  transpose: boolean,
): tf.TensorInfo {
  const out = backend.makeOutput(transpose ? [cols, rows] : [rows, cols], 'float32');
  const from = backend.typedArrayFromHeap(source); // fetched after makeOutput: the heap may have grown
  const to = backend.typedArrayFromHeap(out);
  const offset = index * rows * cols;
  if (!transpose) {
    to.set(from.subarray(offset, offset + rows * cols));
  } else {
    // In tiles, so that both the reads and the strided writes stay in cache (3x faster for [2000, 64]).
    for (let r0 = 0; r0 < rows; r0 += TILE) {
      const r1 = Math.min(r0 + TILE, rows);
      for (let c0 = 0; c0 < cols; c0 += TILE) {
        const c1 = Math.min(c0 + TILE, cols);
        for (let r = r0; r < r1; r += 1) {
          const rowOffset = offset + r * cols;
          for (let c = c0; c < c1; c += 1) to[c * rows + r] = from[rowOffset + c]!;
        }
      }
    }
  }
  return out;
}

function createBatchMatMul(original: KernelFunction): KernelFunction {
  return (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const transposeA = args.attrs?.transposeA === true;
    const transposeB = args.attrs?.transposeB === true;
    const backend = args.backend as WasmBackend;
    const batchShapeA = a.shape.slice(0, -2);
    const batchShapeB = b.shape.slice(0, -2);
    const batchA = product(batchShapeA);
    const batchB = product(batchShapeB);
    const simple =
      batchA === 1 &&
      batchB === 1 &&
      !transposeA &&
      !transposeB &&
      a.shape.length === 2 &&
      b.shape.length === 2;
    const sameBatch =
      batchShapeA.length === batchShapeB.length && batchShapeA.every((s, i) => s === batchShapeB[i]);
    if (
      simple ||
      a.dtype !== 'float32' ||
      b.dtype !== 'float32' ||
      !(sameBatch || batchA === 1 || batchB === 1)
    ) {
      return original(args);
    }
    const [rowsA, colsA] = a.shape.slice(-2) as [number, number];
    const [rowsB, colsB] = b.shape.slice(-2) as [number, number];
    const m = transposeA ? colsA : rowsA;
    const k = transposeA ? rowsA : colsA;
    const n = transposeB ? rowsB : colsB;
    // Below this many multiply-adds the copies cost more than tfjs's own loop saves (measured).
    if (Math.max(batchA, batchB) * m * n * k < SMALL_PRODUCT) return original(args);
    const batchShape = batchA >= batchB ? batchShapeA : batchShapeB;
    const batch = Math.max(batchA, batchB);
    const out = backend.makeOutput([...batchShape, m, n], 'float32');
    const multiply = (left: tf.TensorInfo, right: tf.TensorInfo) =>
      original({
        inputs: { a: left, b: right },
        attrs: { transposeA: false, transposeB: false },
        backend,
      }) as tf.TensorInfo;
    const store = (result: tf.TensorInfo, offset: number) => {
      backend.typedArrayFromHeap(out).set(backend.typedArrayFromHeap(result), offset);
      backend.disposeData(result.dataId);
    };

    const view = (info: tf.TensorInfo, shape: number[]): tf.TensorInfo => ({
      dataId: info.dataId,
      shape,
      dtype: 'float32',
    });
    if (batchB === 1 && !transposeA) {
      // One product: every A matrix stacked as [batch * m, k] (a view, no copy) against the shared B.
      const right = transposeB ? copyMatrix(backend, b, 0, rowsB, colsB, true) : view(b, [rowsB, colsB]);
      store(multiply(view(a, [batchA * m, k]), right), 0);
      if (transposeB) backend.disposeData(right.dataId);
      return out;
    }
    const sharedRight = batchB === 1 ? copyMatrix(backend, b, 0, rowsB, colsB, transposeB) : undefined;
    const sharedLeft = batchA === 1 ? copyMatrix(backend, a, 0, rowsA, colsA, transposeA) : undefined;
    for (let i = 0; i < batch; i += 1) {
      const left = sharedLeft ?? copyMatrix(backend, a, i, rowsA, colsA, transposeA);
      const right = sharedRight ?? copyMatrix(backend, b, i, rowsB, colsB, transposeB);
      store(multiply(left, right), i * m * n);
      if (sharedLeft === undefined) backend.disposeData(left.dataId);
      if (sharedRight === undefined) backend.disposeData(right.dataId);
    }
    if (sharedLeft) backend.disposeData(sharedLeft.dataId);
    if (sharedRight) backend.disposeData(sharedRight.dataId);
    return out;
  };
}

// Eigen's float tanh (a [13/6] rational minimax fit on [-7.905, 7.905]): 2.4e-7 largest relative
// error against Math.tanh (measured on a float32 grid), 2-4x faster than tfjs-backend-wasm's tanh.
const TANH_BOUND = 7.905311107635498;

/** tanh of every element in JavaScript on the wasm heap (tfjs-backend-wasm's costs ~33 ns/element). */
const tanhKernel: KernelFunction = (args) => {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const backend = args.backend as WasmBackend;
  const out = backend.makeOutput([...x.shape], x.dtype);
  const from = backend.typedArrayFromHeap(x); // fetched after makeOutput: the heap may have grown
  const to = backend.typedArrayFromHeap(out);
  for (let i = 0; i < from.length; i += 1) {
    const v = from[i]!;
    const c = Math.min(Math.max(v, -TANH_BOUND), TANH_BOUND); // NaN stays NaN
    const c2 = c * c;
    const p =
      c *
      (4.89352455891786e-3 +
        c2 *
          (6.37261928875436e-4 +
            c2 *
              (1.48572235717979e-5 +
                c2 *
                  (5.12229709037114e-8 +
                    c2 *
                      (-8.60467152213735e-11 + c2 * (2.00018790482477e-13 + c2 * -2.76076847742355e-16))))));
    const q =
      4.89352518554385e-3 + c2 * (2.268434632439e-3 + c2 * (1.18534705686654e-4 + c2 * 1.19825839466702e-6));
    to[i] = p / q;
  }
  return out;
};

/**
 * Identity without a copy (tensors are immutable; the data gains a reference). The engine clones
 * every tensor it saves for a backward pass, and tfjs-backend-wasm's Identity copies: 8% of a
 * MAML-TRPO Hessian-vector product was such copies.
 */
const identityKernel: KernelFunction = (args) => {
  const { x } = args.inputs as { x: tf.TensorInfo };
  (args.backend as { incRef(dataId: tf.DataId): void }).incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
};

/**
 * Slice by views of the wasm heap. tfjs-backend-wasm's Slice reads its input with `readSync`,
 * which copies the whole input first: slicing the T steps of a [B, T, F] sequence one by one
 * (a GRU unroll) copied the sequence T times (10 ms per step for a [62, 100, 384] input).
 * (SplitV and Unpack call the same function.) Here each call copies only the slice, one
 * contiguous run of the last axis at a time.
 */
function sliceInto(
  backend: WasmBackend,
  x: tf.TensorInfo,
  begin: readonly number[],
  size: readonly number[],
): tf.TensorInfo {
  const out = backend.makeOutput([...size], x.dtype);
  const from = backend.typedArrayFromHeap(x); // fetched after makeOutput: the heap may have grown
  const to = backend.typedArrayFromHeap(out);
  const rank = x.shape.length;
  if (rank === 0) {
    to.set(from);
    return out;
  }
  const strides = new Array<number>(rank).fill(1);
  for (let axis = rank - 2; axis >= 0; axis -= 1) strides[axis] = strides[axis + 1]! * x.shape[axis + 1]!;
  const run = size[rank - 1]!;
  const runs = product(size.slice(0, rank - 1));
  const index = new Array<number>(rank - 1).fill(0);
  for (let r = 0; r < runs; r += 1) {
    let offset = begin[rank - 1]!;
    for (let axis = 0; axis < rank - 1; axis += 1) offset += (begin[axis]! + index[axis]!) * strides[axis]!;
    to.set(from.subarray(offset, offset + run), r * run);
    for (let axis = rank - 2; axis >= 0; axis -= 1) {
      index[axis] = index[axis]! + 1;
      if (index[axis]! < size[axis]!) break;
      index[axis] = 0;
    }
  }
  return out;
}

const tfjsKernels = new Map<string, tf.KernelConfig>();
let selected: 'metarl' | 'native' | 'tfjs' = 'tfjs';

/**
 * With `optimised` true, replaces the wasm backend's BatchMatMul, Tanh, Identity, Slice, Unpack
 * and SplitV with the faster ones above, and, given `native` kernels (@metarl/native), those and
 * more with native ones (`native-kernels.ts`); with false, restores tfjs's own. Idempotent;
 * `useBackend('wasm', options)` calls it.
 */
export function selectWasmKernels(optimised: boolean, native?: NativeKernelsLike): void {
  if (tf.getKernel('BatchMatMul', 'wasm') === undefined) return;
  const wanted = !optimised ? 'tfjs' : native === undefined ? 'metarl' : 'native';
  if (selected === wanted) return;
  const replacements: Record<string, (original: KernelFunction) => KernelFunction> = {
    BatchMatMul: createBatchMatMul,
    Tanh: () => tanhKernel,
    Identity: () => identityKernel,
    ...createSliceKernels(
      (backend, x, begin, size) => sliceInto(backend as WasmBackend, x, begin, size),
      (x) => x.dtype !== 'string',
    ),
    ...(wanted === 'native' ? nativeReplacements(native!) : {}),
  };
  // Restore every kernel replaced before, then replace what this selection replaces.
  for (const [name, original] of tfjsKernels) {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(original);
  }
  if (wanted !== 'tfjs') {
    for (const [name, create] of Object.entries(replacements)) {
      const current = tf.getKernel(name, 'wasm')!;
      if (!tfjsKernels.has(name)) tfjsKernels.set(name, current);
      const replacement = create(current.kernelFunc as unknown as KernelFunction);
      tf.unregisterKernel(name, 'wasm');
      tf.registerKernel({
        kernelName: name,
        backendName: 'wasm',
        kernelFunc: replacement as unknown as tf.KernelFunc,
      });
    }
  }
  selected = wanted;
}
