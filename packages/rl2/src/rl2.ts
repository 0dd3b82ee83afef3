/**
 * RL² (Duan et al. 2016, "RL²: Fast Reinforcement Learning via Slow Reinforcement Learning"): a
 * GRU policy whose input each step is (observation, previous action, previous reward, done
 * flag) and whose hidden state is kept across the n episodes of a trial, trained by an ordinary
 * RL algorithm to maximise the trial's total reward. The "fast" learning happens in the hidden
 * state; adaptation is the forward pass itself. One meta-training step:
 *
 * 1. one trial of n episodes per task, all trials sampled together (one GRU step for every trial
 *    per time step), the agent recording log-probabilities and values;
 * 2. GAE over whole trials (discounting and advantages run across the episode boundaries inside
 *    a trial; only the trial's end is terminal);
 * 3. the outer update on trials padded to `[B, L, ...]`, back-propagating through the whole
 *    trial: PPO (clipped surrogate, value loss, entropy bonus; minibatches of whole trials, Adam)
 *    by default, or TRPO on the policy followed by a regression of the value head.
 *
 * The value head reads the policy's GRU state (one recurrent network, two heads).
 */
import {
  type Agent,
  assertCheckpointFits,
  type Checkpoint,
  clipByGlobalNorm,
  clippedSurrogate,
  cloneParams,
  collectEpisodes,
  createAdam,
  createGruPolicy,
  type Distribution,
  disposeOptimizerState,
  disposeParams,
  type EpisodeBatch,
  initialiseWeights,
  type MetaLearner,
  type MetaMetrics,
  type OptimizerState,
  type ParamTree,
  type RecurrentPolicy,
  stopGradient,
  type TrpoSettings,
  tf,
  trpoStep,
  valueAndGradients,
} from '@metarl/core';
import type { Box, Discrete, Rng, TaskDistribution } from '@metarl/envs';
import { createRng } from '@metarl/envs';
import { createRl2Agent, type Rl2Agent, type Rl2Memory, valuesOf } from './rl2-agent';
import {
  disposeTrialBatch,
  selectTrials,
  type TrialBatch,
  toTrialBatch,
  trialAdvantages,
} from './trial-batch';
import {
  type ActionEncoding,
  actionEncodingOf,
  encodeAction,
  trialInputSize,
  trialInputs,
  trialRanges,
} from './trial-inputs';

/** PPO options of RL² (minibatches of whole trials). */
export interface Rl2PpoOptions {
  /** epsilon of the clipped ratio; default 0.2. */
  readonly clipRange?: number;
  /** Passes over the trials of a step; default 4. */
  readonly epochs?: number;
  /** Minibatches of whole trials per epoch; default 4. */
  readonly minibatches?: number;
  /** Adam's step size; default 1e-2 (measured: 1e-3 and 3e-3 learn bandits and MDPs much more slowly). */
  readonly learningRate?: number;
  /** Weight of the value loss; default 0.5. */
  readonly valueCoefficient?: number;
  /** Weight of the entropy bonus; default 0.01. */
  readonly entropyCoefficient?: number;
  /** Global gradient-norm clip; default 1. */
  readonly maxGradientNorm?: number;
}

/** TRPO options of RL²: core's `trpoStep` on the policy, then Adam on the value head. */
export interface Rl2TrpoOptions extends TrpoSettings {
  /** Full-batch Adam steps on the value head after each TRPO step; default 50. */
  readonly valueSteps?: number;
  /** Their step size; default 1e-2. */
  readonly valueLearningRate?: number;
}

/** Configuration of `createRl2`. */
export interface Rl2Config<Task> {
  /** Where the tasks' environments come from. */
  readonly distribution: TaskDistribution<Task>;
  /** Episodes per trial n (the hidden state is kept across them); required, >= 1. */
  readonly episodesPerTrial: number;
  /** GRU state size when `policy` is not given; default 128 (the paper's is 256; 128 learns as well here at a quarter of the recurrent cost). */
  readonly hiddenSize?: number;
  /** A recurrent policy over RL² inputs (`trialInputSize`); default a GRU of `hiddenSize`. */
  readonly policy?: RecurrentPolicy;
  /** Seed of the initial parameters; default 0. */
  readonly seed?: number;
  /** Discount, across episode boundaries inside a trial; default 0.99. */
  readonly gamma?: number;
  /** GAE lambda; default 0.3. */
  readonly lambda?: number;
  /** Standardise advantages over each step's trials; default true. */
  readonly normalizeAdvantages?: boolean;
  /** Outer optimiser; default 'ppo'. */
  readonly outerOptimizer?: 'ppo' | 'trpo';
  /** PPO's options. */
  readonly ppo?: Rl2PpoOptions;
  /** TRPO's options when `outerOptimizer` is 'trpo'. */
  readonly trpo?: Rl2TrpoOptions;
}

/** The plain settings of an RL² learner (everything but the distribution and the policy). */
export type Rl2Settings = Required<Omit<Rl2Config<unknown>, 'distribution' | 'policy' | 'ppo' | 'trpo'>> & {
  readonly ppo: Required<Rl2PpoOptions>;
  readonly trpo: Required<Rl2TrpoOptions>;
};

/** An RL² learner: the `MetaLearner` contract plus what demos and tests need. */
export interface Rl2<Task> extends MetaLearner<Task> {
  /** The settings with defaults filled in. */
  readonly config: Rl2Settings;
  /** The recurrent policy (its inputs are `trialInputSize(observationSize, encoding)` floats). */
  readonly policy: RecurrentPolicy;
  /** How actions are fed back as inputs. */
  readonly encoding: ActionEncoding;
  /** Floats per observation of the distribution's environments. */
  readonly observationSize: number;
  /** The parameters `{ policy, value }`; owned by the learner, replaced by every step. */
  parameters(): ParamTree;
  /** A fresh agent (zero memory) over a copy of the current parameters. */
  explorationAgent(tasks?: readonly Task[]): Rl2Agent;
  /** Plays one trial of n episodes on every task (one environment per task); returns the episodes. */
  playTrials(
    tasks: readonly Task[],
    options: { readonly seed: number; readonly deterministic?: boolean },
  ): EpisodeBatch;
}

const KIND = 'rl2';

function fail(message: string): never {
  throw new RangeError(`createRl2: ${message}`);
}

function settingsOf(config: Rl2Config<unknown>): Rl2Settings {
  const settings: Rl2Settings = {
    episodesPerTrial: config.episodesPerTrial,
    hiddenSize: config.policy?.hiddenSize ?? config.hiddenSize ?? 128,
    seed: config.seed ?? 0,
    gamma: config.gamma ?? 0.99,
    lambda: config.lambda ?? 0.3,
    normalizeAdvantages: config.normalizeAdvantages ?? true,
    outerOptimizer: config.outerOptimizer ?? 'ppo',
    ppo: {
      clipRange: 0.2,
      epochs: 4,
      minibatches: 4,
      learningRate: 1e-2,
      valueCoefficient: 0.5,
      entropyCoefficient: 0.01,
      maxGradientNorm: 1,
      ...config.ppo,
    },
    trpo: {
      maxKl: 0.01,
      damping: 1e-3,
      conjugateGradientIterations: 10,
      lineSearchSteps: 15,
      backtrackRatio: 0.8,
      valueSteps: 50,
      valueLearningRate: 1e-2,
      ...config.trpo,
    },
  };
  const positiveIntegers = [
    ['episodesPerTrial', settings.episodesPerTrial],
    ['hiddenSize', settings.hiddenSize],
    ['ppo.epochs', settings.ppo.epochs],
    ['ppo.minibatches', settings.ppo.minibatches],
    ['trpo.valueSteps', settings.trpo.valueSteps],
  ] as const;
  for (const [name, value] of positiveIntegers) {
    if (!Number.isInteger(value) || value < 1) fail(`${name} must be an integer >= 1, got ${String(value)}`);
  }
  if (!Number.isSafeInteger(settings.seed)) fail(`seed must be an integer, got ${settings.seed}`);
  for (const name of ['gamma', 'lambda'] as const) {
    if (!(settings[name] >= 0 && settings[name] <= 1))
      fail(`${name} must be in [0, 1], got ${settings[name]}`);
  }
  if (settings.outerOptimizer !== 'ppo' && settings.outerOptimizer !== 'trpo')
    fail(`outerOptimizer must be 'ppo' or 'trpo', got '${String(settings.outerOptimizer)}'`);
  const positive = [
    ['ppo.clipRange', settings.ppo.clipRange],
    ['ppo.learningRate', settings.ppo.learningRate],
    ['ppo.maxGradientNorm', settings.ppo.maxGradientNorm],
    ['trpo.valueLearningRate', settings.trpo.valueLearningRate],
  ] as const;
  for (const [name, value] of positive) {
    if (!(value > 0 && Number.isFinite(value))) fail(`${name} must be a finite number > 0, got ${value}`);
  }
  for (const name of ['valueCoefficient', 'entropyCoefficient'] as const) {
    const value = settings.ppo[name];
    if (!(value >= 0 && Number.isFinite(value)))
      fail(`ppo.${name} must be a finite number >= 0, got ${value}`);
  }
  return settings;
}

/** The loss terms of the outer update on a (mini)batch of trials, masked means over real steps. */
export interface Rl2LossTerms {
  /** -mean clipped surrogate (PPO) or -mean ratio * advantage (TRPO). */
  readonly policyLoss: tf.Scalar;
  /**
   * 0.5 mean ((V - target) / s)^2 with s the value scale's std (the value head's regression in
   * its normalised units): in the shared GRU the value loss weighs as much as the policy loss
   * whether trials return 5 (bandits) or 150 (MDPs).
   */
  readonly valueLoss: tf.Scalar;
  /** Mean entropy of the action distributions. */
  readonly entropy: tf.Scalar;
  /** Fraction of steps whose ratio left [1 - epsilon, 1 + epsilon]. */
  readonly clipFraction: tf.Scalar;
}

/** Runs the policy over whole trials from a zero state: distributions `[B, L]` and values `[B, L]`. */
export function unrollTrials(
  policy: RecurrentPolicy,
  params: ParamTree,
  batch: TrialBatch,
): { distribution: Distribution; values: tf.Tensor2D } {
  const { distribution, states } = policy.unroll(
    params.policy as ParamTree,
    batch.inputs,
    tf.zeros([batch.trials, policy.hiddenSize]),
  );
  return { distribution, values: valuesOf(params, states) as tf.Tensor2D };
}

/** The PPO loss terms of `batch` at `params` (clipped with `clipRange`; unclipped when undefined). */
export function rl2LossTerms(
  policy: RecurrentPolicy,
  params: ParamTree,
  batch: TrialBatch,
  clipRange: number | undefined,
): Rl2LossTerms {
  return tf.tidy(() => {
    const { distribution, values } = unrollTrials(policy, params, batch);
    const count = tf.sum(batch.mask);
    const masked = (t: tf.Tensor) => tf.div(tf.sum(tf.mul(t, batch.mask)), count) as tf.Scalar;
    const logProb = distribution.logProb(batch.actions);
    let surrogate: tf.Tensor;
    let clipFraction: tf.Scalar;
    if (clipRange === undefined) {
      surrogate = tf.mul(tf.exp(tf.sub(logProb, batch.oldLogProb)), batch.advantages);
      clipFraction = tf.scalar(0);
    } else {
      const terms = clippedSurrogate(logProb, batch.oldLogProb, batch.advantages, clipRange);
      surrogate = terms.surrogate;
      clipFraction = masked(tf.cast(tf.greater(tf.abs(tf.sub(terms.ratio, 1)), clipRange), 'float32'));
    }
    return {
      policyLoss: tf.neg(masked(surrogate)) as tf.Scalar,
      valueLoss: tf.mul(
        0.5,
        masked(
          tf.square(tf.div(tf.sub(values, batch.returns), (params.valueScale as ParamTree).std as tf.Tensor)),
        ),
      ) as tf.Scalar,
      entropy: masked(distribution.entropy()),
      clipFraction,
    };
  });
}

function readScalars<K extends string>(terms: Record<K, tf.Scalar>): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const [key, tensor] of Object.entries(terms) as [K, tf.Scalar][]) {
    out[key] = tensor.dataSync()[0]!;
    tensor.dispose();
  }
  return out;
}

/** Creates an RL² learner (see the module comment). */
export function createRl2<Task>(config: Rl2Config<Task>): Rl2<Task> {
  if (config === null || typeof config !== 'object') fail(`config must be an object, got ${String(config)}`);
  const { distribution } = config;
  if (distribution === undefined || typeof distribution.makeVectorEnv !== 'function')
    fail('config.distribution must be a TaskDistribution');
  const settings = settingsOf(config);
  const probe = distribution.makeVectorEnv([distribution.defaultTask()], { autoresetMode: 'disabled' });
  const observationSize = probe.observationSize;
  const encoding = actionEncodingOf(probe.actionSpace as Box | Discrete);
  const inputSize = trialInputSize(observationSize, encoding);
  const actionKind = encoding.kind;
  const policy =
    config.policy ??
    createGruPolicy({
      observationSize: inputSize,
      actionKind,
      actionSize: encoding.size,
      hiddenSize: settings.hiddenSize,
    });
  if (
    policy.observationSize !== inputSize ||
    policy.actionKind !== actionKind ||
    policy.actionSize !== encoding.size
  ) {
    fail(
      `the policy (inputs ${policy.observationSize}, ${policy.actionKind} actions of size ${policy.actionSize}) does not fit ${distribution.id}: RL² inputs are ${inputSize} floats (observation ${observationSize} + action ${encoding.size} + reward + done) and actions are ${actionKind} of size ${encoding.size}`,
    );
  }
  const initRng = createRng(settings.seed);
  let params: ParamTree = {
    policy: policy.init(initRng),
    value: {
      weight: initialiseWeights(initRng, policy.hiddenSize, 1, 'glorot-uniform', 0.01),
      bias: tf.zeros([1]),
    },
    valueScale: { mean: tf.zeros([1]), std: tf.ones([1]) },
  };
  /** What the optimiser updates: everything but the value scale (which tracks the targets). */
  const trainable = (tree: ParamTree): ParamTree => ({ policy: tree.policy!, value: tree.value! });
  const optimizer = createAdam({ learningRate: settings.ppo.learningRate });
  let state: OptimizerState | undefined =
    settings.outerOptimizer === 'ppo' ? optimizer.init(trainable(params)) : undefined;
  let step = 0;
  const n = settings.episodesPerTrial;
  /** Agents this learner made, with the memory they start from (for `adapt`). */
  const agents = new WeakMap<Agent, { readonly params: ParamTree; readonly initialMemory?: Rl2Memory }>();

  /** An agent over a copy of `source` (default: the current parameters) that it owns. */
  const makeAgent = (options: {
    readonly initialMemory?: Rl2Memory;
    readonly deterministic?: boolean;
    readonly source?: ParamTree;
  }) => {
    const owned = cloneParams(options.source ?? params);
    const agent = createRl2Agent(policy, owned, observationSize, encoding, {
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

  const sampleTrials = (tasks: readonly Task[], agent: Agent, rng: Rng, seed: number) => {
    if (!Array.isArray(tasks) || tasks.length === 0)
      throw new RangeError(
        `rl2: needs a non-empty array of tasks, got ${Array.isArray(tasks) ? '[]' : String(tasks)}`,
      );
    const env = distribution.makeVectorEnv(tasks, { autoresetMode: 'disabled' });
    return collectEpisodes(env, agent, {
      episodesPerEnv: n,
      rng,
      seed,
      keepMemoryAcrossEpisodes: true,
    });
  };

  /**
   * Moves the value scale towards the mean and spread of this step's targets (all of them on the
   * first step, then an average with weight 1/(k+1), at least 0.1) and rescales the value head so
   * that its values are unchanged (PopArt, van Hasselt et al. 2016).
   */
  const updateValueScale = (targets: Float32Array): { mean: number; std: number } => {
    let batchMean = 0;
    for (const v of targets) batchMean += v;
    batchMean /= Math.max(1, targets.length);
    let batchSecond = 0;
    for (const v of targets) batchSecond += v * v;
    batchSecond /= Math.max(1, targets.length);
    const current = params.valueScale as ParamTree;
    const oldMean = (current.mean as tf.Tensor).dataSync()[0]!;
    const oldStd = (current.std as tf.Tensor).dataSync()[0]!;
    const weight = Math.max(1 / (step + 1), 0.1);
    const mean = (1 - weight) * oldMean + weight * batchMean;
    const second = (1 - weight) * (oldStd * oldStd + oldMean * oldMean) + weight * batchSecond;
    const std = Math.sqrt(Math.max(second - mean * mean, 1e-4));
    const head = params.value as ParamTree;
    const rescaled = tf.tidy(() => ({
      weight: tf.mul(head.weight as tf.Tensor, oldStd / std),
      bias: tf.div(tf.add(tf.mul(head.bias as tf.Tensor, oldStd), oldMean - mean), std),
    }));
    disposeParams(head);
    disposeParams(current);
    params = {
      ...params,
      value: rescaled,
      valueScale: { mean: tf.tensor1d([mean]), std: tf.tensor1d([std]) },
    };
    return { mean, std };
  };

  const ppoUpdate = (batch: TrialBatch, rng: Rng): Record<string, number> => {
    const { epochs, minibatches, clipRange, valueCoefficient, entropyCoefficient, maxGradientNorm } =
      settings.ppo;
    const count = Math.min(minibatches, batch.trials);
    const order = Int32Array.from({ length: batch.trials }, (_v, i) => i);
    const totals = { policyLoss: 0, valueLoss: 0, entropy: 0, clipFraction: 0, gradientNorm: 0 };
    let updates = 0;
    for (let epoch = 0; epoch < epochs; epoch += 1) {
      for (let i = order.length - 1; i > 0; i -= 1) {
        const j = rng.nextInt(i + 1);
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      for (let m = 0; m < count; m += 1) {
        const from = Math.floor((m * order.length) / count);
        const to = Math.floor(((m + 1) * order.length) / count);
        const minibatch = selectTrials(batch, order.slice(from, to));
        let terms: Rl2LossTerms | undefined;
        const { value, gradients } = valueAndGradients((p) => {
          terms = rl2LossTerms(policy, { ...p, valueScale: params.valueScale! }, minibatch, clipRange);
          for (const t of Object.values(terms)) tf.keep(t);
          return tf.tidy(
            () =>
              tf.add(
                tf.sub(terms!.policyLoss, tf.mul(entropyCoefficient, terms!.entropy)),
                tf.mul(valueCoefficient, terms!.valueLoss),
              ) as tf.Scalar,
          );
        }, trainable(params));
        const clipped = clipByGlobalNorm(gradients, maxGradientNorm);
        const next = optimizer.step(trainable(params), clipped.gradients, state!);
        disposeParams(trainable(params));
        disposeOptimizerState(state!);
        params = { ...next.params, valueScale: params.valueScale! };
        state = next.state;
        const read = readScalars({ ...terms! });
        for (const key of Object.keys(read) as (keyof typeof read)[]) totals[key] += read[key];
        totals.gradientNorm += clipped.norm;
        updates += 1;
        value.dispose();
        disposeParams(gradients);
        disposeParams(clipped.gradients);
        disposeTrialBatch(minibatch);
      }
    }
    const metrics: Record<string, number> = {};
    for (const [key, total] of Object.entries(totals)) metrics[`ppo/${key}`] = total / Math.max(1, updates);
    return metrics;
  };

  const trpoUpdate = (batch: TrialBatch): Record<string, number> => {
    const old = tf.tidy(
      () => unrollTrials(policy, params, batch).distribution as unknown as tf.TensorContainer,
    ) as unknown as Distribution;
    const count = tf.sum(batch.mask);
    const masked = (t: tf.Tensor) => tf.div(tf.sum(tf.mul(t, batch.mask)), count) as tf.Scalar;
    const withPolicy = (policyParams: ParamTree): ParamTree => ({ ...params, policy: policyParams });
    const loss = (p: ParamTree) =>
      tf.tidy(() => rl2LossTerms(policy, withPolicy(p), batch, undefined).policyLoss);
    const kl = (p: ParamTree) =>
      tf.tidy(() => masked(old.kl(unrollTrials(policy, withPolicy(p), batch).distribution)));
    const { valueSteps, valueLearningRate, ...trpoOptions } = settings.trpo;
    const result = trpoStep(params.policy as ParamTree, loss, kl, trpoOptions);
    tf.dispose(old as unknown as tf.TensorContainer);
    // The value head regresses the value targets on the new policy's (fixed) GRU states.
    const states = tf.tidy(
      () =>
        stopGradient(
          policy.unroll(result.params, batch.inputs, tf.zeros([batch.trials, policy.hiddenSize])).states,
        ) as tf.Tensor,
    );
    const valueOptimizer = createAdam({ learningRate: valueLearningRate });
    let head = cloneParams(params.value as ParamTree);
    let headState = valueOptimizer.init(head);
    let valueLoss = 0;
    for (let k = 0; k < valueSteps; k += 1) {
      const std = (params.valueScale as ParamTree).std as tf.Tensor;
      const { value, gradients } = valueAndGradients(
        (h) =>
          tf.tidy(() => {
            const predicted = valuesOf({ value: h, valueScale: params.valueScale! }, states);
            return tf.mul(0.5, masked(tf.square(tf.div(tf.sub(predicted, batch.returns), std)))) as tf.Scalar;
          }),
        head,
      );
      valueLoss = value.dataSync()[0]!;
      const next = valueOptimizer.step(head, gradients, headState);
      disposeParams(head);
      disposeOptimizerState(headState);
      head = next.params;
      headState = next.state;
      value.dispose();
      disposeParams(gradients);
    }
    disposeOptimizerState(headState);
    tf.dispose([states, count]);
    disposeParams(trainable(params));
    params = { policy: result.params, value: head, valueScale: params.valueScale! };
    return { ...result.metrics, 'trpo/valueLoss': valueLoss };
  };

  return {
    kind: KIND,
    config: settings,
    policy,
    encoding,
    observationSize,
    parameters: () => params,

    explorationAgent: () => makeAgent({}),

    adapt(agent, episodes) {
      const source = agents.get(agent);
      if (source === undefined) {
        throw new TypeError(
          'rl2.adapt: the agent was not made by this learner (use its explorationAgent or a previous adapt result)',
        );
      }
      if (episodes.observationSize !== observationSize) {
        throw new RangeError(
          `rl2.adapt: the episodes have observations of ${episodes.observationSize} floats, the learner's environments ${observationSize}`,
        );
      }
      return makeAgent({
        initialMemory: memoryAfter(source.params, episodes, source.initialMemory),
        source: source.params,
      });
    },

    playTrials(tasks, options) {
      const agent = makeAgent({ deterministic: options.deterministic ?? false });
      try {
        return sampleTrials(tasks, agent, createRng(options.seed), options.seed);
      } finally {
        agent.dispose?.();
      }
    },

    async metaTrainStep(tasks, rng): Promise<MetaMetrics> {
      const clock = () => performance.now() / 1000;
      const started = clock();
      const agent = makeAgent({});
      const episodes = sampleTrials(tasks, agent, rng, rng.nextSeed());
      agent.dispose?.();
      const sampled = clock();
      const targets = trialAdvantages(episodes, episodes.agentInfo.value!, settings);
      const batch = toTrialBatch(episodes, encoding, targets, settings.normalizeAdvantages);
      const scale = updateValueScale(targets.returns);
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

    async toCheckpoint(): Promise<Checkpoint> {
      return {
        kind: KIND,
        version: 1,
        config: { ...settings },
        params,
        ...(state === undefined ? {} : { optimizer: state }),
        rng: {},
        step,
      };
    },

    async fromCheckpoint(checkpoint) {
      assertCheckpointFits(checkpoint, {
        kind: KIND,
        params,
        needsOptimizer: settings.outerOptimizer === 'ppo',
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

  /**
   * The memory each environment reaches at the end of its episodes in `episodes` (its trial so
   * far) under `agentParams`, starting from `start` (an adapted agent's memory) or zeros: a GRU unroll over the
   * trial's inputs. The next step sees the last action and reward and a done flag of 1.
   */
  function memoryAfter(
    agentParams: ParamTree,
    episodes: EpisodeBatch,
    start: Rl2Memory | undefined,
  ): Rl2Memory {
    const ranges = trialRanges(episodes);
    const count = ranges.length;
    ranges.forEach((range, i) => {
      if (range.env !== i)
        throw new RangeError(`rl2.adapt: the episodes must cover environments 0..${count - 1} in order`);
    });
    if (start !== undefined && start.done.length !== count) {
      throw new RangeError(
        `rl2.adapt: the agent acted for ${start.done.length} environments but the episodes hold ${count}`,
      );
    }
    const size = policy.hiddenSize;
    const width = inputSize;
    const flat = trialInputs(episodes, encoding);
    const steps = Math.max(1, ...ranges.map((r) => r.length));
    const padded = new Float32Array(count * steps * width);
    const a = episodes.actionSize;
    const memory: Rl2Memory = {
      hidden: new Float32Array(count * size),
      previousActions: new Float32Array(count * encoding.size),
      previousRewards: new Float32Array(count),
      done: new Float32Array(count).fill(1),
    };
    ranges.forEach((range, i) => {
      padded.set(flat.subarray(range.start * width, (range.start + range.length) * width), i * steps * width);
      if (start !== undefined) {
        // The trial began before these episodes: its first step saw the start memory's inputs.
        const row = i * steps * width + observationSize;
        padded.set(start.previousActions.subarray(i * encoding.size, (i + 1) * encoding.size), row);
        padded[row + encoding.size] = start.previousRewards[i]!;
        padded[row + encoding.size + 1] = start.done[i]!;
      }
      const last = range.start + range.length - 1;
      encodeAction(encoding, episodes.actions, last * a, memory.previousActions, i * encoding.size);
      memory.previousRewards[i] = episodes.rewards[last]!;
    });
    const finalStates = tf.tidy(() => {
      const { states } = policy.unroll(
        agentParams.policy as ParamTree,
        tf.tensor3d(padded, [count, steps, width]),
        start === undefined ? tf.zeros([count, size]) : tf.tensor2d(start.hidden, [count, size]),
      );
      const rows = Int32Array.from(ranges, (r, i) => i * steps + r.length - 1);
      return tf.gather(tf.reshape(states, [count * steps, size]), tf.tensor1d(rows, 'int32'));
    });
    memory.hidden.set(finalStates.dataSync());
    finalStates.dispose();
    return memory;
  }
}

/** Mean total reward per trial and mean return of the trials' first and last episodes. */
export function trialReturns(
  episodes: EpisodeBatch,
  episodesPerTrial: number,
): { perTrial: number; firstEpisode: number; lastEpisode: number; totals: Float64Array } {
  const ranges = trialRanges(episodes);
  const totals = new Float64Array(ranges.length);
  let first = 0;
  let last = 0;
  const episodeReturn = (e: number) => {
    let sum = 0;
    for (let t = episodes.offsets[e]!; t < episodes.offsets[e]! + episodes.lengths[e]!; t += 1)
      sum += episodes.rewards[t]!;
    return sum;
  };
  ranges.forEach((range, i) => {
    for (let t = range.start; t < range.start + range.length; t += 1)
      totals[i] = totals[i]! + episodes.rewards[t]!;
    first += episodeReturn(range.firstEpisode);
    last += episodeReturn(range.firstEpisode + Math.min(range.episodes, episodesPerTrial) - 1);
  });
  const count = Math.max(1, ranges.length);
  return {
    perTrial: totals.reduce((s, v) => s + v, 0) / count,
    firstEpisode: first / count,
    lastEpisode: last / count,
    totals,
  };
}
