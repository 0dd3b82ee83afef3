/**
 * Gradients of scalar functions of a `ParamTree`, exact to any order: call one inside the
 * function handed to another and the outer one differentiates through the inner gradient
 * (this is how MAML's meta-gradient and TRPO's Hessian-vector products are computed).
 */
import * as tf from '@tensorflow/tfjs-core';
import { dotParams, listLeaves, type ParamTree, rebuildTree } from '../params/param-tree';
import {
  ensureExactGradients,
  listExactGradientKernels,
  listInexactKernels,
} from '../tfjs-internals/exact-gradients';
import { findInexactKernels } from '../tfjs-internals/find-inexact-kernels';

/** Raised when a function uses a tfjs kernel that has no exact gradient. */
export class GradientError extends Error {
  override readonly name = 'GradientError';
}

/** The error for kernels on the differentiated path that have no exact gradient. */
function noExactGradient(kernels: readonly string[], cause?: unknown): GradientError {
  const named = kernels.map((kernel) => `'${kernel}'`).join(', ');
  return new GradientError(
    `no exact gradient for the tfjs kernel${kernels.length > 1 ? 's' : ''} ${named}. metarl differentiates: ${listExactGradientKernels().join(
      ', ',
    )}. Rewrite with those ops (e.g. logSoftmax/selectLastAxis from @metarl/core instead of tf.logSoftmax/tf.gather).`,
    cause === undefined ? undefined : { cause },
  );
}

function explain(error: unknown): never {
  const message = error instanceof Error ? error.message : String(error);
  const missing = /gradient function not found for (\w+)/.exec(message);
  if (missing) throw noExactGradient([missing[1]!], error);
  throw error;
}

/** A scalar and its gradient with respect to every leaf of the params. */
export interface ValueAndGradients {
  /** f(params). */
  readonly value: tf.Scalar;
  /** df/dparams, shaped like params (leaves f does not depend on get zeros). */
  readonly gradients: ParamTree;
}

/**
 * f(params) and its gradient. The result's tensors are the caller's to dispose; everything
 * else f allocates is freed. Nest it inside another differentiated function for exact higher
 * order derivatives.
 */
export function valueAndGradients(f: (params: ParamTree) => tf.Scalar, params: ParamTree): ValueAndGradients {
  ensureExactGradients();
  const leaves = listLeaves(params);
  if (leaves.length === 0) throw new GradientError('valueAndGradients: params has no leaves');
  for (const leaf of leaves) {
    if (leaf.tensor.dtype !== 'float32') {
      throw new GradientError(
        `valueAndGradients: '${leaf.path}' is ${leaf.tensor.dtype}; only float32 parameters can be differentiated`,
      );
    }
  }
  const xs = leaves.map((leaf) => leaf.tensor);
  let result: { value: tf.Tensor; grads: tf.Tensor[] };
  try {
    result = tf.valueAndGrads((...inputs: tf.Tensor[]) => {
      const value = f(rebuildTree(params, inputs));
      if (!(value instanceof tf.Tensor) || value.size !== 1) {
        throw new GradientError(
          `valueAndGradients: f must return a scalar tensor, got ${value instanceof tf.Tensor ? `shape [${value.shape.join(', ')}]` : String(value)}`,
        );
      }
      const scalar = value.rank === 0 ? value : tf.reshape(value, []);
      // Other code in the process may have registered tfjs's gradients for kernels metarl has no
      // exact gradient for (some are wrong at second order): refuse them here, whatever is registered.
      const inexact = findInexactKernels(inputs, scalar, listInexactKernels());
      if (inexact.length > 0) throw noExactGradient(inexact);
      return scalar;
    })(xs);
  } catch (error) {
    explain(error);
  }
  return { value: result.value as tf.Scalar, gradients: rebuildTree(params, result.grads) };
}

/** The gradient of f at params (see `valueAndGradients`). */
export function gradients(f: (params: ParamTree) => tf.Scalar, params: ParamTree): ParamTree {
  const { value, gradients: grads } = valueAndGradients(f, params);
  value.dispose();
  return grads;
}

/**
 * The exact Hessian-vector product H v of f at params, by differentiating <grad f, v>
 * (Pearlmutter's trick): one forward and two backward passes, no finite differences.
 */
export function hessianVectorProduct(
  f: (params: ParamTree) => tf.Scalar,
  params: ParamTree,
  vector: ParamTree,
): ParamTree {
  return gradients((p) => {
    const grads = gradients(f, p);
    return dotParams(grads, vector);
  }, params);
}
