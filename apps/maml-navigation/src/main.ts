/**
 * The main job: meta-train MAML (TRPO outer loop, exact second-order meta-gradients) on
 * Navigation2D, then adapt to new goals and write a report folder:
 *
 *   learning-curve.png   mean return before and after adaptation, per meta-iteration
 *   trajectories.png     paths to four new goals before and after one adaptation step
 *   metrics.jsonl/.csv   every iteration's metrics (returns, TRPO diagnostics, timings)
 *   checkpoint/          the meta-parameters (resume with --resume <folder>/checkpoint)
 *   summary.json         the test protocol's returns and the settings
 *
 * Options: --iterations <n> (25) --meta-batch <tasks> (10) --episodes <per task> (10)
 *          --output <folder> (maml-navigation-report) --seed <n> (1) --backend <name|auto> (auto)
 *          --resume <checkpoint folder>
 * The defaults take a few minutes on a laptop-class CPU; pytorch-maml-rl's configuration is
 * `--meta-batch 20 --episodes 20` (see `pnpm bench maml-navigation`).
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
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

const { values: options } = parseArgs({
  // `pnpm start -- --iterations 5` passes the `--` through.
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: Object.fromEntries(
    ['iterations', 'meta-batch', 'episodes', 'seed', 'output', 'backend', 'resume'].map((name) => [
      name,
      { type: 'string' as const },
    ]),
  ),
});

function readInteger(name: string, fallback: number, minimum: number): number {
  const text = options[name] ?? String(fallback);
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < minimum)
    throw new Error(`--${name} must be an integer >= ${minimum}, got '${text}'`);
  return value;
}

const iterations = readInteger('iterations', 25, 0);
const metaBatchSize = readInteger('meta-batch', 10, 1);
const episodesPerTask = readInteger('episodes', 10, 1);
const seed = readInteger('seed', 1, 0);
const output = resolve(process.env.INIT_CWD ?? process.cwd(), options.output ?? 'maml-navigation-report');
const resume = options.resume ?? '';
const started = performance.now();

const backend = await useBackend(options.backend ?? 'auto');
const distribution = makeTaskDistribution('Navigation2D-v1');
const policy = createGaussianMlpPolicy({ observationSize: 2, actionSize: 2, hiddenSizes: [64, 64] });
const maml = createMaml({ distribution, policy, episodesPerTask, seed });
console.log(
  `MAML-TRPO on Navigation2D-v1 (${backend.name} backend): ${iterations} meta-iterations of ${metaBatchSize} tasks x ${episodesPerTask} episodes, report in ${output}`,
);

await trainMetaLearnerInDirectory(maml, distribution, {
  iterations,
  metaBatchSize,
  seed,
  outputDirectory: output,
  checkpointEvery: 10,
  ...(resume === '' ? {} : { resumeFrom: resolve(process.env.INIT_CWD ?? process.cwd(), resume) }),
});
const trainSeconds = (performance.now() - started) / 1000;
const records = readMetrics(join(output, 'metrics.jsonl'));
if (records.length > 0)
  writeFileSync(
    join(output, 'learning-curve.png'),
    await plotLearningCurve(records, { title: `${maml.kind}: return per meta-iteration` }),
  );

// The peer's test protocol on new goals: explore, adapt once, run the adapted policies.
const test = evaluateMetaLearner(maml, distribution, { tasks: 40, episodesPerTask, seed: 1000 + seed });

// Trajectories to four new goals before and after one adaptation step.
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

const shown = 2; // episodes drawn per goal and phase
const paths = (batch: EpisodeBatch, phase: string) =>
  Array.from(batch.lengths).flatMap((length, e) => {
    const task = batch.taskIndex[e]!;
    if (e - task * episodesPerTask >= shown) return [];
    const goal = (goals[task] as Navigation2DTask).goal;
    const start = batch.offsets[e]!;
    const points = [{ x: 0, y: 0 }]; // every episode starts at the origin
    for (let t = 0; t < length; t += 1) {
      // The observation after step t is the next step's observation, or the episode's final one.
      const source = t + 1 < length ? batch.observations : batch.finalObservations;
      const index = t + 1 < length ? (start + t + 1) * 2 : e * 2;
      points.push({ x: source[index]!, y: source[index + 1]! });
    }
    return points.map((p, order) => ({
      ...p,
      kind: 'path',
      order,
      phase,
      episode: `${phase} ${e}`,
      goal: `goal (${goal[0].toFixed(2)}, ${goal[1].toFixed(2)})`,
    }));
  });
const trajectoryValues = [...paths(explored, 'before adaptation'), ...paths(exploited, 'after one step')];
const goalValues = goals.map((task) => {
  const goal = (task as Navigation2DTask).goal;
  return {
    x: goal[0],
    y: goal[1],
    kind: 'goal',
    goal: `goal (${goal[0].toFixed(2)}, ${goal[1].toFixed(2)})`,
  };
});
const domain = [-0.6, 0.6];
const png = await renderChart({
  $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
  title: 'Navigation2D: paths from (0, 0) to new goals (x), before and after one adaptation step',
  data: { values: [...trajectoryValues, ...goalValues] },
  facet: { field: 'goal', type: 'nominal', title: null },
  columns: 4,
  spec: {
    width: 220,
    height: 220,
    layer: [
      {
        transform: [{ filter: "datum.kind === 'path'" }],
        mark: { type: 'line', strokeWidth: 1.2, opacity: 0.8, clip: true },
        encoding: {
          x: { field: 'x', type: 'quantitative', scale: { domain }, title: 'x' },
          y: { field: 'y', type: 'quantitative', scale: { domain }, title: 'y' },
          order: { field: 'order' },
          detail: { field: 'episode' },
          color: { field: 'phase', type: 'nominal', title: null, legend: { orient: 'bottom' } },
        },
      },
      {
        transform: [{ filter: "datum.kind === 'goal'" }],
        mark: { type: 'point', shape: 'cross', size: 200, color: 'black', filled: true },
        encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
      },
    ],
  },
} as Parameters<typeof renderChart>[0]);
writeFileSync(join(output, 'trajectories.png'), png);

const [before, after] = test.steps;
const summary = {
  algorithm: 'MAML-TRPO (second order)',
  environment: 'Navigation2D-v1',
  backend: backend.name,
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
