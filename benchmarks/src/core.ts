/**
 * pnpm bench core [-- --out <file>] [-- --backends cpu,wasm]
 *
 * Speed of the tensor layer on every backend that loads here: forward + backward of an MLP
 * 2-64-64-2 (tanh) at batch 1, 32, 1024 and 8192; a second-order MAML meta-gradient over a
 * task-batched meta-batch (20 tasks x 2000 samples, the Navigation2D meta-batch); and a
 * Hessian-vector product of the policy-gradient surrogate on the same 40,000 samples.
 * GFLOP/s counts the matrix-multiply FLOPs the step executes (read from tf.profile); the
 * elementwise work is not counted, so the figure is a lower bound on arithmetic throughput.
 * On wasm each workload runs three ways in a row: with the native kernels of @metarl/native
 * (`native`, where it loads), with metarl's WebAssembly kernels (`metarl`) and with tfjs's own
 * (`tfjs`, `optimisedKernels: false`), so the speed-ups are ratios measured side by side.
 */
import {
  broadcastParams,
  createMlp,
  createRng,
  DiagonalGaussian,
  disposeParams,
  gradients,
  hessianVectorProduct,
  listBackends,
  mapParams,
  type ParamTree,
  scaleParams,
  subtractParams,
  tf,
  type UseBackendOptions,
  useBackend,
  valueAndGradients,
} from '@metarl/core';
import { describeMachine, readFlags, report, timeRepeated } from './shared';

const started = performance.now();
const flags = readFlags('core', {
  backends: { type: 'strings', default: ['all'], description: "backends to time, comma-separated, or 'all'" },
});
const names = flags.backends.includes('all') ? listBackends().map((b) => b.name) : [...flags.backends];
const TASKS = 20;
const SAMPLES_PER_TASK = 2000;
const INNER_STEP = 0.1;
const batches = [1, 32, 1024, 8192];

const network = createMlp({ inputSize: 2, hiddenSizes: [64, 64], outputSize: 2, activation: 'tanh' });

/** Matrix-multiply FLOPs executed by `run`, from the kernels tf.profile records. */
async function countMatmulFlops(run: () => void): Promise<number> {
  const info = await tf.profile(() => {
    run();
  });
  let flops = 0;
  for (const kernel of info.kernels) {
    if (kernel.name !== 'BatchMatMul' && kernel.name !== '_FusedMatMul') continue;
    const output = kernel.outputShapes[0] as number[];
    const a = kernel.inputShapes[0] as number[];
    const m = output[output.length - 2]!;
    const n = output[output.length - 1]!;
    const k = (a[a.length - 1]! * a[a.length - 2]!) / m;
    const batch = output.slice(0, -2).reduce((p, s) => p * s, 1);
    flops += 2 * batch * m * n * k;
  }
  return flops;
}

interface Workload {
  name: string;
  batch: number;
  run: () => void;
  dispose: () => void;
  slow?: boolean;
}

function mlpWorkload(batch: number): Workload {
  const rng = createRng(batch);
  const params = network.init(rng);
  const inputs = tf.tensor(rng.normal(batch * 2), [batch, 2]);
  const targets = tf.tensor(rng.normal(batch * 2), [batch, 2]);
  const loss = (p: ParamTree) =>
    tf.tidy(() => tf.mean(tf.square(tf.sub(network.apply(p, inputs), targets))) as tf.Scalar);
  return {
    name: 'mlp-forward-backward',
    batch,
    run: () => {
      const { value, gradients: grads } = valueAndGradients(loss, params);
      value.dataSync();
      value.dispose();
      disposeParams(grads);
    },
    dispose: () => {
      disposeParams(params);
      inputs.dispose();
      targets.dispose();
    },
  };
}

/** The Navigation2D-sized meta-batch: per-task data [T, N, ...], shared meta-parameters. */
function metaBatch() {
  const rng = createRng(7);
  const params: ParamTree = { policy: network.init(rng), logStd: tf.zeros([2]) };
  const shape = [TASKS, SAMPLES_PER_TASK];
  const data = (count: number, last?: number) =>
    tf.tensor(rng.normal(count * (last ?? 1)), last === undefined ? shape : [...shape, last]);
  const inner = {
    observations: data(TASKS * SAMPLES_PER_TASK, 2),
    actions: data(TASKS * SAMPLES_PER_TASK, 2),
    advantages: data(TASKS * SAMPLES_PER_TASK),
  };
  const outer = {
    observations: data(TASKS * SAMPLES_PER_TASK, 2),
    actions: data(TASKS * SAMPLES_PER_TASK, 2),
    advantages: data(TASKS * SAMPLES_PER_TASK),
  };
  /** Sum over tasks of each task's -mean(log pi * A): per-task gradients in one backward pass. */
  const surrogate = (taskParams: ParamTree, batch: typeof inner) =>
    tf.tidy(() => {
      const mean = network.apply(taskParams.policy as ParamTree, batch.observations);
      const logStd = tf.expandDims(taskParams.logStd as tf.Tensor, 1);
      const logProb = new DiagonalGaussian(mean, logStd).logProb(batch.actions);
      return tf.neg(tf.sum(tf.mean(tf.mul(logProb, batch.advantages), 1))) as tf.Scalar;
    });
  const metaObjective = (theta: ParamTree) => {
    const perTask = broadcastParams(theta, TASKS);
    const innerGradients = gradients((p) => surrogate(p, inner), perTask);
    const step = scaleParams(innerGradients, INNER_STEP);
    const adapted = subtractParams(perTask, step);
    const loss = tf.tidy(() => tf.div(surrogate(adapted, outer), tf.scalar(TASKS)) as tf.Scalar);
    for (const tree of [perTask, innerGradients, step, adapted]) disposeParams(tree);
    return loss;
  };
  const dispose = () => {
    disposeParams(params);
    for (const batch of [inner, outer]) for (const t of Object.values(batch)) t.dispose();
  };
  return { params, inner, outer, surrogate, metaObjective, dispose };
}

function mamlWorkload(): Workload {
  const meta = metaBatch();
  return {
    name: 'maml-meta-gradient',
    batch: TASKS * SAMPLES_PER_TASK,
    slow: true,
    run: () => {
      const grads = gradients(meta.metaObjective, meta.params);
      (grads.logStd as tf.Tensor).dataSync();
      disposeParams(grads);
    },
    dispose: meta.dispose,
  };
}

function hvpWorkload(): Workload {
  const meta = metaBatch();
  const vector = mapParams(meta.params, (p) => tf.onesLike(p));
  const flatSurrogate = (theta: ParamTree) =>
    tf.tidy(() => {
      const perTask = broadcastParams(theta, TASKS);
      const value = meta.surrogate(perTask, meta.outer);
      disposeParams(perTask);
      return value;
    });
  return {
    name: 'hessian-vector-product',
    batch: TASKS * SAMPLES_PER_TASK,
    slow: true,
    run: () => {
      const product = hessianVectorProduct(flatSurrogate, meta.params, vector);
      (product.logStd as tf.Tensor).dataSync();
      disposeParams(product);
    },
    dispose: () => {
      meta.dispose();
      disposeParams(vector);
    },
  };
}

const results: Record<string, unknown>[] = [];
const backendsUsed: string[] = [];
const skipped: Record<string, string> = {};
for (const name of names) {
  try {
    await useBackend(name);
  } catch (error) {
    skipped[name] = (error as Error).message;
    console.error(`skipping ${name}: ${(error as Error).message}`);
    continue;
  }
  backendsUsed.push(name);
  // On wasm: native kernels, metarl's WebAssembly kernels and tfjs's own, one after another.
  const variants: { kernels: string; options: UseBackendOptions }[] =
    name === 'wasm'
      ? [
          { kernels: 'native', options: { native: 'on' } },
          { kernels: 'metarl', options: { native: 'off' } },
          { kernels: 'tfjs', options: { native: 'off', optimisedKernels: false } },
        ]
      : [{ kernels: 'metarl', options: {} }];
  const workloads = [...batches.map(mlpWorkload), mamlWorkload(), hvpWorkload()];
  for (const workload of workloads) {
    for (const { kernels, options } of variants) {
      try {
        await useBackend(name, options);
      } catch (error) {
        skipped[`${name}/${kernels}`] = (error as Error).message;
        continue;
      }
      const flops = await countMatmulFlops(workload.run);
      const timing = timeRepeated(
        workload.run,
        workload.slow ? { warmup: 1, warmupSeconds: 0, minRuns: 3, maxRuns: 5, minSeconds: 0 } : {},
      );
      const row = {
        backend: name,
        kernels,
        workload: workload.name,
        batch: workload.batch,
        msPerStep: Number(timing.medianMs.toFixed(3)),
        runs: timing.runsMs.length,
        matmulGflopPerStep: Number((flops / 1e9).toFixed(4)),
        gflopPerSecond: Number((flops / 1e9 / (timing.medianMs / 1000)).toFixed(3)),
      };
      results.push(row);
      console.error(
        `${name.padEnd(6)} ${kernels.padEnd(6)} ${workload.name.padEnd(24)} batch ${String(workload.batch).padStart(6)}  ${row.msPerStep.toFixed(2).padStart(9)} ms  ${row.gflopPerSecond.toFixed(2).padStart(7)} GFLOP/s`,
      );
    }
    workload.dispose();
  }
  await useBackend(name);
  console.error(`${name}: live tensors after the benchmark ${tf.memory().numTensors}`);
}

report({
  name: 'core',
  config: {
    mlp: '2-64-64-2 tanh, mean squared error, forward + backward',
    batches,
    metaBatch: {
      tasks: TASKS,
      samplesPerTask: SAMPLES_PER_TASK,
      innerStep: INNER_STEP,
      policy: 'Gaussian MLP 2-64-64-2 tanh',
      order: 'second',
    },
    timing:
      'median after >= 0.5 s of warm-up; >= 5 runs and >= 1 s (meta-gradient and HVP: 3 runs after 1 warm-up)',
    flops: 'matrix-multiply FLOPs from tf.profile',
  },
  backend: backendsUsed,
  skipped,
  machine: describeMachine(),
  wallSeconds: Number(((performance.now() - started) / 1000).toFixed(1)),
  results,
});
