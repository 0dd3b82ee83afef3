/**
 * pnpm bench native-kernels [-- --rounds <n>] [-- --out <file>]
 *
 * The kernels @metarl/native replaces, through tfjs as every algorithm calls them, on the shapes
 * of a meta-RL policy's forward and backward passes (20 tasks x 2000 samples, MLP [64, 64]):
 * matrix products (GFLOP/s = 2mnk per second, beside the ~166 GFLOP/s one core of this CPU
 * reaches in native code) and the elementwise kernels (ns per element). Each is timed four ways,
 * interleaved in every round so that all see the same machine: tfjs-backend-wasm's own kernels
 * (`tfjs`), metarl's WebAssembly kernels (`metarl`), and the native kernels on one and on two
 * threads (`native-1`, `native-2`). Medians over the rounds. The times include tfjs's dispatch,
 * the output's allocation and its disposal, not a read-back (wasm kernels run synchronously).
 */
import { tf, type UseBackendOptions, useBackend } from '@metarl/core';
import { describeMachine, median, readFlags, report, timeRepeated } from './shared';

const { rounds } = readFlags('native-kernels', {
  rounds: { type: 'integer', default: 5, minimum: 1, description: 'interleaved rounds of every variant' },
});

const variants: { name: string; options: UseBackendOptions }[] = [
  { name: 'tfjs', options: { native: 'off', optimisedKernels: false } },
  { name: 'metarl', options: { native: 'off' } },
  { name: 'native-1', options: { native: 'on', threads: 1 } },
  { name: 'native-2', options: { native: 'on', threads: 2 } },
];
const first = await useBackend('wasm', { native: 'on' });

interface Kernel {
  name: string;
  /** Work per call: FLOPs for products, elements for the rest. */
  work: number;
  unit: 'GFLOP/s' | 'ns/element';
  run: () => tf.Tensor | tf.Tensor[];
}

const product = (shapeA: number[], shapeB: number[], ta = false, tb = false): Kernel => {
  const a = tf.randomNormal(shapeA, 0, 1, 'float32', 1);
  const b = tf.randomNormal(shapeB, 0, 1, 'float32', 2);
  const m = shapeA[shapeA.length - (ta ? 1 : 2)]!;
  const k = shapeA[shapeA.length - (ta ? 2 : 1)]!;
  const n = shapeB[shapeB.length - (tb ? 2 : 1)]!;
  const batch = Math.max(
    shapeA.slice(0, -2).reduce((p, s) => p * s, 1),
    shapeB.slice(0, -2).reduce((p, s) => p * s, 1),
  );
  return {
    name: `matMul [${shapeA}]${ta ? 'ᵀ' : ''} x [${shapeB}]${tb ? 'ᵀ' : ''}`,
    work: 2 * batch * m * n * k,
    unit: 'GFLOP/s',
    run: () => tf.matMul(a, b, ta, tb),
  };
};
const elementwise = (
  name: string,
  shape: number[],
  run: (x: tf.Tensor) => tf.Tensor | tf.Tensor[],
): Kernel => {
  const x = tf.randomNormal(shape, 0, 1, 'float32', 3);
  return { name, work: shape.reduce((p, s) => p * s, 1), unit: 'ns/element', run: () => run(x) };
};
const bias = tf.randomNormal([20, 1, 64], 0, 1, 'float32', 4);
const same = tf.randomNormal([20, 2000, 64], 0, 1, 'float32', 5);
const kernels: Kernel[] = [
  product([2000, 64], [64, 64]),
  product([2000, 64], [2000, 64], true, false),
  product([2000, 64], [64, 64], false, true),
  product([20, 2000, 64], [20, 64, 64]),
  product([20, 2000, 64], [20, 2000, 64], true, false),
  product([20, 2000, 64], [20, 64, 64], false, true),
  product([40000, 64], [64, 64]),
  product([40000, 2], [2, 64]),
  product([40000, 64], [64, 2]),
  product([250, 128], [128, 384]),
  product([1024, 1024], [1024, 1024]),
  elementwise('tanh [20, 2000, 64]', [20, 2000, 64], (x) => tf.tanh(x)),
  elementwise('add [20, 2000, 64] + [20, 1, 64]', [20, 2000, 64], (x) => tf.add(x, bias)),
  elementwise('mul [20, 2000, 64] * [20, 2000, 64]', [20, 2000, 64], (x) => tf.mul(x, same)),
  elementwise('sum [20, 2000, 64] over axis 1', [20, 2000, 64], (x) => tf.sum(x, 1)),
  elementwise('transpose [20, 2000, 64] -> [20, 64, 2000]', [20, 2000, 64], (x) =>
    tf.transpose(x, [0, 2, 1]),
  ),
  elementwise('unstack [20, 100, 64] on axis 1', [20, 100, 64], (x) => tf.unstack(x, 1)),
];

const times = new Map<string, number[]>();
const granted: Record<string, unknown> = {};
for (let round = 0; round < rounds; round += 1) {
  for (const variant of variants) {
    let info: Awaited<ReturnType<typeof useBackend>>;
    try {
      info = await useBackend('wasm', variant.options);
    } catch (error) {
      granted[variant.name] = (error as Error).message;
      continue;
    }
    granted[variant.name] = info.native ?? 'plain wasm';
    for (const kernel of kernels) {
      const { medianMs } = timeRepeated(
        () => tf.dispose(kernel.run()), // wasm and native kernels are synchronous: no read-back needed
        { warmup: 2, warmupSeconds: 0.05, minRuns: 5, maxRuns: 50, minSeconds: 0.2 },
      );
      const key = `${variant.name}|${kernel.name}`;
      times.set(key, [...(times.get(key) ?? []), medianMs]);
    }
  }
}

const rows = kernels.map((kernel) => {
  const row: Record<string, unknown> = { kernel: kernel.name, unit: kernel.unit };
  for (const variant of variants) {
    const list = times.get(`${variant.name}|${kernel.name}`);
    if (list === undefined) continue;
    const ms = median(list);
    row[variant.name] =
      kernel.unit === 'GFLOP/s'
        ? Number((kernel.work / 1e9 / (ms / 1000)).toFixed(1))
        : Number(((ms * 1e6) / kernel.work).toFixed(3));
  }
  console.error(
    `${kernel.name.padEnd(48)} ${variants.map((v) => `${v.name} ${String(row[v.name] ?? '-').padStart(7)}`).join('  ')}  ${kernel.unit}`,
  );
  return row;
});
await useBackend('wasm');
report({
  name: 'native-kernels',
  backend: 'wasm',
  native: first.native ?? first.nativeUnavailable,
  variants: granted,
  config: {
    rounds,
    timing: 'median over rounds of each round median (>= 5 runs and 0.2 s per kernel and variant)',
    peak: 'about 166 GFLOP/s per core in native code (docs/benchmarks.md section 5)',
  },
  machine: describeMachine(),
  results: rows,
});
