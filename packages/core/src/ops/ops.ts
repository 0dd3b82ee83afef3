/**
 * Numerically stable building blocks composed only of kernels with exact gradients. Prefer
 * these to tfjs's `tf.logSoftmax`, `tf.logSumExp` and `tf.logSigmoid`: those carry tfjs custom
 * gradients that reuse saved outputs and are wrong at second order.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Identity in the forward pass, zero gradient at every order (a constant to autodiff). */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  const op = tf.customGrad(((input: tf.Tensor) => ({
    value: tf.clone(input),
    gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x) as T;
}

/** log(sum(exp(x), axis)), stable for large |x|. */
export function logSumExp(x: tf.Tensor, axis = -1, keepDims = false): tf.Tensor {
  return tf.tidy(() => {
    const shift = stopGradient(tf.max(x, axis, true));
    const summed = tf.log(tf.sum(tf.exp(tf.sub(x, shift)), axis, true));
    const result = tf.add(summed, shift);
    return keepDims ? result : tf.squeeze(result, [axis < 0 ? x.rank + axis : axis]);
  });
}

/** log(softmax(x)) along `axis`, stable and exact to any order. */
export function logSoftmax(x: tf.Tensor, axis = -1): tf.Tensor {
  return tf.tidy(() => tf.sub(x, logSumExp(x, axis, true)));
}

/**
 * `values[..., indices[...]]`: picks one entry of the last axis per row, as a one-hot product
 * (differentiable on every backend; the wasm backend cannot differentiate `tf.gather`).
 */
export function selectLastAxis(values: tf.Tensor, indices: tf.Tensor): tf.Tensor {
  const depth = values.shape[values.rank - 1]!;
  if (indices.rank !== values.rank - 1 || !indices.shape.every((size, i) => size === values.shape[i])) {
    throw new RangeError(
      `selectLastAxis: indices must have shape [${values.shape.slice(0, -1).join(', ')}] to index values of shape [${values.shape.join(', ')}], got [${indices.shape.join(', ')}]`,
    );
  }
  return tf.tidy(() => tf.sum(tf.mul(values, tf.oneHot(tf.cast(indices, 'int32'), depth)), -1));
}

/** Sum of squares of all elements: the squared Euclidean norm, as a scalar. */
export function sumOfSquares(x: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.square(x)) as tf.Scalar);
}
