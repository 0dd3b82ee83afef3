/**
 * RL² on Bernoulli bandits: meta-train a GRU policy with PPO on trials of n pulls of k-armed
 * bandits (arm probabilities ~ U[0, 1]), then write a report folder:
 *
 *   arm-choices.png      three typical new tasks (hard, median, easy by the gap between the two
 *                        best arms): the arm chosen at every pull of a trial and its reward, by
 *                        RL², UCB1 and Thompson sampling on the same task
 *   best-arm-rate.png    over 1000 new tasks: how often each agent pulls the best arm at each pull
 *                        (exploration first, then exploitation)
 *   learning-curve.png   return per trial and reward per pull, per PPO update
 *   metrics.jsonl/.csv, checkpoint/   from the training loop (continue it with --resume)
 *   summary.json         mean total reward per trial on the 1000 tasks, with 95% intervals
 *
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
  UsageError,
} from '@metarl/app-support';
import { createRng, useBackend } from '@metarl/core';
import { readMetrics, trainMetaLearnerInDirectory } from '@metarl/core/node';
import {
  type BanditAgent,
  type BanditTask,
  banditDistribution,
  createThompsonBanditAgent,
  createUcb1BanditAgent,
  summarise,
} from '@metarl/envs';
import { plotLearningCurve, renderChart } from '@metarl/plot';
import { createRl2 } from '@metarl/rl2';

/** The files of a report: what --overwrite removes and what makes a second run refuse. */
const REPORT_FILES = [
  'summary.json',
  'checkpoint',
  'metrics.jsonl',
  'metrics.csv',
  'learning-curve.png',
  'arm-choices.png',
  'best-arm-rate.png',
];

/** The parsed command line. */
interface Options extends ReportOptions {
  /** Arms per bandit. */
  readonly arms: number;
  /** Pulls per trial. */
  readonly pulls: number;
  /** PPO updates to reach. */
  readonly iterations: number;
  /** Trials per PPO update. */
  readonly trials: number;
  /** GRU hidden size. */
  readonly hidden: number;
}

const program = new Command('rl2-bandits')
  .description(
    'Meta-train RL² on Bernoulli bandits, compare it with UCB1 and Thompson sampling on 1000 new tasks, ' +
      'and write a report folder (arm-choices.png, best-arm-rate.png, learning-curve.png, ' +
      'metrics.jsonl/.csv, checkpoint/, summary.json).',
  )
  .option('--arms <k>', 'arms per bandit (integer >= 2)', parseIntegerAtLeast(2), 5)
  .option('--pulls <n>', 'pulls per trial (integer >= 1)', parseIntegerAtLeast(1), 10)
  .option(
    '--iterations <n>',
    'PPO updates to reach, counting those of a resumed checkpoint (integer >= 1)',
    parseIntegerAtLeast(1),
    80,
  )
  .option('--trials <n>', 'trials per PPO update (integer >= 1)', parseIntegerAtLeast(1), 500)
  .option('--hidden <size>', 'GRU hidden size (integer >= 1)', parseIntegerAtLeast(1), 128);
addReportOptions(program, {
  defaultOutput: 'rl2-bandits-report',
  examples: [
    'npx -y pnpm@10.34.9 rl2-bandits -- --iterations 40 --output bandits-report',
    'npx -y pnpm@10.34.9 rl2-bandits -- --iterations 80 --output bandits-report --resume',
  ],
});

await runCommandLine<Options>(program, async (options) => {
  const { arms, pulls, iterations, seed } = options;
  const trialsPerIteration = options.trials;
  const hiddenSize = options.hidden;
  const { output, resumeFrom } = openReportFolder(options, REPORT_FILES);

  const backend = await useBackend(options.backend);
  const distribution = banditDistribution({ arms });
  const rl2 = createRl2({
    distribution,
    episodesPerTrial: pulls,
    hiddenSize,
    seed,
  });
  console.log(
    `RL² on ${arms}-armed bandits, trials of ${pulls} pulls (${backend.name} backend): ${iterations} PPO updates of ${trialsPerIteration} trials; report in ${output}${resumeFrom === undefined ? '' : ' (resumed from its checkpoint)'}`,
  );
  const started = performance.now();
  const trained = await trainMetaLearnerInDirectory(rl2, distribution, {
    iterations,
    metaBatchSize: trialsPerIteration,
    seed,
    outputDirectory: output,
    checkpointEvery: 10,
    ...(resumeFrom === undefined ? {} : { resumeFrom }),
  });
  if (resumeFrom !== undefined && trained.records.length === 0)
    throw new UsageError(
      `option '--iterations <n>' argument '${iterations}' is invalid. Expected more than the ${trained.iterations} PPO updates of the checkpoint in ${output}.`,
    );
  const trainSeconds = (performance.now() - started) / 1000;
  writeFileSync(
    join(output, 'learning-curve.png'),
    await plotLearningCurve(readMetrics(join(output, 'metrics.jsonl')), {
      title: `RL² on ${arms}-armed bandits, trials of ${pulls} pulls: reward on the training trials of each PPO update`,
      xTitle: 'PPO update',
      panels: [
        {
          series: ['metaTrain/returnPerTrial'],
          yTitle: 'mean return per trial',
          title: `whole trial (sum of ${pulls} rewards)`,
        },
        {
          series: ['metaTrain/returnFirstEpisode', 'metaTrain/returnLastEpisode'],
          yTitle: 'mean reward per pull',
          title: 'single pulls (learning within the trial shows as last above first)',
        },
      ],
      labels: {
        'metaTrain/returnPerTrial': 'total reward of the trial',
        'metaTrain/returnFirstEpisode': 'first pull of the trial',
        'metaTrain/returnLastEpisode': `last pull of the trial (pull ${pulls})`,
      },
    }),
  );

  /** One trial of a reference agent: the arm of every pull and its reward. */
  function playReference(agent: BanditAgent, task: BanditTask, trialSeed: number) {
    const env = distribution.makeEnv(task);
    env.reset({ seed: trialSeed });
    const history = { pulls: new Int32Array(arms), successes: new Int32Array(arms), step: 0, horizon: pulls };
    const rng = createRng(trialSeed + 1);
    const choices: { arm: number; reward: number }[] = [];
    for (let t = 0; t < pulls; t += 1) {
      if (t > 0) env.reset();
      const arm = agent.chooseArm(history, rng);
      const reward = env.step(arm).reward;
      history.pulls[arm]! += 1;
      history.successes[arm]! += reward;
      history.step += 1;
      choices.push({ arm, reward });
    }
    return choices;
  }

  // 1000 new tasks: RL²'s trials in one batched pass, the references one trial at a time.
  const testTasks = distribution.sampleTasks(1000, { seed: 10_000 + seed });
  const batch = rl2.playTrials(testTasks, { seed: 3 });
  const references = { UCB1: createUcb1BanditAgent(), Thompson: createThompsonBanditAgent() };
  const agentNames = ['RL²', ...Object.keys(references)];
  const bestArmPulls = agentNames.map(() => new Float64Array(pulls));
  const totals = agentNames.map(() => new Float64Array(testTasks.length));
  testTasks.forEach((task, i) => {
    const best = task.probabilities.indexOf(Math.max(...task.probabilities));
    for (let t = 0; t < pulls; t += 1) {
      const step = batch.offsets[i * pulls + t]!;
      if (batch.actions[step] === best) bestArmPulls[0]![t]! += 1;
      totals[0]![i]! += batch.rewards[step]!;
    }
    Object.values(references).forEach((agent, j) => {
      playReference(agent, task, 20_000 + i).forEach(({ arm, reward }, t) => {
        if (arm === best) bestArmPulls[j + 1]![t]! += 1;
        totals[j + 1]![i]! += reward;
      });
    });
  });
  const summaries = Object.fromEntries(agentNames.map((name, j) => [name, summarise(totals[j]!)]));

  // Three typical new tasks in detail: a hard, a median and an easy one by the gap between
  // the two best arms (the 25th, 50th and 75th percentile of the gap over the 1000 tasks).
  const gap = (task: BanditTask) => {
    const sorted = [...task.probabilities].sort((x, y) => y - x);
    return sorted[0]! - sorted[1]!;
  };
  const byGap = testTasks.map((_task, i) => i).sort((i, j) => gap(testTasks[i]!) - gap(testTasks[j]!));
  const shown = [
    { kind: 'hard', index: byGap[Math.floor(0.25 * (byGap.length - 1))]! },
    { kind: 'median', index: byGap[Math.floor(0.5 * (byGap.length - 1))]! },
    { kind: 'easy', index: byGap[Math.floor(0.75 * (byGap.length - 1))]! },
  ];
  const rankNames = Array.from({ length: arms }, (_v, r) =>
    r === 0 ? 'best arm' : r === arms - 1 ? 'worst arm' : `${r + 1}${['', 'nd', 'rd'][r] ?? 'th'} best`,
  );
  const cells = shown.flatMap(({ kind, index }) => {
    const task = testTasks[index]!;
    const order = task.probabilities
      .map((_p, arm) => arm)
      .sort((x, y) => task.probabilities[y]! - task.probabilities[x]!);
    const rankOf = (arm: number) => order.indexOf(arm);
    const label = `${kind} task (gap ${gap(task).toFixed(2)} between the two best arms): p = ${order
      .map((arm) => task.probabilities[arm]!.toFixed(2))
      .join(', ')}, best first`;
    const choices: Record<string, { arm: number; reward: number }[]> = {
      'RL²': Array.from({ length: pulls }, (_v, t) => {
        const step = batch.offsets[index * pulls + t]!;
        return { arm: batch.actions[step]!, reward: batch.rewards[step]! };
      }),
    };
    for (const [name, agent] of Object.entries(references))
      choices[name] = playReference(agent, task, 20_000 + index);
    return Object.entries(choices).flatMap(([agent, played]) =>
      played.map(({ arm, reward }, t) => ({
        task: label,
        agent,
        pull: t + 1,
        arm: rankNames[rankOf(arm)]!,
        dark: rankOf(arm) < arms / 2,
        reward: String(reward),
      })),
    );
  });
  writeFileSync(
    join(output, 'arm-choices.png'),
    await renderChart({
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      background: 'white',
      title: {
        text: `The arm pulled at each pull of one trial, on three new ${arms}-armed tasks`,
        subtitle: 'colour: the arm chosen, by its rank in payout probability; number: the reward of the pull',
      },
      data: { values: cells },
      facet: {
        row: {
          field: 'task',
          type: 'nominal',
          title: null,
          sort: [...new Set(cells.map((cell) => cell.task))],
          header: { labelAngle: 0, labelOrient: 'top', labelAnchor: 'start', labelFontSize: 12 },
        },
      },
      spacing: 16,
      spec: {
        width: Math.max(300, 36 * pulls),
        height: 90,
        encoding: {
          x: { field: 'pull', type: 'ordinal', title: 'pull', axis: { labelAngle: 0 } },
          y: { field: 'agent', type: 'nominal', title: null, sort: agentNames },
        },
        layer: [
          {
            mark: { type: 'rect', stroke: 'white' },
            encoding: {
              color: {
                field: 'arm',
                type: 'ordinal',
                title: 'arm chosen',
                scale: { domain: rankNames, scheme: 'viridis' },
                legend: { orient: 'bottom', direction: 'horizontal', labelFontSize: 12 },
              },
            },
          },
          {
            mark: { type: 'text', fontSize: 12 },
            encoding: {
              text: { field: 'reward' },
              color: { condition: { test: 'datum.dark', value: 'white' }, value: 'black' },
            },
          },
        ],
      },
    }),
  );
  writeFileSync(
    join(output, 'best-arm-rate.png'),
    await renderChart({
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      background: 'white',
      width: 480,
      height: 260,
      title: `How often each agent pulls the best arm, at each pull of a trial (1000 new ${arms}-armed tasks)`,
      data: {
        values: agentNames.flatMap((agent, j) =>
          Array.from(bestArmPulls[j]!, (count, t) => ({
            agent,
            pull: t + 1,
            rate: count / testTasks.length,
          })),
        ),
      },
      mark: { type: 'line', point: true },
      encoding: {
        x: {
          field: 'pull',
          type: 'quantitative',
          title: 'pull within the trial',
          axis: { tickMinStep: 1, format: 'd' },
        },
        y: {
          field: 'rate',
          type: 'quantitative',
          title: 'fraction of tasks pulling the best arm',
          axis: { format: '.0%' },
          scale: { domain: [0, 1] },
        },
        color: {
          field: 'agent',
          type: 'nominal',
          title: null,
          sort: agentNames,
          legend: { orient: 'bottom', labelFontSize: 12 },
        },
      },
    }),
  );

  const summary = {
    task: `${distribution.id} k=${arms}, trials of ${pulls} pulls`,
    backend: backend.name,
    trainingSeconds: Number(trainSeconds.toFixed(1)),
    iterations,
    trialsPerIteration,
    hiddenSize,
    meanTotalRewardPerTrial: Object.fromEntries(
      Object.entries(summaries).map(([name, s]) => [
        name,
        { mean: Number(s.mean.toFixed(3)), halfWidth95: Number(s.halfWidth95.toFixed(3)) },
      ]),
    ),
  };
  writeFileSync(join(output, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  console.log(
    `\nTrained in ${trainSeconds.toFixed(0)} s. Mean total reward per trial on 1000 new tasks (95% CI):`,
  );
  for (const [name, s] of Object.entries(summaries))
    console.log(`  ${name.padEnd(9)} ${s.mean.toFixed(2)} ± ${s.halfWidth95.toFixed(2)}`);
  console.log(`Report: ${output} (arm-choices.png, best-arm-rate.png, learning-curve.png, summary.json)`);
  rl2.dispose();
});
