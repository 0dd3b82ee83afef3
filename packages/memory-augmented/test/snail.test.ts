import { createRng, trialReturns, useBackend } from '@metarl/core';
import { checkMetaLearner } from '@metarl/core/testing';
import {
  banditDistribution,
  createRandomBanditAgent,
  playBanditTrials,
  summarise,
  tabularMdpDistribution,
} from '@metarl/envs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSnail } from '../src/index';
import { checkTrialPolicy } from './check-trial-policy';

describe('createSnail', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });
  const bandit = banditDistribution({ arms: 3 });

  it("builds the peer's two networks: 148,128 parameters each on bandits, 449,632 on MDPs", () => {
    const onBandits = createSnail({ distribution: banditDistribution({ arms: 5 }), episodesPerTrial: 10 });
    expect(onBandits.config.contextSize).toBe('trial');
    expect(onBandits.policy.policyNetwork.contextSize).toBe(10);
    expect(onBandits.policy.policyNetwork.inputSize).toBe(7);
    expect(onBandits.policy.policyNetwork.outputSize).toBe(295);
    expect(onBandits.policy.policyNetwork.parameterCount).toBe(148_128);
    expect(onBandits.policy.valueNetwork.parameterCount).toBe(148_128);
    expect(onBandits.policy.featureSize).toBe(295);
    onBandits.dispose();
    const onMdps = createSnail({ distribution: tabularMdpDistribution(), episodesPerTrial: 10 });
    expect(onMdps.policy.policyNetwork.contextSize).toBe(100);
    expect(onMdps.policy.policyNetwork.inputSize).toBe(17);
    expect(onMdps.policy.policyNetwork.outputSize).toBe(497);
    expect(onMdps.policy.policyNetwork.parameterCount).toBe(449_632);
    onMdps.dispose();
  });

  it('records while acting what one parallel pass per trial recomputes, and its memory', () => {
    const learner = createSnail({ distribution: bandit, episodesPerTrial: 5, featureSize: 4, seed: 1 });
    checkTrialPolicy(learner, bandit, 3);
    learner.dispose();
  });

  it('passes checkMetaLearner', async () => {
    const passed = await checkMetaLearner(
      () =>
        createSnail({
          distribution: bandit,
          episodesPerTrial: 3,
          featureSize: 4,
          ppo: { epochs: 2, minibatches: 2 },
        }),
      bandit,
      { metaBatchSize: 4 },
    );
    expect(passed).toHaveLength(6);
  });

  it('rejects bad input with clear errors', () => {
    expect(() => createSnail({ distribution: bandit, episodesPerTrial: 2, featureSize: 0 })).toThrow(
      'createSnail: featureSize must be an integer >= 1, got 0',
    );
    expect(() => createSnail({ distribution: bandit, episodesPerTrial: 2, contextSize: 1 })).toThrow(
      'createSnail: contextSize must be an integer >= 2, got 1',
    );
    expect(() => createSnail({ distribution: bandit, episodesPerTrial: 0 })).toThrow(
      /createSnail: episodesPerTrial must be an integer >= 1, got 0/,
    );
  });
});

describe('SNAIL learning', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  // A policy without memory plays a bandit at random's level (every arm is alike a priori): beating
  // random needs the context.
  it('learns to explore then exploit a 5-armed bandit over 10 pulls (beats random clearly)', async () => {
    const arms = banditDistribution({ arms: 5 });
    const learner = createSnail({
      distribution: arms,
      episodesPerTrial: 10,
      featureSize: 8,
      seed: 1,
      ppo: { learningRate: 3e-3 },
    });
    const tasks = arms.sampleTasks(500, { seed: 11 });
    const untrained = summarise(trialReturns(learner.playTrials(tasks, { seed: 3 }), 10).totals);
    const trainRng = createRng(2);
    for (let i = 0; i < 30; i += 1) {
      await learner.metaTrainStep(
        arms.sampleTasks(200, { seed: trainRng.nextSeed() }),
        trainRng.split(1)[0]!,
      );
      // Let the test runner's worker talk to its parent between updates (a minute or more of
      // uninterrupted training on plain wasm times its messages out).
      await new Promise((resolve) => setImmediate(resolve));
    }
    const trained = summarise(trialReturns(learner.playTrials(tasks, { seed: 3 }), 10).totals);
    const random = summarise(playBanditTrials(createRandomBanditAgent(), tasks, { pulls: 10, seed: 3 }));
    console.info(
      `SNAIL bandit k=5 n=10 (500 test trials): untrained ${untrained.mean.toFixed(2)}, trained ${trained.mean.toFixed(2)} ± ${trained.halfWidth95.toFixed(2)}, random ${random.mean.toFixed(2)}`,
    );
    expect(trained.mean).toBeGreaterThan(random.mean + 0.6);
    expect(trained.mean).toBeGreaterThan(untrained.mean + 0.6);
    learner.dispose();
  }, 240_000);
});
