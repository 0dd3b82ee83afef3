/**
 * The wasm backend's hot kernels on @metarl/native (an optional peer): C kernels (AVX-512, AVX2
 * or portable, chosen at load) that read and write the tensors where they lie, on the wasm heap.
 *
 * Measured on one core of the 2-core AVX-512 machine the benchmarks run on: tfjs-backend-wasm's
 * products reach 2-31 GFLOP/s on a meta-RL policy's shapes (XNNPACK in WebAssembly SIMD, which
 * tops out near 29, re-packing its operands on every call); the native product reaches ~100.
 * The kernels here replace BatchMatMul (every transpose and batch variant: no Transpose is
 * materialised), Tanh, the float32 Add, Sub, Multiply and RealDiv with broadcasting by strides
 * (tfjs-backend-wasm walks a broadcast index by index), Sum over a contiguous block of axes
 * (tfjs-backend-wasm transposes the reduced axes to the end first), Tile, Transpose, Slice,
 * Unpack and SplitV (strided copies). What they do not cover (other dtypes, odd broadcasts)
 * goes to tfjs's own kernel. Each call costs ~0.1 us; every operand is bounds-checked against
 * the heap in C. The heap may grow during a kernel's `makeOutput`, so it is read after.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createSliceKernels, type KernelFunction } from './slice-kernels';

/** What core needs of @metarl/native's `NativeKernels` (structural: core does not depend on it). */
export interface NativeKernelsLike {
  readonly version: string;
  readonly interfaceVersion: number;
  isa(): string;
  threads(): number;
  setThreads(threads: number): void;
  matMul(heap: Float32Array, args: Int32Array): void;
  tanh(heap: Float32Array, args: Int32Array): void;
  binary(heap: Float32Array, args: Int32Array): void;
  sum(heap: Float32Array, args: Int32Array): void;
  copy(heap: Float32Array, args: Int32Array): void;
}

/** The argument layout core writes (`NATIVE_INTERFACE_VERSION` of @metarl/native). */
export const NATIVE_INTERFACE_VERSION = 1;

/** The wasm backend's members the kernels use. */
export interface WasmBackendInternals {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(dataId: tf.DataId): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
  disposeData(dataId: tf.DataId): boolean;
}

const MAXIMUM_RANK = 16;
const product = (shape: readonly number[]) => shape.reduce((p, s) => p * s, 1);
const args = new Int32Array(8 + 3 * MAXIMUM_RANK);

let heapBuffer: ArrayBufferLike | undefined;
let heapView: Float32Array<ArrayBufferLike> = new Float32Array(0);

/** The whole wasm heap as floats (a new view only when the memory grew). */
function heapOf(backend: WasmBackendInternals): Float32Array {
  const buffer = backend.wasm.HEAPU8.buffer;
  if (buffer !== heapBuffer) {
    heapBuffer = buffer;
    heapView = new Float32Array(buffer, 0, buffer.byteLength >>> 2);
  }
  return heapView;
}

/** A tensor's offset on the heap in float elements. */
function offsetOf(backend: WasmBackendInternals, info: tf.TensorInfo): number {
  return backend.dataIdMap.get(info.dataId).memoryOffset >>> 2;
}

function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length).fill(1);
  for (let axis = shape.length - 2; axis >= 0; axis -= 1)
    strides[axis] = strides[axis + 1]! * shape[axis + 1]!;
  return strides;
}

/** Writes `values` into the shared args from `at`; returns the next position. */
function put(at: number, values: readonly number[]): number {
  for (let i = 0; i < values.length; i += 1) args[at + i] = values[i]!;
  return at + values.length;
}

const isFourBytes = (dtype: tf.DataType) => dtype === 'float32' || dtype === 'int32';

/**
 * Copies the strided view (`shape`, `strides` from `offset`) of `source` into a new contiguous
 * tensor of `outShape` (same element count as `shape`).
 */
function gather(
  native: NativeKernelsLike,
  backend: WasmBackendInternals,
  source: tf.TensorInfo,
  offset: number,
  shape: readonly number[],
  strides: readonly number[],
  outShape: number[],
): tf.TensorInfo {
  const out = backend.makeOutput(outShape, source.dtype);
  if (product(outShape) === 0) return out;
  let at = put(0, [shape.length, offsetOf(backend, source) + offset, offsetOf(backend, out)]);
  at = put(at, shape);
  put(at, strides);
  native.copy(heapOf(backend), args);
  return out;
}

function createBatchMatMul(native: NativeKernelsLike, original: KernelFunction): KernelFunction {
  return (call) => {
    const { a, b } = call.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const transposeA = call.attrs?.transposeA === true;
    const transposeB = call.attrs?.transposeB === true;
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2)
      return original(call);
    const backend = call.backend as WasmBackendInternals;
    const batchShapeA = a.shape.slice(0, -2);
    const batchShapeB = b.shape.slice(0, -2);
    const batchA = product(batchShapeA);
    const batchB = product(batchShapeB);
    const sameBatch =
      batchShapeA.length === batchShapeB.length && batchShapeA.every((s, i) => s === batchShapeB[i]);
    const [rowsA, colsA] = a.shape.slice(-2) as [number, number];
    const [rowsB, colsB] = b.shape.slice(-2) as [number, number];
    const m = transposeA ? colsA : rowsA;
    const k = transposeA ? rowsA : colsA;
    const n = transposeB ? rowsB : colsB;
    // Other broadcasts, and mismatched inner sizes (tfjs's kernel raises its own error).
    if (!(sameBatch || batchA === 1 || batchB === 1) || k !== (transposeB ? colsB : rowsB))
      return original(call);
    const batchShape = tf.backend_util.assertAndGetBroadcastShape(batchShapeA, batchShapeB);
    const batch = Math.max(batchA, batchB);
    const out = backend.makeOutput([...batchShape, m, n], 'float32');
    put(0, [
      batch,
      m,
      n,
      k,
      transposeA ? 1 : 0,
      transposeB ? 1 : 0,
      offsetOf(backend, a),
      batchA === 1 ? 0 : m * k,
      offsetOf(backend, b),
      batchB === 1 ? 0 : k * n,
      offsetOf(backend, out),
      -1,
      0,
      0,
    ]);
    native.matMul(heapOf(backend), args);
    return out;
  };
}

function createTanh(native: NativeKernelsLike, original: KernelFunction): KernelFunction {
  return (call) => {
    const { x } = call.inputs as { x: tf.TensorInfo };
    if (x.dtype !== 'float32') return original(call);
    const backend = call.backend as WasmBackendInternals;
    const out = backend.makeOutput([...x.shape], 'float32');
    put(0, [product(x.shape), offsetOf(backend, x), offsetOf(backend, out)]);
    native.tanh(heapOf(backend), args);
    return out;
  };
}

/** The strides of `shape` broadcast to `outShape` (aligned at the last axis; 0 where repeated). */
function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const strides = stridesOf(shape);
  const lead = outShape.length - shape.length;
  return outShape.map((_size, axis) => (axis < lead || shape[axis - lead] === 1 ? 0 : strides[axis - lead]!));
}

function createBinary(native: NativeKernelsLike, code: number, original: KernelFunction): KernelFunction {
  return (call) => {
    const { a, b } = call.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return original(call);
    const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    if (outShape.length > MAXIMUM_RANK) return original(call);
    const backend = call.backend as WasmBackendInternals;
    const out = backend.makeOutput(outShape, 'float32');
    if (product(outShape) === 0) return out;
    let at = put(0, [
      code,
      outShape.length,
      offsetOf(backend, out),
      offsetOf(backend, a),
      offsetOf(backend, b),
    ]);
    at = put(at, outShape);
    at = put(at, broadcastStrides(a.shape, outShape));
    put(at, broadcastStrides(b.shape, outShape));
    native.binary(heapOf(backend), args);
    return out;
  };
}

function createSum(native: NativeKernelsLike, original: KernelFunction): KernelFunction {
  return (call) => {
    const { x } = call.inputs as { x: tf.TensorInfo };
    if (x.dtype !== 'float32') return original(call);
    const shape = x.shape;
    const axes = [...new Set(tf.util.parseAxisParam(call.attrs!.axis as number | number[], [...shape]))].sort(
      (p, q) => p - q,
    );
    // A contiguous block of axes only (what the gradients of broadcasts produce).
    if (axes.length === 0 || axes.some((axis, i) => axis !== axes[0]! + i)) return original(call);
    const first = axes[0]!;
    const last = axes[axes.length - 1]!;
    const keepDims = call.attrs!.keepDims === true;
    const outShape = shape.flatMap((size, axis) =>
      axis < first || axis > last ? [size] : keepDims ? [1] : [],
    );
    const backend = call.backend as WasmBackendInternals;
    const out = backend.makeOutput(outShape, 'float32');
    if (product(outShape) === 0) return out;
    put(0, [
      product(shape.slice(0, first)),
      product(shape.slice(first, last + 1)),
      product(shape.slice(last + 1)),
      offsetOf(backend, x),
      offsetOf(backend, out),
    ]);
    native.sum(heapOf(backend), args);
    return out;
  };
}

function createTile(native: NativeKernelsLike, original: KernelFunction): KernelFunction {
  return (call) => {
    const { x } = call.inputs as { x: tf.TensorInfo };
    const reps = call.attrs!.reps as number[];
    if (!isFourBytes(x.dtype) || 2 * x.shape.length > MAXIMUM_RANK || reps.length !== x.shape.length)
      return original(call);
    // Each axis as (repeat, size) with strides (0, the axis's stride).
    const strides = stridesOf(x.shape);
    const shape = x.shape.flatMap((size, axis) => [reps[axis]!, size]);
    const sourceStrides = x.shape.flatMap((_size, axis) => [0, strides[axis]!]);
    const outShape = x.shape.map((size, axis) => size * reps[axis]!);
    return gather(native, call.backend as WasmBackendInternals, x, 0, shape, sourceStrides, outShape);
  };
}

function createTranspose(native: NativeKernelsLike, original: KernelFunction): KernelFunction {
  return (call) => {
    const { x } = call.inputs as { x: tf.TensorInfo };
    const perm = call.attrs!.perm as number[];
    if (!isFourBytes(x.dtype) || x.shape.length > MAXIMUM_RANK) return original(call);
    const strides = stridesOf(x.shape);
    const outShape = perm.map((axis) => x.shape[axis]!);
    const sourceStrides = perm.map((axis) => strides[axis]!);
    return gather(native, call.backend as WasmBackendInternals, x, 0, outShape, sourceStrides, outShape);
  };
}

/** The slice of `x` of `size` from `begin`, by one strided copy. */
function slice(
  native: NativeKernelsLike,
  backend: WasmBackendInternals,
  x: tf.TensorInfo,
  begin: readonly number[],
  size: readonly number[],
  outShape: number[],
): tf.TensorInfo {
  const strides = stridesOf(x.shape);
  const offset = begin.reduce((sum, start, axis) => sum + start * strides[axis]!, 0);
  return gather(native, backend, x, offset, size, strides, outShape);
}

/** The replacements, by tfjs kernel name, each made from tfjs's own kernel (its fallback). */
export function nativeReplacements(
  native: NativeKernelsLike,
): Record<string, (original: KernelFunction) => KernelFunction> {
  return {
    BatchMatMul: (original) => createBatchMatMul(native, original),
    Tanh: (original) => createTanh(native, original),
    Add: (original) => createBinary(native, 0, original),
    Sub: (original) => createBinary(native, 1, original),
    Multiply: (original) => createBinary(native, 2, original),
    RealDiv: (original) => createBinary(native, 3, original),
    Sum: (original) => createSum(native, original),
    Tile: (original) => createTile(native, original),
    Transpose: (original) => createTranspose(native, original),
    ...createSliceKernels(
      (backend, x, begin, size) => slice(native, backend as WasmBackendInternals, x, begin, size, [...size]),
      (x) => isFourBytes(x.dtype) && x.shape.length <= MAXIMUM_RANK,
    ),
  };
}

/** Whether to use @metarl/native under the wasm backend (`useBackend`'s `native` option). */
export type NativeMode = 'auto' | 'on' | 'off';

/** The native kernels in use, as `BackendInfo.native` reports them. */
export interface NativeInfo {
  /** The instruction set they run: `avx512`, `avx2` or `portable`. */
  readonly isa: string;
  /** The threads matrix products run on. */
  readonly threads: number;
  /** The version of @metarl/native. */
  readonly version: string;
}

/** The outcome of `loadNativeKernels`: the kernels, or why there are none. */
export type NativeLoad =
  | { readonly kernels: NativeKernelsLike; readonly unavailable?: undefined }
  | { readonly kernels?: undefined; readonly unavailable: string };

/** Checks `useBackend`'s `native` option. */
export function assertNativeMode(mode: unknown): asserts mode is NativeMode {
  if (mode !== 'auto' && mode !== 'on' && mode !== 'off')
    throw new TypeError(`useBackend: native must be 'auto', 'on' or 'off', got ${JSON.stringify(mode)}`);
}

const isNode = typeof process === 'object' && typeof process.versions?.node === 'string';

/**
 * The default of `useBackend`'s `native` option: the environment variable METARL_NATIVE
 * (`auto`, `on` or `off`; e.g. to run a test suite both ways) in Node, else `auto`.
 */
export function defaultNativeMode(): NativeMode {
  const value = isNode ? process.env.METARL_NATIVE : undefined;
  if (value === undefined || value === '') return 'auto';
  if (value !== 'auto' && value !== 'on' && value !== 'off')
    throw new TypeError(`METARL_NATIVE must be 'auto', 'on' or 'off', got ${JSON.stringify(value)}`);
  return value;
}

function importOptional(name: string): Promise<unknown> {
  return import(/* @vite-ignore */ name);
}

/**
 * Loads @metarl/native when `mode` asks for it: in Node, on the verified tfjs (`verified`; the
 * kernels write on tfjs-backend-wasm's heap by its private layout), when the package is installed
 * and its binary loads. Resolves with the kernels or with the one-line reason there are none.
 */
export async function loadNativeKernels(mode: NativeMode, verified: boolean): Promise<NativeLoad> {
  if (mode === 'off') return { unavailable: "native: 'off'" };
  if (!isNode) return { unavailable: 'native kernels run in Node only' };
  if (!verified)
    return {
      unavailable: 'the installed tfjs is not the verified release (the native kernels write on its heap)',
    };
  let module: { loadNativeKernels?: () => NativeKernelsLike };
  try {
    module = (await importOptional('@metarl/native')) as typeof module;
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    return /cannot find (module|package)/i.test(message) && message.includes('@metarl/native')
      ? { unavailable: '@metarl/native is not installed (npm i @metarl/native)' }
      : { unavailable: `@metarl/native failed to load: ${message}` };
  }
  try {
    const kernels = module.loadNativeKernels!();
    if (kernels.interfaceVersion !== NATIVE_INTERFACE_VERSION)
      return {
        unavailable: `@metarl/native ${kernels.version} reads argument layout ${kernels.interfaceVersion}, this @metarl/core writes ${NATIVE_INTERFACE_VERSION}: install matching versions`,
      };
    return { kernels };
  } catch (error) {
    return { unavailable: error instanceof Error ? error.message.split('\n')[0]! : String(error) };
  }
}
