/**
 * The benchmark of trial learners (RL², SNAIL; docs/benchmarks.md section 4): train with PPO on
 * trials of n episodes of bandits or tabular MDPs, then evaluate on `--test-trials` (default 1000)
 * new tasks: mean total reward per trial with a 95% confidence interval, beside the reference
 * agents played on the same test tasks and the papers' numbers (the learner plays the test trials in
 * groups of `--evaluation-batch`). `--evaluate-every k` also
 * evaluates on the test tasks every k iterations (the learning curve); `--plot <file.png>` draws
 * it beside the references. `--compare-rl2` (SNAIL) trains RL² afterwards on the same budget,
 * training tasks and test tasks, and draws both curves. The learner-specific flags (architecture,
 * learning rate) come from `rl2.ts` and `snail.ts`.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type TrialLearner, trainMetaLearner, trialReturns, useBackend } from '@metarl/core';
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
  type FlagSpec,
  type FlagValues,
  formatKernelTimes,
  readFlags,
  report,
  takeKernelTimes,
  timeKernels,
  wasmFlags,
} from './shared';
import { banditPaper, banditReferenceAgents, mdpPaper } from './shared-paper-tables';

/** The flags every trial benchmark takes. */
export function trialBenchmarkFlags(defaults: { readonly learningRate: number }) {
  return {
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
    'test-trials': { type: 'integer', default: 1000, minimum: 1, description: 'trials on new test tasks' },
    'evaluation-batch': {
      type: 'integer',
      default: null,
      minimum: 1,
      description:
        'test trials played together (default: all of them for bandits, the trials per update for tabular-mdp, whose memories at 1,000 trials outgrow the wasm heap)',
    },
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
    'learning-rate': {
      type: 'number',
      default: defaults.learningRate,
      minimum: 0,
      description: 'Adam learning rate',
    },
    epochs: { type: 'integer', default: 4, minimum: 1, description: 'PPO epochs per update' },
    minibatches: { type: 'integer', default: 4, minimum: 1, description: 'PPO minibatches per epoch' },
    entropy: { type: 'number', default: 0.01, minimum: 0, description: 'entropy bonus coefficient' },
    'value-coefficient': { type: 'number', default: 0.5, minimum: 0, description: 'value loss weight' },
    gamma: { type: 'number', default: 0.99, minimum: 0, description: 'discount' },
    lambda: { type: 'number', default: 0.3, minimum: 0, description: 'GAE lambda' },
  } as const satisfies Record<string, FlagSpec>;
}

type CommonFlags = FlagValues<ReturnType<typeof trialBenchmarkFlags>>;

/** The training options every learner of the benchmark gets from the common flags. */
export interface TrialTrainingOptions {
  readonly episodesPerTrial: number;
  readonly seed: number;
  readonly gamma: number;
  readonly lambda: number;
  readonly ppo: {
    readonly learningRate: number;
    readonly epochs: number;
    readonly minibatches: number;
    readonly entropyCoefficient: number;
    readonly valueCoefficient: number;
  };
}

/** What a trial benchmark (rl2.ts, snail.ts) supplies. */
export interface TrialBenchmark<Extra extends Record<string, FlagSpec>> {
  /** The benchmark's name (`pnpm bench <name>`) and the result's `name`. */
  readonly name: string;
  /** The learner's name in messages and plots, e.g. 'SNAIL'. */
  readonly label: string;
  /** The key of the learner's figures in the papers' tables ('rl2', 'snail'). */
  readonly paperKey: string;
  /** Adam's default step size for this learner. */
  readonly learningRate: number;
  /** The learner's own flags (architecture). */
  readonly flags: Extra;
  /** Makes the learner. */
  create(
    distribution: TaskDistribution<unknown>,
    training: TrialTrainingOptions,
    flags: FlagValues<Extra>,
  ): TrialLearner<unknown, object>;
  /** Whether `--compare-rl2` is offered (RL² trained next on the same budget and tasks). */
  readonly offersRl2Comparison?: boolean;
}

/** One learner's training and evaluation on the benchmark's tasks. */
interface LearnerRun {
  readonly label: string;
  readonly config: object;
  readonly iterationsCompleted: number;
  readonly medianUpdateSeconds: number;
  readonly medianIterationSeconds: number;
  readonly trainingSeconds: number;
  readonly environmentSteps: number;
  readonly environmentStepsPerSecond: number;
  readonly secondsPerIteration: number;
  readonly lastIteration: Record<string, number> | undefined;
  readonly test: { readonly mean: number; readonly halfWidth95: number };
  readonly greedyActions: { readonly mean: number; readonly halfWidth95: number };
  readonly best: { readonly iteration: number; readonly returnPerTrial: number } | undefined;
  readonly evaluationSeconds: number;
  readonly curve: readonly CurvePoint[];
}

interface CurvePoint {
  readonly iteration: number;
  readonly environmentSteps: number;
  readonly seconds: number;
  readonly returnPerTrial: number;
}

const format = (s: { mean: number; halfWidth95: number }) => ({
  mean: Number(s.mean.toFixed(3)),
  halfWidth95: Number(s.halfWidth95.toFixed(3)),
});

/** Runs a trial benchmark (see the module comment) and prints its JSON. */
export async function runTrialBenchmark<Extra extends Record<string, FlagSpec>>(
  benchmark: TrialBenchmark<Extra>,
): Promise<void> {
  const spec = {
    ...trialBenchmarkFlags({ learningRate: benchmark.learningRate }),
    ...benchmark.flags,
    ...(benchmark.offersRl2Comparison
      ? {
          'compare-rl2': {
            type: 'boolean',
            default: false,
            description: 'also train RL² (GRU 128, Adam 1e-2) on the same budget, training and test tasks',
          },
        }
      : {}),
  } as ReturnType<typeof trialBenchmarkFlags> & Extra & Record<string, FlagSpec>;
  const flags = readFlags(benchmark.name, spec) as CommonFlags & FlagValues<Extra> & Record<string, unknown>;
  const task = flags.task;
  const bandit = task === 'bandit';
  const { arms, episodes, seed, backend, threads, plot } = flags;
  const iterations = flags.iterations ?? (bandit ? 100 : 250);
  const trialsPerIteration = flags.trials ?? (bandit ? 500 : 250);
  const testTrials = flags['test-trials'];
  const evaluationBatch = flags['evaluation-batch'] ?? (bandit ? testTrials : trialsPerIteration);
  const evaluateEvery = flags['evaluate-every'];
  const maxSeconds = flags['max-seconds'];
  const backendInfo = await useBackend(
    backend,
    backend === 'wasm' ? { threads, native: flags.native as 'auto' | 'on' | 'off' } : { threads },
  );
  if (flags['kernel-times']) timeKernels(backendInfo.tfjsName);

  const distribution = (
    bandit ? banditDistribution({ arms }) : tabularMdpDistribution()
  ) as TaskDistribution<unknown>;
  const training = (learningRate: number): TrialTrainingOptions => ({
    episodesPerTrial: episodes,
    seed,
    gamma: flags.gamma,
    lambda: flags.lambda,
    ppo: {
      learningRate,
      epochs: flags.epochs,
      minibatches: flags.minibatches,
      entropyCoefficient: flags.entropy,
      valueCoefficient: flags['value-coefficient'],
    },
  });
  // The test: new tasks (a seed the training never draws from). The learning curve is measured on
  // them too (nothing is selected on it: the reported figure is the last iteration's; the best is
  // reported beside it, labelled as such).
  const testTasks = distribution.sampleTasks(testTrials, { seed: 123_456 + seed });

  const runLearner = async (label: string, learner: TrialLearner<unknown, object>): Promise<LearnerRun> => {
    const curve: CurvePoint[] = [];
    let environmentSteps = 0;
    const started = performance.now();
    // The test trials in groups of `evaluationBatch` (group g plays with seed 7 + g), each trial's
    // total reward in task order.
    const playTest = (deterministic: boolean): Float64Array => {
      const totals = new Float64Array(testTasks.length);
      for (let start = 0, group = 0; start < testTasks.length; start += evaluationBatch, group += 1) {
        const tasks = testTasks.slice(start, start + evaluationBatch);
        const played = learner.playTrials(tasks, {
          seed: 7 + group,
          ...(deterministic ? { deterministic } : {}),
        });
        totals.set(trialReturns(played, episodes).totals, start);
      }
      return totals;
    };
    const evaluateCurve = (iteration: number) => {
      const totals = playTest(false);
      curve.push({
        iteration,
        environmentSteps,
        seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
        returnPerTrial: Number(summarise(totals).mean.toFixed(3)),
      });
    };
    if (evaluateEvery > 0) evaluateCurve(0);
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
          console.error(`  ${label}: ${keys.map((k) => `${k} ${record[k]?.toFixed(3)}`).join('  ')}`);
        }
        if (evaluateEvery > 0 && (iteration % evaluateEvery === 0 || iteration === iterations))
          evaluateCurve(iteration);
      },
    });
    const completed = result.iterations;
    if (evaluateEvery > 0 && curve[curve.length - 1]?.iteration !== completed) evaluateCurve(completed);
    const median = (key: string) => {
      const values = result.records.map((record) => record[key]!).sort((a, b) => a - b);
      return Number((values[Math.floor(values.length / 2)] ?? Number.NaN).toFixed(3));
    };
    const trainingSeconds = (performance.now() - started) / 1000;
    const evaluationStarted = performance.now();
    const sampled = playTest(false);
    const greedyActions = playTest(true);
    const evaluationSeconds = (performance.now() - evaluationStarted) / 1000;
    const best = curve.reduce<CurvePoint | undefined>(
      (top, point) => (top === undefined || point.returnPerTrial > top.returnPerTrial ? point : top),
      undefined,
    );
    const run: LearnerRun = {
      label,
      config: learner.config,
      iterationsCompleted: completed,
      medianUpdateSeconds: median('time/update'),
      medianIterationSeconds: median('time/iteration'),
      trainingSeconds: Number(trainingSeconds.toFixed(1)),
      environmentSteps,
      environmentStepsPerSecond: Math.round(environmentSteps / trainingSeconds),
      secondsPerIteration: Number((trainingSeconds / Math.max(1, completed)).toFixed(2)),
      lastIteration: result.records[result.records.length - 1] as Record<string, number> | undefined,
      test: format(summarise(sampled)),
      greedyActions: format(summarise(greedyActions)),
      best:
        best === undefined ? undefined : { iteration: best.iteration, returnPerTrial: best.returnPerTrial },
      evaluationSeconds: Number(evaluationSeconds.toFixed(1)),
      curve,
    };
    console.error(
      `${label} ${task} n=${episodes}${bandit ? ` k=${arms}` : ''}: ${run.test.mean} ± ${run.test.halfWidth95} on ${testTrials} new trials; ${trainingSeconds.toFixed(0)} s, ${environmentSteps} env steps`,
    );
    learner.dispose();
    return run;
  };

  const main = await runLearner(
    benchmark.label,
    benchmark.create(distribution, training(flags['learning-rate']), flags),
  );
  const kernelTimes = flags['kernel-times'] ? takeKernelTimes() : undefined;
  if (kernelTimes) console.error(`kernel times (training):\n${formatKernelTimes(kernelTimes)}`);
  const runs = [main];
  if (flags['compare-rl2'] === true)
    runs.push(await runLearner('RL²', createRl2({ distribution, hiddenSize: 128, ...training(1e-2) })));

  const references: Record<string, { mean: number; halfWidth95: number }> = {};
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
  console.error(
    `references on the same test tasks: ${Object.entries(references)
      .map(([name, s]) => `${name} ${s.mean}`)
      .join(', ')}`,
  );
  const paper = bandit ? banditPaper[`${episodes},${arms}`] : mdpPaper[String(episodes)];

  if (plot !== '' && runs.some((run) => run.curve.length > 1)) {
    const span = Math.max(...runs.map((run) => run.curve[run.curve.length - 1]?.seconds ?? 0));
    const lines: { seconds: number; value: number; series: string }[] = [];
    for (const run of runs)
      for (const c of run.curve)
        lines.push({ seconds: c.seconds, value: c.returnPerTrial, series: run.label });
    for (const [name, s] of Object.entries(references))
      for (const seconds of [0, span]) lines.push({ seconds, value: s.mean, series: name });
    for (const run of runs) {
      const key = run.label === 'RL²' ? 'rl2' : benchmark.paperKey;
      const value = paper?.[key];
      if (value !== undefined)
        for (const seconds of [0, span]) lines.push({ seconds, value, series: `${run.label} (paper)` });
    }
    const png = await renderChart({
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      width: 560,
      height: 300,
      background: 'white',
      title: `${runs.map((run) => run.label).join(' and ')} on ${distribution.id}${bandit ? ` k=${arms}` : ''}, n=${episodes}: total reward per trial on ${testTrials} new tasks`,
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
        color: {
          field: 'series',
          type: 'nominal',
          title: null,
          legend: { orient: 'bottom', labelLimit: 300 },
        },
      },
    });
    writeFileSync(resolve(process.env.INIT_CWD ?? process.cwd(), plot), png);
    console.error(`wrote ${plot}`);
  }

  const describe = (run: LearnerRun) => {
    const { label: _label, test: _test, config: _config, ...rest } = run;
    return rest;
  };
  report({
    name: benchmark.name,
    config: {
      task: distribution.id,
      ...(bandit ? { arms } : { states: 10, actions: 5, episodeLength: 10 }),
      iterations,
      ...(maxSeconds > 0 ? { maxSeconds } : {}),
      trialsPerIteration,
      ...main.config,
      testTrials,
      evaluationBatch,
      evaluation: 'actions sampled from the policy (as trained); greedyActions: the mode',
    },
    backend,
    threads: backendInfo.threads,
    native: backendInfo.native ?? null,
    machine: describeMachine(),
    ...describe(main),
    test: {
      [benchmark.paperKey]: main.test,
      greedyActions: main.greedyActions,
      ...references,
      ...Object.fromEntries(runs.slice(1).map((run) => ['rl2', run.test])),
    },
    ...(runs.length > 1 ? { rl2: describe(runs[1]!) } : {}),
    paper,
    ...(kernelTimes ? { kernelTimes } : {}),
  });
}
