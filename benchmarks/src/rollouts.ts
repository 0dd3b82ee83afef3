/**
 * pnpm bench rollouts [-- --out <file>] [-- --backends wasm,cpu]
 *
 * The MAML meta-batch on Navigation2D-v1: 20 tasks x 20 episodes x 100 steps (40,000 env steps)
 * collected by `collectEpisodes` in one call with a Gaussian MLP [64, 64] policy (one batched
 * forward pass for all 400 environments per step), then one TRPO step (10 conjugate-gradient
 * iterations of exact Fisher-vector products) on that batch.
 *
 * `envStepsPerSecond` is sampling alone: the same work as pytorch-maml-rl's sampler `duration`
 * (its `sample_trajectories` for 20 episodes of one task, summed over the 20 tasks);
 * `benchmarks/peers/side-by-side-rollouts.sh` measures both in one sitting and prints the ratio.
 * `samplingAndAdvantagesSeconds` adds the linear baseline fit and GAE (the peer's
 * `create_episodes`).
 */

import {
  collectEpisodes,
  createGaussianMlpPolicy,
  createPolicyAgent,
  createRng,
  createTrpoObjective,
  discountedReturns,
  disposeParams,
  fitLinearBaseline,
  generalizedAdvantages,
  normalizeAdvantages,
  tf,
  trpoStep,
  useBackend,
} from '@metarl/core';
import { navigation2dDistribution } from '@metarl/envs';
import { describeMachine, median, readFlags, report } from './shared';

const started = performance.now();
const { backends } = readFlags('rollouts', {
  backends: { type: 'strings', default: ['wasm', 'cpu'], description: 'backends to time, comma-separated' },
});
const TASKS = 20;
const EPISODES = 20;
const navigation = navigation2dDistribution();
const tasks = navigation.sampleTasks(TASKS, { seed: 1 });
const envTasks = tasks.flatMap((task) => Array.from({ length: EPISODES }, () => task));
const policy = createGaussianMlpPolicy({ observationSize: 2, actionSize: 2, hiddenSizes: [64, 64] });

const results: Record<string, unknown>[] = [];
for (const backend of backends) {
  await useBackend(backend);
  const rng = createRng(0);
  const params = policy.init(rng);
  const env = navigation.makeVectorEnv(envTasks, { autoresetMode: 'disabled' });
  const collect = () =>
    collectEpisodes(env, createPolicyAgent(policy, params), {
      episodesPerEnv: 1,
      rng,
      seed: 0,
      tasks: TASKS,
    });
  collect(); // warm-up
  const sampleTimes: number[] = [];
  let batch = collect();
  for (let i = 0; i < 3; i += 1) {
    const t0 = performance.now();
    batch = collect();
    sampleTimes.push(performance.now() - t0);
  }
  const steps = batch.rewards.length;
  const t0 = performance.now();
  const returns = discountedReturns(batch, 0.99);
  const baseline = fitLinearBaseline(batch, returns);
  const { advantages } = generalizedAdvantages(batch, baseline.values, { gamma: 0.99, lambda: 1 });
  const baselineMs = performance.now() - t0;
  const objective = createTrpoObjective(policy, params, batch, normalizeAdvantages(advantages));
  const trpoTimes: number[] = [];
  let trpoMetrics: Readonly<Record<string, number>> = {};
  for (let i = 0; i < 2; i += 1) {
    const t1 = performance.now();
    const result = trpoStep(params, objective.loss, objective.kl, {
      maxKl: 0.01,
      damping: 1e-5,
      conjugateGradientIterations: 10,
    });
    trpoTimes.push(performance.now() - t1);
    trpoMetrics = result.metrics;
    disposeParams(result.params);
  }
  objective.dispose();
  disposeParams(params);
  const sampleMs = median(sampleTimes);
  const row = {
    backend,
    envSteps: steps,
    sampleSecondsMedian: Number((sampleMs / 1000).toFixed(3)),
    envStepsPerSecond: Math.round(steps / (sampleMs / 1000)),
    baselineAndAdvantagesMs: Number(baselineMs.toFixed(1)),
    samplingAndAdvantagesSeconds: Number(((sampleMs + baselineMs) / 1000).toFixed(3)),
    trpoStepSeconds: Number((median(trpoTimes) / 1000).toFixed(3)),
    trpoAccepted: trpoMetrics['trpo/accepted'],
    liveTensors: tf.memory().numTensors,
  };
  results.push(row);
  console.error(
    `${backend}: ${steps} steps in ${row.sampleSecondsMedian} s (${row.envStepsPerSecond} steps/s), baseline+GAE ${row.baselineAndAdvantagesMs} ms, TRPO step ${row.trpoStepSeconds} s`,
  );
}

report({
  name: 'rollouts',
  config: {
    distribution: 'Navigation2D-v1',
    tasks: TASKS,
    episodesPerTask: EPISODES,
    horizon: 100,
    policy: 'Gaussian MLP [64, 64] tanh',
    trpo: { maxKl: 0.01, damping: 1e-5, conjugateGradientIterations: 10 },
    seeds: { tasks: 1, params: 0, environments: 0 },
  },
  backend: backends,
  machine: describeMachine(),
  wallSeconds: Number(((performance.now() - started) / 1000).toFixed(1)),
  results,
});
