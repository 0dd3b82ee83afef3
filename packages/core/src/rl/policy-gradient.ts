/**
 * Policy-gradient objectives and steps on flat samples of any `Policy`: VPG, and PPO (core's one
 * PPO, `./ppo`, over a policy and an optional value function). Losses are plain differentiable
 * functions of the parameters, so meta-learners differentiate through them.
 */

import type { Rng } from '@metarl/envs';
import * as tf from '@tensorflow/tfjs-core';
import { valueAndGradients } from '../autodiff/differentiate';
import type { Optimizer, OptimizerState } from '../optim/optimizer';
import { disposeParams, type ParamTree } from '../params/param-tree';
import type { Policy } from './policies';
import {
  defaultPpoSettings,
  type PpoLossTerms,
  type PpoSettings,
  ppoLossTerms,
  resolvePpoSettings,
  runPpoEpochs,
} from './ppo';
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

/**
 * Options of `ppoUpdate`: PPO's settings (defaults: `defaultPpoSettings`, minibatches by size)
 * and per-minibatch advantage normalisation.
 */
export interface PpoOptions extends Omit<PpoSettings, 'minibatches'> {
  /** Normalise advantages within each minibatch; default true. */
  readonly normalizeAdvantages?: boolean;
}

/**
 * The PPO loss terms at `params` (`{ policy, value? }`) on flat samples: `ppoLossTerms` over the
 * policy's log-probabilities and entropies and the value function's predictions.
 */
export function ppoLoss(
  policy: Policy,
  valueFunction: ValueFunction | undefined,
  params: ParamTree,
  data: PolicyGradientData,
  options: PpoOptions = {},
): PpoLossTerms {
  if (data.oldLogProb === undefined) throw new RangeError('ppoLoss: data.oldLogProb is required');
  if (valueFunction !== undefined && data.returns === undefined)
    throw new RangeError('ppoLoss: data.returns is required with a value function');
  return tf.tidy(() => {
    const distribution = policy.apply(params.policy as ParamTree, data.observations);
    const logProb = distribution.logProb(data.actions);
    const entropy = distribution.entropy();
    const values =
      valueFunction === undefined
        ? undefined
        : valueFunction.apply(params.value as ParamTree, data.observations);
    const terms = ppoLossTerms(
      {
        logProb,
        oldLogProb: data.oldLogProb!,
        advantages: data.advantages,
        entropy,
        ...(values === undefined ? {} : { values, returns: data.returns! }),
      },
      {
        clipRange: options.clipRange ?? defaultPpoSettings.clipRange,
        valueCoefficient: options.valueCoefficient ?? defaultPpoSettings.valueCoefficient,
        entropyCoefficient: options.entropyCoefficient ?? defaultPpoSettings.entropyCoefficient,
      },
    );
    return { ...terms };
  });
}

/**
 * Epochs of minibatch PPO updates on flat samples (`runPpoEpochs` with `ppoLoss`, advantages
 * normalised per minibatch); returns new params and optimizer state and mean metrics
 * (`losses/policyLoss`, `losses/valueLoss`, `losses/entropy`, `losses/clipFraction`, `losses/gradientNorm`).
 */
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
  const settings = resolvePpoSettings('ppoUpdate', options, '');
  const normalize = options.normalizeAdvantages ?? true;
  const result = runPpoEpochs({
    params,
    optimizer,
    state,
    rng,
    units: data.advantages.shape[0]!,
    epochs: settings.epochs,
    minibatchSize: settings.minibatchSize!,
    maxGradientNorm: settings.maxGradientNorm,
    loss: (p, indices) => {
      const rows = tf.tensor1d(indices, 'int32');
      const pick = (t: tf.Tensor | undefined) => (t === undefined ? undefined : tf.gather(t, rows));
      let advantages = pick(data.advantages)!;
      if (normalize) {
        const { mean, variance } = tf.moments(advantages);
        advantages = tf.div(tf.sub(advantages, mean), tf.add(tf.sqrt(variance), 1e-8));
      }
      const minibatch: PolicyGradientData = {
        observations: pick(data.observations)!,
        actions: pick(data.actions)!,
        advantages,
        oldLogProb: pick(data.oldLogProb),
        returns: pick(data.returns),
      };
      return ppoLoss(policy, valueFunction, p, minibatch, settings);
    },
  });
  const { metrics } = result;
  return {
    params: result.params,
    state: result.state,
    metrics: {
      'losses/policyLoss': metrics.policyLoss!,
      'losses/valueLoss': metrics.valueLoss!,
      'losses/entropy': metrics.entropy!,
      'losses/clipFraction': metrics.clipFraction!,
      'losses/gradientNorm': metrics.gradientNorm,
    },
  };
}
