/**
 * A task distribution that returns NaN is reported at the step that produced it (env, task,
 * step, field), before the NaN can surface as a NaN action blamed on the policy, a NaN gradient
 * norm, NaN metrics or an unplottable curve; a policy that does not fit the env is refused
 * before the first step; `checkMetaLearner` refuses non-finite metrics.
 */
import {
  Box,
  Discrete,
  defineTaskDistribution,
  NonFiniteValueError,
  navigation2dDistribution,
  type TaskDistribution,
  type VectorEnv,
} from '@metarl/envs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  actionEncodingOf,
  collectEpisodes,
  createCategoricalMlpPolicy,
  createGaussianMlpPolicy,
  createGruPolicy,
  createInitialSolution,
  createMlpValueFunction,
  createPolicyAgent,
  createRng,
  createTrialAgent,
  disposeParams,
  evaluatePopulation,
  type MetaLearner,
  tf,
  trainPpo,
  useBackend,
} from '../src/index';
import { checkMetaLearner, createFineTuningLearner, MetaLearnerCheckError } from '../src/testing/index';

const suffix = '(returned by the environment, not the agent: rewards and observations must be finite)';

/** A task: the reward it pays at every step except `nanStep` (1-based), where it pays NaN. */
interface Task {
  readonly nanStep: number;
}

/** A user-defined distribution (observations of size 2) whose tasks may pay NaN at one step. */
function nanRewardDistribution(discrete: boolean): TaskDistribution<Task> {
  const id = discrete ? 'NaNRewardDiscrete-v0' : 'NaNReward-v0';
  return defineTaskDistribution<Task>({
    id,
    parameters: {},
    sampleTask: (random) => ({ nanStep: random.next() < 0.5 ? 5 : 0 }),
    defaultTask: () => ({ nanStep: 0 }),
    validateTask: () => {},
    createDynamics(tasks) {
      const steps = new Int32Array(tasks.length);
      return {
        id,
        numEnvs: tasks.length,
        observationSpace: new Box(-10, 10, [2]),
        actionSpace: discrete ? new Discrete(3) : new Box(-1, 1, [2]),
        maxEpisodeSteps: 8,
        resetEnv(i, _rng, observations) {
          steps[i] = 0;
          observations.fill(0, i * 2, i * 2 + 2);
        },
        stepEnv(i, _actions, _rng, observations) {
          steps[i] = steps[i]! + 1;
          observations[i * 2] = steps[i]! / 8;
          return steps[i] === tasks[i]!.nanStep ? Number.NaN : -1;
        },
      };
    },
  });
}

/** A hand-written `VectorEnv` (no `defineTaskDistribution`, no checks of its own) paying NaN at step 2 of env 1. */
function handWrittenVectorEnv(): VectorEnv {
  const n = 2;
  const observations = new Float32Array(n * 2);
  const rewards = new Float64Array(n);
  const terminated = new Uint8Array(n);
  const truncated = new Uint8Array(n);
  const steps = new Int32Array(n);
  return {
    id: 'HandWritten-v0',
    numEnvs: n,
    observationSize: 2,
    actionSize: 2,
    observationSpace: new Box(-10, 10, [2]),
    actionSpace: new Box(-1, 1, [2]),
    maxEpisodeSteps: 4,
    autoresetMode: 'disabled',
    reset(options = {}) {
      for (let i = 0; i < n; i += 1) if (options.mask === undefined || options.mask[i] === 1) steps[i] = 0;
      return observations;
    },
    step(_actions, options = {}) {
      for (let i = 0; i < n; i += 1) {
        if (options.mask !== undefined && options.mask[i] === 0) continue;
        steps[i] = steps[i]! + 1;
        rewards[i] = i === 1 && steps[i] === 2 ? Number.NaN : 0;
        observations[i * 2 + 1] = i === 0 && steps[i] === 3 ? Number.POSITIVE_INFINITY : 0;
        truncated[i] = steps[i]! >= 4 ? 1 : 0;
      }
      return { observations, rewards, terminated, truncated };
    },
  };
}

const fine: Task = { nanStep: 0 };
const broken: Task = { nanStep: 5 };

describe('non-finite rewards and observations reach the sampler as errors', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('collectEpisodes (Gaussian policy) names the env, its task, the step and the field', () => {
    const distribution = nanRewardDistribution(false);
    const policy = createGaussianMlpPolicy({ observationSize: 2, actionSize: 2, hiddenSizes: [8] });
    const params = policy.init(createRng(0));
    // Two tasks of two environments each; task 1 pays NaN at step 5.
    const env = distribution.makeVectorEnv([fine, fine, broken, broken], { autoresetMode: 'disabled' });
    let error: unknown;
    try {
      collectEpisodes(env, createPolicyAgent(policy, params), {
        episodesPerEnv: 2,
        rng: createRng(1),
        seed: 2,
        tasks: 2,
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(NonFiniteValueError);
    expect((error as Error).message).toBe(
      `collectEpisodes: NaNReward-v0 (env 2 of 4, task 1) step 5: reward is NaN ${suffix}`,
    );
    expect((error as NonFiniteValueError).source).toMatchObject({ envIndex: 2, taskIndex: 1, step: 5 });
    expect((error as Error).cause).toBeInstanceOf(NonFiniteValueError);
    disposeParams(params);
  });

  it('collectEpisodes checks what a hand-written VectorEnv returns (the step counts within the episode)', () => {
    const policy = createGaussianMlpPolicy({ observationSize: 2, actionSize: 2, hiddenSizes: [4] });
    const params = policy.init(createRng(0));
    expect(() =>
      collectEpisodes(handWrittenVectorEnv(), createPolicyAgent(policy, params), {
        episodesPerEnv: 1,
        rng: createRng(1),
      }),
    ).toThrow(`collectEpisodes: HandWritten-v0 (env 1 of 2, task 1) step 2: reward is NaN ${suffix}`);
    // An infinite observation element: env 0's third step.
    const env = handWrittenVectorEnv();
    const step = env.step.bind(env);
    env.step = (actions, options) => {
      const result = step(actions, options);
      result.rewards.fill(0);
      return result;
    };
    expect(() =>
      collectEpisodes(env, createPolicyAgent(policy, params), {
        episodesPerEnv: 1,
        rng: createRng(1),
        tasks: 1,
      }),
    ).toThrow(
      `collectEpisodes: HandWritten-v0 (env 0 of 2, task 0) step 3: observation element 1 is Infinity ${suffix}`,
    );
  });

  it('training on NaN rewards stops at the step that paid them, not in gradient clipping or with NaN returns', () => {
    const distribution = nanRewardDistribution(false);
    const policy = createGaussianMlpPolicy({ observationSize: 2, actionSize: 2, hiddenSizes: [8] });
    expect(() =>
      trainPpo({
        distribution,
        task: broken,
        policy,
        valueFunction: createMlpValueFunction({ observationSize: 2, hiddenSizes: [8] }),
        environments: 4,
        iterations: 2,
        seed: 0,
      }),
    ).toThrow(`collectEpisodes: NaNReward-v0 (env 0 of 4, task 0) step 5: reward is NaN ${suffix}`);
  });

  it('a MAML-like learner with a categorical policy raises instead of reporting NaN metrics', async () => {
    const distribution = nanRewardDistribution(true);
    const policy = createCategoricalMlpPolicy({ observationSize: 2, actions: 3, hiddenSizes: [8] });
    const learner = createFineTuningLearner({ distribution, policy, seed: 0, episodesPerTask: 2 });
    const error = await learner
      .metaTrainStep([fine, broken], createRng(1))
      .then(() => undefined)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NonFiniteValueError);
    expect((error as Error).message).toMatch(
      /^collectEpisodes: NaNRewardDiscrete-v0 \(env \d of \d+(, task \d+)?\) step 5: reward is NaN /,
    );
    learner.dispose();
  });

  it('the RL² trial path raises at the step instead of feeding NaN back as the next input', () => {
    const distribution = nanRewardDistribution(true);
    const env = distribution.makeVectorEnv([fine, broken, fine], { autoresetMode: 'disabled' });
    const encoding = actionEncodingOf(env.actionSpace);
    const policy = createGruPolicy({
      observationSize: 2 + encoding.size + 2,
      actionKind: 'discrete',
      actionSize: 3,
      hiddenSize: 4,
    });
    const params = { policy: policy.init(createRng(0)) };
    const agent = createTrialAgent(policy, params, 2, encoding);
    expect(() =>
      collectEpisodes(env, agent, {
        episodesPerEnv: 3,
        rng: createRng(1),
        seed: 0,
        keepMemoryAcrossEpisodes: true,
      }),
    ).toThrow(`collectEpisodes: NaNRewardDiscrete-v0 (env 1 of 3, task 1) step 5: reward is NaN ${suffix}`);
  });

  it('evaluatePopulation names the member block env and the member', () => {
    const distribution = nanRewardDistribution(false);
    const policy = createGaussianMlpPolicy({ observationSize: 2, actionSize: 2, hiddenSizes: [4] });
    const { solution, layout } = createInitialSolution(policy, createRng(0));
    const population = new Float32Array(2 * layout.size);
    population.set(solution, 0);
    population.set(solution, layout.size);
    expect(() =>
      evaluatePopulation(population, {
        policy,
        layout,
        distribution,
        tasks: [fine, broken],
        seed: 1,
        deterministic: true,
      }),
    ).toThrow(
      `collectEpisodes: NaNReward-v0 (2 members) (env 1 of 4, task 0) step 5: reward is NaN ${suffix}`,
    );
  });
});

describe('a policy that does not fit the env is refused before the first step', () => {
  const navigation = navigation2dDistribution();
  const tasks = navigation.sampleTasks(2, { seed: 0 });
  const env = () => navigation.makeVectorEnv(tasks, { autoresetMode: 'disabled' });
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('collectEpisodes names both observation sizes, and both action kinds and sizes', () => {
    const wide = createGaussianMlpPolicy({ observationSize: 3, actionSize: 2, hiddenSizes: [4] });
    expect(() =>
      collectEpisodes(env(), createPolicyAgent(wide, wide.init(createRng(0))), {
        episodesPerEnv: 1,
        rng: createRng(1),
      }),
    ).toThrow('collectEpisodes: policy expects observations of size 3 but env Navigation2D-v1 has 2');
    const threeActions = createGaussianMlpPolicy({ observationSize: 2, actionSize: 3, hiddenSizes: [4] });
    expect(() =>
      collectEpisodes(env(), createPolicyAgent(threeActions, threeActions.init(createRng(0))), {
        episodesPerEnv: 1,
        rng: createRng(1),
      }),
    ).toThrow(
      'collectEpisodes: policy emits continuous actions of size 3 but env Navigation2D-v1 takes continuous actions of size 2 (Box(',
    );
    const categorical = createCategoricalMlpPolicy({ observationSize: 2, actions: 2, hiddenSizes: [4] });
    expect(() =>
      collectEpisodes(env(), createPolicyAgent(categorical, categorical.init(createRng(0))), {
        episodesPerEnv: 1,
        rng: createRng(1),
      }),
    ).toThrow(
      'collectEpisodes: policy emits one discrete choice among 2 but env Navigation2D-v1 takes continuous actions of size 2',
    );
    const choices = createCategoricalMlpPolicy({ observationSize: 2, actions: 4, hiddenSizes: [4] });
    const discreteEnv = nanRewardDistribution(true).makeVectorEnv([fine], { autoresetMode: 'disabled' });
    expect(() =>
      collectEpisodes(discreteEnv, createPolicyAgent(choices, choices.init(createRng(0))), {
        episodesPerEnv: 1,
        rng: createRng(1),
      }),
    ).toThrow(
      'collectEpisodes: policy emits one discrete choice among 4 but env NaNRewardDiscrete-v0 takes one discrete choice among 3 (Discrete(3))',
    );
  });

  it('createTrialAgent names the trial input size it needs', () => {
    const encoding = actionEncodingOf(env().actionSpace);
    const policy = createGruPolicy({
      observationSize: 5,
      actionKind: 'continuous',
      actionSize: 2,
      hiddenSize: 4,
    });
    expect(() => createTrialAgent(policy, { policy: policy.init(createRng(0)) }, 2, encoding)).toThrow(
      'createTrialAgent: policy expects inputs of size 5 but observations of size 2 with continuous actions of size 2 make trial inputs of size 6 (observation + action + reward + done)',
    );
    const discrete = createGruPolicy({
      observationSize: 6,
      actionKind: 'discrete',
      actionSize: 2,
      hiddenSize: 4,
    });
    expect(() => createTrialAgent(discrete, { policy: discrete.init(createRng(0)) }, 2, encoding)).toThrow(
      'createTrialAgent: policy emits discrete actions of size 2 but the action encoding is continuous of size 2',
    );
  });

  it('evaluatePopulation checks the policy against the env before stacking the population', () => {
    const policy = createGaussianMlpPolicy({ observationSize: 3, actionSize: 2, hiddenSizes: [4] });
    const { solution, layout } = createInitialSolution(policy, createRng(0));
    const before = tf.memory().numTensors;
    expect(() =>
      evaluatePopulation(solution, {
        policy,
        layout,
        distribution: navigation,
        tasks,
        seed: 1,
        deterministic: true,
      }),
    ).toThrow('evaluatePopulation: policy expects observations of size 3 but env Navigation2D-v1 has 2');
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('checkMetaLearner refuses non-finite metrics', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it.each([
    [Number.NaN, 'NaN'],
    [Number.POSITIVE_INFINITY, 'Infinity'],
    [Number.NEGATIVE_INFINITY, '-Infinity'],
  ])(
    'a learner reporting %s fails the finite-metrics check',
    async (bad, shown) => {
      const navigation = navigation2dDistribution();
      const policy = createGaussianMlpPolicy({ observationSize: 2, actionSize: 2, hiddenSizes: [4] });
      const reportsBad = (): MetaLearner<unknown> => {
        const inner = createFineTuningLearner({
          distribution: navigation,
          policy,
          seed: 3,
          episodesPerTask: 1,
        });
        return {
          ...(inner as MetaLearner<unknown>),
          kind: inner.kind,
          async metaTrainStep(batch, rng) {
            const metrics = await inner.metaTrainStep(batch as never, rng);
            return { ...metrics, 'losses/surrogate': bad };
          },
        };
      };
      const error = await checkMetaLearner(reportsBad, navigation).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(MetaLearnerCheckError);
      expect((error as MetaLearnerCheckError).failures).toContain(
        `metaTrainStep returns finite metrics with namespaced keys: metric 'losses/surrogate' is ${shown}, not finite`,
      );
    },
    60_000,
  );
});
