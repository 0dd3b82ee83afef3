/**
 * Memory-augmented meta-learners, each beside its plain recurrent baseline, trained with the same
 * budget, and a report folder:
 *
 *   snail-vs-rl2.png                SNAIL (Mishra et al. 2018) and RL² (a GRU) meta-trained with
 *                                   PPO on Bernoulli bandits, the same number of updates on the same
 *                                   training tasks: mean total reward per trial on new test tasks
 *                                   after every --evaluate-every updates, with UCB1 and Thompson
 *                                   sampling played on the same test tasks
 *   mann-accuracy-by-instance.png   MANN (Santoro et al. 2016: an LSTM with an LRUA memory) and the
 *                                   plain LSTM, the same number of Adam steps on the same one-shot
 *                                   episodes: accuracy at the 1st, 2nd, ... k-th sight of a class on
 *                                   new episodes, beside chance (1 / classes)
 *   mann-learning-curve.png         the mean accuracy from the 2nd sight of a class on, by training step
 *   summary.json                    the settings, the figures and the seconds of every part
 *
 * The one-shot episodes are synthetic (a stand-in for Omniglot with nothing on disk): every class
 * a random prototype drawn from N(0, I/dimension), every instance the prototype plus sigma
 * N(0, I/dimension), labels shuffled anew every episode. The learners keep no checkpoint: there is no --resume.
 * Run with --help for the options.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  addReportOptions,
  Command,
  InvalidArgumentError,
  Option,
  openReportFolder,
  parseIntegerAtLeast,
  type ReportOptions,
  runCommandLine,
} from '@metarl/app-support';
import {
  countParams,
  createRng,
  disposeParams,
  type TrialLearner,
  trainMetaLearner,
  trialReturns,
  useBackend,
} from '@metarl/core';
import {
  type BanditTask,
  banditDistribution,
  createThompsonBanditAgent,
  createUcb1BanditAgent,
  playBanditTrials,
  summarise,
} from '@metarl/envs';
import {
  createMannNetwork,
  createOneShotLearner,
  createSnail,
  type MannMemoryMode,
  sampleSyntheticEpisodes,
} from '@metarl/memory-augmented';
import { type ChartSpec, renderChart } from '@metarl/plot';
import { createRl2 } from '@metarl/rl2';

/** The files of a report: what --overwrite removes and what makes a second run refuse. */
const REPORT_FILES = [
  'summary.json',
  'snail-vs-rl2.png',
  'mann-accuracy-by-instance.png',
  'mann-learning-curve.png',
];
/** The parts of the demo `--section` chooses from. */
const SECTIONS = ['snail', 'mann', 'both'] as const;
type Section = (typeof SECTIONS)[number];

/** The parsed command line. */
interface Options extends ReportOptions {
  /** Which part runs. */
  readonly section: Section;
  /** Bandit arms k. */
  readonly arms: number;
  /** Pulls per trial n. */
  readonly pulls: number;
  /** PPO updates of each learner. */
  readonly updates: number;
  /** Trials per PPO update. */
  readonly trials: number;
  /** PPO updates between two evaluations on the test tasks. */
  readonly evaluateEvery: number;
  /** New bandit tasks of the evaluations. */
  readonly testTasks: number;
  /** SNAIL's feature size F. */
  readonly features: number;
  /** RL²'s GRU hidden size. */
  readonly hidden: number;
  /** Classes per one-shot episode C. */
  readonly classes: number;
  /** Instances per class K. */
  readonly instances: number;
  /** Features per instance. */
  readonly dimension: number;
  /** Instance noise around the class prototype. */
  readonly sigma: number;
  /** LSTM controller units (MANN and the baseline). */
  readonly controller: number;
  /** MANN memory slots N. */
  readonly memorySlots: number;
  /** MANN memory width M. */
  readonly memoryWidth: number;
  /** MANN read (and write) heads. */
  readonly heads: number;
  /** What a MANN head writes: its key or a separate add vector. */
  readonly writeVector: 'key' | 'add';
  /** Episodes per Adam step. */
  readonly batch: number;
  /** Adam's learning rate. */
  readonly learningRate: number;
  /** Adam steps of each model. */
  readonly steps: number;
  /** Adam steps between two points of the MANN learning curve. */
  readonly curveEvery: number;
  /** New episodes of the one-shot evaluations. */
  readonly testEpisodes: number;
}

/**
 * An option parser for commander: the option's text as a finite number above `minimum` (or at
 * least it, when `inclusive`), or commander's one-line "argument '...' is invalid" error.
 */
function parseNumberAbove(minimum: number, inclusive = false): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value) || value < minimum || (!inclusive && value === minimum))
      throw new InvalidArgumentError(`Expected a number ${inclusive ? '>=' : '>'} ${minimum}.`);
    return value;
  };
}

const program = new Command('memory-augmented')
  .description(
    'Train SNAIL beside RL² on Bernoulli bandits (same PPO updates, same tasks; UCB1 and Thompson ' +
      'sampling as references) and MANN beside an LSTM on synthetic one-shot classification ' +
      'episodes (same Adam steps, same episodes), and write a report folder (snail-vs-rl2.png, ' +
      'mann-accuracy-by-instance.png, mann-learning-curve.png, summary.json).',
  )
  .addOption(
    new Option('--section <name>', 'which part runs: snail (SNAIL vs RL²), mann (MANN vs LSTM) or both')
      .choices(SECTIONS)
      .default('both'),
  )
  .optionsGroup('SNAIL vs RL² on bandits:')
  .option('--arms <k>', 'arms per bandit (integer >= 2)', parseIntegerAtLeast(2), 5)
  .option('--pulls <n>', 'pulls per trial (integer >= 1)', parseIntegerAtLeast(1), 10)
  .option('--updates <n>', 'PPO updates of each learner (integer >= 1)', parseIntegerAtLeast(1), 25)
  .option('--trials <n>', 'trials per PPO update (integer >= 1)', parseIntegerAtLeast(1), 500)
  .option(
    '--evaluate-every <n>',
    'PPO updates between two evaluations on the test tasks (integer >= 1)',
    parseIntegerAtLeast(1),
    5,
  )
  .option(
    '--test-tasks <n>',
    'new bandit tasks of every evaluation (integer >= 1)',
    parseIntegerAtLeast(1),
    1000,
  )
  .option('--features <F>', 'SNAIL feature size F (integer >= 1)', parseIntegerAtLeast(1), 32)
  .option('--hidden <size>', 'RL² GRU hidden size (integer >= 1)', parseIntegerAtLeast(1), 128)
  .optionsGroup('MANN vs LSTM on one-shot episodes:')
  .option('--classes <C>', 'classes per episode (integer >= 2)', parseIntegerAtLeast(2), 5)
  .option(
    '--instances <K>',
    'instances per class; an episode has C x K steps (integer >= 2)',
    parseIntegerAtLeast(2),
    10,
  )
  .option('--dimension <d>', 'features per instance (integer >= 1)', parseIntegerAtLeast(1), 400)
  .option(
    '--sigma <s>',
    'instance noise: instance = prototype + s N(0, I/d), prototype ~ N(0, I/d) (number >= 0)',
    parseNumberAbove(0, true),
    1,
  )
  .option(
    '--controller <units>',
    'LSTM controller units, both models (integer >= 1)',
    parseIntegerAtLeast(1),
    200,
  )
  .option('--memory-slots <N>', 'MANN memory slots (integer >= 1)', parseIntegerAtLeast(1), 128)
  .option(
    '--memory-width <M>',
    'MANN memory width, floats per slot (integer >= 1)',
    parseIntegerAtLeast(1),
    40,
  )
  .option('--heads <h>', 'MANN read and write heads (integer >= 1)', parseIntegerAtLeast(1), 4)
  .addOption(
    new Option(
      '--write-vector <kind>',
      "what a MANN head writes: its key (the paper's equation) or a separate add vector (the reference code's curves)",
    )
      .choices(['key', 'add'])
      .default('add'),
  )
  .option('--batch <episodes>', 'episodes per Adam step (integer >= 1)', parseIntegerAtLeast(1), 4)
  .option('--learning-rate <lr>', "Adam's learning rate (number > 0)", parseNumberAbove(0), 0.003)
  .option('--steps <n>', 'Adam steps of each model (integer >= 1)', parseIntegerAtLeast(1), 1500)
  .option(
    '--curve-every <n>',
    'Adam steps between two points of the learning curve (integer >= 1)',
    parseIntegerAtLeast(1),
    250,
  )
  .option(
    '--test-episodes <n>',
    'new episodes of every one-shot evaluation (integer >= 1)',
    parseIntegerAtLeast(1),
    500,
  )
  .optionsGroup('Report:');
addReportOptions(program, {
  defaultOutput: 'memory-augmented-report',
  resumable: false,
  examples: [
    'npx -y pnpm@10.34.9 memory-augmented -- --section mann --steps 4000 --output mann-report',
    'npx -y pnpm@10.34.9 memory-augmented -- --section mann --batch 16 --steps 3000 --output mann-batch-16',
    'npx -y pnpm@10.34.9 memory-augmented -- --section mann --classes 3 --instances 5 --dimension 20 --sigma 0.5 \\',
    '    --controller 32 --memory-slots 16 --memory-width 8 --heads 2 --write-vector key --learning-rate 0.01 --batch 16',
    'npx -y pnpm@10.34.9 memory-augmented -- --section snail --updates 60 --output snail-report --overwrite',
  ],
});

/** Mean and 95% half-width, rounded for the summary. */
const rounded = (s: { readonly mean: number; readonly halfWidth95: number }) => ({
  mean: Number(s.mean.toFixed(3)),
  halfWidth95: Number(s.halfWidth95.toFixed(3)),
});

/**
 * A line chart of `values` ({ x, y, series, reference }): learners as solid lines with points,
 * references as dashed lines; `xValues` fixes the x ticks (default: integers chosen by the axis).
 */
function lineChart(settings: {
  readonly title: string;
  readonly subtitle: string;
  readonly xTitle: string;
  readonly yTitle: string;
  readonly values: readonly { x: number; y: number; series: string; reference: boolean }[];
  readonly yDomain?: readonly [number, number];
  readonly yFormat?: string;
  readonly xValues?: readonly number[];
}): ChartSpec {
  const series = [...new Set(settings.values.map((value) => value.series))];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    background: 'white',
    width: 640,
    height: 300,
    title: { text: settings.title, subtitle: settings.subtitle },
    data: { values: settings.values },
    encoding: {
      x: {
        field: 'x',
        type: 'quantitative',
        title: settings.xTitle,
        axis: {
          format: 'd',
          ...(settings.xValues === undefined ? { tickMinStep: 1 } : { values: [...settings.xValues] }),
        },
      },
      y: {
        field: 'y',
        type: 'quantitative',
        title: settings.yTitle,
        scale: settings.yDomain === undefined ? { zero: false } : { domain: [...settings.yDomain] },
        ...(settings.yFormat === undefined ? {} : { axis: { format: settings.yFormat } }),
      },
      color: {
        field: 'series',
        type: 'nominal',
        title: null,
        sort: series,
        legend: { orient: 'bottom', direction: 'vertical', labelFontSize: 12, labelLimit: 600 },
      },
    },
    layer: [
      {
        mark: { type: 'line', strokeWidth: 2 },
        encoding: {
          strokeDash: {
            field: 'reference',
            type: 'nominal',
            legend: null,
            scale: {
              domain: [false, true],
              range: [
                [1, 0],
                [6, 4],
              ],
            },
          },
        },
      },
      { transform: [{ filter: '!datum.reference' }], mark: { type: 'point', filled: true, size: 40 } },
    ],
  } as ChartSpec;
}

/** SNAIL and RL² on bandits: train each for the same PPO updates, evaluate along the way. */
async function runSnailSection(options: Options, output: string) {
  const { arms, pulls, updates, trials, evaluateEvery, seed } = options;
  const distribution = banditDistribution({ arms });
  // New tasks, from a seed the training never draws from; the same for every learner and reference.
  const testTasks: readonly BanditTask[] = distribution.sampleTasks(options.testTasks, {
    seed: 10_000 + seed,
  });
  const references = {
    UCB1: summarise(playBanditTrials(createUcb1BanditAgent(), testTasks, { pulls, seed: 7 })),
    'Thompson sampling': summarise(
      playBanditTrials(createThompsonBanditAgent(), testTasks, { pulls, seed: 7 }),
    ),
  };
  const learners: { label: string; create: () => TrialLearner<BanditTask, object> }[] = [
    {
      label: 'SNAIL',
      create: () =>
        createSnail({ distribution, episodesPerTrial: pulls, featureSize: options.features, seed }),
    },
    {
      label: 'RL²',
      create: () => createRl2({ distribution, episodesPerTrial: pulls, hiddenSize: options.hidden, seed }),
    },
  ];
  const results = [];
  for (const { label, create } of learners) {
    const learner = create();
    const initial = learner.policy.init(createRng(0));
    const parameterCount = countParams(initial);
    disposeParams(initial);
    const curve: { update: number; trainingSeconds: number; meanReturnPerTrial: number }[] = [];
    let trainingSeconds = 0;
    let evaluationSeconds = 0;
    const evaluate = (update: number) => {
      const started = performance.now();
      const returns = trialReturns(learner.playTrials(testTasks, { seed: 3 }), pulls);
      evaluationSeconds += (performance.now() - started) / 1000;
      curve.push({
        update,
        trainingSeconds: Number(trainingSeconds.toFixed(1)),
        meanReturnPerTrial: Number(returns.perTrial.toFixed(3)),
      });
      console.log(
        `  ${label} after ${update} PPO updates (${trainingSeconds.toFixed(0)} s of training): ${returns.perTrial.toFixed(2)} per trial on ${testTasks.length} new tasks`,
      );
      return returns;
    };
    let last = evaluate(0);
    const updateSeconds: number[] = [];
    await trainMetaLearner(learner, distribution, {
      iterations: updates,
      metaBatchSize: trials,
      seed,
      progress: 'none',
      onIteration: (record) => {
        const seconds = record['time/iterationSeconds']!;
        updateSeconds.push(seconds);
        trainingSeconds += seconds;
        const update = record.iteration!;
        if (update % evaluateEvery === 0 || update === updates) last = evaluate(update);
      },
    });
    const sorted = [...updateSeconds].sort((a, b) => a - b);
    results.push({
      label,
      parameterCount,
      trainingSeconds: Number(trainingSeconds.toFixed(1)),
      medianSecondsPerUpdate: Number(sorted[Math.floor(sorted.length / 2)]!.toFixed(2)),
      evaluationSeconds: Number(evaluationSeconds.toFixed(1)),
      test: rounded(summarise(last.totals)),
      curve,
    });
    learner.dispose();
  }

  const values = results.flatMap((run) =>
    run.curve.map((point) => ({
      x: point.update,
      y: point.meanReturnPerTrial,
      series: `${run.label} (${run.parameterCount.toLocaleString('en')} parameters, ${run.medianSecondsPerUpdate} s per update)`,
      reference: false,
    })),
  );
  for (const [name, s] of Object.entries(references))
    for (const x of [0, updates])
      values.push({ x, y: s.mean, series: `${name} (${s.mean.toFixed(2)})`, reference: true });
  writeFileSync(
    join(output, 'snail-vs-rl2.png'),
    await renderChart(
      lineChart({
        title: `SNAIL and RL² on ${arms}-armed Bernoulli bandits, trials of ${pulls} pulls`,
        subtitle: `mean total reward per trial on ${testTasks.length} new tasks; both trained with PPO on the same ${trials} trials per update`,
        xTitle: 'PPO update',
        yTitle: 'mean total reward per trial',
        values,
      }),
    ),
  );
  return {
    task: `${distribution.id} k=${arms}, trials of ${pulls} pulls`,
    settings: {
      arms,
      pulls,
      updates,
      trialsPerUpdate: trials,
      evaluateEvery,
      testTasks: testTasks.length,
      snailFeatureSize: options.features,
      rl2HiddenSize: options.hidden,
    },
    evaluation:
      'actions sampled from the policy, as trained; test tasks drawn from a seed training never uses',
    meanTotalRewardPerTrial: {
      ...Object.fromEntries(results.map((run) => [run.label, run.test])),
      ...Object.fromEntries(Object.entries(references).map(([name, s]) => [name, rounded(s)])),
    },
    learners: Object.fromEntries(results.map(({ label, test: _test, ...run }) => [label, run])),
  };
}

/** Mean accuracy from the 2nd sight of a class to the last: what recognising a class is worth. */
const meanFromSecondSight = (accuracy: Float64Array) =>
  accuracy.slice(1).reduce((sum, value) => sum + value, 0) / (accuracy.length - 1);

/** MANN and the LSTM on one-shot episodes: the same Adam steps on the same episodes. */
async function runMannSection(options: Options, output: string) {
  const { classes, instances, dimension, sigma, batch, steps, curveEvery, seed } = options;
  const episode = { classes, instancesPerClass: instances, dimension, sigma };
  const testBatch = sampleSyntheticEpisodes(options.testEpisodes, createRng(10_000 + seed), episode);
  const models: { label: string; memory: MannMemoryMode }[] = [
    { label: 'MANN', memory: 'on' },
    { label: 'LSTM', memory: 'none' },
  ];
  const results = [];
  for (const { label, memory } of models) {
    const model = createMannNetwork({
      inputSize: dimension + classes,
      outputSize: classes,
      controllerSize: options.controller,
      memorySlots: options.memorySlots,
      memoryWidth: options.memoryWidth,
      heads: options.heads,
      writeVector: options.writeVector,
      memory,
    });
    const learner = createOneShotLearner({ model, learningRate: options.learningRate, seed });
    // The same training episodes for both models.
    const episodeRng = createRng(seed);
    const curve: {
      step: number;
      trainingSeconds: number;
      secondInstanceAccuracy: number;
      laterSightsAccuracy: number;
      meanLoss: number;
    }[] = [];
    let trainingSeconds = 0;
    let lossSum = 0;
    let lossCount = 0;
    const evaluate = (step: number) => {
      const accuracy = learner.evaluate(testBatch);
      curve.push({
        step,
        trainingSeconds: Number(trainingSeconds.toFixed(1)),
        secondInstanceAccuracy: Number(accuracy[1]!.toFixed(3)),
        laterSightsAccuracy: Number(meanFromSecondSight(accuracy).toFixed(3)),
        meanLoss: Number((lossCount === 0 ? Number.NaN : lossSum / lossCount).toFixed(3)),
      });
      lossSum = 0;
      lossCount = 0;
      return accuracy;
    };
    let accuracy = evaluate(0);
    for (let step = 1; step <= steps; step += 1) {
      const episodes = sampleSyntheticEpisodes(batch, episodeRng, episode);
      const started = performance.now();
      lossSum += learner.trainStep(episodes);
      trainingSeconds += (performance.now() - started) / 1000;
      lossCount += 1;
      if (step % curveEvery === 0 || step === steps) {
        accuracy = evaluate(step);
        console.log(
          `  ${label} after ${step} Adam steps (${trainingSeconds.toFixed(0)} s): loss ${curve.at(-1)!.meanLoss.toFixed(3)}, accuracy at the 2nd instance ${accuracy[1]!.toFixed(2)}, from the 2nd on ${meanFromSecondSight(accuracy).toFixed(2)}`,
        );
      }
    }
    results.push({
      label,
      parameterCount: model.parameterCount,
      trainingSeconds: Number(trainingSeconds.toFixed(1)),
      secondsPerStep: Number((trainingSeconds / steps).toFixed(4)),
      accuracyByInstance: Array.from(accuracy, (value) => Number(value.toFixed(3))),
      curve,
    });
    learner.dispose();
  }

  const chance = 1 / classes;
  const chanceLabel = `chance (1/${classes})`;
  const byInstance = results.flatMap((run) =>
    run.accuracyByInstance.map((y, k) => ({
      x: k + 1,
      y,
      series: `${run.label} (${run.parameterCount.toLocaleString('en')} parameters)`,
      reference: false,
    })),
  );
  for (const x of [1, instances]) byInstance.push({ x, y: chance, series: chanceLabel, reference: true });
  const problem = `${classes} classes x ${instances} instances per episode, ${dimension} features, sigma ${sigma}`;
  writeFileSync(
    join(output, 'mann-accuracy-by-instance.png'),
    await renderChart(
      lineChart({
        title: `One-shot classification after ${steps} Adam steps: accuracy at each sight of a class`,
        subtitle: `${options.testEpisodes} new episodes of ${problem}; both models trained on the same episodes`,
        xTitle: 'instance of the class within the episode (1 = first sight)',
        yTitle: 'accuracy',
        values: byInstance,
        yDomain: [0, 1],
        yFormat: '.0%',
        xValues: Array.from({ length: instances }, (_v, k) => k + 1),
      }),
    ),
  );
  const learning = results.flatMap((run) =>
    run.curve.map((point) => ({
      x: point.step,
      y: point.laterSightsAccuracy,
      series: `${run.label} (${(run.secondsPerStep * 1000).toFixed(0)} ms per step)`,
      reference: false,
    })),
  );
  for (const x of [0, steps]) learning.push({ x, y: chance, series: chanceLabel, reference: true });
  writeFileSync(
    join(output, 'mann-learning-curve.png'),
    await renderChart(
      lineChart({
        title: 'One-shot classification: mean accuracy from the 2nd sight of a class on, by training step',
        subtitle: `${options.testEpisodes} new episodes of ${problem}; Adam ${options.learningRate}, ${batch} episodes per step`,
        xTitle: 'Adam step',
        yTitle: 'mean accuracy, 2nd to last sight',
        values: learning,
        yDomain: [0, 1],
        yFormat: '.0%',
      }),
    ),
  );
  return {
    task: `synthetic one-shot episodes: ${problem}`,
    settings: {
      classes,
      instancesPerClass: instances,
      dimension,
      sigma,
      controllerSize: options.controller,
      memorySlots: options.memorySlots,
      memoryWidth: options.memoryWidth,
      heads: options.heads,
      writeVector: options.writeVector,
      batchSize: batch,
      learningRate: options.learningRate,
      steps,
      curveEvery,
      testEpisodes: options.testEpisodes,
    },
    chance: Number(chance.toFixed(3)),
    accuracyByInstance: Object.fromEntries(results.map((run) => [run.label, run.accuracyByInstance])),
    models: Object.fromEntries(results.map(({ label, accuracyByInstance: _a, ...run }) => [label, run])),
  };
}

await runCommandLine<Options>(program, async (options) => {
  const { section, seed } = options;
  const { output } = openReportFolder(options, REPORT_FILES, { resumable: false });
  const backend = await useBackend(options.backend);
  const started = performance.now();
  const summary: Record<string, unknown> = { backend: backend.name, seed, section };
  const written: string[] = [];
  if (section === 'snail' || section === 'both') {
    console.log(
      `SNAIL vs RL² on ${options.arms}-armed bandits, trials of ${options.pulls} pulls (${backend.name} backend): ${options.updates} PPO updates of ${options.trials} trials each`,
    );
    const snail = await runSnailSection(options, output);
    summary.snailVsRl2 = snail;
    written.push('snail-vs-rl2.png');
    console.log(`Mean total reward per trial on ${options.testTasks} new tasks (95% CI):`);
    for (const [name, s] of Object.entries(snail.meanTotalRewardPerTrial))
      console.log(`  ${name.padEnd(17)} ${s.mean.toFixed(2)} ± ${s.halfWidth95.toFixed(2)}`);
  }
  if (section === 'mann' || section === 'both') {
    console.log(
      `MANN vs LSTM on one-shot episodes of ${options.classes} classes x ${options.instances} instances (${backend.name} backend): ${options.steps} Adam steps of ${options.batch} episodes each`,
    );
    const mann = await runMannSection(options, output);
    summary.mannVsLstm = mann;
    written.push('mann-accuracy-by-instance.png', 'mann-learning-curve.png');
    console.log(
      `Accuracy by instance on ${options.testEpisodes} new episodes (1st, 2nd, ...; chance ${mann.chance}):`,
    );
    for (const [name, accuracy] of Object.entries(mann.accuracyByInstance))
      console.log(`  ${name.padEnd(5)} ${accuracy.map((value) => value.toFixed(2)).join(' ')}`);
  }
  const totalSeconds = (performance.now() - started) / 1000;
  summary.totalSeconds = Number(totalSeconds.toFixed(1));
  writeFileSync(join(output, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  console.log(
    `Done in ${totalSeconds.toFixed(0)} s. Report: ${output} (${[...written, 'summary.json'].join(', ')})`,
  );
});
