import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  collectEpisodes,
  createRng,
  evaluateMetaLearner,
  flattenParams,
  tf,
  trainMetaLearner,
  useBackend,
} from '@metarl/core';
import { trainMetaLearnerInDirectory } from '@metarl/core/node';
import { checkMetaLearner } from '@metarl/core/testing';
import { makeTaskDistribution } from '@metarl/envs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  adaptFromQueries,
  climbHill,
  createEsMaml,
  createLinearPolicy,
  createQueryOffsets,
  type EsMamlConfig,
  estimateAntitheticGradient,
  sampleCounterNormal,
} from '../src/index';

const navigation = makeTaskDistribution('Navigation2D-v1');
type NavigationTask = ReturnType<typeof navigation.sampleTasks>[number];
const policy = createLinearPolicy({ observationSize: 2, actionSize: 2 });

const small = (options: Partial<EsMamlConfig<NavigationTask>> = {}) =>
  createEsMaml<NavigationTask>({
    distribution: navigation,
    policy,
    perturbations: 2,
    adaptationQueries: 4,
    seed: 3,
    ...options,
  });

describe('ES-MAML', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('passes checkMetaLearner: Monte-Carlo adaptation with SGD, hill climbing with Adam and centred ranks', async () => {
    for (const options of [
      {},
      {
        adaptationOperator: 'hill-climbing',
        optimizer: 'adam',
        fitnessShaping: 'centered-ranks',
        adaptationQueries: 3,
      },
    ] as const) {
      const passed = await checkMetaLearner(() => small(options), navigation);
      expect(passed).toHaveLength(6);
    }
  });

  it('adapt is pure: the same exploration episodes give the same adapted agent, the learner is unchanged', () => {
    const learner = small();
    const tasks = navigation.sampleTasks(2, { seed: 4 });
    const env = navigation.makeVectorEnv(
      tasks.flatMap((task) => Array.from({ length: 5 }, () => task)),
      { autoresetMode: 'disabled' },
    );
    const before = learner.parameters();
    const explorer = learner.explorationAgent(tasks);
    const episodes = collectEpisodes(env, explorer, {
      episodesPerEnv: 1,
      rng: createRng(0),
      seed: 0,
      tasks: 2,
    });
    const play = (agent: ReturnType<typeof learner.adapt>) =>
      collectEpisodes(env, agent, { episodesPerEnv: 1, rng: createRng(0), seed: 0, tasks: 2 }).rewards;
    const first = learner.adapt(explorer, episodes);
    const second = learner.adapt(explorer, episodes);
    expect(play(first)).toEqual(play(second));
    expect(learner.parameters()).toEqual(before);
    // Adaptation moved the policy: the adapted agent's episodes differ from the centre's.
    const centre = play(explorer).subarray(0, 100);
    expect(play(first).subarray(0, 100)).not.toEqual(centre);
    expect(() => learner.adapt(first, episodes)).toThrow(/adapts once/);
    for (const agent of [explorer, first, second]) agent.dispose?.();
    learner.dispose();
  });

  it('the antithetic Monte-Carlo estimate equals the formula on a quadratic, exactly', () => {
    const dimension = 5;
    const pairs = 6;
    const sigma = 0.3;
    const theta = Float64Array.from([0.1, -0.4, 0.7, 0.2, -0.3]);
    const target = Float64Array.from([1, 0.5, -0.5, 0, 2]);
    const f = (x: ArrayLike<number>) => -Array.from(x).reduce((s, v, k) => s + (v - target[k]!) ** 2, 0);
    const directions = new Float32Array(pairs * dimension);
    for (let i = 0; i < pairs; i += 1)
      sampleCounterNormal(11, i, dimension, directions.subarray(i * dimension, (i + 1) * dimension));
    const at = (i: number, sign: number) =>
      Array.from(theta, (v, k) => v + sign * sigma * directions[i * dimension + k]!);
    const plus = Array.from({ length: pairs }, (_v, i) => f(at(i, 1)));
    const minus = Array.from({ length: pairs }, (_v, i) => f(at(i, -1)));
    const estimate = estimateAntitheticGradient(directions, plus, minus, sigma, 'raw');
    // f(x + s e) - f(x - s e) = -4 s e.(x - c): g = -(2 / P) sum_i e_i e_i^T (x - c).
    const expected = new Float64Array(dimension);
    for (let i = 0; i < pairs; i += 1) {
      let dot = 0;
      for (let k = 0; k < dimension; k += 1) dot += directions[i * dimension + k]! * (theta[k]! - target[k]!);
      for (let k = 0; k < dimension; k += 1)
        expected[k] = expected[k]! + (-2 / pairs) * dot * directions[i * dimension + k]!;
    }
    for (let k = 0; k < dimension; k += 1) expect(estimate[k]).toBeCloseTo(expected[k]!, 5);
    // The adaptation step is theta + alpha g over the queries' pairs (raw values).
    const offsets = createQueryOffsets('monte-carlo', 2 * pairs + 1, 11, dimension, sigma);
    const values = [f(theta), ...Array.from({ length: pairs }, (_v, i) => [plus[i]!, minus[i]!]).flat()];
    const adapted = adaptFromQueries(Float32Array.from(theta), offsets, values, {
      operator: 'monte-carlo',
      sigma,
      stepSize: 0.05,
      shaping: 'raw',
    });
    for (let k = 0; k < dimension; k += 1)
      expect(adapted[k]).toBeCloseTo(Math.fround(theta[k]!) + 0.05 * expected[k]!, 5);
  });

  it('hill climbing never returns a point scored below its starting point', () => {
    const rng = createRng(5);
    const dimension = 4;
    for (let trial = 0; trial < 200; trial += 1) {
      const count = 1 + Math.floor(rng.next() * 8);
      const theta = Float32Array.from({ length: dimension }, () => rng.next() - 0.5);
      const offsets = createQueryOffsets('hill-climbing', count, trial, dimension, 0.1);
      const values = Array.from({ length: count }, () => rng.next() - 0.5);
      const { point, value, index } = climbHill(theta, offsets, values);
      expect(value).toBeGreaterThanOrEqual(values[0]!);
      expect(value).toBe(Math.max(...values));
      expect(Array.from(point)).toEqual(
        Array.from(theta, (v, k) => Math.fround(v + offsets[index * dimension + k]!)),
      );
    }
  });

  it('keeps the live tensor count flat over meta-training steps', async () => {
    const learner = small();
    const tasks = navigation.sampleTasks(2, { seed: 1 });
    await learner.metaTrainStep(tasks, createRng(0));
    const before = tf.memory().numTensors;
    for (let i = 1; i <= 4; i += 1) await learner.metaTrainStep(tasks, createRng(i));
    expect(tf.memory().numTensors).toBe(before);
    learner.dispose();
  });

  it('learns: 30 meta-steps lift the post-adaptation return far above the untrained one on every seed (fails without meta-training)', async () => {
    for (const seed of [3, 4, 5]) {
      const learner = createEsMaml<NavigationTask>({
        distribution: navigation,
        policy,
        seed,
        perturbations: 4,
        adaptationQueries: 10,
        stepSize: 0.05,
      });
      const protocol = { tasks: 10, episodesPerTask: 11, adaptationSteps: 1, seed: 100 + seed };
      const untrained = evaluateMetaLearner(learner, navigation, protocol).steps[1]!.meanReturn;
      await trainMetaLearner(learner, navigation, {
        iterations: 30,
        metaBatchSize: 2,
        seed,
        progress: 'none',
      });
      const trained = evaluateMetaLearner(learner, navigation, protocol).steps;
      // The untrained linear policies run away from every goal (returns below -300); trained ones
      // reach the goals' neighbourhood and adapt to them.
      expect(untrained).toBeLessThan(-300);
      expect(trained[1]!.meanReturn).toBeGreaterThan(untrained + 200);
      expect(trained[1]!.meanReturn).toBeGreaterThan(-80);
      learner.dispose();
    }
  }, 60_000);

  it('trains through trainMetaLearner and resumes bit for bit from a checkpoint directory (outer Adam kept)', async () => {
    const make = () => small({ optimizer: 'adam', stepSize: 0.02 });
    const options = { metaBatchSize: 2, seed: 5, progress: 'none' } as const;
    const straight = make();
    await trainMetaLearner(straight, navigation, { ...options, iterations: 4 });
    const expected = flattenParams((await straight.toCheckpoint()).params);
    straight.dispose();
    const directory = await mkdtemp(join(tmpdir(), 'es-maml-resume-'));
    try {
      const first = make();
      await trainMetaLearnerInDirectory(first, navigation, {
        ...options,
        iterations: 2,
        outputDirectory: directory,
      });
      first.dispose();
      const second = make();
      await trainMetaLearnerInDirectory(second, navigation, {
        ...options,
        iterations: 4,
        outputDirectory: directory,
        resumeFrom: join(directory, 'checkpoint'),
      });
      const resumed = (await second.toCheckpoint()).params;
      expect(Object.keys(resumed).sort()).toEqual(['outerFirstMoment', 'outerSecondMoment', 'policy']);
      expect(flattenParams(resumed)).toEqual(expected);
      second.dispose();
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('rejects bad configurations and foreign or adapted agents with errors that name the fix', () => {
    expect(() => small({ adaptationQueries: 5 })).toThrow(
      /createEsMaml: adaptationQueries must be even with adaptationOperator 'monte-carlo'/,
    );
    expect(() => small({ sigma: 0 })).toThrow(/createEsMaml: sigma must be a finite number > 0, got 0/);
    expect(() => small({ adaptationOperator: 'newton' as never })).toThrow(
      /createEsMaml: adaptationOperator/,
    );
    const learner = small();
    const other = small();
    const tasks = navigation.sampleTasks(1, { seed: 0 });
    const agent = other.explorationAgent(tasks);
    const env = navigation.makeVectorEnv([tasks[0]!, tasks[0]!], { autoresetMode: 'disabled' });
    const episodes = collectEpisodes(env, agent, { episodesPerEnv: 1, rng: createRng(0), seed: 0, tasks: 1 });
    expect(() => learner.adapt(agent, episodes)).toThrow(/not made by this learner/);
    expect(() => other.adapt(other.explorationAgent(tasks), episodes)).toThrow(/has not acted yet/);
    agent.dispose?.();
    learner.dispose();
    other.dispose();
  });
});
