/**
 * A user distribution that pays NaN stops MAML (categorical policy) at the step that paid it,
 * instead of a run with NaN metrics that never updates and raises nothing.
 */
import { createCategoricalMlpPolicy, createRng, useBackend } from '@metarl/core';
import {
  Box,
  Discrete,
  defineTaskDistribution,
  NonFiniteValueError,
  type TaskDistribution,
} from '@metarl/envs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createMaml } from '../src/index';

/** A task: -1 per step, except NaN at step `nanStep` (1-based; 0: never). */
interface Task {
  readonly nanStep: number;
}

/** A user-defined distribution (observations of size 2, 3 discrete actions) that may pay NaN. */
function nanRewardDistribution(): TaskDistribution<Task> {
  const id = 'NaNRewardDiscrete-v0';
  return defineTaskDistribution<Task>({
    id,
    parameters: {},
    sampleTask: (random) => ({ nanStep: random.next() < 0.5 ? 3 : 0 }),
    defaultTask: () => ({ nanStep: 0 }),
    validateTask: () => {},
    createDynamics(tasks) {
      const steps = new Int32Array(tasks.length);
      return {
        id,
        numEnvs: tasks.length,
        observationSpace: new Box(-10, 10, [2]),
        actionSpace: new Discrete(3),
        maxEpisodeSteps: 4,
        resetEnv(i, _rng, observations) {
          steps[i] = 0;
          observations.fill(0, i * 2, i * 2 + 2);
        },
        stepEnv(i, _actions, _rng, observations) {
          steps[i] = steps[i]! + 1;
          observations[i * 2] = steps[i]! / 4;
          return steps[i] === tasks[i]!.nanStep ? Number.NaN : -1;
        },
      };
    },
  });
}

const suffix = '(returned by the environment, not the agent: rewards and observations must be finite)';

describe('MAML on NaN rewards', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it.each(['trpo', 'ppo'] as const)(
    'metaTrainStep (%s, categorical policy) raises at the step that paid NaN',
    async (outerOptimizer) => {
      const policy = createCategoricalMlpPolicy({ observationSize: 2, actions: 3, hiddenSizes: [8] });
      const maml = createMaml({
        distribution: nanRewardDistribution(),
        policy,
        episodesPerTask: 2,
        seed: 0,
        outerOptimizer,
      });
      const error = await maml
        .metaTrainStep([{ nanStep: 0 }, { nanStep: 3 }], createRng(1))
        .then(() => undefined)
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(NonFiniteValueError);
      expect((error as Error).message).toBe(
        `collectEpisodes: NaNRewardDiscrete-v0 (env 2 of 4, task 1) step 3: reward is NaN ${suffix}`,
      );
      maml.dispose();
    },
  );
});
