import { describe, expect, it } from 'vitest';
import {
  Box,
  type Env,
  type EnvAction,
  findNonFinite,
  NonFiniteValueError,
  NormalizeObservation,
  NormalizeReward,
  navigation2dDistribution,
  TimeLimit,
} from '../src/index';
import { defineTaskDistribution } from '../src/task-distribution';

/** A task of the broken distribution: where it returns `value` instead of a finite number. */
interface BrokenTask {
  /** Step (1-based) that returns the bad value; 0: the reset does. */
  readonly badStep: number;
  /** 'reward' or the index of the observation element. */
  readonly field: 'reward' | number;
  /** The bad value. */
  readonly value: number;
}

/** A user-defined distribution whose tasks return a non-finite value at a chosen step. */
function brokenDistribution() {
  return defineTaskDistribution<BrokenTask>({
    id: 'Broken-v0',
    parameters: {},
    sampleTask: () => ({ badStep: 3, field: 'reward', value: Number.NaN }),
    defaultTask: () => ({ badStep: 3, field: 'reward', value: Number.NaN }),
    validateTask: () => {},
    createDynamics(tasks) {
      const steps = new Int32Array(tasks.length);
      const write = (i: number, observations: Float32Array) => {
        const task = tasks[i]!;
        observations[i * 2] = steps[i]!;
        observations[i * 2 + 1] = 0.5;
        if (steps[i] === task.badStep && task.field !== 'reward')
          observations[i * 2 + task.field] = task.value;
      };
      return {
        id: 'Broken-v0',
        numEnvs: tasks.length,
        observationSpace: new Box(-Infinity, Infinity, [2]),
        actionSpace: new Box(-1, 1, [2]),
        maxEpisodeSteps: 20,
        resetEnv(i, _rng, observations) {
          steps[i] = 0;
          write(i, observations);
        },
        stepEnv(i, _actions, _rng, observations) {
          steps[i] = steps[i]! + 1;
          write(i, observations);
          const task = tasks[i]!;
          return steps[i] === task.badStep && task.field === 'reward' ? task.value : -1;
        },
      };
    },
  });
}

const fine: BrokenTask = { badStep: 99, field: 'reward', value: 0 };
const suffix = '(returned by the environment, not the agent: rewards and observations must be finite)';

describe('non-finite rewards and observations', () => {
  it('a vector env names the env, its step and the reward', () => {
    const tasks = [fine, fine, fine, { badStep: 3, field: 'reward' as const, value: Number.NaN }];
    const env = brokenDistribution().makeVectorEnv(tasks, { autoresetMode: 'disabled' });
    env.reset({ seed: 0 });
    const actions = new Float32Array(env.numEnvs * env.actionSize);
    env.step(actions);
    env.step(actions);
    let error: unknown;
    try {
      env.step(actions);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(NonFiniteValueError);
    expect((error as Error).message).toBe(`Broken-v0 (env 3 of 4) step 3: reward is NaN ${suffix}`);
    expect((error as NonFiniteValueError).source).toMatchObject({
      envId: 'Broken-v0',
      envIndex: 3,
      envCount: 4,
      step: 3,
      field: 'reward',
    });
  });

  it('a vector env names the observation element, and checks resets (also autoresets)', () => {
    const distribution = brokenDistribution();
    const infinite = distribution.makeVectorEnv([fine, { badStep: 2, field: 1, value: Infinity }]);
    infinite.reset({ seed: 0 });
    const actions = new Float32Array(4);
    infinite.step(actions);
    expect(() => infinite.step(actions)).toThrow(
      `Broken-v0 (env 1 of 2) step 2: observation element 1 is Infinity ${suffix}`,
    );
    const atReset = distribution.makeVectorEnv([{ badStep: 0, field: 0, value: -Infinity }, fine]);
    expect(() => atReset.reset({ seed: 0 })).toThrow(
      `Broken-v0 (env 0 of 2) reset: observation element 0 is -Infinity ${suffix}`,
    );
    // next-step autoreset: the reset happens inside step, and is checked there.
    const once = { badStep: 0, field: 0, value: Number.NaN };
    let resets = 0;
    const autoreset = defineTaskDistribution<BrokenTask>({
      id: 'Broken-v1',
      parameters: {},
      sampleTask: () => fine,
      defaultTask: () => fine,
      validateTask: () => {},
      createDynamics: (tasks) => ({
        id: 'Broken-v1',
        numEnvs: tasks.length,
        observationSpace: new Box(-Infinity, Infinity, [1]),
        actionSpace: new Box(-1, 1, [1]),
        maxEpisodeSteps: 1,
        resetEnv(i, _rng, observations) {
          resets += 1;
          observations[i] = resets > 1 ? once.value : 0;
        },
        stepEnv: () => 0,
      }),
    }).makeVectorEnv([fine]);
    autoreset.reset({ seed: 0 });
    autoreset.step(new Float32Array(1));
    expect(() => autoreset.step(new Float32Array(1))).toThrow(
      `Broken-v1 (env 0 of 1) reset: observation element 0 is NaN ${suffix}`,
    );
  });

  it('a single env names its step and the field', () => {
    const env = brokenDistribution().makeEnv({ badStep: 2, field: 'reward', value: -Infinity });
    env.reset({ seed: 0 });
    env.step(Float32Array.of(0, 0));
    expect(() => env.step(Float32Array.of(0, 0))).toThrow(`Broken-v0 step 2: reward is -Infinity ${suffix}`);
    const observation = brokenDistribution().makeEnv({ badStep: 1, field: 1, value: Number.NaN });
    observation.reset({ seed: 0 });
    expect(() => observation.step(Float32Array.of(0, 0))).toThrow(
      `Broken-v0 step 1: observation element 1 is NaN ${suffix}`,
    );
  });

  it('the normalising wrappers refuse non-finite values of a user env before they reach the statistics', () => {
    let reward = 1;
    let observed = 0;
    const user: Env<Float32Array, EnvAction> = {
      id: 'User-v0',
      observationSpace: new Box(-Infinity, Infinity, [2]),
      actionSpace: new Box(-1, 1, [1]),
      reset: () => ({ observation: Float32Array.of(0, 0), info: {} }),
      step: () => ({
        observation: Float32Array.of(1, observed),
        reward,
        terminated: false,
        truncated: false,
        info: {},
      }),
    };
    const observations = new NormalizeObservation(user);
    observations.reset();
    observations.step(0);
    observed = Number.NaN;
    expect(() => observations.step(0)).toThrow(
      `NormalizeObservation: User-v0 step 2: observation element 1 is NaN ${suffix}`,
    );
    expect([...observations.statistics.mean].every(Number.isFinite)).toBe(true);
    const rewards = new NormalizeReward(new TimeLimit(user, 10));
    rewards.reset();
    rewards.step(0);
    reward = Number.NaN;
    expect(() => rewards.step(0)).toThrow(`NormalizeReward: User-v0 step 2: reward is NaN ${suffix}`);
    expect(Number.isFinite(rewards.statistics.variance[0])).toBe(true);
  });

  it('the built-in environments are unaffected', () => {
    const env = navigation2dDistribution().makeVectorEnv(
      navigation2dDistribution().sampleTasks(8, { seed: 1 }),
      { autoresetMode: 'next-step' },
    );
    env.reset({ seed: 0 });
    for (let t = 0; t < 250; t += 1) {
      const { rewards, observations } = env.step(new Float32Array(16).fill(0.05));
      expect(findNonFinite(rewards)).toBe(-1);
      expect(findNonFinite(observations)).toBe(-1);
    }
  });

  it('findNonFinite finds the first NaN or infinite element of a range', () => {
    const values = Float64Array.of(1, Number.NaN, 2, Infinity);
    expect(findNonFinite(values)).toBe(1);
    expect(findNonFinite(values, 2)).toBe(3);
    expect(findNonFinite(values, 2, 3)).toBe(-1);
    expect(findNonFinite([-Infinity])).toBe(0);
    expect(findNonFinite(new Float32Array(4))).toBe(-1);
  });
});
