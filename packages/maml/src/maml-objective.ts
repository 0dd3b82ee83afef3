/**
 * MAML's outer objective for one meta-batch, as functions of the meta-parameters theta
 * (`{ policy, stepSizes? }`): adapt every task with core's inner loop, then the post-adaptation
 * surrogate of the adapted policies on the validation episodes against the policies that
 * sampled them, and the mean KL from those. Two implementations, chosen once when the
 * objective is made:
 *
 * - the curvature objective (TRPO with one inner step of a fixed step size, any policy): the
 *   autodiff objective's values, with the meta-gradient as J^T g and TRPO's Fisher-vector product as J^T F J
 *   (see `createCurvatureObjective`), from a `PolicyCurvature`: the cached forward and backward
 *   passes of the policies `curvatureOf` knows, else `createAutodiffCurvature`'s generic
 *   Hessian-vector products (still 1.25-1.45x faster than the third-order pass);
 * - the autodiff objective (several inner steps, Meta-SGD, PPO's clipped surrogate):
 *   everything differentiated through the adaptation by core's exact gradients, TRPO's
 *   Fisher-vector product as a third-order pass.
 */
import {
  adaptPolicy,
  broadcastParams,
  clippedSurrogate,
  cloneParams,
  type Distribution,
  disposeParams,
  hessianVectorProduct,
  mapParams,
  type ParamTree,
  type Policy,
  type TaskBatch,
  tf,
  valueAndGradients,
  zipParams,
} from '@metarl/core';
import type {
  LogLikelihoodCurvature,
  PolicyCurvature,
  PolicyLinearization,
} from './curvature/policy-curvature';

/** The outer objective of one meta-batch; `dispose` frees its tensors. */
export interface MamlObjective {
  /** The post-adaptation surrogate at `meta` (mean over tasks; TRPO: -ratio A, PPO: clipped). */
  loss(meta: ParamTree): tf.Scalar;
  /** Mean over tasks of the mean KL(old adapted policy || adapted policy at `meta`). */
  kl(meta: ParamTree): tf.Scalar;
  /** `[loss(meta), kl(meta)]` from one adaptation (TRPO's line search). */
  lossAndKl(meta: ParamTree): [tf.Scalar, tf.Scalar];
  /** `loss(meta)` and its gradient (second order unless first-order MAML); equal to `valueAndGradients(loss, meta)`. */
  lossAndGradient(meta: ParamTree): { value: tf.Scalar; gradients: ParamTree };
  /** The KL's Hessian times `vector` at the old meta-parameters (TRPO's Fisher-vector product); equal to `hessianVectorProduct(kl, meta, vector)`. */
  fisherVectorProduct(meta: ParamTree, vector: ParamTree): ParamTree;
  /** Frees the objective's tensors (not the batches). */
  dispose(): void;
}

/** Options of `createMamlObjective`. */
export interface MamlObjectiveOptions {
  /** Inner step size alpha (Meta-SGD's learned step sizes are `meta.stepSizes` instead). */
  readonly innerStepSize: number;
  /** Stop the outer gradient at the inner gradient (first-order MAML). */
  readonly firstOrder: boolean;
  /** PPO's clip range epsilon: the surrogate is clipped (autodiff objective only). */
  readonly clipRange?: number;
  /** The policy's curvature (`curvatureOf(policy) ?? createAutodiffCurvature(policy)`): selects the curvature objective (one train batch, TRPO, no Meta-SGD). */
  readonly curvature?: PolicyCurvature;
}

/**
 * The outer objective: adapt on `trainBatches` (one inner step each), then the surrogate of the
 * adapted policies on `validBatch` against `oldTaskParams`, the adapted parameters that sampled
 * it (copied and frozen, so the KL's Hessian is the Fisher matrix).
 */
export function createMamlObjective(
  policy: Policy,
  trainBatches: readonly TaskBatch[],
  validBatch: TaskBatch,
  oldTaskParams: ParamTree,
  options: MamlObjectiveOptions,
): MamlObjective {
  if (options.curvature !== undefined && (trainBatches.length !== 1 || options.clipRange !== undefined))
    throw new RangeError(
      `createMamlObjective: the curvature objective needs one train batch and no clipRange (TRPO), got ${trainBatches.length} and ${String(options.clipRange)}`,
    );
  const surrogate = createPostAdaptationSurrogate(policy, trainBatches, validBatch, oldTaskParams, options);
  return options.curvature === undefined
    ? createAutodiffObjective(surrogate)
    : createCurvatureObjective(surrogate, options.curvature, trainBatches[0]!, options);
}

/** What both objectives share: the adaptation, the surrogate and the KL at given adapted policies. */
interface PostAdaptationSurrogate {
  readonly loss: (meta: ParamTree) => tf.Scalar;
  readonly kl: (meta: ParamTree) => tf.Scalar;
  readonly lossAndKl: (meta: ParamTree) => [tf.Scalar, tf.Scalar];
  /** The validation batch, and the frozen adapted parameters and their log-probabilities of its actions. */
  readonly validBatch: TaskBatch;
  readonly frozen: ParamTree;
  readonly oldLogProb: tf.Tensor;
  /** T as a scalar tensor. */
  readonly tasks: tf.Scalar;
  readonly dispose: () => void;
}

function createPostAdaptationSurrogate(
  policy: Policy,
  trainBatches: readonly TaskBatch[],
  validBatch: TaskBatch,
  oldTaskParams: ParamTree,
  options: MamlObjectiveOptions,
): PostAdaptationSurrogate {
  const frozen = cloneParams(oldTaskParams);
  const old = tf.tidy(
    () => policy.apply(frozen, validBatch.observations) as unknown as tf.TensorContainer,
  ) as unknown as Distribution;
  const oldLogProb = tf.tidy(() => old.logProb(validBatch.actions));
  const tasks = tf.scalar(validBatch.tasks);
  /** phi(theta): every task's adapted parameters (core's task-batched inner loop). */
  const adapt = (meta: ParamTree) =>
    adaptPolicy(policy, meta.policy as ParamTree, trainBatches, {
      innerStepSize: options.innerStepSize,
      firstOrder: options.firstOrder,
      ...(meta.stepSizes === undefined ? {} : { stepSizes: meta.stepSizes as ParamTree }),
    });
  /** -(1/T) sum_t sum_i w_ti ratio_ti A_ti (clipped for PPO) from the adapted policies' distributions. */
  const surrogateFrom = (adapted: Distribution) =>
    tf.tidy(() => {
      const logProb = adapted.logProb(validBatch.actions);
      const gain =
        options.clipRange === undefined
          ? tf.mul(tf.exp(tf.sub(logProb, oldLogProb)), validBatch.advantageWeights)
          : clippedSurrogate(logProb, oldLogProb, validBatch.advantageWeights, options.clipRange).surrogate;
      return tf.neg(tf.div(tf.sum(gain), tasks)) as tf.Scalar;
    });
  /** Mean over tasks of each task's mean KL(old || adapted). */
  const klFrom = (adapted: Distribution) =>
    tf.tidy(() => tf.div(tf.sum(tf.mul(old.kl(adapted), validBatch.stepWeights)), tasks) as tf.Scalar);
  const adaptedAt = (taskParams: ParamTree) => policy.apply(taskParams, validBatch.observations);
  return {
    loss: (meta) => tf.tidy(() => surrogateFrom(adaptedAt(adapt(meta)))),
    kl: (meta) => tf.tidy(() => klFrom(adaptedAt(adapt(meta)))),
    lossAndKl(meta) {
      const phi = adapt(meta);
      const both = tf.tidy(() => {
        const adapted = adaptedAt(phi);
        return [surrogateFrom(adapted), klFrom(adapted)];
      });
      disposeParams(phi);
      return [both[0]!, both[1]!];
    },
    validBatch,
    frozen,
    oldLogProb,
    tasks,
    dispose() {
      const owned = Object.values(old as unknown as Record<string, unknown>).filter(
        (value): value is tf.Tensor => value instanceof tf.Tensor,
      );
      tf.dispose([...owned, oldLogProb, tasks]);
      disposeParams(frozen);
    },
  };
}

/** The autodiff objective: the meta-gradient and the KL's Hessian-vector products by exact autodiff through the adaptation. */
function createAutodiffObjective(surrogate: PostAdaptationSurrogate): MamlObjective {
  const { loss, kl, lossAndKl, dispose } = surrogate;
  return {
    loss,
    kl,
    lossAndKl,
    lossAndGradient: (meta) => valueAndGradients(loss, meta),
    fisherVectorProduct: (meta, vector) => hessianVectorProduct(kl, meta, vector),
    dispose,
  };
}

/**
 * The curvature objective, for one inner step phi_t = theta + alpha grad l_t(theta), where l_t
 * is task t's advantage-weighted log-likelihood of the train batch (minus its inner loss), so
 * J_t = d phi_t / d theta = I + alpha H_t, symmetric (H_t: l_t's Hessian; J_t = I for
 * first-order MAML). l_t's gradient and Hessian products and the adapted policies' Fisher
 * products come from the policy's curvature; a cached one reuses one forward (and backward) pass
 * per point:
 *
 * - meta-gradient: sum_t J_t^T g_t, g_t the surrogate's gradient in phi_t, itself the gradient of
 *   a log-likelihood weighted by -ratio A / T (cached: 1.5-1.9x faster than autodiff);
 * - Fisher-vector product: at the old parameters the KL and its gradient in phi vanish, so its
 *   Hessian in theta is exactly the Gauss-Newton form (1/T) sum_t J_t^T F_t J_t, F_t the KL's
 *   Hessian in phi_t: two inner Hessian products and one Fisher product replace a third-order
 *   pass through the adaptation (equal to float rounding; 1.25-1.45x faster as autodiff products,
 *   2.8-3.5x faster again from the cached curvature).
 *
 * `loss`, `kl` and the line search's `lossAndKl` are the autodiff ones (a value needs no cached
 * curvature, and it is 10% faster here).
 */
function createCurvatureObjective(
  surrogate: PostAdaptationSurrogate,
  curvature: PolicyCurvature,
  trainBatch: TaskBatch,
  options: MamlObjectiveOptions,
): MamlObjective {
  const { validBatch, frozen, oldLogProb, tasks } = surrogate;
  const alpha = () => tf.scalar(options.innerStepSize);
  const policyOf = (meta: ParamTree): ParamTree => {
    if (meta.stepSizes !== undefined)
      throw new RangeError('MAML curvature objective: Meta-SGD step sizes need the autodiff objective');
    return meta.policy as ParamTree;
  };
  /** l_t linearised at the last meta-parameters asked for: TRPO takes its gradient and every Fisher-vector product at the same (old) point. */
  let innerCache: { meta: ParamTree; linear: PolicyLinearization; inner: LogLikelihoodCurvature } | undefined;
  const innerAt = (metaPolicy: ParamTree): LogLikelihoodCurvature => {
    if (innerCache?.meta !== metaPolicy) {
      if (innerCache !== undefined) {
        innerCache.inner.dispose();
        innerCache.linear.dispose();
      }
      const linear = curvature.linearize(metaPolicy, trainBatch.observations);
      const inner = linear.logLikelihood(trainBatch.actions, trainBatch.advantageWeights);
      innerCache = { meta: metaPolicy, linear, inner };
    }
    return innerCache.inner;
  };
  /** The adapted policies that sampled the validation batch, and the KL's per-step weights. */
  let outerCache: { linear: PolicyLinearization; klWeights: tf.Tensor } | undefined;
  /** phi_t = theta + alpha grad l_t. */
  const adaptedFrom = (metaPolicy: ParamTree, inner: LogLikelihoodCurvature): ParamTree => {
    const start = broadcastParams(metaPolicy, trainBatch.tasks);
    const adapted = zipParams(
      [start, inner.gradient],
      ([p, g]) => tf.tidy(() => tf.add(p!, tf.mul(g!, alpha()))),
      'adapt',
    );
    disposeParams(start);
    return adapted;
  };
  /** J_t u for every task; `tangent` is shared (one for all tasks) or per task. J_t is symmetric: also J_t^T u. */
  const jacobianProduct = (
    inner: LogLikelihoodCurvature,
    tangent: ParamTree,
    perTask: boolean,
  ): ParamTree => {
    const tangents = perTask ? cloneParams(tangent) : broadcastParams(tangent, trainBatch.tasks);
    if (options.firstOrder) return tangents;
    const hessian = inner.hessianProduct(tangent); // shared tangents make shared-weight products
    const out = zipParams(
      [tangents, hessian],
      ([x, h]) => tf.tidy(() => tf.add(x!, tf.mul(h!, alpha()))),
      'jacobianProduct',
    );
    disposeParams(hessian);
    disposeParams(tangents);
    return out;
  };
  const sumOverTasks = (tree: ParamTree) => mapParams(tree, (x) => tf.sum(x, 0));

  return {
    loss: surrogate.loss,
    kl: surrogate.kl,
    lossAndKl: surrogate.lossAndKl,
    lossAndGradient(meta) {
      const inner = innerAt(policyOf(meta));
      const phi = adaptedFrom(meta.policy as ParamTree, inner);
      const linear = curvature.linearize(phi, validBatch.observations);
      const weights = tf.tidy(() => {
        const ratio = tf.exp(tf.sub(linear.distribution.logProb(validBatch.actions), oldLogProb));
        return tf.neg(tf.div(tf.mul(ratio, validBatch.advantageWeights), tasks));
      });
      const value = tf.sum(weights) as tf.Scalar;
      const outer = linear.logLikelihood(validBatch.actions, weights);
      const back = jacobianProduct(inner, outer.gradient, true);
      const gradient = sumOverTasks(back);
      outer.dispose();
      linear.dispose();
      disposeParams(back);
      disposeParams(phi);
      weights.dispose();
      return { value, gradients: { policy: gradient } };
    },
    fisherVectorProduct(meta, vector) {
      const inner = innerAt(policyOf(meta));
      outerCache ??= {
        linear: curvature.linearize(frozen, validBatch.observations),
        klWeights: tf.div(validBatch.stepWeights, tasks),
      };
      const inPhi = jacobianProduct(inner, vector.policy as ParamTree, false);
      const fisher = outerCache.linear.fisherProduct(inPhi, outerCache.klWeights);
      const back = jacobianProduct(inner, fisher, true);
      const product = sumOverTasks(back);
      for (const tree of [inPhi, fisher, back]) disposeParams(tree);
      return { policy: product };
    },
    dispose() {
      surrogate.dispose();
      if (innerCache !== undefined) {
        innerCache.inner.dispose();
        innerCache.linear.dispose();
      }
      if (outerCache !== undefined) {
        outerCache.linear.dispose();
        outerCache.klWeights.dispose();
      }
    },
  };
}
