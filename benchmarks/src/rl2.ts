/**
 * pnpm bench rl2 -- --task bandit --arms <k> --episodes <n> [--out <file>]
 * pnpm bench rl2 -- --task tabular-mdp --episodes <n> [--out <file>]
 *
 * RL² (Duan et al. 2016) trained with PPO on trials of n episodes (docs/benchmarks.md section 4), then
 * evaluated on `--test-trials` (default 1000) new tasks: mean total reward per trial with a 95%
 * confidence interval, beside the reference agents played on the same test tasks and the paper's
 * numbers. The documented budget (the defaults): bandits 100 updates of 500 trials, tabular MDPs
 * 250 updates of 250 trials, GRU 128, Adam 1e-2 (`--iterations`, `--trials`, `--hidden`,
 * `--learning-rate`). `--evaluate-every k` also evaluates on the test tasks every k iterations
 * (the learning curve); `--plot <file.png>` draws it beside the references. Also: `--seed`,
 * `--backend`, `--threads` (wasm matrix-product threads, default 1), `--native auto|on|off` (wasm's
 * native kernels), `--kernel-times`, `--epochs`, `--minibatches`, `--entropy`, `--value-coefficient`, `--gamma`, `--lambda`.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { trainMetaLearner, trialReturns, useBackend } from '@metarl/core';
import {
  banditDistribution,
  createGreedyMdpAgent,
  createPsrlMdpAgent,
  createRandomMdpAgent,
  playBanditTrials,
  playMdpTrials,
  summarise,
  type TaskDistribution,
  tabularMdpDistribution,
} from '@metarl/envs';
import { renderChart } from '@metarl/plot';
import { createRl2 } from '@metarl/rl2';
import {
  describeMachine,
  formatKernelTimes,
  readFlags,
  report,
  takeKernelTimes,
  timeKernels,
  wasmFlags,
} from './shared';
import { banditPaper, banditReferenceAgents, mdpPaper } from './shared-paper-tables';

const flags = readFlags('rl2', {
  ...wasmFlags(),
  task: {
    type: 'string',
    default: 'bandit',
    choices: ['bandit', 'tabular-mdp'],
    description: 'task distribution',
  },
  arms: { type: 'integer', default: 5, minimum: 1, description: 'bandit arms (k)' },
  episodes: { type: 'integer', default: 10, minimum: 1, description: 'episodes per trial (n)' },
  iterations: {
    type: 'integer',
    default: null,
    minimum: 0,
    description: 'policy updates (default 100 for bandit, 250 for tabular-mdp)',
  },
  trials: {
    type: 'integer',
    default: null,
    minimum: 1,
    description: 'trials per update (default 500 for bandit, 250 for tabular-mdp)',
  },
  hidden: { type: 'integer', default: 128, minimum: 1, description: 'GRU hidden size' },
  'test-trials': { type: 'integer', default: 1000, minimum: 1, description: 'trials on new test tasks' },
  'evaluate-every': {
    type: 'integer',
    default: 0,
    minimum: 0,
    description: 'evaluate on the test tasks every k updates (0: only at the end)',
  },
  seed: { type: 'integer', default: 1, minimum: 0, description: 'training seed' },
  'max-seconds': {
    type: 'integer',
    default: 0,
    minimum: 0,
    description:
      'stop training after the update in progress once this many seconds have passed (0: no limit)',
  },
  backend: { type: 'string', default: 'wasm', description: 'tensor backend (wasm, cpu, auto, ...)' },
  plot: { type: 'string', default: '', description: 'write a PNG learning curve to this file' },
  'learning-rate': { type: 'number', default: 1e-2, minimum: 0, description: 'Adam learning rate' },
  epochs: { type: 'integer', default: 4, minimum: 1, description: 'PPO epochs per update' },
  minibatches: { type: 'integer', default: 4, minimum: 1, description: 'PPO minibatches per epoch' },
  entropy: { type: 'number', default: 0.01, minimum: 0, description: 'entropy bonus coefficient' },
  'value-coefficient': { type: 'number', default: 0.5, minimum: 0, description: 'value loss weight' },
  gamma: { type: 'number', default: 0.99, minimum: 0, description: 'discount' },
  lambda: { type: 'number', default: 0.3, minimum: 0, description: 'GAE lambda' },
});
const task = flags.task;
const bandit = task === 'bandit';
const arms = flags.arms;
const episodes = flags.episodes;
const iterations = flags.iterations ?? (bandit ? 100 : 250);
const trialsPerIteration = flags.trials ?? (bandit ? 500 : 250);
const hiddenSize = flags.hidden;
const testTrials = flags['test-trials'];
const evaluateEvery = flags['evaluate-every'];
const seed = flags.seed;
const backend = flags.backend;
const threads = flags.threads;
const plot = flags.plot;
const backendInfo = await useBackend(
  backend,
  backend === 'wasm' ? { threads, native: flags.native as 'auto' | 'on' | 'off' } : { threads },
);
if (flags['kernel-times']) timeKernels(backendInfo.tfjsName);

const distribution = (
  bandit ? banditDistribution({ arms }) : tabularMdpDistribution()
) as TaskDistribution<unknown>;
const ppo = {
  learningRate: flags['learning-rate'],
  epochs: flags.epochs,
  minibatches: flags.minibatches,
  entropyCoefficient: flags.entropy,
  valueCoefficient: flags['value-coefficient'],
};
const learner = createRl2({
  distribution,
  episodesPerTrial: episodes,
  hiddenSize,
  seed,
  gamma: flags.gamma,
  lambda: flags.lambda,
  ppo,
});

// The test: new tasks (a seed the training never draws from). The learning curve is measured on
// them too (nothing is selected on it: the reported figure is the last iteration's, not the best).
const testTasks = distribution.sampleTasks(testTrials, { seed: 123_456 + seed });
const curve: { iteration: number; environmentSteps: number; seconds: number; returnPerTrial: number }[] = [];
let environmentSteps = 0;
const started = performance.now();
const evaluateCurve = (iteration: number) => {
  const batch = learner.playTrials(testTasks, { seed: 7 });
  curve.push({
    iteration,
    environmentSteps,
    seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
    returnPerTrial: Number(trialReturns(batch, episodes).perTrial.toFixed(3)),
  });
};
if (evaluateEvery > 0) evaluateCurve(0);
const maxSeconds = flags['max-seconds'];
const result = await trainMetaLearner(learner, distribution, {
  iterations,
  metaBatchSize: trialsPerIteration,
  seed,
  progress: 'lines',
  ...(maxSeconds > 0 ? { signal: AbortSignal.timeout(maxSeconds * 1000) } : {}),
  onIteration: (record) => {
    environmentSteps += record['metaTrain/environmentSteps']!;
    const iteration = record.iteration!;
    if (iteration % 10 === 0) {
      const keys = ['ppo/entropy', 'ppo/clipFraction', 'ppo/valueLoss', 'time/sampling', 'time/update'];
      console.error(`  ${keys.map((k) => `${k} ${record[k]?.toFixed(3)}`).join('  ')}`);
    }
    if (evaluateEvery > 0 && (iteration % evaluateEvery === 0 || iteration === iterations))
      evaluateCurve(iteration);
  },
});
const completed = result.iterations;
if (evaluateEvery > 0 && curve[curve.length - 1]?.iteration !== completed) evaluateCurve(completed);
const kernelTimes = flags['kernel-times'] ? takeKernelTimes() : undefined;
if (kernelTimes) console.error(`kernel times (training):\n${formatKernelTimes(kernelTimes)}`);
const updateSeconds = result.records.map((record) => record['time/update']!).sort((a, b) => a - b);
const medianUpdateSeconds = updateSeconds[Math.floor(updateSeconds.length / 2)] ?? Number.NaN;
const trainingSeconds = (performance.now() - started) / 1000;

// Actions sampled from the policy, as trained (and the mode, for comparison).
const format = (s: { mean: number; halfWidth95: number }) => ({
  mean: Number(s.mean.toFixed(3)),
  halfWidth95: Number(s.halfWidth95.toFixed(3)),
});
const evaluationStarted = performance.now();
const sampled = trialReturns(learner.playTrials(testTasks, { seed: 7 }), episodes);
const greedyActions = trialReturns(learner.playTrials(testTasks, { seed: 7, deterministic: true }), episodes);
const evaluationSeconds = (performance.now() - evaluationStarted) / 1000;
const references: Record<string, unknown> = {};
if (bandit) {
  const agents = banditReferenceAgents();
  for (const [name, agent] of Object.entries(agents))
    references[name] = format(
      summarise(playBanditTrials(agent, testTasks as never, { pulls: episodes, seed: 7 })),
    );
} else {
  const agents = {
    random: createRandomMdpAgent(),
    greedy: createGreedyMdpAgent(),
    psrl: createPsrlMdpAgent(),
  };
  for (const [name, agent] of Object.entries(agents))
    references[name] = format(summarise(playMdpTrials(agent, testTasks as never, { episodes, seed: 7 })));
}
const rl2 = format(summarise(sampled.totals));
console.error(
  `RL² ${task} n=${episodes}${bandit ? ` k=${arms}` : ''}: ${rl2.mean} ± ${rl2.halfWidth95} on ${testTrials} new trials (${Object.entries(
    references,
  )
    .map(([name, s]) => `${name} ${(s as { mean: number }).mean}`)
    .join(', ')}); ${trainingSeconds.toFixed(0)} s, ${environmentSteps} env steps`,
);

if (plot !== '' && curve.length > 1) {
  const paper = bandit ? banditPaper[`${episodes},${arms}`] : mdpPaper[String(episodes)];
  const lines = [...curve.map((c) => ({ seconds: c.seconds, value: c.returnPerTrial, series: 'RL²' }))];
  for (const [name, s] of Object.entries(references)) {
    for (const c of [curve[0]!, curve[curve.length - 1]!])
      lines.push({ seconds: c.seconds, value: (s as { mean: number }).mean, series: name });
  }
  if (paper?.rl2 !== undefined) {
    for (const c of [curve[0]!, curve[curve.length - 1]!])
      lines.push({ seconds: c.seconds, value: paper.rl2, series: 'RL² (paper)' });
  }
  const png = await renderChart({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: 560,
    height: 300,
    background: 'white',
    title: `RL² on ${distribution.id}${bandit ? ` k=${arms}` : ''}, n=${episodes}: total reward per trial`,
    data: { values: lines },
    mark: { type: 'line', point: false },
    encoding: {
      x: { field: 'seconds', type: 'quantitative', title: 'training seconds' },
      y: {
        field: 'value',
        type: 'quantitative',
        title: 'mean total reward per trial',
        scale: { zero: false },
      },
      color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom', labelLimit: 300 } },
    },
  });
  writeFileSync(resolve(process.env.INIT_CWD ?? process.cwd(), plot), png);
  console.error(`wrote ${plot}`);
}

const last = result.records[result.records.length - 1];
report({
  name: 'rl2',
  config: {
    task: distribution.id,
    ...(bandit ? { arms } : { states: 10, actions: 5, episodeLength: 10 }),
    iterations,
    ...(maxSeconds > 0 ? { maxSeconds } : {}),
    trialsPerIteration,
    ...learner.config,
    testTrials,
    evaluation: 'actions sampled from the policy (as trained); greedyActions: the mode',
  },
  backend,
  threads: backendInfo.threads,
  native: backendInfo.native ?? null,
  machine: describeMachine(),
  iterationsCompleted: completed,
  medianUpdateSeconds: Number(medianUpdateSeconds.toFixed(3)),
  trainingSeconds: Number(trainingSeconds.toFixed(1)),
  environmentSteps,
  environmentStepsPerSecond: Math.round(environmentSteps / trainingSeconds),
  secondsPerIteration: Number((trainingSeconds / Math.max(1, completed)).toFixed(2)),
  lastIteration: last,
  test: { rl2, greedyActions: format(summarise(greedyActions.totals)), ...references },
  evaluationSeconds: Number(evaluationSeconds.toFixed(1)),
  paper: bandit ? banditPaper[`${episodes},${arms}`] : mdpPaper[String(episodes)],
  curve,
  ...(kernelTimes ? { kernelTimes } : {}),
});
learner.dispose();
