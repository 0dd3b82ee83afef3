// Plain-node check of the built CommonJS entry point (run by scripts/check-built-packages.mjs).
const { loadNativeKernels } = require('@metarl/native');

const kernels = loadNativeKernels();
const heap = new Float32Array(4);
heap.set([0.5, -1]);
kernels.tanh(heap, Int32Array.of(2, 0, 2));
if (Math.abs(heap[2] - Math.tanh(0.5)) > 1e-6) throw new Error(`cjs: tanh(0.5) = ${heap[2]}`);
console.log(`@metarl/native CJS: ${kernels.version} on ${kernels.isa()}, tanh(0.5) = ${heap[2].toFixed(6)}`);
