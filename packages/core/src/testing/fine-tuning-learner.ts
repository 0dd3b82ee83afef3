/**
 * The simplest correct `MetaLearner`: one policy pretrained jointly on all tasks with VPG, adapted
 * to a new task by one VPG step on its exploration episodes ("pretrained + fine-tune", the
 * baseline of Finn et al. 2017). It exists to exercise the shared machinery (evaluator, training
 * loop, checkpoints, `checkMetaLearner`) and as a template for algorithm authors.
 */
import { createRng, type Rng, type TaskDistribution } from '@metarl/envs';
import * as tf from '@tensorflow/tfjs-core';
import { gradients, valueAndGradients } from '../autodiff/differentiate';
import { assertCheckpointFits, type Checkpoint } from '../checkpoint/checkpoint';
import {
  type CheckpointSetup,
  describePolicy,
  describeTaskDistribution,
} from '../checkpoint/checkpoint-setup';
import type { MetaLearner } from '../meta/meta-learner';
import { createAdam } from '../optim/adam';
import { disposeOptimizerState, type OptimizerState } from '../optim/optimizer';
import {
  disposeParams,
  type ParamTree,
  scaleParams,
  stackParams,
  subtractParams,
} from '../params/param-tree';
import { discountedReturns, generalizedAdvantages, normalizeAdvantages } from '../rl/advantages';
import { createPolicyAgent } from '../rl/agent';
import { fitLinearBaseline } from '../rl/linear-baseline';
import type { Policy } from '../rl/policies';
import { policyGradientLoss } from '../rl/policy-gradient';
import { actionsAsTensor, collectEpisodes, type EpisodeBatch } from '../rl/rollouts';

/** Configuration of `createFineTuningLearner`. */
export interface FineTuningLearnerConfig<Task> {
  /** The tasks' distribution (environments are made from it). */
  readonly distribution: TaskDistribution<Task>;
  /** The policy. */
  readonly policy: Policy;
  /** Seed of the initial parameters. */
  readonly seed: number;
  /** Episodes per task per meta-training step; default 10. */
  readonly episodesPerTask?: number;
  /** Step size of the adaptation (VPG) step; default 0.1. */
  readonly adaptationStepSize?: number;
  /** Adam's step size for pretraining; default 1e-2. */
  readonly learningRate?: number;
  /** Discount; default 0.99. */
  readonly gamma?: number;
}

/** The VPG loss data of the steps in `[start, end)` of `batch`, advantages from the linear baseline. */
function lossData(batch: EpisodeBatch, gamma: number, policy: Policy) {
  const returns = discountedReturns(batch, gamma);
  const baseline = fitLinearBaseline(batch, returns);
  const { advantages } = generalizedAdvantages(batch, baseline.values, { gamma, lambda: 1 });
  const steps = batch.rewards.length;
  return {
    observations: tf.tensor2d(batch.observations, [steps, batch.observationSize]),
    actions: actionsAsTensor(batch, policy.actionKind),
    advantages: tf.tensor1d(normalizeAdvantages(advantages)),
  };
}

/** The episodes of task `task` (contiguous in a task-major batch) as their own batch. */
function episodesOfTask(batch: EpisodeBatch, task: number): EpisodeBatch {
  const episodes: number[] = [];
  batch.taskIndex.forEach((t, e) => {
    if (t === task) episodes.push(e);
  });
  const first = episodes[0]!;
  const last = episodes[episodes.length - 1]!;
  const start = batch.offsets[first]!;
  const end = batch.offsets[last]! + batch.lengths[last]!;
  const o = batch.observationSize;
  const a = batch.actionSize;
  return {
    ...batch,
    observations: batch.observations.subarray(start * o, end * o),
    actions: batch.actions.subarray(start * a, end * a),
    rewards: batch.rewards.subarray(start, end),
    terminated: batch.terminated.subarray(start, end),
    truncated: batch.truncated.subarray(start, end),
    lengths: batch.lengths.subarray(first, last + 1),
    offsets: batch.offsets.subarray(first, last + 1).map((v) => v - start),
    envIndex: batch.envIndex.subarray(first, last + 1),
    taskIndex: batch.taskIndex.subarray(first, last + 1),
    finalObservations: batch.finalObservations.subarray(first * o, (last + 1) * o),
    agentInfo: {},
  };
}

/** A pretrain-and-fine-tune `MetaLearner` (see the module comment). */
export function createFineTuningLearner<Task>(config: FineTuningLearnerConfig<Task>): MetaLearner<Task> {
  const { distribution, policy } = config;
  const episodesPerTask = config.episodesPerTask ?? 10;
  const stepSize = config.adaptationStepSize ?? 0.1;
  const gamma = config.gamma ?? 0.99;
  if (!(stepSize > 0))
    throw new RangeError(`createFineTuningLearner: adaptationStepSize must be > 0, got ${stepSize}`);
  if (!Number.isInteger(episodesPerTask) || episodesPerTask < 1) {
    throw new RangeError(
      `createFineTuningLearner: episodesPerTask must be a positive integer, got ${episodesPerTask}`,
    );
  }
  const optimizer = createAdam({ learningRate: config.learningRate ?? 1e-2 });
  let params: ParamTree = policy.init(createRng(config.seed));
  let state: OptimizerState = optimizer.init(params);
  let step = 0;
  const kind = 'fine-tuning';
  const publicConfig = {
    seed: config.seed,
    episodesPerTask,
    adaptationStepSize: stepSize,
    learningRate: config.learningRate ?? 1e-2,
    gamma,
  };
  /** What checkpoints record besides the config, and what a restore compares. */
  const setup: CheckpointSetup = {
    distribution: describeTaskDistribution(distribution),
    policy: describePolicy(policy),
  };

  const adaptToTask = (batch: EpisodeBatch): ParamTree => {
    const data = lossData(batch, gamma, policy);
    const grads = gradients(
      (p) => policyGradientLoss(policy, p, data.observations, data.actions, data.advantages),
      params,
    );
    const scaled = scaleParams(grads, stepSize);
    const adapted = subtractParams(params, scaled);
    disposeParams(grads);
    disposeParams(scaled);
    tf.dispose(Object.values(data));
    return adapted;
  };

  return {
    kind,
    adaptation: 'gradient',
    explorationAgent: () => createPolicyAgent(policy, params),
    adapt(_agent, episodes) {
      const tasks = [...new Set(episodes.taskIndex)].sort((x, y) => x - y);
      const perTask = tasks.map((task) => adaptToTask(episodesOfTask(episodes, task)));
      const stacked = stackParams(perTask);
      for (const tree of perTask) disposeParams(tree);
      return createPolicyAgent(policy, stacked, { tasks: tasks.length, ownsParams: true });
    },
    async metaTrainStep(tasks, rng: Rng) {
      const env = distribution.makeVectorEnv(
        tasks.flatMap((task) => Array.from({ length: episodesPerTask }, () => task)),
        { autoresetMode: 'disabled' },
      );
      const batch = collectEpisodes(env, createPolicyAgent(policy, params), {
        episodesPerEnv: 1,
        rng,
        seed: rng.nextSeed(),
        tasks: tasks.length,
      });
      const data = lossData(batch, gamma, policy);
      const { value, gradients: grads } = valueAndGradients(
        (p) => policyGradientLoss(policy, p, data.observations, data.actions, data.advantages),
        params,
      );
      const lossValue = value.dataSync()[0]!;
      value.dispose();
      const next = optimizer.step(params, grads, state);
      disposeParams(grads);
      disposeParams(params);
      disposeOptimizerState(state);
      params = next.params;
      state = next.state;
      tf.dispose(Object.values(data));
      step += 1;
      const returnBefore = batch.rewards.reduce((p, v) => p + v, 0) / batch.lengths.length;
      return { 'metaTrain/returnBefore': returnBefore, 'losses/policy': lossValue };
    },
    async toCheckpoint(): Promise<Checkpoint> {
      return {
        kind,
        version: 1,
        config: publicConfig,
        setup,
        params: { policy: params },
        optimizer: state,
        rng: {},
        step,
      };
    },
    async fromCheckpoint(checkpoint, options) {
      // Kind, then config and setup (every difference named, unless allowed), then shapes.
      assertCheckpointFits(checkpoint, {
        kind,
        params: { policy: params },
        needsOptimizer: true,
        run: { config: publicConfig, setup },
        allowChanges: options?.allowChanges,
      });
      disposeParams(params);
      disposeOptimizerState(state);
      params = checkpoint.params.policy as ParamTree;
      state = checkpoint.optimizer!;
      step = checkpoint.step;
    },
    dispose() {
      disposeParams(params);
      disposeOptimizerState(state);
    },
  };
}
