/**
 * A user distribution that pays NaN stops RL² at the step that paid it, instead of feeding the
 * NaN back as the next input ("action of env 0 element 0 is NaN") or failing in gradient
 * clipping with a NaN global norm.
 */
import { collectEpisodes, createRng, useBackend } from '@metarl/core';
import {
  Box,
  Discrete,
  defineTaskDistribution,
  NonFiniteValueError,
  type TaskDistribution,
} from '@metarl/envs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRl2 } from '../src/index';

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

describe('RL² on NaN rewards', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('metaTrainStep raises at the step that paid NaN, naming env, task, step and field', async () => {
    const learner = createRl2({
      distribution: nanRewardDistribution(),
      episodesPerTrial: 2,
      hiddenSize: 4,
      seed: 1,
    });
    const error = await learner
      .metaTrainStep([{ nanStep: 0 }, { nanStep: 0 }, { nanStep: 3 }], createRng(2))
      .then(() => undefined)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NonFiniteValueError);
    expect((error as Error).message).toBe(
      `collectEpisodes: NaNRewardDiscrete-v0 (env 2 of 3, task 2) step 3: reward is NaN ${suffix}`,
    );
    learner.dispose();
  });

  it('an exploration agent meets an env of another action space: collectEpisodes names both', () => {
    const learner = createRl2({
      distribution: nanRewardDistribution(),
      episodesPerTrial: 2,
      hiddenSize: 4,
      seed: 1,
    });
    const other = defineTaskDistribution<{ nanStep: number }>({
      id: 'FourActions-v0',
      parameters: {},
      sampleTask: () => ({ nanStep: 0 }),
      defaultTask: () => ({ nanStep: 0 }),
      validateTask: () => {},
      createDynamics: (tasks) => ({
        id: 'FourActions-v0',
        numEnvs: tasks.length,
        observationSpace: new Box(-1, 1, [2]),
        actionSpace: new Discrete(4),
        maxEpisodeSteps: 2,
        resetEnv: () => {},
        stepEnv: () => 0,
      }),
    });
    const env = other.makeVectorEnv([{ nanStep: 0 }], { autoresetMode: 'disabled' });
    expect(() =>
      collectEpisodes(env, learner.explorationAgent(), { episodesPerEnv: 1, rng: createRng(0) }),
    ).toThrow(
      'collectEpisodes: policy emits one discrete choice among 3 but env FourActions-v0 takes one discrete choice among 4 (Discrete(4))',
    );
    learner.dispose();
  });
});
