/**
 * A linear value head in normalised units with a PopArt scale (van Hasselt et al. 2016,
 * "Learning values across many orders of magnitude"): the head predicts (V - mean) / std, and
 * the scale `{ mean, std }` follows the value targets; when it moves, the head is rescaled so that
 * its values are unchanged. In a network shared with the policy (RL²'s GRU with two heads), the
 * value loss measured in these units (`ppoLossTerms`' `valueScale`) weighs as much as the policy
 * loss whether trials return 5 (bandits) or 150 (MDPs).
 *
 * Parameters: `{ value: { weight [H, 1], bias [1] }, valueScale: { mean [1], std [1] } }`, usually
 * beside `policy` in one tree; the optimiser updates `value`, never `valueScale`.
 */
import type { Rng } from '@metarl/envs';
import * as tf from '@tensorflow/tfjs-core';
import { applyLinear, initialiseWeights } from '../nn/linear';
import { createAdam } from '../optim/adam';
import { disposeOptimizerState } from '../optim/optimizer';
import type { ParamTree } from '../params/param-tree';
import { runPpoEpochs } from '../rl/ppo';

/** A fresh head on `inputSize` features (Glorot-uniform weights at gain 0.01, zero bias) and the unit scale. */
export function initialiseScaledValueHead(
  rng: Rng,
  inputSize: number,
): { value: ParamTree; valueScale: ParamTree } {
  return {
    value: {
      weight: initialiseWeights(rng, inputSize, 1, 'glorot-uniform', 0.01),
      bias: tf.zeros([1]),
    },
    valueScale: { mean: tf.zeros([1]), std: tf.ones([1]) },
  };
}

/**
 * The values of `features` `[..., H]` under `params` `{ value, valueScale }`: the head's
 * normalised output times std plus mean. Shape `[...]`.
 */
export function scaledValues(params: ParamTree, features: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const head = params.value as ParamTree;
    const scale = params.valueScale as ParamTree;
    const normalised = applyLinear(head.weight as tf.Tensor, head.bias as tf.Tensor, features, 'value head');
    const values = tf.add(tf.mul(normalised, scale.std as tf.Tensor), scale.mean as tf.Tensor);
    return tf.reshape(values, features.shape.slice(0, -1));
  });
}

/** What `updateValueScale` returns. */
export interface ValueScaleUpdate {
  /** `params` with a new `value` head and `valueScale` (new tensors; every other entry shared). */
  readonly params: ParamTree;
  /** The new scale's mean. */
  readonly mean: number;
  /** The new scale's std. */
  readonly std: number;
}

/**
 * Moves the value scale of `params` towards the mean and spread of `targets`, with weight
 * max(1 / (updates + 1), 0.1) (all of them on the first update, then a running average that
 * keeps at least a tenth of each new batch), std at least 0.01, and rescales the head so that
 * every value it predicts is unchanged. Pure: the old `value` and `valueScale` tensors are left
 * for the caller to dispose.
 */
export function updateValueScale(
  params: ParamTree,
  targets: Float32Array,
  updates: number,
): ValueScaleUpdate {
  let batchMean = 0;
  for (const v of targets) batchMean += v;
  batchMean /= Math.max(1, targets.length);
  let batchSecond = 0;
  for (const v of targets) batchSecond += v * v;
  batchSecond /= Math.max(1, targets.length);
  const current = params.valueScale as ParamTree;
  const oldMean = (current.mean as tf.Tensor).dataSync()[0]!;
  const oldStd = (current.std as tf.Tensor).dataSync()[0]!;
  const weight = Math.max(1 / (updates + 1), 0.1);
  const mean = (1 - weight) * oldMean + weight * batchMean;
  const second = (1 - weight) * (oldStd * oldStd + oldMean * oldMean) + weight * batchSecond;
  const std = Math.sqrt(Math.max(second - mean * mean, 1e-4));
  const head = params.value as ParamTree;
  const rescaled = tf.tidy(() => ({
    weight: tf.mul(head.weight as tf.Tensor, oldStd / std),
    bias: tf.div(tf.add(tf.mul(head.bias as tf.Tensor, oldStd), oldMean - mean), std),
  }));
  return {
    params: {
      ...params,
      value: rescaled,
      valueScale: { mean: tf.tensor1d([mean]), std: tf.tensor1d([std]) },
    },
    mean,
    std,
  };
}

/** Options of `fitScaledValueHead`. */
export interface ValueHeadFitOptions {
  /** Full-batch Adam steps. */
  readonly steps: number;
  /** Adam's step size. */
  readonly learningRate: number;
  /** 1 on real steps, 0 on padding (padded trials); default every step. */
  readonly mask?: tf.Tensor;
}

/**
 * Regresses the value head of `params` on fixed `features` `[..., H]` towards `targets` `[...]`
 * (0.5 mean (((V - target) / std)^2), the head's normalised units) with `steps` full-batch Adam
 * steps, e.g. after a TRPO step on the policy. Returns the new head (new tensors; `params` is
 * untouched) and the loss before the last step.
 */
export function fitScaledValueHead(
  params: ParamTree,
  features: tf.Tensor,
  targets: tf.Tensor,
  options: ValueHeadFitOptions,
): { value: ParamTree; loss: number } {
  const { mask } = options;
  const count = mask === undefined ? undefined : tf.sum(mask);
  const mean = (t: tf.Tensor) =>
    (mask === undefined ? tf.mean(t) : tf.div(tf.sum(tf.mul(t, mask)), count!)) as tf.Scalar;
  const std = (params.valueScale as ParamTree).std as tf.Tensor;
  const optimizer = createAdam({ learningRate: options.learningRate });
  const state = optimizer.init(params.value as ParamTree);
  const fit = runPpoEpochs({
    params: params.value as ParamTree,
    optimizer,
    state,
    units: 1,
    epochs: options.steps,
    minibatches: 1,
    loss: (head) => {
      const predicted = scaledValues({ value: head, valueScale: params.valueScale! }, features);
      return { loss: tf.mul(0.5, mean(tf.square(tf.div(tf.sub(predicted, targets), std)))) as tf.Scalar };
    },
  });
  disposeOptimizerState(state);
  disposeOptimizerState(fit.state);
  count?.dispose();
  return { value: fit.params, loss: fit.metrics.lastLoss };
}
