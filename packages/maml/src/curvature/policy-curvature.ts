/**
 * Exact second-order products of a policy at fixed params and observations, with the forward
 * pass (and a log-likelihood's backward pass) computed once and reused for every vector: what
 * TRPO's conjugate gradient and MAML's meta-gradient need ten or more times per update. Equal to
 * `hessianVectorProduct` of the same functions (the tests check it). Built from a policy's
 * plain `architecture` description (`curvatureOf`); a policy it does not know gets the same
 * products by autodiff (`createAutodiffCurvature`).
 *
 * Grouping follows `linearizeMlp`: observations `[G, N, O]` are G independent groups (tasks),
 * params and tangents are shared or per group, and every product is per group (`[G, ...]` leaves).
 */
import {
  type Activation,
  Categorical,
  DiagonalGaussian,
  type Distribution,
  disposeParams,
  type ParamTree,
  type Policy,
  type PolicyArchitecture,
  tf,
} from '@metarl/core';
import { linearizeMlp, type MlpLinearization } from './mlp-linearization';

/** A policy's second-order machinery (`curvatureOf`, `createAutodiffCurvature`). */
export interface PolicyCurvature {
  /** Runs `params` on `observations` (`[N, O]` or `[G, N, O]`) once and keeps what the products need. */
  linearize(params: ParamTree, observations: tf.Tensor): PolicyLinearization;
}

/** A policy linearised at fixed params and observations. */
export interface PolicyLinearization {
  /** The action distributions at the cached point (no further forward pass; owned by the linearisation). */
  readonly distribution: Distribution;
  /**
   * Σᵢ wᵢ Fᵢ u per group: the weighted Fisher information of the action distributions times
   * `tangent`, which is the Hessian of Σᵢ wᵢ KL(π_old(·|sᵢ) ‖ π(·|sᵢ)) at π = π_old.
   * `weights` is `[N]` or `[G, N]`.
   */
  fisherProduct(tangent: ParamTree, weights: tf.Tensor): ParamTree;
  /** The weighted log-likelihood Σᵢ wᵢ log π(aᵢ|sᵢ) at the cached point, its gradient computed once. */
  logLikelihood(actions: tf.Tensor, weights: tf.Tensor): LogLikelihoodCurvature;
  /** Frees the cached forward pass. */
  dispose(): void;
}

/** A weighted log-likelihood at a fixed point (see `PolicyLinearization.logLikelihood`). */
export interface LogLikelihoodCurvature {
  /** Its gradient, per group. */
  readonly gradient: ParamTree;
  /** Its Hessian times `tangent`, per group. */
  hessianProduct(tangent: ParamTree): ParamTree;
  /** Frees its tensors, `gradient` included. */
  dispose(): void;
}

function subtree(tree: ParamTree, key: string, role: string): ParamTree {
  const value = tree[key];
  if (value === undefined || value instanceof tf.Tensor)
    throw new RangeError(
      `policy curvature: ${role} has no '${key}' subtree (keys [${Object.keys(tree).join(', ')}])`,
    );
  return value;
}

function leaf(tree: ParamTree, key: string, role: string): tf.Tensor {
  const value = tree[key];
  if (!(value instanceof tf.Tensor))
    throw new RangeError(
      `policy curvature: ${role} has no '${key}' tensor (keys [${Object.keys(tree).join(', ')}])`,
    );
  return value;
}

/** Per-step weights `[N]` or `[G, N]` as `[..., N, 1]`. */
function stepWeights(weights: tf.Tensor, rows: tf.Tensor): tf.Tensor {
  if (weights.rank !== rows.rank - 1 || !weights.shape.every((s, i) => s === rows.shape[i]))
    throw new RangeError(
      `policy curvature: weights must be [${rows.shape.slice(0, -1).join(', ')}] (one per step), got [${weights.shape.join(', ')}]`,
    );
  return tf.expandDims(weights, -1);
}

/** A per-group `[G, A]` log-std as `[G, 1, A]` next to `[G, N, A]` means; a shared `[A]` as is. */
function alongSteps(logStd: tf.Tensor, mean: tf.Tensor): tf.Tensor {
  return logStd.rank === 2 && mean.rank === 3 ? tf.expandDims(logStd, 1) : logStd;
}

/**
 * The curvature of a diagonal-Gaussian MLP policy (`createGaussianMlpPolicy`: params
 * `{mean: mlp, logStd}`, or the keys given): per step, the Fisher information is diag(σ⁻²) in
 * the mean and 2 in each log-std, and the log-likelihood's second derivatives are taken in
 * closed form.
 */
export function createGaussianMlpCurvature(
  activation: Activation,
  names: { readonly network: string; readonly logStd: string } = { network: 'mean', logStd: 'logStd' },
): PolicyCurvature {
  const { network: meanKey, logStd: logStdKey } = names;
  return {
    linearize(params, observations) {
      const network = linearizeMlp(subtree(params, meanKey, 'params'), observations, activation);
      const logStd = leaf(params, logStdKey, 'params');
      const mean = network.output;
      const stepLogStd = alongSteps(logStd, mean);
      const precision = tf.tidy(() => tf.exp(tf.mul(-2, stepLogStd)));
      /** Σ over steps of a `[..., N, A]` per-step log-std term, per group. */
      const sumSteps = (x: tf.Tensor) => tf.sum(x, -2);
      return {
        distribution: new DiagonalGaussian(mean, stepLogStd),
        fisherProduct(tangent, weights) {
          const forward = network.forwardTangent(subtree(tangent, meanKey, 'tangent'));
          const cotangent = tf.tidy(() =>
            tf.mul(tf.mul(stepWeights(weights, mean), forward.output), precision),
          );
          const back = network.backward(cotangent);
          const logStdPart = tf.tidy(() =>
            tf.mul(
              2,
              sumSteps(
                tf.mul(stepWeights(weights, mean), alongSteps(leaf(tangent, logStdKey, 'tangent'), mean)),
              ),
            ),
          );
          back.dispose();
          forward.dispose();
          cotangent.dispose();
          return { [meanKey]: back.gradients, [logStdKey]: logStdPart };
        },
        logLikelihood(actions, weights) {
          if (!tf.util.arraysEqual(actions.shape, mean.shape))
            throw new RangeError(
              `policy curvature: actions must be [${mean.shape.join(', ')}], got [${actions.shape.join(', ')}]`,
            );
          const w = stepWeights(weights, mean);
          const residual = tf.sub(actions, mean);
          const scaled = tf.mul(residual, precision);
          const cotangent = tf.mul(w, scaled); // ∂/∂μ of Σ w log π
          const back = network.backward(cotangent);
          const gradient: ParamTree = {
            [meanKey]: back.gradients,
            [logStdKey]: tf.tidy(() => sumSteps(tf.mul(w, tf.sub(tf.mul(residual, scaled), 1)))),
          };
          return {
            gradient,
            hessianProduct(tangent) {
              const meanTangent = subtree(tangent, meanKey, 'tangent');
              const forward = network.forwardTangent(meanTangent);
              const logStdTangent = alongSteps(leaf(tangent, logStdKey, 'tangent'), mean);
              const cotangentTangent = tf.tidy(() =>
                tf.mul(
                  w,
                  tf.neg(tf.add(tf.mul(forward.output, precision), tf.mul(tf.mul(2, scaled), logStdTangent))),
                ),
              );
              const meanPart = network.backwardTangent(back, forward, meanTangent, cotangentTangent);
              const logStdPart = tf.tidy(() =>
                sumSteps(
                  tf.mul(
                    tf.mul(-2, w),
                    tf.add(tf.mul(scaled, forward.output), tf.mul(tf.mul(residual, scaled), logStdTangent)),
                  ),
                ),
              );
              if (logStdTangent !== tangent[logStdKey]) logStdTangent.dispose();
              cotangentTangent.dispose();
              forward.dispose();
              return { [meanKey]: meanPart, [logStdKey]: logStdPart };
            },
            dispose() {
              back.dispose();
              disposeParams(gradient);
              tf.dispose([w, residual, scaled, cotangent]);
            },
          };
        },
        dispose() {
          network.dispose();
          precision.dispose();
          if (stepLogStd !== logStd) stepLogStd.dispose();
        },
      };
    },
  };
}

/**
 * The curvature of a categorical MLP policy (`createCategoricalMlpPolicy`: params
 * `{logits: mlp}`, or the key given): per step, both the Fisher information and minus the
 * log-likelihood's Hessian in the logits are M = diag(p) − p pᵀ.
 */
export function createCategoricalMlpCurvature(
  activation: Activation,
  names: { readonly network: string } = { network: 'logits' },
): PolicyCurvature {
  const logitsKey = names.network;
  return {
    linearize(params, observations) {
      const network: MlpLinearization = linearizeMlp(
        subtree(params, logitsKey, 'params'),
        observations,
        activation,
      );
      const logits = network.output;
      const probabilities = tf.tidy(() => tf.softmax(logits));
      /** M v per step for logit tangents `v`. */
      const fisherTimes = (v: tf.Tensor) =>
        tf.tidy(() => {
          const pv = tf.mul(probabilities, v);
          return tf.sub(pv, tf.mul(probabilities, tf.sum(pv, -1, true)));
        });
      return {
        distribution: new Categorical(logits),
        fisherProduct(tangent, weights) {
          const forward = network.forwardTangent(subtree(tangent, logitsKey, 'tangent'));
          const cotangent = tf.tidy(() => tf.mul(stepWeights(weights, logits), fisherTimes(forward.output)));
          const back = network.backward(cotangent);
          back.dispose();
          forward.dispose();
          cotangent.dispose();
          return { [logitsKey]: back.gradients };
        },
        logLikelihood(actions, weights) {
          const expected = logits.shape.slice(0, -1);
          if (!tf.util.arraysEqual(actions.shape, expected) || actions.dtype !== 'int32')
            throw new RangeError(
              `policy curvature: actions must be int32 [${expected.join(', ')}], got ${actions.dtype} [${actions.shape.join(', ')}]`,
            );
          const w = stepWeights(weights, logits);
          const cotangent = tf.tidy(() =>
            tf.mul(w, tf.sub(tf.oneHot(actions, logits.shape[logits.rank - 1]!), probabilities)),
          );
          const back = network.backward(cotangent);
          const gradient: ParamTree = { [logitsKey]: back.gradients };
          return {
            gradient,
            hessianProduct(tangent) {
              const logitTangent = subtree(tangent, logitsKey, 'tangent');
              const forward = network.forwardTangent(logitTangent);
              const cotangentTangent = tf.tidy(() => tf.neg(tf.mul(w, fisherTimes(forward.output))));
              const result = network.backwardTangent(back, forward, logitTangent, cotangentTangent);
              cotangentTangent.dispose();
              forward.dispose();
              return { [logitsKey]: result };
            },
            dispose() {
              back.dispose();
              disposeParams(gradient);
              tf.dispose([w, cotangent]);
            },
          };
        },
        dispose() {
          network.dispose();
          probabilities.dispose();
        },
      };
    },
  };
}

/** Whether `layerNames` are `createMlp`'s (`hidden0`, ..., `output`), the layout `linearizeMlp` reads. */
function hasMlpLayerNames(architecture: PolicyArchitecture): boolean {
  const names = architecture.layerNames;
  return (
    names.length === architecture.layerSizes.length - 1 &&
    names.every((name, i) => name === (i === names.length - 1 ? 'output' : `hidden${i}`))
  );
}

/**
 * The cached curvature of `policy`, built from its `architecture` when this module knows it: an
 * MLP (`createMlp`'s layers, tanh or relu) under a diagonal-Gaussian or categorical head, as both
 * MLP policies of `@metarl/core` are. Undefined for any other policy: the caller then uses
 * `createAutodiffCurvature(policy)`, the same products by autodiff through `policy.apply`.
 *
 * @example
 * const curvature = curvatureOf(createGaussianMlpPolicy({ observationSize: 2, actionSize: 2 }));
 * const linear = curvature?.linearize(params, observations); // [T, N, 2] observations: per-task products
 */
export function curvatureOf(policy: Policy): PolicyCurvature | undefined {
  const architecture = policy.architecture;
  if (architecture?.network !== 'mlp' || !hasMlpLayerNames(architecture)) return undefined;
  const { activation, distribution, parameterNames } = architecture;
  if (activation !== 'tanh' && activation !== 'relu') return undefined;
  if (distribution === 'categorical' && policy.actionKind === 'discrete')
    return createCategoricalMlpCurvature(activation, { network: parameterNames.network });
  if (
    distribution === 'diagonal-gaussian' &&
    policy.actionKind === 'continuous' &&
    parameterNames.logStd !== undefined
  )
    return createGaussianMlpCurvature(activation, {
      network: parameterNames.network,
      logStd: parameterNames.logStd,
    });
  return undefined;
}
