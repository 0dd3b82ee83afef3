/**
 * pnpm bench reptile-sinusoid [-- --out <file>] [-- --section sine-demo|budget|all] [-- --seeds 0,1,2,3,4]
 *
 * Reptile on sinusoid regression, in the protocols of docs/benchmarks.md section 4c.
 *
 * - `sine-demo`: the Reptile blog post's sine demo exactly: MLP 1-64-64-1 tanh (PyTorch's default
 *   initialisation), one task per meta-step, inner loop one epoch over the 50 grid points in
 *   shuffled mini-batches of 10 (5 SGD steps at 0.02), eps = 0.1 (1 - i / n), n = 30,000; for
 *   every training seed, and the untrained network as the control.
 * - `budget`: Reptile vs first-order MAML vs MAML on one outer loop: Adam 1e-3 on the
 *   meta-gradient, meta-batch 5, 6,000 meta-steps; (FO)MAML adapt on 10 support points with 5
 *   full-batch SGD steps at 0.02 and take the meta-gradient on 10 query points (MAML: second
 *   order, @metarl/maml); Reptile's inner loop is the sine demo's (`--reptileInner grid-epoch`,
 *   the peer's) or the same 5 steps on all 20 points (`twenty-points`).
 *
 * Evaluation (both): 1,000 fixed test tasks; K = 10 points drawn with replacement from the grid
 * linspace(-5, 5, 50); k full-batch SGD steps at 0.02; mean squared error on the 50 grid points
 * after k = 0, 1, 2, 4, 8, 16, 32 steps, with 95% intervals across tasks.
 */
import {
  createMlp,
  createRng,
  createSgd,
  disposeParams,
  mapParams,
  type Rng,
  tf,
  useBackend,
} from '@metarl/core';
import {
  REPTILE_SINUSOIDS,
  type SinusoidTask,
  sampleSinusoidGridPoints,
  sampleSinusoidPoints,
  sampleSinusoidTasks,
  sinusoidGrid,
  sinusoidGridTargets,
  summarise,
} from '@metarl/envs';
import { createSupervisedMaml, type SupervisedMaml } from '@metarl/maml';
import {
  createInnerBatches,
  createSupervisedReptile,
  disposeTaskExamples,
  type SupervisedReptile,
  type SupervisedReptileConfig,
  type TaskExamples,
  toTaskExamples,
} from '@metarl/reptile';
import { describeMachine, median, readFlags, report } from './shared';

const started = performance.now();
const flags = readFlags('reptile-sinusoid', {
  section: {
    type: 'string',
    default: 'all',
    choices: ['sine-demo', 'budget', 'all'],
    description: 'which protocol to run',
  },
  seeds: {
    type: 'integers',
    default: [0, 1, 2, 3, 4],
    description: 'training seeds of the sine demo (consecutive)',
  },
  together: {
    type: 'string',
    default: 'yes',
    choices: ['yes', 'no'],
    description: 'train the sine-demo seeds side by side in one learner (runs) or one after another',
  },
  iterations: { type: 'integer', default: 30000, minimum: 1, description: 'meta-steps of the sine demo' },
  budgetSeeds: {
    type: 'integers',
    default: [0, 1, 2],
    description: 'training seeds of the budget comparison',
  },
  budgetIterations: {
    type: 'integer',
    default: 6000,
    minimum: 1,
    description: 'meta-steps of the budget comparison',
  },
  testTasks: { type: 'integer', default: 1000, minimum: 1, description: 'fixed test tasks' },
  budgetMethods: {
    type: 'strings',
    default: ['reptile', 'first-order-maml', 'maml'],
    description: 'methods of the budget comparison (reptile, first-order-maml, maml)',
  },
  reptileInner: {
    type: 'string',
    default: 'grid-epoch',
    choices: ['grid-epoch', 'twenty-points'],
    description:
      "the budget's Reptile inner loop: the sine demo's epoch over the 50 grid points (the peer's), or 5 full-batch steps on the 20 points FOMAML sees",
  },
});
for (const method of flags.budgetMethods)
  if (!['reptile', 'first-order-maml', 'maml'].includes(method)) {
    console.error(`--budgetMethods takes reptile, first-order-maml and maml, got '${method}'`);
    process.exit(2);
  }
await useBackend('wasm');

const REPORT_STEPS = [0, 1, 2, 4, 8, 16, 32];
const GRID = sinusoidGrid(50, REPTILE_SINUSOIDS);
const model = createMlp({
  inputSize: 1,
  hiddenSizes: [64, 64],
  outputSize: 1,
  activation: 'tanh',
  initialisation: 'fan-in-uniform',
});
const testTasks = sampleSinusoidTasks(flags.testTasks, { seed: 2018, family: REPTILE_SINUSOIDS });

/** Mean MSE on the grid after k SGD steps (lr 0.02) on 10 grid points drawn with replacement, for every k. */
function evaluate(learner: SupervisedReptile) {
  const shots = sampleSinusoidGridPoints(testTasks, 10, createRng(7), REPTILE_SINUSOIDS);
  const support = toTaskExamples({
    tasks: testTasks.length,
    inputs: shots.inputs,
    targets: shots.targets,
    inputSize: 1,
  });
  const gridInputs = new Float32Array(testTasks.length * GRID.length);
  for (let t = 0; t < testTasks.length; t += 1) gridInputs.set(GRID, t * GRID.length);
  const query = toTaskExamples({
    tasks: testTasks.length,
    inputs: gridInputs,
    targets: sinusoidGridTargets(testTasks, GRID, REPTILE_SINUSOIDS),
    inputSize: 1,
  });
  const results = learner.evaluate(support, query, {
    reportSteps: REPORT_STEPS,
    optimizer: createSgd({ learningRate: 0.02, checkFinite: false }),
  });
  disposeTaskExamples([support, query]);
  return Object.fromEntries(
    results.map((r) => [
      `after${r.steps}`,
      { mean: Number(r.loss.toFixed(4)), halfWidth95: Number(r.lossHalfWidth95.toFixed(4)) },
    ]),
  );
}

/** The evaluation of `evaluate` for @metarl/maml's supervised learner (its `adapt` is SGD at 0.02, then `predict`). */
function evaluateMaml(maml: SupervisedMaml) {
  const shots = sampleSinusoidGridPoints(testTasks, 10, createRng(7), REPTILE_SINUSOIDS);
  const count = testTasks.length;
  const gridInputs = new Float32Array(count * GRID.length);
  for (let t = 0; t < count; t += 1) gridInputs.set(GRID, t * GRID.length);
  const inputs = tf.tensor3d(gridInputs, [count, GRID.length, 1]);
  const targets = tf.tensor3d(sinusoidGridTargets(testTasks, GRID, REPTILE_SINUSOIDS), [
    count,
    GRID.length,
    1,
  ]);
  const out: Record<string, { mean: number; halfWidth95: number }> = {};
  for (const k of REPORT_STEPS) {
    const params = maml.adapt(shots.inputs, shots.targets, count, k);
    const perTask = tf.tidy(() => tf.mean(tf.square(tf.sub(maml.predict(params, inputs), targets)), [1, 2]));
    const { mean, halfWidth95 } = summarise(perTask.dataSync());
    perTask.dispose();
    disposeParams(params);
    out[`after${k}`] = { mean: Number(mean.toFixed(4)), halfWidth95: Number(halfWidth95.toFixed(4)) };
  }
  tf.dispose([inputs, targets]);
  return out;
}

/** Arrays of `tasks` at points x (task-major). */
function arrays(tasks: readonly SinusoidTask[], inputs: Float32Array, targets: Float32Array) {
  return { tasks: tasks.length, inputs, targets, inputSize: 1 };
}

const sections: Record<string, unknown> = {};

/** Run r's parameters (row r of theta's run axis) evaluated by a one-run learner. */
function evaluateRun(learner: SupervisedReptile, run: number, config: SupervisedReptileConfig) {
  const single = createSupervisedReptile({ ...config, runs: 1 });
  const row = mapParams(learner.parameters(), (x) => tf.tidy(() => tf.squeeze(tf.gather(x, [run]), [0])));
  single.setParameters(row);
  disposeParams(row);
  const result = evaluate(single);
  single.dispose();
  return result;
}

if (flags.section !== 'budget') {
  const rows: Record<string, unknown>[] = [];
  const seeds = flags.seeds;
  const together = flags.together === 'yes';
  const runs = together ? seeds.length : 1;
  const groups = together ? [seeds] : seeds.map((seed) => [seed]);
  for (const group of groups) {
    const config: SupervisedReptileConfig = {
      model,
      loss: 'mean-squared-error',
      innerOptimizer: 'sgd',
      innerStepSize: 0.02,
      innerSteps: 5,
      metaStepSize: 0.1,
      metaStepSizeFinal: 0,
      annealSteps: flags.iterations,
      seed: group[0]!,
      runs: group.length,
    };
    // Run r is seed group[0] + r: its own initialisation and its own stream of tasks and shuffles.
    if (group.some((seed, r) => seed !== group[0]! + r))
      throw new RangeError(`--seeds must be consecutive to train together, got ${group.join(',')}`);
    const learner = createSupervisedReptile(config);
    const streams = group.map((seed) => createRng(1000 + seed));
    const t0 = performance.now();
    for (let i = 0; i < flags.iterations; i += 1) {
      const perRun = streams.map((rng) => {
        const [task] = sampleSinusoidTasks(1, { seed: rng.nextSeed(), family: REPTILE_SINUSOIDS });
        const data = arrays([task!], GRID, sinusoidGridTargets([task!], GRID, REPTILE_SINUSOIDS));
        return createInnerBatches(data, { batchSize: 10, steps: 5 }, rng);
      });
      const innerBatches =
        perRun.length === 1
          ? perRun[0]!
          : perRun[0]!.map((_batch, k) => ({
              inputs: tf.concat(perRun.map((batches) => batches[k]!.inputs)),
              targets: tf.concat(perRun.map((batches) => batches[k]!.targets)),
            }));
      learner.metaTrainStep({ innerBatches });
      if (perRun.length > 1) disposeTaskExamples(innerBatches);
      for (const batches of perRun) disposeTaskExamples(batches);
    }
    const trainSeconds = (performance.now() - t0) / 1000;
    group.forEach((seed, r) => {
      const control = createSupervisedReptile({ ...config, seed, runs: 1 });
      const untrained = evaluate(control);
      control.dispose();
      const trained = group.length === 1 ? evaluate(learner) : evaluateRun(learner, r, config);
      rows.push({
        seed,
        trainedTogetherWith: group,
        groupTrainSeconds: Number(trainSeconds.toFixed(1)),
        meanSquaredError: trained,
        untrained,
      });
      console.error(
        `sine demo seed ${seed}: ${REPORT_STEPS.map((k) => `${k}: ${(trained[`after${k}`] as { mean: number }).mean.toFixed(3)}`).join(', ')} (untrained after 32: ${(untrained.after32 as { mean: number }).mean.toFixed(3)}; ${group.length} run(s) trained in ${trainSeconds.toFixed(1)} s)`,
      );
    });
    learner.dispose();
  }
  const medianAfter = Object.fromEntries(
    REPORT_STEPS.map((k) => [
      `after${k}`,
      Number(
        median(
          rows.map((row) => (row.meanSquaredError as Record<string, { mean: number }>)[`after${k}`]!.mean),
        ).toFixed(4),
      ),
    ]),
  );
  const groupSeconds = [...new Set(rows.map((row) => row.groupTrainSeconds as number))];
  sections.sineDemo = {
    protocol:
      'MLP 1-64-64-1 tanh (fan-in-uniform = PyTorch default init); one task per meta-step; inner: 1 epoch over the 50 grid points in shuffled minibatches of 10 (5 SGD steps, lr 0.02); eps = 0.1 (1 - i/n)',
    iterations: flags.iterations,
    trainedTogether: together,
    runsPerLearner: runs,
    totalTrainSeconds: Number(groupSeconds.reduce((a, b) => a + b, 0).toFixed(1)),
    medianOverSeeds: medianAfter,
    seeds: rows,
  };
}

if (flags.section !== 'sine-demo') {
  const rows: Record<string, unknown>[] = [];
  const variants: { name: string; config: Partial<SupervisedReptileConfig> }[] = [
    { name: 'Reptile', config: { algorithm: 'reptile' } },
    { name: 'first-order MAML', config: { algorithm: 'first-order-maml' } },
  ];
  for (const variant of variants.filter((v) => flags.budgetMethods.includes(v.config.algorithm!))) {
    for (const seed of flags.budgetSeeds) {
      const learner = createSupervisedReptile({
        model,
        loss: 'mean-squared-error',
        innerOptimizer: 'sgd',
        innerStepSize: 0.02,
        innerSteps: 5,
        metaOptimizer: 'adam',
        metaStepSize: 0.001,
        seed,
        ...variant.config,
      });
      const rng: Rng = createRng(2000 + seed);
      const t0 = performance.now();
      for (let i = 0; i < flags.budgetIterations; i += 1) {
        const tasks = sampleSinusoidTasks(5, { seed: rng.nextSeed(), family: REPTILE_SINUSOIDS });
        const support = sampleSinusoidPoints(tasks, 10, rng, REPTILE_SINUSOIDS);
        const query = sampleSinusoidPoints(tasks, 10, rng, REPTILE_SINUSOIDS);
        let innerData: TaskExamples;
        let queryData: TaskExamples | undefined;
        if (variant.config.algorithm === 'reptile' && flags.reptileInner === 'grid-epoch') {
          const gridInputs = new Float32Array(5 * 50);
          for (let t = 0; t < 5; t += 1) gridInputs.set(GRID, t * 50);
          const data = arrays(tasks, gridInputs, sinusoidGridTargets(tasks, GRID, REPTILE_SINUSOIDS));
          const innerBatches = createInnerBatches(data, { batchSize: 10, steps: 5 }, rng);
          learner.metaTrainStep({ innerBatches });
          disposeTaskExamples(innerBatches);
          continue;
        }
        if (variant.config.algorithm === 'reptile') {
          // Reptile has no query: its 5 steps see all 20 points of every task.
          const inputs = new Float32Array(5 * 20);
          const targets = new Float32Array(5 * 20);
          for (let t = 0; t < 5; t += 1) {
            inputs.set(support.inputs.subarray(t * 10, t * 10 + 10), t * 20);
            inputs.set(query.inputs.subarray(t * 10, t * 10 + 10), t * 20 + 10);
            targets.set(support.targets.subarray(t * 10, t * 10 + 10), t * 20);
            targets.set(query.targets.subarray(t * 10, t * 10 + 10), t * 20 + 10);
          }
          innerData = toTaskExamples(arrays(tasks, inputs, targets));
        } else {
          innerData = toTaskExamples(arrays(tasks, support.inputs, support.targets));
          queryData = toTaskExamples(arrays(tasks, query.inputs, query.targets));
        }
        learner.metaTrainStep({
          innerBatches: Array.from({ length: 5 }, () => innerData),
          ...(queryData === undefined ? {} : { query: queryData }),
        });
        disposeTaskExamples(innerData);
        if (queryData !== undefined) disposeTaskExamples(queryData);
      }
      const trainSeconds = (performance.now() - t0) / 1000;
      const trained = evaluate(learner);
      learner.dispose();
      rows.push({
        method: variant.name,
        seed,
        trainSeconds: Number(trainSeconds.toFixed(1)),
        meanSquaredError: trained,
      });
      console.error(
        `budget ${variant.name} seed ${seed}: ${REPORT_STEPS.map((k) => `${k}: ${(trained[`after${k}`] as { mean: number }).mean.toFixed(3)}`).join(', ')} (${trainSeconds.toFixed(1)} s)`,
      );
    }
  }
  // MAML (second order), @metarl/maml's supervised learner on the same outer loop and data.
  for (const seed of flags.budgetMethods.includes('maml') ? flags.budgetSeeds : []) {
    const maml = createSupervisedMaml({
      hiddenSizes: [64, 64],
      activation: 'tanh',
      initialisation: 'fan-in-uniform',
      sinusoids: REPTILE_SINUSOIDS,
      innerSteps: 5,
      innerStepSize: 0.02,
      metaBatchSize: 5,
      shots: 10,
      outerLearningRate: 0.001,
      seed,
    });
    const rng: Rng = createRng(2000 + seed);
    const t0 = performance.now();
    for (let i = 0; i < flags.budgetIterations; i += 1) maml.metaTrainStep(rng);
    const trainSeconds = (performance.now() - t0) / 1000;
    const trained = evaluateMaml(maml);
    maml.dispose();
    rows.push({
      method: 'MAML (second order)',
      seed,
      trainSeconds: Number(trainSeconds.toFixed(1)),
      meanSquaredError: trained,
    });
    console.error(
      `budget MAML seed ${seed}: ${REPORT_STEPS.map((k) => `${k}: ${(trained[`after${k}`] as { mean: number }).mean.toFixed(3)}`).join(', ')} (${trainSeconds.toFixed(1)} s)`,
    );
  }
  sections.budget = {
    reptileInner: flags.reptileInner,
    protocol:
      "Adam 1e-3 on the meta-gradient, meta-batch 5; MAML and FOMAML: 10 support + 10 query points (uniform on [-5, 5]), 5 full-batch SGD steps at 0.02 (MAML: @metarl/maml's createSupervisedMaml, second order); Reptile: 5 full-batch steps on all 20 points (twenty-points) or the sine demo's epoch over the grid (grid-epoch)",
    iterations: flags.budgetIterations,
    rows,
  };
}

report({
  name: 'reptile-sinusoid',
  config: {
    section: flags.section,
    network: 'MLP 1-64-64-1 tanh, fan-in-uniform init',
    testTasks: flags.testTasks,
    evaluation: 'K = 10 grid points with replacement, SGD 0.02, MSE on the 50-point grid',
    reportSteps: REPORT_STEPS,
    seeds: {
      testTasks: 2018,
      evaluationPoints: 7,
      trainingStreams: '1000 + seed (sine demo), 2000 + seed (budget)',
    },
  },
  backend: 'wasm',
  machine: describeMachine(),
  wallSeconds: Number(((performance.now() - started) / 1000).toFixed(1)),
  ...sections,
});
