/**
 * The task-batched inner loop of gradient-based meta-learners (MAML, Meta-SGD, Reptile): T
 * tasks adapt at once. The parameters carry a leading task axis, and the gradient of the *sum*
 * of the T task losses is every task's own gradient, in one backward pass. Every step is a
 * plain differentiable function of the starting parameters (and of the step sizes), so an outer
 * loop differentiates through it exactly (second order) unless `firstOrder` is set.
 */
import * as tf from '@tensorflow/tfjs-core';
import { gradients } from '../autodiff/differentiate';
import { stopGradient } from '../ops/ops';
import { broadcastParams, disposeParams, type ParamTree, zipParams } from '../params/param-tree';
import type { Policy } from '../rl/policies';
import { clippedSurrogate } from '../rl/ppo';
import type { TaskBatch } from './task-batch';

/** How the inner loop steps. */
export interface InnerLoopOptions {
  /** Step size alpha of every parameter (unused where `stepSizes` are given). */
  readonly innerStepSize: number;
  /** Stop the outer gradient at the inner gradient (first-order MAML, Reptile); default false. */
  readonly firstOrder?: boolean;
  /** One step size per parameter, shaped like one policy's parameters (Meta-SGD's learned alpha); replaces `innerStepSize`. */
  readonly stepSizes?: ParamTree;
}

/** Sum over tasks of each task's VPG loss -mean(log pi(a|s) A) on `batch` (per-task gradients in one pass). */
export function innerLoss(policy: Policy, taskParams: ParamTree, batch: TaskBatch): tf.Scalar {
  return tf.tidy(() => {
    const logProb = policy.apply(taskParams, batch.observations).logProb(batch.actions);
    return tf.neg(tf.sum(tf.mul(logProb, batch.advantageWeights))) as tf.Scalar;
  });
}

/**
 * Sum over tasks of each task's PPO clipped-surrogate loss on `batch`, -sum(min(r A, clip(r) A))
 * with r = exp(log pi(a|s) - `oldLogProb`) and A the batch's per-task weighted advantages (as
 * `innerLoss` weighs them: per-task gradients in one pass). `oldLogProb` `[T, M]` holds the
 * log-probabilities under the parameters that sampled the batch (`taskLogProbs`); there the
 * gradient equals `innerLoss`'s. For inner loops of several PPO epochs on one batch.
 */
export function innerPpoLoss(
  policy: Policy,
  taskParams: ParamTree,
  batch: TaskBatch,
  oldLogProb: tf.Tensor,
  clipRange: number,
): tf.Scalar {
  return tf.tidy(() => {
    const logProb = policy.apply(taskParams, batch.observations).logProb(batch.actions);
    const { surrogate } = clippedSurrogate(logProb, oldLogProb, batch.advantageWeights, clipRange);
    return tf.neg(tf.sum(surrogate)) as tf.Scalar;
  });
}

/** Every task's log-probabilities `[T, M]` of `batch`'s actions under task-batched `taskParams`, with no gradient (PPO's old log-probabilities). */
export function taskLogProbs(policy: Policy, taskParams: ParamTree, batch: TaskBatch): tf.Tensor {
  return tf.tidy(() => stopGradient(policy.apply(taskParams, batch.observations).logProb(batch.actions)));
}

/**
 * One inner step of every task: `taskParams` (leading axis T) minus alpha (or `stepSizes`)
 * times each task's VPG gradient on `batch`. Returns new task-batched parameters.
 */
export function innerStep(
  policy: Policy,
  taskParams: ParamTree,
  batch: TaskBatch,
  options: InnerLoopOptions,
): ParamTree {
  const grads = gradients((p) => innerLoss(policy, p, batch), taskParams);
  const sizes = options.stepSizes === undefined ? undefined : broadcastParams(options.stepSizes, batch.tasks);
  const next = zipParams(
    sizes === undefined ? [taskParams, grads] : [taskParams, grads, sizes],
    ([p, g, a]) =>
      tf.tidy(() => {
        const gradient = options.firstOrder === true ? stopGradient(g!) : g!;
        return tf.sub(
          p!,
          a === undefined ? tf.mul(gradient, tf.scalar(options.innerStepSize)) : tf.mul(gradient, a),
        );
      }),
    'innerStep',
  );
  disposeParams(grads);
  if (sizes !== undefined) disposeParams(sizes);
  return next;
}

/**
 * Every task's adapted parameters: `params` (one policy's) broadcast to the T tasks of the
 * batches, then one inner step per batch of `batches`, in order (pass one batch several times
 * for several steps on the same episodes). Returns new task-batched parameters.
 *
 * @example
 * const batch = toTaskBatch(episodes, taskAdvantages(episodes, { gamma: 0.99, lambda: 1 }), policy.actionKind);
 * const adapted = adaptPolicy(policy, params, [batch], { innerStepSize: 0.1 }); // leaves [T, ...]
 */
export function adaptPolicy(
  policy: Policy,
  params: ParamTree,
  batches: readonly TaskBatch[],
  options: InnerLoopOptions,
): ParamTree {
  if (batches.length === 0)
    throw new RangeError('adaptPolicy: batches must hold at least one TaskBatch, got 0');
  let adapted = broadcastParams(params, batches[0]!.tasks);
  for (const batch of batches) {
    const next = innerStep(policy, adapted, batch, options);
    disposeParams(adapted);
    adapted = next;
  }
  return adapted;
}
