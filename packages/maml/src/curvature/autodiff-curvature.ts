/**
 * The curvature of any policy by core's exact autodiff through `policy.apply`: the products of
 * a `PolicyCurvature`, each a Hessian-vector product (one forward and two backward passes per
 * product; only the point's action distributions are kept). MAML's curvature objective uses it
 * for a policy `curvatureOf` does not know. Grouping as `linearizeMlp`: observations `[G, N, O]`,
 * params and tangents shared or per group (a leading G), every product per group.
 */
import {
  broadcastParams,
  cloneParams,
  createRng,
  type Distribution,
  disposeParams,
  gradients,
  hessianVectorProduct,
  listLeaves,
  type ParamTree,
  type Policy,
  tf,
} from '@metarl/core';
import type { PolicyCurvature } from './policy-curvature';

/**
 * The curvature of `policy` by generic differentiation (see the module comment).
 *
 * @example
 * const curvature = curvatureOf(policy) ?? createAutodiffCurvature(policy);
 */
export function createAutodiffCurvature(policy: Policy): PolicyCurvature {
  let sharedRanks: Map<string, number> | undefined;
  /** Whether `tree`'s leaves carry a leading group axis, by the ranks of the policy's own params. */
  const isPerGroup = (tree: ParamTree, role: string): boolean => {
    if (sharedRanks === undefined) {
      const own = policy.init(createRng(0));
      sharedRanks = new Map(listLeaves(own).map((leaf) => [leaf.path, leaf.tensor.rank]));
      disposeParams(own);
    }
    const extra = listLeaves(tree).map(
      ({ path, tensor }) => tensor.rank - (sharedRanks!.get(path) ?? Number.NaN),
    );
    if (extra.length === 0 || extra.some((e) => e !== extra[0]) || (extra[0] !== 0 && extra[0] !== 1))
      throw new RangeError(
        `autodiff curvature: ${role} must be shaped like the policy's params, all shared or all with a leading group axis (extra ranks by leaf: [${extra.join(', ')}])`,
      );
    return extra[0] === 1;
  };
  return {
    linearize(params, observations) {
      if (observations.rank !== 2 && observations.rank !== 3)
        throw new RangeError(
          `autodiff curvature: observations must be [N, O] or [G, N, O], got [${observations.shape.join(', ')}]`,
        );
      const groups = observations.rank === 3 ? observations.shape[0]! : undefined;
      /** `tree` with one slice per group (a new tree, or undefined when it is already so or ungrouped). */
      const spread = (tree: ParamTree, role: string) =>
        groups === undefined || isPerGroup(tree, role) ? undefined : broadcastParams(tree, groups);
      const broadcast = spread(params, 'params');
      const point = broadcast ?? params;
      // The distributions at a copy of the point: constants to the products, so the KL's Hessian is the Fisher matrix.
      const frozen = cloneParams(point);
      const distribution = tf.tidy(
        () => policy.apply(frozen, observations) as unknown as tf.TensorContainer,
      ) as unknown as Distribution;
      const owned = tf.tensor_util
        .getTensorsInContainer(distribution as unknown as tf.TensorContainer)
        .filter((x) => x !== observations);
      const checkWeights = (weights: tf.Tensor) => {
        const steps = observations.shape.slice(0, -1);
        if (!tf.util.arraysEqual(weights.shape, steps))
          throw new RangeError(
            `autodiff curvature: weights must be [${steps.join(', ')}] (one per step), got [${weights.shape.join(', ')}]`,
          );
      };
      /** H u of `f` at the point, `tangent` spread over the groups when shared. */
      const hessianProduct = (f: (p: ParamTree) => tf.Scalar, tangent: ParamTree) => {
        const spreadTangent = spread(tangent, 'tangent');
        const product = hessianVectorProduct(f, point, spreadTangent ?? tangent);
        if (spreadTangent !== undefined) disposeParams(spreadTangent);
        return product;
      };
      return {
        distribution,
        fisherProduct(tangent, weights) {
          checkWeights(weights);
          const kl = (p: ParamTree) =>
            tf.tidy(
              () => tf.sum(tf.mul(distribution.kl(policy.apply(p, observations)), weights)) as tf.Scalar,
            );
          return hessianProduct(kl, tangent);
        },
        logLikelihood(actions, weights) {
          checkWeights(weights);
          const perStep = () => {
            try {
              const logProb = tf.tidy(() => distribution.logProb(actions));
              logProb.dispose();
              return tf.util.arraysEqual(logProb.shape, weights.shape);
            } catch {
              return false; // actions the distribution cannot take
            }
          };
          if (!tf.util.arraysEqual(actions.shape.slice(0, weights.rank), weights.shape) || !perStep())
            throw new RangeError(
              `autodiff curvature: actions must be [${weights.shape.join(', ')}, ...] with one log-probability per step, got [${actions.shape.join(', ')}]`,
            );
          const likelihood = (p: ParamTree) =>
            tf.tidy(
              () => tf.sum(tf.mul(policy.apply(p, observations).logProb(actions), weights)) as tf.Scalar,
            );
          const gradient = gradients(likelihood, point);
          return {
            gradient,
            hessianProduct: (tangent) => hessianProduct(likelihood, tangent),
            dispose: () => disposeParams(gradient),
          };
        },
        dispose() {
          tf.dispose(owned);
          disposeParams(frozen);
          if (broadcast !== undefined) disposeParams(broadcast);
        },
      };
    },
  };
}
