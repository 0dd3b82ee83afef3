/**
 * The trial learner: the training loop every memory-based meta-learner shares (RL², SNAIL, MANN:
 * a recurrent policy over trial inputs whose memory is kept across the n episodes of a trial,
 * trained by an ordinary RL algorithm to maximise the trial's total reward; the "fast" learning
 * happens in the memory, adaptation is the forward pass itself). A learner package supplies the
 * architecture (a `RecurrentPolicy`) and its options; this file supplies one meta-training step:
 *
 * 1. sample one trial of n episodes per task, all trials together (one policy step for every
 *    trial per time step), recording log-probabilities and values;
 * 2. GAE over whole trials (discounting runs across the episode boundaries inside a trial; only
 *    the trial's end is terminal);
 * 3. move the value head's PopArt scale to the new value targets;
 * 4. the outer update on trials padded to `[B, L, ...]`, back-propagating through whole trials:
 *    PPO over minibatches of whole trials (core's `runPpoEpochs` and `ppoLossTerms`), or TRPO on
 *    the policy followed by a regression of the value head.
 *
 * The value head reads the policy's per-step features (`RecurrentPolicy.featureSize`; the GRU's
 * state for RL²); a policy may compute them with a network of its own (SNAIL's separate value
 * network).
 */
import { type Box, createRng, type Discrete, type Rng, type TaskDistribution } from '@metarl/envs';
import * as tf from '@tensorflow/tfjs-core';
import { assertCheckpointFits, type Checkpoint } from '../checkpoint/checkpoint';
import {
  type CheckpointSetup,
  describePolicy,
  describeTaskDistribution,
} from '../checkpoint/checkpoint-setup';
import type { MetaLearner, MetaMetrics } from '../meta/meta-learner';
import { stopGradient } from '../ops/ops';
import { createAdam } from '../optim/adam';
import { disposeOptimizerState, type OptimizerState } from '../optim/optimizer';
import { cloneParams, disposeParams, type ParamTree } from '../params/param-tree';
import type { Agent } from '../rl/agent';
import { runPpoEpochs } from '../rl/ppo';
import { featureSizeOf, type RecurrentPolicy } from '../rl/recurrent-policy';
import { collectEpisodes, type EpisodeBatch } from '../rl/rollouts';
import { trpoStep } from '../rl/trpo';
import { createTrialAgent, type TrialAgent, type TrialMemory, trialMemoryAfter } from './trial-agent';
import {
  disposeTrialBatch,
  selectTrials,
  type TrialBatch,
  toTrialBatch,
  trialAdvantages,
  trialReturns,
} from './trial-batch';
import { type ActionEncoding, actionEncodingOf, trialInputSize } from './trial-inputs';
import type { TrialLearnerSettings } from './trial-learner-config';
import { createTrialTrpoObjective, trialLossTerms } from './trial-loss';
import { fitScaledValueHead, initialiseScaledValueHead, updateValueScale } from './value-scale';

/** A trial learner: the `MetaLearner` contract plus what demos and tests need. */
export interface TrialLearner<
  Task,
  Config = TrialLearnerSettings,
  Policy extends RecurrentPolicy = RecurrentPolicy,
> extends MetaLearner<Task> {
  /** A trial learner adapts in its policy's memory over a trial: `evaluateMetaLearner` plays whole trials. */
  readonly adaptation: 'memory';
  /** Episodes per trial n (the settings' `episodesPerTrial`). */
  readonly episodesPerTrial: number;
  /** The learner's settings with defaults filled in (what checkpoints record). */
  readonly config: Config;
  /** The recurrent policy (its inputs are `trialInputSize(observationSize, encoding)` floats). */
  readonly policy: Policy;
  /** How actions are fed back as inputs. */
  readonly encoding: ActionEncoding;
  /** Floats per observation of the distribution's environments. */
  readonly observationSize: number;
  /** The parameters `{ policy, value, valueScale }`; owned by the learner, replaced by every step. */
  parameters(): ParamTree;
  /** A fresh agent (zero memory) over a copy of the current parameters. */
  explorationAgent(tasks?: readonly Task[]): TrialAgent;
  /** Plays one trial of n episodes on every task (one environment per task); returns the episodes. */
  playTrials(
    tasks: readonly Task[],
    options: { readonly seed: number; readonly deterministic?: boolean },
  ): EpisodeBatch;
}

/** What a policy over a distribution's trials must fit. */
export interface TrialShape {
  /** Floats per step of the trial inputs (`trialInputSize`: observation, action, reward, done). */
  readonly inputSize: number;
  /** How actions are encoded (kind and size: the policy's actions). */
  readonly encoding: ActionEncoding;
  /** The most steps a trial can take: episodes per trial times the environments' time limit. */
  readonly maxTrialSteps: number;
  /**
   * Positions in the trial inputs that never vary: observation entries whose space has low =
   * high (the bandits' single 0). A policy may leave them out of its network.
   */
  readonly constantInputs: readonly number[];
}

/** What `createTrialLearner` needs: the architecture and the settings, chosen by a learner package. */
export interface TrialLearnerOptions<Task, Config, Policy extends RecurrentPolicy = RecurrentPolicy> {
  /** The checkpoint kind and the prefix of errors from the learner's methods, e.g. 'rl2'. */
  readonly kind: string;
  /** The prefix of construction errors, e.g. 'createRl2'. */
  readonly owner: string;
  /** The learner's name in messages, e.g. 'RL²'. */
  readonly name: string;
  /** Where the tasks' environments come from. */
  readonly distribution: TaskDistribution<Task>;
  /** Makes the policy over the distribution's trials (or returns the user's; it is checked). */
  readonly policy: (trial: TrialShape) => Policy;
  /** The training settings (`resolveTrialLearnerSettings`). */
  readonly settings: TrialLearnerSettings;
  /** The learner's whole settings, recorded in checkpoints and compared on restore. */
  readonly config: Config;
}

/** Creates a trial learner (see the module comment) over the architecture `options.policy` makes. */
export function createTrialLearner<
  Task,
  Config extends object,
  Policy extends RecurrentPolicy = RecurrentPolicy,
>(options: TrialLearnerOptions<Task, Config, Policy>): TrialLearner<Task, Config, Policy> {
  const { distribution, settings, kind, owner, name } = options;
  const recorded = options.config;
  if (distribution === undefined || distribution === null || typeof distribution.makeVectorEnv !== 'function')
    throw new RangeError(`${owner}: config.distribution must be a TaskDistribution`);

  // The policy over trial inputs; the value head reads its features.
  const probe = distribution.makeVectorEnv([distribution.defaultTask()], { autoresetMode: 'disabled' });
  const observationSize = probe.observationSize;
  const encoding = actionEncodingOf(probe.actionSpace as Box | Discrete);
  const inputSize = trialInputSize(observationSize, encoding);
  const policy = options.policy({
    inputSize,
    encoding,
    maxTrialSteps: settings.episodesPerTrial * probe.maxEpisodeSteps,
    constantInputs: Array.from(probe.observationSpace.low).flatMap((low, i) =>
      low === probe.observationSpace.high[i] ? [i] : [],
    ),
  });
  if (
    policy.observationSize !== inputSize ||
    policy.actionKind !== encoding.kind ||
    policy.actionSize !== encoding.size
  ) {
    throw new RangeError(
      `${owner}: the policy (inputs ${policy.observationSize}, ${policy.actionKind} actions of size ${policy.actionSize}) does not fit ${distribution.id}: ${name} inputs are ${inputSize} floats (observation ${observationSize} + action ${encoding.size} + reward + done) and actions are ${encoding.kind} of size ${encoding.size}`,
    );
  }
  /** What checkpoints record besides the config, and what a restore compares. */
  const setup: CheckpointSetup = {
    distribution: describeTaskDistribution(distribution),
    policy: describePolicy(policy),
  };
  const initRng = createRng(settings.seed);
  let params: ParamTree = {
    policy: policy.init(initRng),
    ...initialiseScaledValueHead(initRng, featureSizeOf(policy)),
  };
  /** What the optimiser updates: everything but the value scale (which tracks the targets). */
  const trainable = (tree: ParamTree): ParamTree => ({ policy: tree.policy!, value: tree.value! });
  const optimizer = createAdam({ learningRate: settings.ppo.learningRate });
  let state: OptimizerState | undefined =
    settings.outerOptimizer === 'ppo' ? optimizer.init(trainable(params)) : undefined;
  let step = 0;
  const n = settings.episodesPerTrial;
  /** Agents this learner made, with the memory they start from (for `adapt`). */
  const agents = new WeakMap<Agent, { readonly params: ParamTree; readonly initialMemory?: TrialMemory }>();

  /** An agent over a copy of `source` (default: the current parameters) that it owns. */
  const makeAgent = (options: {
    readonly initialMemory?: TrialMemory;
    readonly deterministic?: boolean;
    readonly source?: ParamTree;
  }) => {
    const owned = cloneParams(options.source ?? params);
    const agent = createTrialAgent(policy, owned, observationSize, encoding, {
      ...(options.initialMemory === undefined ? {} : { initialMemory: options.initialMemory }),
      ...(options.deterministic === undefined ? {} : { deterministic: options.deterministic }),
      onDispose: () => disposeParams(owned),
    });
    agents.set(agent, {
      params: owned,
      ...(options.initialMemory ? { initialMemory: options.initialMemory } : {}),
    });
    return agent;
  };

  /** One trial of n episodes per task, memory kept across the trial's episode boundaries. */
  const sampleTrials = (tasks: readonly Task[], agent: Agent, rng: Rng, seed: number) => {
    if (!Array.isArray(tasks) || tasks.length === 0)
      throw new RangeError(
        `${kind}: needs a non-empty array of tasks, got ${Array.isArray(tasks) ? '[]' : String(tasks)}`,
      );
    const env = distribution.makeVectorEnv(tasks, { autoresetMode: 'disabled' });
    return collectEpisodes(env, agent, { episodesPerEnv: n, rng, seed, keepMemoryAcrossEpisodes: true });
  };

  /** PPO over minibatches of whole trials (Adam on the policy and the value head). */
  const ppoUpdate = (batch: TrialBatch, rng: Rng): Record<string, number> => {
    const { epochs, minibatches, maxGradientNorm, clipRange, valueCoefficient, entropyCoefficient } =
      settings.ppo;
    const valueScale = params.valueScale!;
    const result = runPpoEpochs({
      params: trainable(params),
      optimizer,
      state: state!,
      rng,
      units: batch.trials,
      epochs,
      minibatches,
      maxGradientNorm,
      loss: (p, trials) =>
        trialLossTerms(policy, { ...p, valueScale }, selectTrials(batch, trials), {
          clipRange,
          valueCoefficient,
          entropyCoefficient,
        }),
    });
    disposeParams(trainable(params));
    disposeOptimizerState(state!);
    params = { ...result.params, valueScale };
    state = result.state;
    const { policyLoss, valueLoss, entropy, clipFraction, gradientNorm } = result.metrics;
    return {
      'ppo/policyLoss': policyLoss!,
      'ppo/valueLoss': valueLoss!,
      'ppo/entropy': entropy!,
      'ppo/clipFraction': clipFraction!,
      'ppo/gradientNorm': gradientNorm,
    };
  };

  /** TRPO on the policy under a mean-KL bound, then the value head regressed on the new policy's features. */
  const trpoUpdate = (batch: TrialBatch): Record<string, number> => {
    const { valueSteps, valueLearningRate, ...trpoSettings } = settings.trpo;
    const objective = createTrialTrpoObjective(policy, params, batch);
    const result = trpoStep(params.policy as ParamTree, objective.loss, objective.kl, trpoSettings);
    objective.dispose();
    const states = tf.tidy(() =>
      stopGradient(
        policy.unroll(result.params, batch.inputs, tf.zeros([batch.trials, policy.hiddenSize])).states,
      ),
    );
    const fit = fitScaledValueHead(params, states, batch.returns, {
      steps: valueSteps,
      learningRate: valueLearningRate,
      mask: batch.mask,
    });
    states.dispose();
    disposeParams(trainable(params));
    params = { policy: result.params, value: fit.value, valueScale: params.valueScale! };
    return { ...result.metrics, 'trpo/valueLoss': fit.loss };
  };

  return {
    kind,
    adaptation: 'memory',
    episodesPerTrial: n,
    config: recorded,
    policy,
    encoding,
    observationSize,
    parameters: () => params,

    async metaTrainStep(tasks, rng): Promise<MetaMetrics> {
      const clock = () => performance.now() / 1000;
      const started = clock();
      // 1. One trial per task, the memory carried across its episodes.
      const agent = makeAgent({});
      const episodes = sampleTrials(tasks, agent, rng, rng.nextSeed());
      agent.dispose?.();
      const sampled = clock();
      // 2. GAE over whole trials; the trials padded into one batch.
      const targets = trialAdvantages(episodes, episodes.agentInfo.value!, settings);
      const batch = toTrialBatch(episodes, encoding, targets, settings.normalizeAdvantages);
      // 3. The value scale follows the new targets (the head is rescaled: values unchanged).
      const scale = updateValueScale(params, targets.returns, step);
      disposeParams(params.value as ParamTree);
      disposeParams(params.valueScale as ParamTree);
      params = scale.params;
      // 4. The outer update through whole trials.
      const outer = settings.outerOptimizer === 'ppo' ? ppoUpdate(batch, rng) : trpoUpdate(batch);
      disposeTrialBatch(batch);
      step += 1;
      const returns = trialReturns(episodes, n);
      return {
        'metaTrain/returnPerTrial': returns.perTrial,
        'metaTrain/returnFirstEpisode': returns.firstEpisode,
        'metaTrain/returnLastEpisode': returns.lastEpisode,
        'metaTrain/environmentSteps': episodes.rewards.length,
        ...outer,
        'value/scaleMean': scale.mean,
        'value/scaleStd': scale.std,
        'time/sampling': sampled - started,
        'time/update': clock() - sampled,
        'time/iteration': clock() - started,
      };
    },

    explorationAgent: () => makeAgent({}),

    adapt(agent, episodes) {
      const source = agents.get(agent);
      if (source === undefined) {
        throw new TypeError(
          `${kind}.adapt: the agent was not made by this learner (use its explorationAgent or a previous adapt result)`,
        );
      }
      if (episodes.observationSize !== observationSize) {
        throw new RangeError(
          `${kind}.adapt: the episodes have observations of ${episodes.observationSize} floats, the learner's environments ${observationSize}`,
        );
      }
      const policyParams = source.params.policy as ParamTree;
      const memory = trialMemoryAfter(
        policy,
        policyParams,
        episodes,
        encoding,
        source.initialMemory,
        `${kind}.adapt`,
      );
      return makeAgent({ initialMemory: memory, source: source.params });
    },

    playTrials(tasks, options) {
      const agent = makeAgent({ deterministic: options.deterministic ?? false });
      try {
        return sampleTrials(tasks, agent, createRng(options.seed), options.seed);
      } finally {
        agent.dispose?.();
      }
    },

    async toCheckpoint(): Promise<Checkpoint> {
      return {
        kind,
        version: 1,
        config: { ...recorded } as unknown as Checkpoint['config'],
        setup,
        params,
        ...(state === undefined ? {} : { optimizer: state }),
        rng: {},
        step,
      };
    },

    async fromCheckpoint(checkpoint, options) {
      assertCheckpointFits(checkpoint, {
        kind,
        params,
        needsOptimizer: settings.outerOptimizer === 'ppo',
        run: { config: recorded as unknown as Checkpoint['config'], setup },
        allowChanges: options?.allowChanges,
      });
      disposeParams(params);
      if (state !== undefined) disposeOptimizerState(state);
      params = checkpoint.params;
      state = settings.outerOptimizer === 'ppo' ? checkpoint.optimizer : undefined;
      step = checkpoint.step;
    },

    dispose() {
      disposeParams(params);
      if (state !== undefined) disposeOptimizerState(state);
    },
  };
}
