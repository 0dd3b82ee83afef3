import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** An instruction set the kernels are compiled for, best first. */
export type NativeIsa = 'avx512' | 'avx2' | 'portable';

/**
 * The kernels, as the addon exports them. Every kernel takes the wasm heap as one Float32Array
 * (`heap`, over the whole wasm memory; offsets below are in float elements) and its integer
 * arguments in an Int32Array (`args`); it checks every operand against the heap's length and
 * throws a RangeError naming the operand when one reaches outside.
 */
export interface NativeKernels {
  /** The addon's version (equals the package's). */
  readonly version: string;
  /** The layout of `args` the kernels read; core checks it equals the one it writes. */
  readonly interfaceVersion: number;
  /** The instruction set in use. */
  isa(): NativeIsa;
  /** The instruction sets this CPU runs, best first. */
  supportedIsas(): NativeIsa[];
  /** Switches the instruction set (throws when the CPU lacks it); METARL_NATIVE_ISA sets it at load. */
  setIsa(isa: NativeIsa): void;
  /** The threads matrix products run on (the caller's included). */
  threads(): number;
  /** Sets the threads matrix products run on, 1 to 64 (default 1: see the README before raising it). */
  setThreads(threads: number): void;
  /**
   * C = op(A) op(B) (+ bias, then tanh) for each of `batch` matrices. args: [batch, m, n, k,
   * transposeA, transposeB, aOffset, aBatchStride, bOffset, bBatchStride, cOffset, biasOffset
   * (-1: none), biasBatchStride, activation (0 linear, 1 tanh)]; a batch stride of 0 broadcasts.
   */
  matMul(heap: Float32Array, args: Int32Array): void;
  /** y = tanh(x). args: [n, xOffset, yOffset]. */
  tanh(heap: Float32Array, args: Int32Array): void;
  /**
   * out = a op b, broadcast by strides (0 repeats). args: [op (BINARY_OPERATIONS), rank,
   * outOffset, aOffset, bOffset, ...outShape, ...aStrides, ...bStrides]; rank at most 16.
   */
  binary(heap: Float32Array, args: Int32Array): void;
  /** out[o, i] = sum over r of x[o, r, i]. args: [outer, reduce, inner, xOffset, outOffset]. */
  sum(heap: Float32Array, args: Int32Array): void;
  /**
   * A strided gather of 4-byte elements into a contiguous destination (transpose, tile, slice).
   * args: [rank, sourceOffset, destinationOffset, ...shape, ...sourceStrides]; rank at most 16.
   */
  copy(heap: Float32Array, args: Int32Array): void;
}

/** The operation codes of `NativeKernels.binary`. */
export const BINARY_OPERATIONS = { add: 0, sub: 1, mul: 2, div: 3 } as const;
/** A name of `BINARY_OPERATIONS`. */
export type BinaryOperation = keyof typeof BINARY_OPERATIONS;

/** The argument layout this package's kernels read (raised whenever one changes). */
export const NATIVE_INTERFACE_VERSION = 1;

/** Raised when the addon cannot load here; `message` says why and what to do. */
export class NativeKernelsUnavailableError extends Error {
  override readonly name = 'NativeKernelsUnavailableError';
}

/** The package's root folder (holds `prebuilds/`). */
function packageRoot(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..');
}

let loaded: NativeKernels | undefined;

/**
 * Loads the addon for this platform (once per process): the prebuilt binary under
 * `prebuilds/<platform>-<arch>/`, through node-gyp-build. Throws `NativeKernelsUnavailableError`
 * when there is none for this platform or it fails to load (e.g. a forced `METARL_NATIVE_ISA`
 * this CPU lacks).
 */
export function loadNativeKernels(): NativeKernels {
  if (loaded !== undefined) return loaded;
  const root = packageRoot();
  const target = `${platform()}-${arch()}`;
  if (!existsSync(join(root, 'prebuilds', target))) {
    throw new NativeKernelsUnavailableError(
      `@metarl/native has no prebuilt binary for ${target} (it ships linux-x64 with glibc); build one from source with 'node scripts/build-addon.mjs' in the package folder (needs a C compiler, make, python3 and Node's headers), or use the plain wasm backend`,
    );
  }
  const require = createRequire(import.meta.url);
  let kernels: NativeKernels;
  try {
    const nodeGypBuild = require('node-gyp-build') as (directory: string) => NativeKernels;
    kernels = nodeGypBuild(root);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new NativeKernelsUnavailableError(`@metarl/native could not load on ${target}: ${reason}`, {
      cause: error,
    });
  }
  if (kernels.interfaceVersion !== NATIVE_INTERFACE_VERSION) {
    throw new NativeKernelsUnavailableError(
      `@metarl/native: the binary reads argument layout ${kernels.interfaceVersion}, this package writes ${NATIVE_INTERFACE_VERSION}; rebuild it ('node scripts/build-addon.mjs')`,
    );
  }
  loaded = kernels;
  return kernels;
}
