/**
 * A recurrent (GRU) policy for memory-based meta-learners such as RL² (Duan et al. 2016): the
 * hidden state carries what the agent has learned about the current task. `step` advances one
 * time step for a batch; `unroll` replays whole sequences for training (backpropagation through
 * time), resetting the hidden state where asked.
 */

import type { Rng } from '@metarl/envs';
import * as tf from '@tensorflow/tfjs-core';
import { Categorical } from '../distributions/categorical';
import { DiagonalGaussian } from '../distributions/diagonal-gaussian';
import type { Distribution } from '../distributions/distribution';
import { applyGruSequence, createGru } from '../nn/gru';
import { applyLinear, initialiseWeights } from '../nn/linear';
import { disposeParams, type ParamTree } from '../params/param-tree';
import { type Agent, sizesOf } from './agent';
import type { ActionKind } from './policies';

/** A GRU policy. */
export interface RecurrentPolicy {
  /** Floats per observation. */
  readonly observationSize: number;
  /** 'continuous' or 'discrete'. */
  readonly actionKind: ActionKind;
  /** Action dimension or number of choices. */
  readonly actionSize: number;
  /** Hidden state size H. */
  readonly hiddenSize: number;
  /**
   * Floats per step that a value head reads (what `step` returns as `features` and `unroll` as
   * `states`); default `hiddenSize` (the hidden state itself is the feature).
   */
  readonly featureSize?: number;
  /** Fresh parameters `{ gru, head, logStd? }`. */
  init(rng: Rng): ParamTree;
  /**
   * One step: the action distribution `[B]`, the next hidden state `[B, H]` and, where the
   * policy has them, the step's value-head features `[B, featureSize]` (absent: the hidden state).
   */
  step(
    params: ParamTree,
    observations: tf.Tensor,
    hidden: tf.Tensor,
  ): { distribution: Distribution; hidden: tf.Tensor; features?: tf.Tensor };
  /**
   * Whole sequences `[B, T, O]` from `hidden` `[B, H]`; where `resets` `[B, T]` is 1 the hidden
   * state is zeroed before that step. Returns the distribution over `[B, T]`, every step's
   * features `[B, T, featureSize]` (e.g. for a value head; the hidden states `[B, T, H]` where
   * `featureSize` is absent) and the last hidden state `[B, H]`.
   */
  unroll(
    params: ParamTree,
    observations: tf.Tensor,
    hidden: tf.Tensor,
    resets?: tf.Tensor,
  ): { distribution: Distribution; states: tf.Tensor; hidden: tf.Tensor };
}

/** Options of `createGruPolicy`. */
export interface GruPolicyOptions {
  /** Floats per observation. */
  readonly observationSize: number;
  /** 'continuous' or 'discrete'. */
  readonly actionKind: ActionKind;
  /** Action dimension or number of choices. */
  readonly actionSize: number;
  /** Hidden state size; default 256 (RL²'s bandit and MDP setting). */
  readonly hiddenSize?: number;
  /** Initial standard deviation of continuous actions; default 1. */
  readonly initialStd?: number;
}

/** A GRU cell followed by a linear head to logits (discrete) or means (continuous, learned log-std). */
export function createGruPolicy(options: GruPolicyOptions): RecurrentPolicy {
  const hiddenSize = options.hiddenSize ?? 256;
  for (const [name, value] of [
    ['observationSize', options.observationSize],
    ['actionSize', options.actionSize],
    ['hiddenSize', hiddenSize],
  ] as const) {
    if (!Number.isInteger(value) || value < 1)
      throw new RangeError(`createGruPolicy: ${name} must be a positive integer, got ${value}`);
  }
  if (options.actionKind !== 'continuous' && options.actionKind !== 'discrete') {
    throw new RangeError(
      `createGruPolicy: actionKind must be 'continuous' or 'discrete', got '${String(options.actionKind)}'`,
    );
  }
  const cell = createGru({ inputSize: options.observationSize, hiddenSize });
  const head = (params: ParamTree, hidden: tf.Tensor): Distribution => {
    const out = applyLinear(
      (params.head as ParamTree).weight as tf.Tensor,
      (params.head as ParamTree).bias as tf.Tensor,
      hidden,
      'gru policy head',
    );
    return options.actionKind === 'discrete'
      ? new Categorical(out)
      : new DiagonalGaussian(out, params.logStd as tf.Tensor);
  };
  return {
    observationSize: options.observationSize,
    actionKind: options.actionKind,
    actionSize: options.actionSize,
    hiddenSize,
    init(rng) {
      const params: Record<string, ParamTree | tf.Tensor> = {
        gru: cell.init(rng),
        head: {
          weight: initialiseWeights(rng, hiddenSize, options.actionSize, 'glorot-uniform', 0.01),
          bias: tf.zeros([options.actionSize]),
        },
      };
      if (options.actionKind === 'continuous')
        params.logStd = tf.fill([options.actionSize], Math.log(options.initialStd ?? 1));
      return params;
    },
    step(params, observations, hidden) {
      const next = cell.apply(params.gru as ParamTree, { input: observations, hidden });
      return { distribution: head(params, next), hidden: next };
    },
    unroll(params, observations, hidden, resets) {
      const { states, hidden: last } = applyGruSequence(
        params.gru as ParamTree,
        observations,
        hidden,
        resets,
      );
      return { distribution: head(params, states), states, hidden: last };
    },
  };
}

/**
 * An agent over a recurrent policy: one hidden state per environment, carried across steps, and
 * across episodes when the sampler asks to keep memory (RL² trials); zeroed otherwise.
 */
export function createRecurrentAgent(
  policy: RecurrentPolicy,
  params: ParamTree,
  options: { readonly ownsParams?: boolean; readonly deterministic?: boolean } = {},
): Agent & { hiddenState(): Float32Array } {
  let hidden: tf.Tensor | undefined;
  const size = policy.observationSize;
  const ensure = (count: number) => {
    if (hidden === undefined || hidden.shape[0] !== count) {
      hidden?.dispose();
      hidden = tf.zeros([count, policy.hiddenSize]);
    }
    return hidden;
  };
  return {
    sizes: sizesOf(policy),
    act(observations, rng) {
      const count = observations.length / size;
      const previous = ensure(count);
      const { actions, logProb, next } = tf.tidy(() => {
        const { distribution, hidden: nextHidden } = policy.step(
          params,
          tf.tensor2d(observations, [count, size]),
          previous,
        );
        const sample = options.deterministic ? distribution.mode() : distribution.sample(rng);
        return { actions: sample, logProb: distribution.logProb(sample), next: nextHidden };
      });
      previous.dispose();
      hidden = next;
      const values = actions.dataSync();
      const logProbValues = Float32Array.from(logProb.dataSync());
      tf.dispose([actions, logProb]);
      return {
        actions: policy.actionKind === 'discrete' ? Int32Array.from(values) : Float32Array.from(values),
        info: { logProb: logProbValues },
      };
    },
    onEpisodeStart(envMask, { keepMemory }) {
      if (keepMemory || hidden === undefined) return;
      const current = hidden;
      hidden = tf.tidy(() =>
        tf.mul(
          current,
          tf.reshape(tf.sub(tf.scalar(1), tf.tensor1d(envMask, 'float32')), [envMask.length, 1]),
        ),
      );
      current.dispose();
    },
    hiddenState: () => Float32Array.from(hidden?.dataSync() ?? []),
    dispose() {
      hidden?.dispose();
      hidden = undefined;
      if (options.ownsParams) disposeParams(params);
    },
  };
}
