/**
 * Policies: parameterised maps from observations to action distributions. Pure like every
 * module: parameters live outside, so an adapted policy is just another parameter tree. With
 * task-batched params (leading axis T) and observations `[T, B, O]`, all tasks run as one
 * computation.
 */

import type { Rng } from '@metarl/envs';
import * as tf from '@tensorflow/tfjs-core';
import { Categorical } from '../distributions/categorical';
import { DiagonalGaussian } from '../distributions/diagonal-gaussian';
import type { Distribution } from '../distributions/distribution';
import { type Activation, createMlp } from '../nn/mlp';
import type { ParamTree } from '../params/param-tree';

/** What kind of actions a policy emits. */
export type ActionKind = 'continuous' | 'discrete';

/** A feed-forward policy. */
export interface Policy {
  /** Floats per observation. */
  readonly observationSize: number;
  /** 'continuous' (a real vector) or 'discrete' (one integer choice). */
  readonly actionKind: ActionKind;
  /** Action dimension (continuous) or number of choices (discrete). */
  readonly actionSize: number;
  /** Fresh parameters: a new tree the caller owns and frees. */
  init(rng: Rng): ParamTree;
  /**
   * The action distribution at `observations` `[..., O]` (batch shape = the leading axes); never
   * disposes, keeps or changes `params` or `observations`, and creates its tensors in the caller's
   * `tf.tidy` or gradient tape (rules: `examples/custom-policy.ts` of @metarl/core).
   */
  apply(params: ParamTree, observations: tf.Tensor): Distribution;
  /** Optional: a plain description of how `apply` computes the distribution (both MLP policies give one). */
  readonly architecture?: PolicyArchitecture;
}

/**
 * A plain description of a feed-forward policy's structure, for any tool that works on the
 * network itself rather than through `apply`: exporters to other frameworks, parameter
 * analysers, closed-form derivatives. A policy that gives one promises that `apply` computes
 * exactly this; a tool that does not recognise it falls back to `apply` and autodiff.
 */
export interface PolicyArchitecture {
  /** The network's kind: 'mlp', a multilayer perceptron as `createMlp` builds it. */
  readonly network: 'mlp';
  /** Widths from input to output: observation size, hidden widths, network outputs (e.g. [2, 64, 64, 2]). */
  readonly layerSizes: readonly number[];
  /** The hidden layers' nonlinearity (the output layer is linear). */
  readonly activation: Activation;
  /** The layers' names, input to output (`hidden0`, ..., `output`), each `{ weight: [in, out], bias: [out] }`. */
  readonly layerNames: readonly string[];
  /** 'diagonal-gaussian': the network gives the mean, a state-independent log-std leaf the spread; 'categorical': the network gives the logits. */
  readonly distribution: 'diagonal-gaussian' | 'categorical';
  /** Where the parameters sit in the policy's tree: the network's layers under `network`; the Gaussian's log-std `[A]` at `logStd`. */
  readonly parameterNames: { readonly network: string; readonly logStd?: string };
}

/** The architecture of a policy made of `createMlp`'s network (layers `hidden0`, ..., `output`). */
function mlpArchitecture(
  layerSizes: readonly number[],
  activation: Activation,
  distribution: PolicyArchitecture['distribution'],
  parameterNames: PolicyArchitecture['parameterNames'],
): PolicyArchitecture {
  const hidden = layerSizes.length - 2;
  return Object.freeze({
    network: 'mlp',
    layerSizes: Object.freeze([...layerSizes]),
    activation,
    layerNames: Object.freeze([...Array.from({ length: hidden }, (_v, i) => `hidden${i}`), 'output']),
    distribution,
    parameterNames: Object.freeze({ ...parameterNames }),
  });
}

/** Options of `createGaussianMlpPolicy`. */
export interface GaussianMlpPolicyOptions {
  /** Floats per observation. */
  readonly observationSize: number;
  /** Action dimension. */
  readonly actionSize: number;
  /** Hidden widths; default [64, 64]. */
  readonly hiddenSizes?: readonly number[];
  /** Hidden nonlinearity; default 'tanh'. */
  readonly activation?: Activation;
  /** Initial standard deviation of every action dimension; default 1. */
  readonly initialStd?: number;
}

function checkSize(value: unknown, name: string): void {
  if (!Number.isInteger(value) || (value as number) < 1)
    throw new RangeError(`${name} must be a positive integer, got ${String(value)}`);
}

/**
 * A Gaussian policy: an MLP gives the mean, a learned state-independent log-std the spread
 * (Finn et al. 2017; pytorch-maml-rl's NormalMLPPolicy). Params: `{ mean: mlp, logStd: [A] }`;
 * with task-batched params `logStd` is `[T, A]`.
 */
export function createGaussianMlpPolicy(options: GaussianMlpPolicyOptions): Policy {
  checkSize(options.observationSize, 'createGaussianMlpPolicy: observationSize');
  checkSize(options.actionSize, 'createGaussianMlpPolicy: actionSize');
  const initialStd = options.initialStd ?? 1;
  if (!(initialStd > 0 && Number.isFinite(initialStd))) {
    throw new RangeError(
      `createGaussianMlpPolicy: initialStd must be a finite number > 0, got ${initialStd}`,
    );
  }
  const activation = options.activation ?? 'tanh';
  const hiddenSizes = options.hiddenSizes ?? [64, 64];
  const network = createMlp({
    inputSize: options.observationSize,
    hiddenSizes,
    outputSize: options.actionSize,
    activation,
  });
  return {
    observationSize: options.observationSize,
    actionKind: 'continuous',
    actionSize: options.actionSize,
    init: (rng) => ({ mean: network.init(rng), logStd: tf.fill([options.actionSize], Math.log(initialStd)) }),
    apply(params, observations) {
      const mean = network.apply(params.mean as ParamTree, observations);
      let logStd = params.logStd as tf.Tensor;
      // Task-batched [T, A] against a mean [T, B, A]: insert the batch axis.
      if (logStd.rank === 2 && mean.rank === 3) logStd = tf.expandDims(logStd, 1);
      return new DiagonalGaussian(mean, logStd);
    },
    architecture: mlpArchitecture(
      [options.observationSize, ...hiddenSizes, options.actionSize],
      activation,
      'diagonal-gaussian',
      { network: 'mean', logStd: 'logStd' },
    ),
  };
}

/** Options of `createCategoricalMlpPolicy`. */
export interface CategoricalMlpPolicyOptions {
  /** Floats per observation. */
  readonly observationSize: number;
  /** Number of discrete actions. */
  readonly actions: number;
  /** Hidden widths; default [64, 64]. */
  readonly hiddenSizes?: readonly number[];
  /** Hidden nonlinearity; default 'tanh'. */
  readonly activation?: Activation;
}

/** A categorical policy: an MLP gives the logits. Params: `{ logits: mlp }`. */
export function createCategoricalMlpPolicy(options: CategoricalMlpPolicyOptions): Policy {
  checkSize(options.observationSize, 'createCategoricalMlpPolicy: observationSize');
  checkSize(options.actions, 'createCategoricalMlpPolicy: actions');
  const activation = options.activation ?? 'tanh';
  const hiddenSizes = options.hiddenSizes ?? [64, 64];
  const network = createMlp({
    inputSize: options.observationSize,
    hiddenSizes,
    outputSize: options.actions,
    activation,
    outputScale: 0.01,
  });
  return {
    observationSize: options.observationSize,
    actionKind: 'discrete',
    actionSize: options.actions,
    init: (rng) => ({ logits: network.init(rng) }),
    apply: (params, observations) => new Categorical(network.apply(params.logits as ParamTree, observations)),
    architecture: mlpArchitecture(
      [options.observationSize, ...hiddenSizes, options.actions],
      activation,
      'categorical',
      { network: 'logits' },
    ),
  };
}
