import { useBackend } from '@metarl/core';
import { checkMetaLearner } from '@metarl/core/testing';
import { banditDistribution } from '@metarl/envs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createMann } from '../src/index';
import { checkTrialPolicy } from './check-trial-policy';

const small = { controllerSize: 8, memorySlots: 6, memoryWidth: 4, heads: 2 } as const;

describe('createMann (RL)', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });
  const bandit = banditDistribution({ arms: 3 });

  it('records while acting what one unroll per trial recomputes, and its memory', () => {
    const learner = createMann({ distribution: bandit, episodesPerTrial: 5, seed: 1, ...small });
    checkTrialPolicy(learner, bandit, 3);
    expect(learner.policy.mann.options.controllerSize).toBe(8);
    expect(learner.config.writeVector).toBe('key');
    learner.dispose();
  });

  it('passes checkMetaLearner', async () => {
    const passed = await checkMetaLearner(
      () =>
        createMann({
          distribution: bandit,
          episodesPerTrial: 3,
          ppo: { epochs: 2, minibatches: 2 },
          ...small,
        }),
      bandit,
      { metaBatchSize: 4 },
    );
    expect(passed).toHaveLength(6);
  });

  it('rejects bad input with clear errors', () => {
    expect(() => createMann({ distribution: bandit, episodesPerTrial: 2, heads: 0 })).toThrow(
      'createMann: heads must be a positive integer, got 0',
    );
    expect(() => createMann({ distribution: bandit, episodesPerTrial: 2, usageDecay: 2 })).toThrow(
      'createMann: usageDecay must be a number in [0, 1], got 2',
    );
  });
});
