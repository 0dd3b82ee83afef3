/**
 * Policy-gradient objectives and steps: VPG and PPO (clipped surrogate, value loss, entropy
 * bonus, minibatch epochs). Both work on any `Policy`; losses are plain differentiable functions
 * of the parameters, so meta-learners differentiate through them.
 */

import type { Rng } from '@metarl/envs';
import * as tf from '@tensorflow/tfjs-core';
import { valueAndGradients } from '../autodiff/differentiate';
import { clipByGlobalNorm } from '../optim/clip-by-global-norm';
import type { Optimizer, OptimizerState } from '../optim/optimizer';
import { disposeParams, type ParamTree } from '../params/param-tree';
import type { Policy } from './policies';
import type { ValueFunction } from './value-function';

/** -mean(log pi(a|s) A): the vanilla policy-gradient (REINFORCE with advantages) loss. */
export function policyGradientLoss(
  policy: Policy,
  params: ParamTree,
  observations: tf.Tensor,
  actions: tf.Tensor,
  advantages: tf.Tensor,
): tf.Scalar {
  return tf.tidy(() => {
    const logProb = policy.apply(params, observations).logProb(actions);
    return tf.neg(tf.mean(tf.mul(logProb, advantages))) as tf.Scalar;
  });
}

/**
 * PPO's clipped surrogate per step: min(r A, clip(r, 1 - epsilon, 1 + epsilon) A) with the
 * probability ratio r = exp(logProb - oldLogProb). Callers average it (over valid steps) and negate.
 */
export function clippedSurrogate(
  logProb: tf.Tensor,
  oldLogProb: tf.Tensor,
  advantages: tf.Tensor,
  clipRange: number,
): { surrogate: tf.Tensor; ratio: tf.Tensor } {
  if (!(clipRange > 0)) throw new RangeError(`clippedSurrogate: clipRange must be > 0, got ${clipRange}`);
  return tf.tidy(() => {
    const ratio = tf.exp(tf.sub(logProb, oldLogProb));
    const unclipped = tf.mul(ratio, advantages);
    const clipped = tf.mul(tf.clipByValue(ratio, 1 - clipRange, 1 + clipRange), advantages);
    return { surrogate: tf.minimum(unclipped, clipped), ratio };
  });
}

/** The data of one policy-gradient update, as tensors (the caller disposes them). */
export interface PolicyGradientData {
  /** `[S, O]`. */
  readonly observations: tf.Tensor;
  /** `[S, A]` (continuous) or `[S]` int32 (discrete). */
  readonly actions: tf.Tensor;
  /** `[S]`. */
  readonly advantages: tf.Tensor;
  /** `[S]` log-probabilities under the sampling policy (PPO). */
  readonly oldLogProb?: tf.Tensor;
  /** `[S]` value targets (PPO's value loss). */
  readonly returns?: tf.Tensor;
}

/** One VPG step: params - update(grad of `policyGradientLoss`). */
export function vpgStep(
  policy: Policy,
  params: ParamTree,
  data: PolicyGradientData,
  optimizer: Optimizer,
  state: OptimizerState,
): { params: ParamTree; state: OptimizerState; loss: number } {
  const { value, gradients } = valueAndGradients(
    (p) => policyGradientLoss(policy, p, data.observations, data.actions, data.advantages),
    params,
  );
  const loss = value.dataSync()[0]!;
  value.dispose();
  const next = optimizer.step(params, gradients, state);
  disposeParams(gradients);
  return { params: next.params, state: next.state, loss };
}

/** Options of PPO (Schulman et al. 2017; defaults as CleanRL's ppo.py). */
export interface PpoOptions {
  /** epsilon of the clipped ratio; default 0.2. */
  readonly clipRange?: number;
  /** Weight of the value loss; default 0.5. */
  readonly valueCoefficient?: number;
  /** Weight of the entropy bonus; default 0. */
  readonly entropyCoefficient?: number;
  /** Passes over the batch; default 10. */
  readonly epochs?: number;
  /** Steps per minibatch; default 64. */
  readonly minibatchSize?: number;
  /** Global gradient-norm clip; default 0.5. */
  readonly maxGradientNorm?: number;
  /** Normalise advantages within each minibatch; default true. */
  readonly normalizeAdvantages?: boolean;
}

/** The PPO loss terms at `params` (`{ policy, value? }`). */
export function ppoLoss(
  policy: Policy,
  valueFunction: ValueFunction | undefined,
  params: ParamTree,
  data: PolicyGradientData,
  options: PpoOptions = {},
): {
  loss: tf.Scalar;
  policyLoss: tf.Scalar;
  valueLoss: tf.Scalar;
  entropy: tf.Scalar;
  clipFraction: tf.Scalar;
} {
  const clip = options.clipRange ?? 0.2;
  if (data.oldLogProb === undefined) throw new RangeError('ppoLoss: data.oldLogProb is required');
  return tf.tidy(() => {
    const distribution = policy.apply(params.policy as ParamTree, data.observations);
    const logProb = distribution.logProb(data.actions);
    const { surrogate, ratio } = clippedSurrogate(logProb, data.oldLogProb!, data.advantages, clip);
    const policyLoss = tf.neg(tf.mean(surrogate)) as tf.Scalar;
    const entropy = tf.mean(distribution.entropy()) as tf.Scalar;
    let valueLoss = tf.scalar(0);
    if (valueFunction !== undefined) {
      if (data.returns === undefined)
        throw new RangeError('ppoLoss: data.returns is required with a value function');
      const predicted = valueFunction.apply(params.value as ParamTree, data.observations);
      valueLoss = tf.mul(tf.scalar(0.5), tf.mean(tf.square(tf.sub(predicted, data.returns)))) as tf.Scalar;
    }
    const loss = tf.add(
      tf.sub(policyLoss, tf.mul(tf.scalar(options.entropyCoefficient ?? 0), entropy)),
      tf.mul(tf.scalar(options.valueCoefficient ?? 0.5), valueLoss),
    ) as tf.Scalar;
    const clipFraction = tf.mean(tf.cast(tf.greater(tf.abs(tf.sub(ratio, 1)), clip), 'float32')) as tf.Scalar;
    return { loss, policyLoss, valueLoss, entropy, clipFraction };
  });
}

/** Epochs of minibatch PPO updates; returns new params and optimizer state and mean metrics. */
export function ppoUpdate(
  policy: Policy,
  valueFunction: ValueFunction | undefined,
  params: ParamTree,
  data: PolicyGradientData,
  optimizer: Optimizer,
  state: OptimizerState,
  rng: Rng,
  options: PpoOptions = {},
): { params: ParamTree; state: OptimizerState; metrics: Record<string, number> } {
  const steps = data.advantages.shape[0]!;
  const epochs = options.epochs ?? 10;
  const size = Math.min(options.minibatchSize ?? 64, steps);
  if (!Number.isInteger(epochs) || epochs < 1)
    throw new RangeError(`ppoUpdate: epochs must be a positive integer, got ${epochs}`);
  if (!Number.isInteger(size) || size < 1)
    throw new RangeError(`ppoUpdate: minibatchSize must be a positive integer, got ${options.minibatchSize}`);
  const totals = { policyLoss: 0, valueLoss: 0, entropy: 0, clipFraction: 0, gradientNorm: 0 };
  let updates = 0;
  let current = params;
  let currentState = state;
  const order = Int32Array.from({ length: steps }, (_v, i) => i);
  for (let epoch = 0; epoch < epochs; epoch += 1) {
    for (let i = steps - 1; i > 0; i -= 1) {
      const j = rng.nextInt(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (let start = 0; start + size <= steps; start += size) {
      const indices = tf.tensor1d(order.subarray(start, start + size), 'int32');
      const pick = (t: tf.Tensor | undefined) => (t === undefined ? undefined : tf.gather(t, indices));
      let advantages = pick(data.advantages)!;
      if (options.normalizeAdvantages ?? true) {
        const normalised = tf.tidy(() => {
          const { mean, variance } = tf.moments(advantages);
          return tf.div(tf.sub(advantages, mean), tf.add(tf.sqrt(variance), 1e-8));
        });
        advantages.dispose();
        advantages = normalised;
      }
      const minibatch: PolicyGradientData = {
        observations: pick(data.observations)!,
        actions: pick(data.actions)!,
        advantages,
        oldLogProb: pick(data.oldLogProb),
        returns: pick(data.returns),
      };
      let terms: ReturnType<typeof ppoLoss> | undefined;
      const { value, gradients } = valueAndGradients((p) => {
        terms = ppoLoss(policy, valueFunction, p, minibatch, options);
        // The diagnostics outlive the gradient scope, which frees everything f does not return.
        tf.keep(terms.policyLoss);
        tf.keep(terms.valueLoss);
        tf.keep(terms.entropy);
        tf.keep(terms.clipFraction);
        return terms.loss;
      }, current);
      const clipped = clipByGlobalNorm(gradients, options.maxGradientNorm ?? 0.5);
      const next = optimizer.step(current, clipped.gradients, currentState);
      if (current !== params) disposeParams(current);
      for (const slot of Object.values(currentState.slots)) if (currentState !== state) disposeParams(slot);
      current = next.params;
      currentState = next.state;
      totals.policyLoss += terms!.policyLoss.dataSync()[0]!;
      totals.valueLoss += terms!.valueLoss.dataSync()[0]!;
      totals.entropy += terms!.entropy.dataSync()[0]!;
      totals.clipFraction += terms!.clipFraction.dataSync()[0]!;
      totals.gradientNorm += clipped.norm;
      updates += 1;
      tf.dispose([
        value,
        indices,
        ...Object.values(minibatch).filter((t): t is tf.Tensor => t !== undefined),
      ]);
      tf.dispose([terms!.policyLoss, terms!.valueLoss, terms!.entropy, terms!.clipFraction]);
      disposeParams(gradients);
      disposeParams(clipped.gradients);
    }
  }
  const metrics: Record<string, number> = {};
  for (const [key, total] of Object.entries(totals)) metrics[`losses/${key}`] = total / Math.max(1, updates);
  return { params: current, state: currentState, metrics };
}
