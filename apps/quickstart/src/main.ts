/**
 * Quick start: select the best tensor backend available here, then fit a small MLP to
 * y = sin(x) on [-5, 5] with Adam, using metarl's exact gradients. Prints the backend, the loss
 * curve and the time taken. Run with --help for the options.
 */
import { Command, parseBackendName, parseIntegerAtLeast, runCommandLine } from '@metarl/app-support';
import {
  createAdam,
  createMlp,
  createRng,
  disposeOptimizerState,
  disposeParams,
  type OptimizerState,
  type ParamTree,
  tf,
  useBackend,
  valueAndGradients,
} from '@metarl/core';

/** The parsed command line. */
interface Options {
  /** Tensor backend name or 'auto'. */
  readonly backend: string;
  /** Adam steps. */
  readonly steps: number;
  /** Seed of the data and the initial weights. */
  readonly seed: number;
}

const program = new Command('quickstart')
  .description(
    'Select the best tensor backend available here, then fit a small MLP to y = sin(x) on [-5, 5] with Adam ' +
      "using metarl's exact gradients; prints the backend, the loss curve and the time taken. Writes no files.",
  )
  .option('--backend <name>', 'tensor backend: auto or a name such as cpu, wasm', parseBackendName, 'auto')
  .option('--steps <n>', 'Adam steps (integer >= 1)', parseIntegerAtLeast(1), 1500)
  .option('--seed <n>', 'seed of the data and the initial weights (integer >= 0)', parseIntegerAtLeast(0), 0)
  .addHelpText(
    'after',
    [
      '',
      'Example:',
      '  npx -y pnpm@10.34.9 --filter @metarl/quickstart start -- --steps 500 --backend cpu',
    ].join('\n'),
  );

await runCommandLine<Options>(program, async (options) => {
  const { steps, seed } = options;
  const backend = await useBackend(options.backend);
  console.log(`backend: ${backend.name} (exact gradients: ${backend.exactGradients})`);
  for (const skipped of backend.skipped) console.log(`  skipped ${skipped.name}: ${skipped.reason}`);

  const rng = createRng(seed);
  const network = createMlp({ inputSize: 1, hiddenSizes: [40, 40], outputSize: 1, activation: 'relu' });
  let params: ParamTree = network.init(rng);
  const optimizer = createAdam({ learningRate: 3e-3 });
  let state: OptimizerState = optimizer.init(params);

  const samples = 256;
  const xs = Float32Array.from({ length: samples }, () => -5 + 10 * rng.next());
  const inputs = tf.tensor2d(xs, [samples, 1]);
  const targets = tf.tensor2d(xs.map(Math.sin), [samples, 1]);
  const loss = (p: ParamTree) =>
    tf.tidy(() => tf.mean(tf.square(tf.sub(network.apply(p, inputs), targets))) as tf.Scalar);

  const started = performance.now();
  let last = Number.NaN;
  for (let step = 0; step <= steps; step += 1) {
    const { value, gradients } = valueAndGradients(loss, params);
    last = value.dataSync()[0]!;
    if (step % Math.max(1, Math.floor(steps / 6)) === 0 || step === steps) {
      console.log(`step ${String(step).padStart(5)}  mean squared error ${last.toFixed(5)}`);
    }
    if (step < steps) {
      const next = optimizer.step(params, gradients, state);
      disposeParams(params);
      disposeOptimizerState(state);
      params = next.params;
      state = next.state;
    }
    value.dispose();
    disposeParams(gradients);
  }
  const seconds = (performance.now() - started) / 1000;
  const targetMean = xs.reduce((total, x) => total + Math.sin(x), 0) / samples;
  const targetVariance = xs.reduce((total, x) => total + (Math.sin(x) - targetMean) ** 2, 0) / samples;
  console.log(
    `fitted sin(x) with an MLP [40, 40] in ${seconds.toFixed(2)} s on ${backend.name}: final mean squared error ${last.toFixed(5)} (a constant prediction scores ${targetVariance.toFixed(3)})`,
  );
  console.log(`live tensors at the end: ${tf.memory().numTensors}`);
});
