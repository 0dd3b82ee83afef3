/**
 * pnpm bench single-task-rl [-- --out <file>] [-- --iterations <n>]
 *
 * Longer single-task runs of the core loops on the wasm backend: PPO and TRPO on CartPole-v1
 * (target: the solved threshold 475) and Pendulum-v1 (target: better than -200). Reports the
 * final and best mean returns (last 5 iterations), environment steps and steps per second of the
 * whole training (sampling and updates).
 */

import {
  createCategoricalMlpPolicy,
  createGaussianMlpPolicy,
  createMlpValueFunction,
  disposeParams,
  type SingleTaskIteration,
  trainPpo,
  trainTrpo,
  useBackend,
} from '@metarl/core';
import { cartPoleDistribution, pendulumDistribution } from '@metarl/envs';
import { describeMachine, readFlags, report } from './shared';

const started = performance.now();
const { iterations } = readFlags('single-task-rl', {
  iterations: { type: 'integer', default: 150, minimum: 1, description: 'training iterations per run' },
});
await useBackend('wasm');
const cartPoles = cartPoleDistribution();
const pendulums = pendulumDistribution();

function summarise(name: string, target: number, history: SingleTaskIteration[], seconds: number) {
  const returns = history.map((h) => h.meanReturn);
  const window = (values: number[]) => values.reduce((p, v) => p + v, 0) / values.length;
  let best = -Infinity;
  for (let i = 5; i <= returns.length; i += 1) best = Math.max(best, window(returns.slice(i - 5, i)));
  const steps = history.at(-1)!.environmentSteps;
  const row = {
    run: name,
    target,
    iterations: history.length,
    environmentSteps: steps,
    finalMeanReturn: Number(window(returns.slice(-5)).toFixed(1)),
    bestMeanReturnOver5: Number(best.toFixed(1)),
    reachedTarget: best >= target,
    seconds: Number(seconds.toFixed(1)),
    environmentStepsPerSecond: Math.round(steps / seconds),
    curve: returns.map((r) => Number(r.toFixed(1))),
  };
  console.error(
    `${name}: best ${row.bestMeanReturnOver5} (target ${target}) after ${row.environmentSteps} steps, ${row.seconds} s`,
  );
  return row;
}

const runs = [];
{
  const t0 = performance.now();
  const { params, history } = trainPpo({
    distribution: cartPoles,
    task: cartPoles.defaultTask(),
    policy: createCategoricalMlpPolicy({ observationSize: 4, actions: 2 }),
    valueFunction: createMlpValueFunction({ observationSize: 4 }),
    environments: 8,
    iterations,
    seed: 1,
    stopAt: { meanReturn: 475, window: 5 },
  });
  runs.push(summarise('PPO CartPole-v1', 475, history, (performance.now() - t0) / 1000));
  disposeParams(params);
}
{
  const t0 = performance.now();
  const { params, history } = trainTrpo({
    distribution: cartPoles,
    task: cartPoles.defaultTask(),
    policy: createCategoricalMlpPolicy({ observationSize: 4, actions: 2 }),
    environments: 8,
    iterations,
    seed: 1,
    stopAt: { meanReturn: 475, window: 5 },
  });
  runs.push(summarise('TRPO CartPole-v1', 475, history, (performance.now() - t0) / 1000));
  disposeParams(params);
}
{
  const t0 = performance.now();
  const { params, history } = trainPpo({
    distribution: pendulums,
    task: pendulums.defaultTask(),
    policy: createGaussianMlpPolicy({ observationSize: 3, actionSize: 1, initialStd: 0.5 }),
    valueFunction: createMlpValueFunction({ observationSize: 3 }),
    environments: 16,
    iterations,
    seed: 2,
    learningRate: 3e-4,
    stopAt: { meanReturn: -200, window: 5 },
    ppo: { epochs: 10, minibatchSize: 64, entropyCoefficient: 0 },
  });
  runs.push(summarise('PPO Pendulum-v1', -200, history, (performance.now() - t0) / 1000));
  disposeParams(params);
}
{
  const t0 = performance.now();
  const { params, history } = trainTrpo({
    distribution: pendulums,
    task: pendulums.defaultTask(),
    policy: createGaussianMlpPolicy({
      observationSize: 3,
      actionSize: 1,
      hiddenSizes: [32, 32],
      initialStd: 0.5,
    }),
    environments: 16,
    iterations,
    seed: 2,
    stopAt: { meanReturn: -200, window: 5 },
  });
  runs.push(summarise('TRPO Pendulum-v1', -200, history, (performance.now() - t0) / 1000));
  disposeParams(params);
}

report({
  name: 'single-task-rl',
  config: {
    iterationsAtMost: iterations,
    ppo: 'CleanRL-style: Adam, GAE 0.95, clip 0.2, value coefficient 0.5, grad-norm 0.5; CartPole 4 epochs x 256, lr 1e-3; Pendulum 10 epochs x 64, lr 3e-4',
    trpo: 'linear baseline, GAE 0.97, max KL 0.01, damping 0.1, 10 CG iterations',
    environments: { cartPole: 8, pendulum: 16 },
    seeds: { cartPole: 1, pendulum: 2 },
  },
  backend: 'wasm',
  machine: describeMachine(),
  wallSeconds: Number(((performance.now() - started) / 1000).toFixed(1)),
  runs,
});
