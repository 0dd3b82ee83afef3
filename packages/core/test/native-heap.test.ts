import { describe, expect, it } from 'vitest';
import { tf, useBackend } from '../src/index';

// The native kernels read the wasm heap through a view that must follow the heap when it grows,
// and must work on the threaded build's shared heap (a SharedArrayBuffer). This file runs in its
// own process: the wasm backend starts threaded here.
const first = await useBackend('wasm', { native: 'off', threads: 2 });
const status = await useBackend('wasm');
const skip = status.native === undefined;
if (skip) {
  if (process.env.METARL_REQUIRE_NATIVE === '1' && process.env.METARL_NATIVE !== 'off')
    throw new Error(`the native kernels are required here: ${status.nativeUnavailable}`);
  console.warn(`skipping the native heap tests: ${status.nativeUnavailable}`);
}

/** A product on the native kernels and on tfjs's own, as arrays. */
async function bothWays(a: tf.Tensor, b: tf.Tensor): Promise<[Float32Array, Float32Array]> {
  await useBackend('wasm', { native: 'on' });
  const native = tf.matMul(a, b, true, false);
  const nativeValues = native.dataSync() as Float32Array;
  await useBackend('wasm', { native: 'off', optimisedKernels: false });
  const reference = tf.matMul(a, b, true, false);
  const referenceValues = reference.dataSync() as Float32Array;
  tf.dispose([native, reference]);
  return [nativeValues, referenceValues];
}

function relativeError(actual: Float32Array, expected: Float32Array): number {
  let difference = 0;
  let norm = 0;
  expected.forEach((v, i) => {
    difference += (actual[i]! - v) ** 2;
    norm += v * v;
  });
  return Math.sqrt(difference / norm);
}

const heapOf = () => (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.buffer;

describe.skipIf(skip)('native kernels on the wasm heap', () => {
  it('run on the threaded build’s shared heap (SharedArrayBuffer)', async () => {
    expect(first.threads).toBe(2);
    expect(heapOf()).toBeInstanceOf(SharedArrayBuffer);
    const a = tf.randomNormal([300, 64], 0, 1, 'float32', 1);
    const b = tf.randomNormal([300, 48], 0, 1, 'float32', 2);
    const [native, reference] = await bothWays(a, b);
    expect(relativeError(native, reference)).toBeLessThan(1e-5);
    tf.dispose([a, b]);
  });

  it('follow the heap when it grows between two calls', async () => {
    await useBackend('wasm', { native: 'on' });
    const a = tf.randomNormal([200, 32], 0, 1, 'float32', 3);
    const b = tf.randomNormal([200, 16], 0, 1, 'float32', 4);
    tf.matMul(a, b, true, false).dispose(); // the kernels' view of the heap as it is now
    const before = heapOf();
    const big = tf.zeros([96 * 1024 * 1024]); // 384 MB: the heap must grow
    expect(heapOf()).not.toBe(before);
    expect(heapOf().byteLength).toBeGreaterThan(before.byteLength);
    const [native, reference] = await bothWays(a, b);
    expect(relativeError(native, reference)).toBeLessThan(1e-5);
    tf.dispose([a, b, big]);
  });
});
