import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createCategoricalMlpPolicy,
  createGaussianMlpPolicy,
  createPolicyAgent,
  createRng,
  evaluateMetaLearner,
  flattenParams,
  trainMetaLearner,
  useBackend,
} from '@metarl/core';
import { trainMetaLearnerInDirectory } from '@metarl/core/node';
import { checkMetaLearner } from '@metarl/core/testing';
import { makeTaskDistribution } from '@metarl/envs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createReptile, type ReptileConfig } from '../src/index';

const navigation = makeTaskDistribution('Navigation2D-v1');
type NavigationTask = ReturnType<typeof navigation.sampleTasks>[number];

describe('Reptile for reinforcement learning', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('passes checkMetaLearner: Reptile with SGD, with inner Adam and outer Adam, first-order MAML, head-only, PPO inner steps', async () => {
    const policy = createGaussianMlpPolicy({ observationSize: 2, actionSize: 2, hiddenSizes: [8] });
    const variants: Partial<ReptileConfig<NavigationTask>>[] = [
      {},
      { innerOptimizer: 'adam', innerStepSize: 0.01, metaOptimizer: 'adam', metaStepSize: 0.01 },
      { algorithm: 'first-order-maml', metaStepSize: 0.1 },
      { adaptedParameters: ['mean/output'] },
      { innerObjective: 'ppo', ppo: { epochs: 2 }, innerOptimizer: 'adam', innerStepSize: 0.01 },
    ];
    for (const options of variants) {
      const passed = await checkMetaLearner(
        () =>
          createReptile({
            distribution: navigation,
            policy,
            episodesPerTask: 2,
            innerSteps: 2,
            seed: 1,
            ...options,
          }),
        navigation,
      );
      expect(passed).toHaveLength(6);
    }
  });

  it('works with discrete task distributions: checkMetaLearner on tabular MDPs and bandits with a categorical policy', async () => {
    for (const [id, observationSize, actions] of [
      ['TabularMDP-v0', 10, 5],
      ['Bandit-v0', 1, 5],
    ] as const) {
      const distribution = makeTaskDistribution(id);
      const policy = createCategoricalMlpPolicy({ observationSize, actions, hiddenSizes: [8] });
      const passed = await checkMetaLearner(
        () => createReptile({ distribution, policy, episodesPerTask: 2, innerSteps: 2, seed: 1 }),
        distribution,
      );
      expect(passed).toHaveLength(6);
    }
  });

  it('one meta-step is theta + eps (mean phi - theta), with phi the inner loop run by hand from the same episodes', async () => {
    const policy = createGaussianMlpPolicy({ observationSize: 2, actionSize: 2, hiddenSizes: [4] });
    const tasks = navigation.sampleTasks(3, { seed: 4 });
    const settings = { distribution: navigation, policy, episodesPerTask: 3, innerSteps: 2, seed: 2 };
    const run = async (metaStepSize: number) => {
      const reptile = createReptile({ ...settings, metaStepSize });
      const before = flattenParams(reptile.parameters());
      await reptile.metaTrainStep(tasks, createRng(9));
      const after = flattenParams(reptile.parameters());
      reptile.dispose();
      return { before, after };
    };
    // With eps = 1 theta becomes mean phi; any other eps must interpolate between theta and mean phi.
    const full = await run(1);
    const part = await run(0.3);
    expect(part.before).toEqual(full.before);
    const moved = full.after.map((v, i) => v - full.before[i]!);
    expect(Math.max(...moved.map(Math.abs))).toBeGreaterThan(1e-4);
    part.after.forEach((v, i) => {
      expect(Math.abs(v - (full.before[i]! + 0.3 * moved[i]!))).toBeLessThan(1e-5);
    });
  });

  it('PPO inner steps: one epoch is exactly the VPG step (the ratio starts at 1); more epochs move further', async () => {
    const policy = createGaussianMlpPolicy({ observationSize: 2, actionSize: 2, hiddenSizes: [4] });
    const tasks = navigation.sampleTasks(3, { seed: 6 });
    const step = async (options: Partial<ReptileConfig<NavigationTask>>) => {
      const reptile = createReptile({
        distribution: navigation,
        policy,
        episodesPerTask: 3,
        innerSteps: 2,
        seed: 2,
        ...options,
      });
      const before = flattenParams(reptile.parameters());
      await reptile.metaTrainStep(tasks, createRng(9));
      const after = flattenParams(reptile.parameters());
      reptile.dispose();
      return after.map((v, i) => v - before[i]!);
    };
    const vpg = await step({});
    const ppoOne = await step({ innerObjective: 'ppo', ppo: { epochs: 1 } });
    const ppoFour = await step({ innerObjective: 'ppo', ppo: { epochs: 4 } });
    ppoOne.forEach((v, i) => {
      expect(Math.abs(v - vpg[i]!)).toBeLessThan(1e-6);
    });
    const norm = (values: Float32Array) => Math.sqrt(values.reduce((sum, v) => sum + v * v, 0));
    expect(norm(ppoFour)).toBeGreaterThan(1.5 * norm(vpg));
    expect(() =>
      createReptile({ distribution: navigation, policy, innerObjective: 'ppo', ppo: { epochs: 0 } }),
    ).toThrow(/createReptile: ppo.epochs must be an integer >= 1, got 0/);
  });

  it('trains through trainMetaLearner and resumes exactly from a checkpoint directory (inner Adam state kept)', async () => {
    const policy = createGaussianMlpPolicy({ observationSize: 2, actionSize: 2, hiddenSizes: [4] });
    const make = () =>
      createReptile({
        distribution: navigation,
        policy,
        episodesPerTask: 2,
        innerSteps: 2,
        innerOptimizer: 'adam',
        innerStepSize: 0.01,
        metaOptimizer: 'adam',
        metaStepSize: 0.01,
        seed: 3,
      });
    const options = { metaBatchSize: 2, seed: 5 };
    const straight = make();
    await trainMetaLearner(straight, navigation, { ...options, iterations: 4 });
    const expected = flattenParams((await straight.toCheckpoint()).params);
    straight.dispose();
    const directory = await mkdtemp(join(tmpdir(), 'reptile-resume-'));
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
      expect(Object.keys(resumed)).toEqual(['policy', 'innerState']);
      expect(flattenParams(resumed)).toEqual(expected);
      second.dispose();
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('rejects bad configurations, empty meta-batches and foreign agents; fromCheckpoint names differences', async () => {
    const policy = createGaussianMlpPolicy({ observationSize: 2, actionSize: 2, hiddenSizes: [4] });
    expect(() => createReptile({ distribution: navigation, policy, innerStepSize: -0.1 })).toThrow(
      /createReptile: innerStepSize must be a finite number > 0, got -0.1/,
    );
    expect(() => createReptile({ distribution: navigation, policy, episodesPerTask: 0 })).toThrow(
      /createReptile: episodesPerTask must be an integer >= 1, got 0/,
    );
    expect(() => createReptile({ distribution: navigation, policy, adaptedParameters: ['head'] })).toThrow(
      /adaptedParameters names 'head', which is no parameter or group of the model/,
    );
    const reptile = createReptile({ distribution: navigation, policy, episodesPerTask: 2 });
    await expect(reptile.metaTrainStep([], createRng(0))).rejects.toThrow(/tasks must be a non-empty array/);
    const foreign = createPolicyAgent(policy, reptile.parameters());
    expect(() =>
      reptile.adapt(foreign, {
        observationSize: 2,
        actionSize: 2,
        observations: new Float32Array(2),
        actions: new Float32Array(2),
        rewards: new Float32Array(1),
        terminated: new Uint8Array(1),
        truncated: new Uint8Array(1),
        lengths: Int32Array.of(1),
        offsets: Int32Array.of(0),
        envIndex: Int32Array.of(0),
        taskIndex: Int32Array.of(0),
        finalObservations: new Float32Array(2),
        agentInfo: {},
      }),
    ).toThrow(/not made by this learner/);
    const other = createReptile({
      distribution: navigation,
      policy,
      episodesPerTask: 2,
      innerStepSize: 0.05,
    });
    await expect(other.fromCheckpoint(await reptile.toCheckpoint())).rejects.toThrow(
      /config.innerStepSize 0.1 \(checkpoint\) vs 0.05 \(now\)/,
    );
    reptile.dispose();
    other.dispose();
  });

  it('learns Navigation2D: after meta-training, adapted returns beat the untrained learner and the pre-adaptation policy (fixed seeds)', async () => {
    await useBackend('wasm');
    const policy = createGaussianMlpPolicy({ observationSize: 2, actionSize: 2, hiddenSizes: [32, 32] });
    const protocol = { tasks: 10, episodesPerTask: 10, adaptationSteps: 1, seed: 11 };
    const reptile = createReptile({ distribution: navigation, policy, episodesPerTask: 10, seed: 1 });
    const untrained = evaluateMetaLearner(reptile, navigation, protocol);
    const rng = createRng(2);
    for (let iteration = 0; iteration < 20; iteration += 1)
      await reptile.metaTrainStep(navigation.sampleTasks(8, { seed: rng.nextSeed() }), rng);
    const trained = evaluateMetaLearner(reptile, navigation, protocol);
    reptile.dispose();
    const [before, after] = trained.steps;
    console.log(
      `Reptile Navigation2D after 20 iterations: untrained ${untrained.steps[0]!.meanReturn.toFixed(1)} -> ${untrained.steps[1]!.meanReturn.toFixed(1)}, trained ${before!.meanReturn.toFixed(1)} -> ${after!.meanReturn.toFixed(1)}`,
    );
    expect(after!.meanReturn).toBeGreaterThan(untrained.steps[1]!.meanReturn + 20);
    await useBackend('cpu');
  });
});
