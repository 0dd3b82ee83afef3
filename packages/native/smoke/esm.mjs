// Plain-node check of the built ESM entry point (run by scripts/check-built-packages.mjs).
import { loadNativeKernels } from '@metarl/native';

const kernels = loadNativeKernels();
// [2, 3] x [3, 2] on a Float32Array standing in for the wasm heap: A at 0, B at 6, C at 12.
const heap = new Float32Array(16);
heap.set([1, 2, 3, 4, 5, 6, 1, 0, 0, 1, 1, 1], 0);
kernels.matMul(heap, Int32Array.of(1, 2, 2, 3, 0, 0, 0, 0, 6, 0, 12, -1, 0, 0));
if (heap.subarray(12).join(',') !== '4,5,10,11') throw new Error(`esm: wrong product ${heap.subarray(12)}`);
console.log(
  `@metarl/native ESM: ${kernels.version} on ${kernels.isa()}, [2, 3] x [3, 2] = ${heap.subarray(12).join(',')}`,
);
