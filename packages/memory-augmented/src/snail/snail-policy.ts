/**
 * SNAIL as a recurrent policy over trial inputs, the way the runnable peer builds it
 * (lucaslingle/pytorch_rl2): two separate SNAIL networks, one whose features feed a linear
 * action head, one whose features feed the learner's value head (core's scaled value head
 * reads `features`). The memory of a sequence is both networks' caches side by side, so a
 * rollout step costs O(T) (cached convolution inputs and attention keys and values), and
 * training replays whole trials in one parallel pass.
 */
import {
  type ActionKind,
  applyLinear,
  Categorical,
  DiagonalGaussian,
  type Distribution,
  initialiseWeights,
  type ParamTree,
  type RecurrentPolicy,
  tf,
} from '@metarl/core';
import { createSnailNetwork, type SnailNetwork } from './snail-network';

/** Options of `createSnailPolicy`. */
export interface SnailPolicyOptions {
  /** Floats per step of the inputs (for a trial learner: `trialInputSize`). */
  readonly observationSize: number;
  /** 'continuous' or 'discrete'. */
  readonly actionKind: ActionKind;
  /** Action dimension or number of choices. */
  readonly actionSize: number;
  /** The context T (steps the attention sees; sets the number of dense blocks, ceil(log2 T)). */
  readonly contextSize: number;
  /** F: filters per dense block and the attention's key, query and value size; default 32 (the peer's). */
  readonly featureSize?: number;
  /** Initial standard deviation of continuous actions; default 1. */
  readonly initialStd?: number;
  /** Input positions the networks skip (constant ones, e.g. the bandits' observation 0; `TrialShape.constantInputs`); default none. */
  readonly skippedInputs?: readonly number[];
}

/** A SNAIL policy: a `RecurrentPolicy` with its two networks visible. */
export interface SnailPolicy extends RecurrentPolicy {
  /** The network behind the action head. */
  readonly policyNetwork: SnailNetwork;
  /** The network behind the value head (same layers, its own parameters). */
  readonly valueNetwork: SnailNetwork;
}

/**
 * A SNAIL policy (see the module comment). Parameters `{ policyNetwork, valueNetwork, head,
 * logStd? }`; memory `hiddenSize` = two caches; `featureSize` = the value network's output size.
 * `unroll` from the empty memory is one parallel pass; from a memory that has seen steps it
 * steps one at a time (used to continue an adapted trial, never in training). `resets` are
 * refused: a trial learner never resets inside a trial.
 */
export function createSnailPolicy(options: SnailPolicyOptions): SnailPolicy {
  const { actionKind, actionSize } = options;
  if (actionKind !== 'continuous' && actionKind !== 'discrete') {
    throw new RangeError(
      `createSnailPolicy: actionKind must be 'continuous' or 'discrete', got '${String(actionKind)}'`,
    );
  }
  if (!Number.isInteger(actionSize) || actionSize < 1)
    throw new RangeError(
      `createSnailPolicy: actionSize must be a positive integer, got ${String(actionSize)}`,
    );
  const skipped = new Set(options.skippedInputs ?? []);
  for (const index of skipped) {
    if (!Number.isInteger(index) || index < 0 || index >= options.observationSize)
      throw new RangeError(
        `createSnailPolicy: skippedInputs must hold positions in [0, ${options.observationSize - 1}], got ${String(index)}`,
      );
  }
  const kept = Array.from({ length: options.observationSize }, (_v, i) => i).filter((i) => !skipped.has(i));
  if (kept.length === 0) throw new RangeError('createSnailPolicy: skippedInputs leaves no input');
  /** The inputs the networks read (all of them unless some are skipped). */
  const select = (inputs: tf.Tensor): tf.Tensor =>
    skipped.size === 0 ? inputs : tf.gather(inputs, tf.tensor1d(kept, 'int32'), inputs.rank - 1);
  const networkOptions = {
    inputSize: kept.length,
    contextSize: options.contextSize,
    ...(options.featureSize === undefined ? {} : { featureSize: options.featureSize }),
  };
  const policyNetwork = createSnailNetwork(networkOptions);
  const valueNetwork = createSnailNetwork(networkOptions);
  const cacheSize = policyNetwork.cacheSize;
  const head = (params: ParamTree, features: tf.Tensor): Distribution => {
    const linear = params.head as ParamTree;
    const out = applyLinear(
      linear.weight as tf.Tensor,
      linear.bias as tf.Tensor,
      features,
      'snail policy head',
    );
    return actionKind === 'discrete'
      ? new Categorical(out)
      : new DiagonalGaussian(out, params.logStd as tf.Tensor);
  };
  const split = (hidden: tf.Tensor) => {
    const [policyCache, valueCache] = tf.split(hidden, [cacheSize, cacheSize], 1);
    return { policyCache: policyCache!, valueCache: valueCache! };
  };
  const step = (params: ParamTree, observations: tf.Tensor, hidden: tf.Tensor) => {
    const { policyCache, valueCache } = split(hidden);
    const inputs = select(observations);
    const acting = policyNetwork.step(params.policyNetwork as ParamTree, inputs, policyCache);
    const valuing = valueNetwork.step(params.valueNetwork as ParamTree, inputs, valueCache);
    return {
      distribution: head(params, acting.features),
      hidden: tf.concat([acting.cache, valuing.cache], 1),
      features: valuing.features,
    };
  };
  return {
    observationSize: options.observationSize,
    actionKind,
    actionSize,
    hiddenSize: 2 * cacheSize,
    featureSize: valueNetwork.outputSize,
    policyNetwork,
    valueNetwork,
    init(rng) {
      const params: Record<string, ParamTree | tf.Tensor> = {
        policyNetwork: policyNetwork.init(rng),
        valueNetwork: valueNetwork.init(rng),
        head: {
          weight: initialiseWeights(rng, policyNetwork.outputSize, actionSize, 'glorot-uniform', 0.01),
          bias: tf.zeros([actionSize]),
        },
      };
      if (actionKind === 'continuous')
        params.logStd = tf.fill([actionSize], Math.log(options.initialStd ?? 1));
      return params;
    },
    step,
    unroll(params, observations, hidden, resets) {
      if (resets !== undefined) {
        throw new RangeError(
          'snail policy: unroll does not take resets (a SNAIL context restarts with an empty memory: unroll each sequence from zeros)',
        );
      }
      const { policyCache, valueCache } = split(hidden);
      const inputs = select(observations);
      const fresh =
        policyNetwork.stepsTaken(policyCache).every((t) => t === 0) &&
        valueNetwork.stepsTaken(valueCache).every((t) => t === 0);
      if (fresh) {
        // The whole sequence in one causal pass (training, and memory after exploration).
        const policyParams = params.policyNetwork as ParamTree;
        const valueParams = params.valueNetwork as ParamTree;
        const acting = policyNetwork.apply(policyParams, inputs);
        const states = valueNetwork.apply(valueParams, inputs);
        return {
          distribution: head(params, acting),
          states,
          hidden: tf.concat(
            [policyNetwork.cacheAfter(policyParams, inputs), valueNetwork.cacheAfter(valueParams, inputs)],
            1,
          ),
        };
      }
      // A memory that has seen steps: continue it one step at a time.
      const steps = inputs.shape[1]!;
      const logits: tf.Tensor[] = [];
      const features: tf.Tensor[] = [];
      let memory = hidden;
      for (let t = 0; t < steps; t += 1) {
        const input = tf.squeeze(tf.slice(inputs, [0, t, 0], [-1, 1, -1]), [1]);
        const { policyCache: p, valueCache: v } = split(memory);
        const acting = policyNetwork.step(params.policyNetwork as ParamTree, input, p);
        const valuing = valueNetwork.step(params.valueNetwork as ParamTree, input, v);
        logits.push(acting.features);
        features.push(valuing.features);
        memory = tf.concat([acting.cache, valuing.cache], 1);
      }
      return {
        distribution: head(params, tf.stack(logits, 1)),
        states: tf.stack(features, 1),
        hidden: memory,
      };
    },
  };
}
