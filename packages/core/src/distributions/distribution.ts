import type { Rng } from '@metarl/envs';
import type * as tf from '@tensorflow/tfjs-core';

/**
 * A batch of probability distributions over actions. Shapes: a batch shape `[...B]` (e.g.
 * `[T, N]`) and an event shape (`[]` for categorical, `[D]` for a diagonal Gaussian).
 * Every method returns a new tensor the caller owns.
 */
export interface Distribution {
  /** One sample per batch element, drawn with `rng` (identical on every backend). */
  sample(rng: Rng): tf.Tensor;
  /** The most likely value per batch element (the mean or the arg-max). */
  mode(): tf.Tensor;
  /** log p(value) per batch element, shape `[...B]`; differentiable to any order. */
  logProb(value: tf.Tensor): tf.Tensor;
  /** Entropy per batch element, shape `[...B]`. */
  entropy(): tf.Tensor;
  /** KL(this || other) per batch element, shape `[...B]`; `other` must be the same kind. */
  kl(other: Distribution): tf.Tensor;
}
