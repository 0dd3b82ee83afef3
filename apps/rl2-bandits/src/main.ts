/**
 * RL² on Bernoulli bandits: meta-train a GRU policy with PPO on trials of n pulls of k-armed
 * bandits (arm probabilities ~ U[0, 1]), then write a report folder:
 *
 *   arm-choices.png      one new task: the arm chosen at every pull of a trial (and whether it
 *                        paid), by RL², UCB1 and Thompson sampling on the same task
 *   best-arm-rate.png    over 1000 new tasks: how often each agent pulls the best arm at each pull
 *                        (exploration first, then exploitation)
 *   learning-curve.png, metrics.jsonl/.csv, checkpoint/   from the training loop
 *   summary.json         mean total reward per trial on the 1000 tasks, with 95% intervals
 *
 * Options: --arms <k> (5) --pulls <n> (10) --iterations <n> (80) --trials <per iteration> (500)
 *          --hidden <GRU size> (128) --seed <n> (1) --output <folder> (rl2-bandits-report)
 *          --backend <name|auto> (auto)
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
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

const { values: options } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: Object.fromEntries(
    ['arms', 'pulls', 'iterations', 'trials', 'hidden', 'seed', 'output', 'backend'].map((name) => [
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

const arms = readInteger('arms', 5, 2);
const pulls = readInteger('pulls', 10, 1);
const iterations = readInteger('iterations', 80, 0);
const trialsPerIteration = readInteger('trials', 500, 1);
const hiddenSize = readInteger('hidden', 128, 1);
const seed = readInteger('seed', 1, 0);
const output = resolve(process.env.INIT_CWD ?? process.cwd(), options.output ?? 'rl2-bandits-report');

const backend = await useBackend(options.backend ?? 'auto');
const distribution = banditDistribution({ arms });
const rl2 = createRl2({
  distribution,
  episodesPerTrial: pulls,
  hiddenSize,
  seed,
});
console.log(
  `RL² on ${arms}-armed bandits, trials of ${pulls} pulls (${backend.name} backend): ${iterations} PPO updates of ${trialsPerIteration} trials; report in ${output}`,
);
const started = performance.now();
await trainMetaLearnerInDirectory(rl2, distribution, {
  iterations,
  metaBatchSize: trialsPerIteration,
  seed,
  outputDirectory: output,
});
const trainSeconds = (performance.now() - started) / 1000;
const records = readMetrics(join(output, 'metrics.jsonl'));
if (records.length > 0)
  writeFileSync(
    join(output, 'learning-curve.png'),
    await plotLearningCurve(records, { title: `${rl2.kind}: return per meta-iteration` }),
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

// One new task in detail.
const shown = testTasks[0]!;
const shownChoices: Record<string, { arm: number; reward: number }[]> = {
  'RL²': Array.from({ length: pulls }, (_v, t) => {
    const step = batch.offsets[t]!;
    return { arm: batch.actions[step]!, reward: batch.rewards[step]! };
  }),
};
for (const [name, agent] of Object.entries(references))
  shownChoices[name] = playReference(agent, shown, 20_000);
const armLabel = (arm: number) => `arm ${arm} (p = ${shown.probabilities[arm]!.toFixed(2)})`;
const cells = Object.entries(shownChoices).flatMap(([agent, choices]) =>
  choices.map(({ arm, reward }, t) => ({
    agent,
    pull: t + 1,
    arm: armLabel(arm),
    paid: reward === 1 ? '1' : '0',
  })),
);
writeFileSync(
  join(output, 'arm-choices.png'),
  await renderChart({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    background: 'white',
    title: `One new ${arms}-armed task: the arm pulled at each of ${pulls} pulls (1 = paid)`,
    data: { values: cells },
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
            type: 'nominal',
            title: 'arm chosen',
            scale: { domain: shown.probabilities.map((_p, arm) => armLabel(arm)) },
          },
        },
      },
      { mark: { type: 'text', fontSize: 12 }, encoding: { text: { field: 'paid' } } },
    ],
    width: Math.max(300, 36 * pulls),
    height: 120,
  }),
);
writeFileSync(
  join(output, 'best-arm-rate.png'),
  await renderChart({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    background: 'white',
    width: 480,
    height: 260,
    title: `Fraction of 1000 new tasks where the best arm is pulled, by pull`,
    data: {
      values: agentNames.flatMap((agent, j) =>
        Array.from(bestArmPulls[j]!, (count, t) => ({ agent, pull: t + 1, rate: count / testTasks.length })),
      ),
    },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'pull', type: 'quantitative', title: 'pull' },
      y: { field: 'rate', type: 'quantitative', title: 'best arm pulled', scale: { domain: [0, 1] } },
      color: { field: 'agent', type: 'nominal', title: null, sort: agentNames },
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
