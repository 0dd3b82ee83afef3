/**
 * The main job: meta-train MAML (TRPO outer loop, exact second-order meta-gradients) on
 * Navigation2D, then adapt to new goals and write a report folder:
 *
 *   learning-curve.png   mean return before and after adaptation, per meta-iteration
 *   trajectories.png     paths to four new goals before and after one adaptation step
 *   metrics.jsonl/.csv   every iteration's metrics (returns, TRPO diagnostics, timings)
 *   checkpoint/          the meta-parameters (continue the training with --resume)
 *   summary.json         the test protocol's returns and the settings
 *
 * Run with --help for the options. The defaults take a few minutes on a laptop-class CPU;
 * pytorch-maml-rl's configuration is `--meta-batch 20 --episodes 20` (see `pnpm bench maml-navigation`).
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
  UsageError,
} from '@metarl/app-support';
import {
  type Agent,
  collectEpisodes,
  createGaussianMlpPolicy,
  createRng,
  type EpisodeBatch,
  evaluateMetaLearner,
  useBackend,
} from '@metarl/core';
import { readMetrics, trainMetaLearnerInDirectory } from '@metarl/core/node';
import { makeTaskDistribution, type Navigation2DTask } from '@metarl/envs';
import { createMaml } from '@metarl/maml';
import { plotLearningCurve, renderChart } from '@metarl/plot';

/** The files of a report: what --overwrite removes and what makes a second run refuse. */
const REPORT_FILES = [
  'summary.json',
  'checkpoint',
  'metrics.jsonl',
  'metrics.csv',
  'learning-curve.png',
  'trajectories.png',
];

/** The parsed command line. */
interface Options extends ReportOptions {
  /** Meta-iterations to reach. */
  readonly iterations: number;
  /** Tasks per meta-iteration. */
  readonly metaBatch: number;
  /** Episodes per task. */
  readonly episodes: number;
}

const program = new Command('maml-navigation')
  .description(
    'Meta-train MAML-TRPO on Navigation2D, adapt to new goals, and write a report folder ' +
      '(learning-curve.png, trajectories.png, metrics.jsonl/.csv, checkpoint/, summary.json).',
  )
  .option(
    '--iterations <n>',
    'meta-iterations to reach, counting those of a resumed checkpoint (integer >= 1)',
    parseIntegerAtLeast(1),
    25,
  )
  .option('--meta-batch <tasks>', 'tasks per meta-iteration (integer >= 1)', parseIntegerAtLeast(1), 10)
  .option('--episodes <n>', 'episodes per task (integer >= 1)', parseIntegerAtLeast(1), 10);
addReportOptions(program, {
  defaultOutput: 'maml-navigation-report',
  examples: [
    'npx -y pnpm@10.34.9 start -- --iterations 10 --output nav-report',
    'npx -y pnpm@10.34.9 start -- --iterations 40 --output nav-report --resume',
  ],
});

await runCommandLine<Options>(program, async (options) => {
  const { iterations, seed } = options;
  const metaBatchSize = options.metaBatch;
  const episodesPerTask = options.episodes;
  const { output, resumeFrom } = openReportFolder(options, REPORT_FILES);
  const started = performance.now();

  const backend = await useBackend(options.backend);
  const distribution = makeTaskDistribution('Navigation2D-v1');
  const policy = createGaussianMlpPolicy({ observationSize: 2, actionSize: 2, hiddenSizes: [64, 64] });
  const maml = createMaml({ distribution, policy, episodesPerTask, seed });
  console.log(
    `MAML-TRPO on Navigation2D-v1 (${backend.name} backend${backend.native ? ` with native ${backend.native.isa} kernels` : ''}): ${iterations} meta-iterations of ${metaBatchSize} tasks x ${episodesPerTask} episodes, report in ${output}${resumeFrom === undefined ? '' : ' (resumed from its checkpoint)'}`,
  );

  const trained = await trainMetaLearnerInDirectory(maml, distribution, {
    iterations,
    metaBatchSize,
    seed,
    outputDirectory: output,
    checkpointEvery: 10,
    ...(resumeFrom === undefined ? {} : { resumeFrom }),
  });
  if (resumeFrom !== undefined && trained.records.length === 0)
    throw new UsageError(
      `option '--iterations <n>' argument '${iterations}' is invalid. Expected more than the ${trained.iterations} meta-iterations of the checkpoint in ${output}.`,
    );
  const trainSeconds = (performance.now() - started) / 1000;
  writeFileSync(
    join(output, 'learning-curve.png'),
    await plotLearningCurve(readMetrics(join(output, 'metrics.jsonl')), {
      title: 'MAML-TRPO on Navigation2D: return on the training tasks of each meta-iteration',
      series: ['metaTrain/returnBefore', 'metaTrain/returnAfter'],
      yTitle: 'mean return per episode',
      labels: {
        'metaTrain/returnBefore': 'before adaptation',
        'metaTrain/returnAfter': 'after one gradient step',
      },
    }),
  );

  // The peer's test protocol on new goals: explore, adapt once, run the adapted policies.
  const test = evaluateMetaLearner(maml, distribution, { tasks: 40, episodesPerTask, seed: 1000 + seed });

  writeFileSync(
    join(output, 'trajectories.png'),
    await drawTrajectories(maml, distribution, episodesPerTask, seed),
  );

  const [before, after] = test.steps;
  const summary = {
    algorithm: 'MAML-TRPO (second order)',
    environment: 'Navigation2D-v1',
    backend: backend.name,
    native: backend.native ?? null,
    iterations,
    metaBatchSize,
    episodesPerTask,
    seed,
    trainSeconds: Number(trainSeconds.toFixed(1)),
    test: {
      tasks: 40,
      returnBeforeAdaptation: { mean: before!.meanReturn, halfWidth95: before!.halfWidth95 },
      returnAfterOneStep: { mean: after!.meanReturn, halfWidth95: after!.halfWidth95 },
    },
  };
  writeFileSync(join(output, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  maml.dispose();
  console.log(
    [
      '',
      `Meta-trained ${iterations} iterations in ${trainSeconds.toFixed(0)} s.`,
      `On 40 new goals: mean return ${before!.meanReturn.toFixed(1)} ± ${before!.halfWidth95.toFixed(1)} before adaptation, ${after!.meanReturn.toFixed(1)} ± ${after!.halfWidth95.toFixed(1)} after one gradient step.`,
      `Report: ${output}/ (learning-curve.png, trajectories.png, metrics.jsonl, metrics.csv, checkpoint/, summary.json)`,
    ].join('\n'),
  );
});

/**
 * Paths to four new goals, one panel per goal: one episode before adaptation and one after one
 * gradient step, from the start (0, 0) to the goal, on axes wide enough to show every step.
 */
async function drawTrajectories(
  maml: ReturnType<typeof createMaml>,
  distribution: ReturnType<typeof makeTaskDistribution>,
  episodesPerTask: number,
  seed: number,
): Promise<Uint8Array> {
  const goals = distribution.sampleTasks(4, { seed: 2000 + seed });
  const env = distribution.makeVectorEnv(
    goals.flatMap((goal) => Array.from({ length: episodesPerTask }, () => goal)),
    { autoresetMode: 'disabled' },
  );
  const rng = createRng(3000 + seed);
  const explorer = maml.explorationAgent(goals);
  const explored = collectEpisodes(env, explorer, { episodesPerEnv: 1, rng, seed, tasks: goals.length });
  const adapted: Agent = maml.adapt(explorer, explored);
  const exploited = collectEpisodes(env, adapted, { episodesPerEnv: 1, rng, tasks: goals.length });
  adapted.dispose?.();
  explorer.dispose?.();

  const goalLabel = (task: number) => {
    const goal = (goals[task] as Navigation2DTask).goal;
    return `goal ${task + 1}: (${goal[0].toFixed(2)}, ${goal[1].toFixed(2)})`;
  };
  // The first episode of each goal and phase: two paths per panel, easy to follow.
  const paths = (batch: EpisodeBatch, phase: string) =>
    Array.from(batch.lengths).flatMap((length, e) => {
      const task = batch.taskIndex[e]!;
      if (e !== task * episodesPerTask) return [];
      const start = batch.offsets[e]!;
      const points = [{ x: 0, y: 0 }]; // every episode starts at the origin
      for (let t = 0; t < length; t += 1) {
        // The observation after step t is the next step's observation, or the episode's final one.
        const source = t + 1 < length ? batch.observations : batch.finalObservations;
        const index = t + 1 < length ? (start + t + 1) * 2 : e * 2;
        points.push({ x: source[index]!, y: source[index + 1]! });
      }
      return points.map((p, order) => ({ ...p, kind: 'path', order, phase, goal: goalLabel(task) }));
    });
  const phases = ['before adaptation', 'after one gradient step'];
  const pathValues = [...paths(explored, phases[0]!), ...paths(exploited, phases[1]!)];
  const markerValues = goals.flatMap((task, i) => {
    const goal = (task as Navigation2DTask).goal;
    return [
      { x: 0, y: 0, kind: 'marker', marker: 'start (0, 0)', goal: goalLabel(i) },
      { x: goal[0], y: goal[1], kind: 'marker', marker: 'goal', goal: goalLabel(i) },
    ];
  });
  // Square axes wide enough for every point drawn (an untrained policy may wander off).
  const extent = Math.max(0.6, ...pathValues.map((p) => Math.max(Math.abs(p.x), Math.abs(p.y))));
  const domain = [-Math.ceil(extent * 10) / 10, Math.ceil(extent * 10) / 10];
  return renderChart({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: 'Navigation2D: paths to four new goals, before and after one adaptation step',
      subtitle:
        'one episode per goal and phase; the agent starts at (0, 0) and is rewarded for closing in on the goal',
    },
    data: { values: [...pathValues, ...markerValues] },
    facet: { field: 'goal', type: 'nominal', title: null, header: { labelFontSize: 13 } },
    columns: 4,
    spec: {
      width: 240,
      height: 240,
      layer: [
        {
          transform: [{ filter: "datum.kind === 'path'" }],
          mark: { type: 'line', strokeWidth: 2, point: { size: 12 } },
          encoding: {
            x: { field: 'x', type: 'quantitative', scale: { domain, nice: false }, title: 'x position' },
            y: { field: 'y', type: 'quantitative', scale: { domain, nice: false }, title: 'y position' },
            order: { field: 'order' },
            color: {
              field: 'phase',
              type: 'nominal',
              title: 'path',
              sort: phases,
              scale: { range: ['#9e9e9e', '#d62728'] },
              legend: { orient: 'bottom', labelFontSize: 12, labelLimit: 400 },
            },
          },
        },
        {
          transform: [{ filter: "datum.kind === 'marker'" }],
          mark: { type: 'point', size: 160, filled: true, color: 'black', opacity: 0.85 },
          encoding: {
            x: { field: 'x', type: 'quantitative' },
            y: { field: 'y', type: 'quantitative' },
            shape: {
              field: 'marker',
              type: 'nominal',
              title: 'marker',
              scale: { domain: ['start (0, 0)', 'goal'], range: ['circle', 'cross'] },
              legend: { orient: 'bottom', labelFontSize: 12, labelLimit: 400 },
            },
          },
        },
      ],
    },
    resolve: { scale: { x: 'shared', y: 'shared' } },
  } as Parameters<typeof renderChart>[0]);
}
