/**
 * Reptile on sine waves, with the protocol of the Reptile sine demo (Nichol, Achiam & Schulman
 * 2018): meta-train an MLP 1-64-64-1 (tanh) on one sine wave per meta-step, then fit new sine
 * waves from K = 10 points with a few SGD steps, and write a report folder:
 *
 *   learning-curve.png   mean squared error on fixed new tasks after 0, 1 and 8 adaptation steps,
 *                        every --evaluate-every meta-steps
 *   adaptation.png       four new sine waves: the 10 points, the true curve, and the network
 *                        before adaptation and after 1, 8 and 32 SGD steps
 *   summary.json         the settings, the training time, the test MSE after 0/1/8/32 steps of
 *                        the meta-trained and of the untrained network, the learning curve
 *
 * The supervised learner keeps no checkpoint: there is no --resume (a run is about a minute).
 * Run with --help for the options.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  addReportOptions,
  Command,
  openReportFolder,
  parseIntegerAtLeast,
  type ReportOptions,
  runCommandLine,
} from '@metarl/app-support';
import { createMlp, createRng, createSgd, disposeParams, type Optimizer, useBackend } from '@metarl/core';
import {
  REPTILE_SINUSOIDS,
  SINUSOID_GRID_SIZE,
  type SinusoidTask,
  sampleSinusoidGridPoints,
  sampleSinusoidTasks,
  sinusoidGrid,
  sinusoidGridTargets,
} from '@metarl/envs';
import { type ChartSpec, learningCurveSpec, renderChart } from '@metarl/plot';
import {
  createInnerBatches,
  createSupervisedReptile,
  disposeTaskExamples,
  type SupervisedReptile,
  type TaskExamples,
  toTaskExamples,
} from '@metarl/reptile';

/** The files of a report: what --overwrite removes and what makes a second run refuse. */
const REPORT_FILES = ['summary.json', 'learning-curve.png', 'adaptation.png'];
/** Examples a new task is fitted from (K), drawn with replacement from the grid. */
const SHOTS = 10;
/** SGD step size of the inner loop and of every test adaptation. */
const LEARNING_RATE = 0.02;
/** Adaptation steps after which the final test and the adaptation picture report. */
const TEST_STEPS = [0, 1, 8, 32];
/** Adaptation steps the learning curve follows. */
const CURVE_STEPS = [0, 1, 8];
/** New tasks of the learning curve (fixed for the whole run). */
const CURVE_TASKS = 100;
/** New tasks drawn in adaptation.png. */
const PICTURE_TASKS = 4;
/** The 50 grid points linspace(-5, 5, 50) every task is trained and measured on. */
const GRID = sinusoidGrid(SINUSOID_GRID_SIZE, REPTILE_SINUSOIDS);

/** The parsed command line. */
interface Options extends ReportOptions {
  /** Meta-steps (one new sine wave each). */
  readonly iterations: number;
  /** Meta-steps between two points of the learning curve. */
  readonly evaluateEvery: number;
  /** New tasks of the final test. */
  readonly testTasks: number;
}

const program = new Command('reptile-sinusoid')
  .description(
    "Meta-train Reptile on sine waves with the Reptile sine demo's protocol, fit new sine waves from " +
      `${SHOTS} points, and write a report folder (learning-curve.png, adaptation.png, summary.json).`,
  )
  .option(
    '--iterations <n>',
    'meta-steps, one sine wave each; the meta step size falls linearly from 0.1 to 0 over them (integer >= 1)',
    parseIntegerAtLeast(1),
    10000,
  )
  .option(
    '--evaluate-every <n>',
    `meta-steps between two points of the learning curve, measured on ${CURVE_TASKS} fixed new tasks (integer >= 1)`,
    parseIntegerAtLeast(1),
    500,
  )
  .option('--test-tasks <n>', 'new tasks of the final test (integer >= 1)', parseIntegerAtLeast(1), 1000);
addReportOptions(program, {
  defaultOutput: 'reptile-sinusoid-report',
  resumable: false,
  examples: [
    'npx -y pnpm@10.34.9 reptile-sinusoid -- --iterations 2000 --output sine-report',
    'npx -y pnpm@10.34.9 reptile-sinusoid -- --seed 2 --output sine-report --overwrite',
  ],
});

/** K = 10 grid points of every task (drawn with replacement) and all 50 grid points, as tensors. */
interface TestSet {
  /** The tasks. */
  readonly tasks: readonly SinusoidTask[];
  /** The K examples adapted on, `[T, K, 1]`. */
  readonly support: TaskExamples;
  /** The 50 grid points the error is measured on, `[T, 50, 1]`. */
  readonly query: TaskExamples;
}

/** A test set of `count` new tasks drawn with `taskSeed`, their K points drawn with `pointSeed`. */
function createTestSet(count: number, taskSeed: number, pointSeed: number): TestSet {
  const tasks = sampleSinusoidTasks(count, { seed: taskSeed, family: REPTILE_SINUSOIDS });
  const shots = sampleSinusoidGridPoints(tasks, SHOTS, createRng(pointSeed), REPTILE_SINUSOIDS);
  return {
    tasks,
    support: toTaskExamples({ tasks: count, inputs: shots.inputs, targets: shots.targets, inputSize: 1 }),
    query: toTaskExamples({
      tasks: count,
      inputs: repeatGrid(count),
      targets: sinusoidGridTargets(tasks, GRID, REPTILE_SINUSOIDS),
      inputSize: 1,
    }),
  };
}

/** The grid once per task, task-major. */
function repeatGrid(tasks: number): Float32Array {
  const inputs = new Float32Array(tasks * GRID.length);
  for (let t = 0; t < tasks; t += 1) inputs.set(GRID, t * GRID.length);
  return inputs;
}

/** The test protocol's optimizer: plain SGD at 0.02 (no finiteness check: an error is reported, not thrown). */
function createTestOptimizer(): Optimizer {
  return createSgd({ learningRate: LEARNING_RATE, checkFinite: false });
}

/** Mean squared error on the grid (mean and 95% half-width over tasks) after each of `steps` SGD steps. */
function measure(learner: SupervisedReptile, set: TestSet, steps: readonly number[]) {
  const results = learner.evaluate(set.support, set.query, {
    reportSteps: steps,
    optimizer: createTestOptimizer(),
  });
  return Object.fromEntries(
    results.map((result) => [
      `after${result.steps}`,
      { mean: round(result.loss), halfWidth95: round(result.lossHalfWidth95) },
    ]),
  ) as Record<string, { mean: number; halfWidth95: number }>;
}

/** `value` to 4 decimals (enough for an MSE in a report). */
function round(value: number): number {
  return Number(value.toFixed(4));
}

/** The legend's name of a number of steps: "before adaptation", "after 1 SGD step", "after 8 SGD steps". */
function afterSteps(steps: number): string {
  return steps === 0 ? 'before adaptation' : `after ${steps} SGD step${steps === 1 ? '' : 's'}`;
}

await runCommandLine<Options>(program, async (options) => {
  const { iterations, seed, testTasks, evaluateEvery } = options;
  const { output } = openReportFolder(options, REPORT_FILES, { resumable: false });
  const started = performance.now();

  const backend = await useBackend(options.backend);
  const model = createMlp({
    inputSize: 1,
    hiddenSizes: [64, 64],
    outputSize: 1,
    activation: 'tanh',
    initialisation: 'fan-in-uniform',
  });
  // The sine demo: one epoch over the 50 grid points in shuffled mini-batches of 10 (5 SGD steps
  // at 0.02) per task, then theta += eps (phi - theta) with eps falling linearly from 0.1 to 0.
  const learner = createSupervisedReptile({
    model,
    loss: 'mean-squared-error',
    innerOptimizer: 'sgd',
    innerStepSize: LEARNING_RATE,
    innerSteps: 5,
    metaStepSize: 0.1,
    metaStepSizeFinal: 0,
    annealSteps: iterations,
    seed,
  });
  console.log(
    `Reptile on sine waves (${backend.name} backend): ${iterations} meta-steps of one task each, report in ${output}`,
  );

  // The untrained network, on the final test's tasks, is the control.
  const test = createTestSet(testTasks, 2000 + seed, 3000 + seed);
  const untrained = measure(learner, test, TEST_STEPS);

  const curveSet = createTestSet(CURVE_TASKS, 4000 + seed, 5000 + seed);
  const curve: { metaStep: number; after0: number; after1: number; after8: number }[] = [];
  const progressEvery = Math.max(1, Math.ceil(iterations / evaluateEvery / 10)) * evaluateEvery;
  const recordCurve = (metaStep: number) => {
    const errors = measure(learner, curveSet, CURVE_STEPS);
    curve.push({
      metaStep,
      after0: errors.after0!.mean,
      after1: errors.after1!.mean,
      after8: errors.after8!.mean,
    });
    if (metaStep % progressEvery === 0 || metaStep === iterations)
      console.log(
        `  meta-step ${String(metaStep).padStart(String(iterations).length)}: MSE on ${CURVE_TASKS} new tasks ${errors.after1!.mean.toFixed(3)} after 1 step, ${errors.after8!.mean.toFixed(3)} after 8 steps`,
      );
  };

  const rng = createRng(1000 + seed);
  let trainMilliseconds = 0;
  recordCurve(0);
  for (let step = 1; step <= iterations; step += 1) {
    const stepStarted = performance.now();
    const [task] = sampleSinusoidTasks(1, { seed: rng.nextSeed(), family: REPTILE_SINUSOIDS });
    const data = {
      tasks: 1,
      inputs: GRID,
      targets: sinusoidGridTargets([task!], GRID, REPTILE_SINUSOIDS),
      inputSize: 1,
    };
    const innerBatches = createInnerBatches(data, { batchSize: 10, steps: 5 }, rng);
    learner.metaTrainStep({ innerBatches });
    disposeTaskExamples(innerBatches);
    trainMilliseconds += performance.now() - stepStarted;
    if (step % evaluateEvery === 0 || step === iterations) recordCurve(step);
  }
  const trainSeconds = trainMilliseconds / 1000;
  disposeTaskExamples([curveSet.support, curveSet.query]);

  const trained = measure(learner, test, TEST_STEPS);
  disposeTaskExamples([test.support, test.query]);

  writeFileSync(join(output, 'learning-curve.png'), await drawLearningCurve(curve));
  writeFileSync(join(output, 'adaptation.png'), await drawAdaptation(learner, seed, iterations));
  learner.dispose();

  const summary = {
    algorithm: 'Reptile, sine-demo protocol',
    task: 'y = A sin(x + phase), A ~ U[0.1, 5), phase ~ U[0, 2 pi), x on the grid linspace(-5, 5, 50)',
    network: 'MLP 1-64-64-1 tanh, fan-in-uniform initialisation',
    backend: backend.name,
    iterations,
    seed,
    innerLoop: 'one epoch over the 50 grid points in shuffled mini-batches of 10: 5 SGD steps at 0.02',
    metaStepSize: 'eps = 0.1 (1 - i / iterations): theta += eps (phi - theta)',
    trainSeconds: Number(trainSeconds.toFixed(1)),
    wallSeconds: Number(((performance.now() - started) / 1000).toFixed(1)),
    test: {
      tasks: testTasks,
      protocol: `K = ${SHOTS} grid points drawn with replacement, full-batch SGD at ${LEARNING_RATE}, mean squared error on the 50 grid points (mean over tasks, 95% half-width)`,
      meanSquaredError: trained,
      untrained,
    },
    learningCurve: { tasks: CURVE_TASKS, evaluateEvery, points: curve },
  };
  writeFileSync(join(output, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);

  const row = (errors: Record<string, { mean: number }>) =>
    TEST_STEPS.map((k) => errors[`after${k}`]!.mean.toFixed(3)).join(' / ');
  console.log(
    [
      '',
      `Meta-trained ${iterations} meta-steps in ${trainSeconds.toFixed(0)} s.`,
      `On ${testTasks} new tasks, fitted from ${SHOTS} points: mean squared error after ${TEST_STEPS.join(' / ')} SGD steps`,
      `  meta-trained: ${row(trained)}`,
      `  untrained:    ${row(untrained)}`,
      `Report: ${output}/ (learning-curve.png, adaptation.png, summary.json)`,
    ].join('\n'),
  );
});

/** The learning curve: MSE on the curve's new tasks before and after 1 and 8 steps, by meta-step, on a log scale. */
async function drawLearningCurve(
  curve: readonly { metaStep: number; after0: number; after1: number; after8: number }[],
): Promise<Uint8Array> {
  const spec = learningCurveSpec(curve, {
    x: 'metaStep',
    xTitle: 'meta-step (one sine wave each)',
    series: ['after0', 'after1', 'after8'],
    yTitle: 'mean squared error (log scale)',
    labels: { after0: afterSteps(0), after1: afterSteps(1), after8: afterSteps(8) },
    width: 720,
    height: 320,
  }) as ChartSpec & { encoding: Record<string, object> };
  return renderChart({
    ...spec,
    title: {
      text: 'Reptile on sine waves: error on new tasks during meta-training',
      subtitle: [
        `${CURVE_TASKS} fixed new sine waves, each fitted from ${SHOTS} points by SGD at ${LEARNING_RATE},`,
        'from the initialisation learned so far; error on the 50 grid points',
      ],
      anchor: 'start',
    },
    encoding: {
      ...spec.encoding,
      y: { ...spec.encoding.y, scale: { type: 'log' } },
      color: { ...spec.encoding.color, scale: { range: ['#9e9e9e', '#6baed6', '#08519c'] } },
    },
  } as ChartSpec);
}

/**
 * Four new sine waves, one panel each: the K points adapted on, the true curve, and the
 * network's predictions on the grid before adaptation and after 1, 8 and 32 SGD steps.
 */
async function drawAdaptation(
  learner: SupervisedReptile,
  seed: number,
  iterations: number,
): Promise<Uint8Array> {
  const set = createTestSet(PICTURE_TASKS, 6000 + seed, 7000 + seed);
  const panel = (t: number) => {
    const task = set.tasks[t]!;
    return `task ${t + 1}: A = ${task.amplitude.toFixed(2)}, phase = ${task.phase.toFixed(2)}`;
  };
  const truth = 'true sine wave';
  const curves = [truth, ...TEST_STEPS.map(afterSteps)];
  const values: Record<string, unknown>[] = [];
  const pushCurve = (flat: ArrayLike<number>, curveName: string) => {
    for (let t = 0; t < PICTURE_TASKS; t += 1)
      for (let i = 0; i < GRID.length; i += 1)
        values.push({
          kind: 'curve',
          panel: panel(t),
          curve: curveName,
          x: GRID[i],
          y: flat[t * GRID.length + i],
        });
  };
  pushCurve(set.query.targets.dataSync(), truth);
  for (const steps of TEST_STEPS) {
    const params = learner.adapt(set.support, { steps, optimizer: createTestOptimizer() });
    const predictions = learner.predict(params, set.query.inputs);
    pushCurve(predictions.dataSync(), afterSteps(steps));
    predictions.dispose();
    disposeParams(params);
  }
  const supportInputs = set.support.inputs.dataSync();
  const supportTargets = set.support.targets.dataSync();
  for (let t = 0; t < PICTURE_TASKS; t += 1)
    for (let k = 0; k < SHOTS; k += 1)
      values.push({
        kind: 'point',
        panel: panel(t),
        marker: `the ${SHOTS} points adapted on`,
        x: supportInputs[t * SHOTS + k],
        y: supportTargets[t * SHOTS + k],
      });
  disposeTaskExamples([set.support, set.query]);
  // Room for every curve drawn (an untrained or diverged network may leave [-5, 5]).
  const extent = Math.min(
    50,
    Math.ceil(Math.max(5, ...values.map((value) => Math.abs(value.y as number)).filter(Number.isFinite))),
  );
  return renderChart({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: `Reptile on sine waves: four new tasks, each fitted from ${SHOTS} points`,
      subtitle: [
        `grey: the network before adaptation (meta-learned in ${iterations} meta-steps);`,
        `blues: after 1, 8, 32 SGD steps at ${LEARNING_RATE} on the ${SHOTS} red points`,
      ],
      anchor: 'start',
    },
    data: { values },
    facet: { field: 'panel', type: 'nominal', title: null, header: { labelFontSize: 13 } },
    columns: 2,
    spec: {
      width: 400,
      height: 240,
      layer: [
        {
          transform: [{ filter: "datum.kind === 'curve'" }],
          mark: { type: 'line', strokeWidth: 2, clip: true },
          encoding: {
            x: { field: 'x', type: 'quantitative', scale: { domain: [-5, 5], nice: false }, title: 'x' },
            y: {
              field: 'y',
              type: 'quantitative',
              scale: { domain: [-extent, extent], nice: false },
              title: 'y',
            },
            color: {
              field: 'curve',
              type: 'nominal',
              title: null,
              sort: curves,
              scale: { domain: curves, range: ['black', '#9e9e9e', '#9ecae1', '#4292c6', '#08306b'] },
              legend: { orient: 'right', labelFontSize: 12, labelLimit: 400 },
            },
            strokeDash: {
              field: 'curve',
              type: 'nominal',
              title: null,
              sort: curves,
              scale: {
                domain: curves,
                range: [
                  [6, 4],
                  [1, 0],
                  [1, 0],
                  [1, 0],
                  [1, 0],
                ],
              },
              legend: { orient: 'right', labelFontSize: 12, labelLimit: 400 },
            },
          },
        },
        {
          transform: [{ filter: "datum.kind === 'point'" }],
          mark: { type: 'point', size: 70, filled: true, color: '#d62728', opacity: 0.9 },
          encoding: {
            x: { field: 'x', type: 'quantitative' },
            y: { field: 'y', type: 'quantitative' },
            shape: {
              field: 'marker',
              type: 'nominal',
              title: null,
              legend: { orient: 'right', labelFontSize: 12, labelLimit: 400 },
            },
          },
        },
      ],
    },
    resolve: { scale: { x: 'shared', y: 'shared' } },
  } as ChartSpec);
}
