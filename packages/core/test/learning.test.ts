/**
 * Proof that the single-task RL pieces learn, with small budgets and fixed seeds: PPO solves
 * CartPole-v1 to the classic threshold (mean return >= 195), TRPO improves Pendulum-v1 clearly
 * over the untrained policy. Each would fail if its algorithm stopped learning.
 */
import { cartPoleDistribution, pendulumDistribution } from '@metarl/envs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createCategoricalMlpPolicy,
  createGaussianMlpPolicy,
  createMlpValueFunction,
  disposeParams,
  tf,
  trainPpo,
  trainTrpo,
  useBackend,
} from '../src/index';

describe('learning', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('PPO reaches a mean return >= 195 on CartPole-v1', () => {
    const cartPoles = cartPoleDistribution();
    const before = tf.memory().numTensors;
    const { params, history } = trainPpo({
      distribution: cartPoles,
      task: cartPoles.defaultTask(),
      policy: createCategoricalMlpPolicy({ observationSize: 4, actions: 2, hiddenSizes: [64, 64] }),
      valueFunction: createMlpValueFunction({ observationSize: 4 }),
      environments: 8,
      iterations: 60,
      seed: 1,
      stopAt: { meanReturn: 195, window: 3 },
    });
    console.log(
      `PPO CartPole-v1: ${history.length} iterations, ${history.at(-1)!.environmentSteps} env steps, returns ${history.map((h) => h.meanReturn.toFixed(0)).join(' ')}`,
    );
    expect(history[0]!.meanReturn).toBeLessThan(60);
    expect(history.slice(-3).every((h) => h.meanReturn >= 195)).toBe(true);
    disposeParams(params);
    expect(tf.memory().numTensors).toBe(before);
  }, 180_000);

  it('TRPO improves Pendulum-v1 clearly over the untrained policy', () => {
    const pendulums = pendulumDistribution();
    const before = tf.memory().numTensors;
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
      iterations: 40,
      seed: 2,
    });
    const returns = history.map((h) => h.meanReturn);
    const first = returns.slice(0, 3).reduce((p, v) => p + v, 0) / 3;
    const last = returns.slice(-3).reduce((p, v) => p + v, 0) / 3;
    console.log(`TRPO Pendulum-v1: returns ${returns.map((r) => r.toFixed(0)).join(' ')}`);
    expect(last).toBeGreaterThan(first + 300);
    disposeParams(params);
    expect(tf.memory().numTensors).toBe(before);
  }, 180_000);
});
