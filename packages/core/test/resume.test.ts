import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { banditDistribution, navigation2dDistribution, type TaskDistribution } from '@metarl/envs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Checkpoint,
  CheckpointError,
  CheckpointMismatchError,
  cloneParams,
  createCategoricalMlpPolicy,
  createGaussianMlpPolicy,
  describePolicy,
  findCheckpointDifferences,
  flattenParams,
  type TrainOptions,
  trainMetaLearner,
  useBackend,
} from '../src/index';
import { loadCheckpoint, trainMetaLearnerInDirectory } from '../src/node/index';
import { createFineTuningLearner, type FineTuningLearnerConfig } from '../src/testing/index';

const navigation = navigation2dDistribution();
const policy = createGaussianMlpPolicy({ observationSize: 2, actionSize: 2, hiddenSizes: [16] });
const makeLearner = (overrides: Partial<FineTuningLearnerConfig<unknown>> = {}) =>
  createFineTuningLearner<unknown>({
    distribution: navigation,
    policy,
    seed: 3,
    episodesPerTask: 2,
    ...overrides,
  });
const options = {
  iterations: 2,
  metaBatchSize: 2,
  seed: 9,
  progress: 'none',
} as const satisfies TrainOptions;

/** A checkpoint with its own tensors (a handed-out checkpoint's are the learner's). */
const copyCheckpoint = (checkpoint: Checkpoint): Checkpoint => ({
  ...checkpoint,
  params: cloneParams(checkpoint.params),
  ...(checkpoint.optimizer === undefined
    ? {}
    : {
        optimizer: {
          ...checkpoint.optimizer,
          slots: Object.fromEntries(
            Object.entries(checkpoint.optimizer.slots).map(([slot, tree]) => [slot, cloneParams(tree)]),
          ),
        },
      }),
});

/** The checkpoint that `trainMetaLearner` hands out after `options.iterations` iterations. */
async function trainedCheckpoint(
  learner = makeLearner(),
  distribution: TaskDistribution<unknown> = navigation as TaskDistribution<unknown>,
  trainOptions = options,
): Promise<Checkpoint> {
  let kept: Checkpoint | undefined;
  await trainMetaLearner(learner, distribution, {
    ...trainOptions,
    onCheckpoint: (checkpoint) => {
      kept = copyCheckpoint(checkpoint);
    },
  });
  learner.dispose();
  return kept!;
}

/** What `promise` rejected with. */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error as Error,
  );
}

describe('resuming checks the run against the checkpoint', () => {
  let directory = '';
  beforeAll(async () => {
    await useBackend('cpu');
    directory = await mkdtemp(join(tmpdir(), 'metarl-resume-'));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('a handed-out checkpoint records the config, the distribution, the policy and the training options', async () => {
    const checkpoint = await trainedCheckpoint();
    expect(checkpoint.config).toEqual({
      seed: 3,
      episodesPerTask: 2,
      adaptationStepSize: 0.1,
      learningRate: 0.01,
      gamma: 0.99,
    });
    expect(checkpoint.setup).toEqual({
      distribution: { id: 'Navigation2D-v1', parameters: {} },
      policy: {
        observationSize: 2,
        actionKind: 'continuous',
        actionSize: 2,
        architecture: {
          network: 'mlp',
          layerSizes: [2, 16, 2],
          activation: 'tanh',
          layerNames: ['hidden0', 'output'],
          distribution: 'diagonal-gaussian',
          parameterNames: { network: 'mean', logStd: 'logStd' },
        },
      },
      training: { metaBatchSize: 2, seed: 9 },
    });
  }, 30_000);

  it('refuses a changed inner step size, naming the setting, both values and the way out', async () => {
    const checkpoint = await trainedCheckpoint();
    const learner = makeLearner({ adaptationStepSize: 0.05 });
    const before = Array.from(flattenParams((await learner.toCheckpoint()).params));
    const error = await rejection(
      trainMetaLearner(learner, navigation, { ...options, iterations: 3, resumeFrom: checkpoint }),
    );
    expect(error).toBeInstanceOf(CheckpointMismatchError);
    expect(error).toBeInstanceOf(CheckpointError);
    expect(error.message).toBe(
      "trainMetaLearner: cannot resume from the checkpoint at step 2: it differs from this run in 1 setting: config.adaptationStepSize 0.1 (checkpoint) vs 0.05 (now); to resume anyway, pass allowChanges: ['config.adaptationStepSize']",
    );
    expect((error as CheckpointMismatchError).differences).toEqual([
      { path: 'config.adaptationStepSize', checkpoint: 0.1, current: 0.05 },
    ]);
    // Refused before the learner's state was touched.
    expect(Array.from(flattenParams((await learner.toCheckpoint()).params))).toEqual(before);
    learner.dispose();
  }, 30_000);

  it('refuses a changed distribution and lists every difference in one error', async () => {
    const fiveArms = banditDistribution({ arms: 5 });
    const threeArms = banditDistribution({ arms: 3 });
    const banditLearner = (distribution: typeof fiveArms, actions: number) =>
      createFineTuningLearner<unknown>({
        distribution,
        policy: createCategoricalMlpPolicy({ observationSize: 1, actions, hiddenSizes: [8] }),
        seed: 3,
        episodesPerTask: 2,
      });
    const checkpoint = await trainedCheckpoint(banditLearner(fiveArms, 5), fiveArms);
    const learner = banditLearner(threeArms, 3);
    const error = await rejection(
      trainMetaLearner(learner, threeArms, { ...options, iterations: 3, resumeFrom: checkpoint }),
    );
    expect(error.message).toBe(
      "trainMetaLearner: cannot resume from the checkpoint at step 2: it differs from this run in 3 settings: distribution.parameters.arms 5 (checkpoint) vs 3 (now); policy.actionSize 5 (checkpoint) vs 3 (now); policy.architecture.layerSizes [1,8,5] (checkpoint) vs [1,8,3] (now); to resume anyway, pass allowChanges: ['distribution.parameters.arms', 'policy.actionSize', 'policy.architecture.layerSizes']",
    );
    // Another distribution altogether (the learner unchanged: only the loop's distribution differs).
    const navigationCheckpoint = await trainedCheckpoint();
    const other = makeLearner();
    await expect(
      trainMetaLearner(other, fiveArms, { ...options, iterations: 3, resumeFrom: navigationCheckpoint }),
    ).rejects.toThrow(
      `trainMetaLearner: cannot resume from the checkpoint at step 2: it differs from this run in 2 settings: distribution.id "Navigation2D-v1" (checkpoint) vs "Bandit-v0" (now); distribution.parameters.arms not recorded (checkpoint) vs 5 (now); to resume anyway, pass allowChanges: ['distribution.id', 'distribution.parameters.arms']`,
    );
    learner.dispose();
    other.dispose();
  }, 30_000);

  it('refuses a changed meta-batch size and a changed seed', async () => {
    const checkpoint = await trainedCheckpoint();
    const learner = makeLearner();
    await expect(
      trainMetaLearner(learner, navigation, {
        ...options,
        iterations: 3,
        metaBatchSize: 4,
        seed: 10,
        resumeFrom: checkpoint,
      }),
    ).rejects.toThrow(
      "trainMetaLearner: cannot resume from the checkpoint at step 2: it differs from this run in 2 settings: training.metaBatchSize 2 (checkpoint) vs 4 (now); training.seed 9 (checkpoint) vs 10 (now); to resume anyway, pass allowChanges: ['training.metaBatchSize', 'training.seed']",
    );
    learner.dispose();
  }, 30_000);

  it('refuses a changed policy architecture (before the parameter shapes are compared)', async () => {
    const checkpoint = await trainedCheckpoint();
    const wider = createGaussianMlpPolicy({ observationSize: 2, actionSize: 2, hiddenSizes: [32] });
    const learner = makeLearner({ policy: wider });
    await expect(
      trainMetaLearner(learner, navigation, { ...options, iterations: 3, resumeFrom: checkpoint }),
    ).rejects.toThrow(
      "trainMetaLearner: cannot resume from the checkpoint at step 2: it differs from this run in 1 setting: policy.architecture.layerSizes [2,16,2] (checkpoint) vs [2,32,2] (now); to resume anyway, pass allowChanges: ['policy.architecture.layerSizes']",
    );
    // Allowed, the learner still refuses parameters that do not fit.
    await expect(
      trainMetaLearner(learner, navigation, {
        ...options,
        iterations: 3,
        resumeFrom: checkpoint,
        allowChanges: ['policy'],
      }),
    ).rejects.toThrow(/fine-tuning.fromCheckpoint: the checkpoint's parameters .* do not fit this learner's/);
    learner.dispose();
  }, 30_000);

  it('resumes with deliberately changed settings named in allowChanges, and records the new ones', async () => {
    const checkpoint = await trainedCheckpoint();
    const learner = makeLearner({ adaptationStepSize: 0.05 });
    const handedOut: Checkpoint[] = [];
    const result = await trainMetaLearner(learner, navigation, {
      ...options,
      iterations: 3,
      metaBatchSize: 3,
      resumeFrom: checkpoint,
      allowChanges: ['config.adaptationStepSize', 'training'],
      onCheckpoint: (c) => {
        handedOut.push({ ...c, params: {}, optimizer: undefined } as unknown as Checkpoint);
      },
    });
    expect(result.records.map((r) => r.iteration)).toEqual([3]);
    expect(handedOut).toHaveLength(1);
    expect((handedOut[0]!.config as { adaptationStepSize: number }).adaptationStepSize).toBe(0.05);
    expect(handedOut[0]!.setup?.training).toEqual({ metaBatchSize: 3, seed: 9 });
    // A path that does not cover the difference does not allow it.
    await expect(
      trainMetaLearner(makeLearner({ adaptationStepSize: 0.05 }), navigation, {
        ...options,
        iterations: 3,
        resumeFrom: await trainedCheckpoint(),
        allowChanges: ['config.adaptation', 'distribution'],
      }),
    ).rejects.toThrow(/in 1 setting: config\.adaptationStepSize 0\.1 \(checkpoint\) vs 0\.05 \(now\)/);
    await expect(
      trainMetaLearner(learner, navigation, {
        ...options,
        resumeFrom: checkpoint,
        allowChanges: 'config' as unknown as string[],
      }),
    ).rejects.toThrow(
      `trainMetaLearner: allowChanges must be an array of setting paths such as ['config.innerStepSize'], got "config"`,
    );
    learner.dispose();
  }, 30_000);

  it('refuses a checkpoint written before the setup was recorded, unless allowed', async () => {
    const { setup: _recorded, ...old } = await trainedCheckpoint();
    const learner = makeLearner();
    const error = await rejection(
      trainMetaLearner(learner, navigation, { ...options, iterations: 3, resumeFrom: old }),
    );
    expect(error.message).toBe(
      `trainMetaLearner: cannot resume from the checkpoint at step 2: it differs from this run in 3 settings: distribution not recorded (checkpoint) vs {"id":"Navigation2D-v1","parameters":{}} (now); policy not recorded (checkpoint) vs {"observationSize":2,"actionKind":"continuous","actionSiz... (now); training not recorded (checkpoint) vs {"metaBatchSize":2,"seed":9} (now); to resume anyway, pass allowChanges: ['distribution', 'policy', 'training']`,
    );
    const result = await trainMetaLearner(learner, navigation, {
      ...options,
      iterations: 3,
      resumeFrom: old,
      allowChanges: ['distribution', 'policy', 'training'],
    });
    expect(result.iterations).toBe(3);
    learner.dispose();
  }, 30_000);

  it('learner.fromCheckpoint checks the config and setup it knows; allowChanges lets a change through', async () => {
    const checkpoint = await trainedCheckpoint();
    const learner = makeLearner({ adaptationStepSize: 0.05, gamma: 0.9 });
    await expect(learner.fromCheckpoint(checkpoint)).rejects.toThrow(
      "fine-tuning.fromCheckpoint: cannot resume from the checkpoint at step 2: it differs from this run in 2 settings: config.adaptationStepSize 0.1 (checkpoint) vs 0.05 (now); config.gamma 0.99 (checkpoint) vs 0.9 (now); to resume anyway, pass allowChanges: ['config.adaptationStepSize', 'config.gamma']",
    );
    // The training section is the loop's: a learner alone does not compare it.
    await learner.fromCheckpoint(checkpoint, { allowChanges: ['config'] });
    expect(Array.from(flattenParams((await learner.toCheckpoint()).params))).toEqual(
      Array.from(flattenParams(checkpoint.params)),
    );
    learner.dispose();
  }, 30_000);

  it('trainMetaLearnerInDirectory names the directory and touches no file when it refuses', async () => {
    const output = join(directory, 'run');
    const first = makeLearner();
    await trainMetaLearnerInDirectory(first, navigation, { ...options, outputDirectory: output });
    first.dispose();
    const saved = JSON.parse(readFileSync(join(output, 'checkpoint', 'state.json'), 'utf8'));
    expect(saved.setup.training).toEqual({ metaBatchSize: 2, seed: 9 });
    expect(saved.setup.distribution).toEqual({ id: 'Navigation2D-v1', parameters: {} });
    expect((await loadCheckpoint(join(output, 'checkpoint'))).setup).toEqual(saved.setup);
    const metrics = readFileSync(join(output, 'metrics.jsonl'), 'utf8');
    const learner = makeLearner();
    const checkpointDirectory = join(output, 'checkpoint');
    await expect(
      trainMetaLearnerInDirectory(learner, navigation, {
        ...options,
        iterations: 3,
        metaBatchSize: 3,
        outputDirectory: output,
        resumeFrom: checkpointDirectory,
      }),
    ).rejects.toThrow(
      `trainMetaLearnerInDirectory: cannot resume from ${checkpointDirectory}: it differs from this run in 1 setting: training.metaBatchSize 2 (checkpoint) vs 3 (now); to resume anyway, pass allowChanges: ['training.metaBatchSize']`,
    );
    expect(readFileSync(join(output, 'metrics.jsonl'), 'utf8')).toBe(metrics);
    const resumed = await trainMetaLearnerInDirectory(learner, navigation, {
      ...options,
      iterations: 3,
      metaBatchSize: 3,
      outputDirectory: output,
      resumeFrom: checkpointDirectory,
      allowChanges: ['training.metaBatchSize'],
    });
    expect(resumed.records.map((r) => r.iteration)).toEqual([3]);
    learner.dispose();
  }, 30_000);

  it('findCheckpointDifferences compares the config always and each setup section the current run gives', () => {
    const description = { policy: describePolicy(policy) };
    expect(
      findCheckpointDifferences(
        {
          config: { a: 1, nested: { b: [1, 2] } },
          setup: { ...description, training: { metaBatchSize: 2 } },
        },
        { config: { a: 1, nested: { b: [1, 3], c: true } }, setup: description },
      ),
    ).toEqual([
      { path: 'config.nested.b', checkpoint: [1, 2], current: [1, 3] },
      { path: 'config.nested.c', checkpoint: undefined, current: true },
    ]);
    // An undefined member is absent, as in JSON.
    expect(findCheckpointDifferences({ config: { a: undefined } as never }, { config: {} })).toEqual([]);
  });
});
