import type { Rng } from '@metarl/envs';
import * as tf from '@tensorflow/tfjs-core';
import type { Distribution } from './distribution';

const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

/**
 * A batch of Gaussians with diagonal covariance: mean `[...B, D]`, log standard deviation
 * broadcastable to it (e.g. a learned state-independent `[D]`).
 */
export class DiagonalGaussian implements Distribution {
  /** Means `[...B, D]`. */
  readonly mean: tf.Tensor;
  /** Log standard deviations, broadcastable to the mean. */
  readonly logStd: tf.Tensor;

  constructor(mean: tf.Tensor, logStd: tf.Tensor) {
    const broadcast = (() => {
      try {
        return tf.broadcast_util.assertAndGetBroadcastShape(mean.shape, logStd.shape);
      } catch {
        return undefined;
      }
    })();
    if (mean.rank < 1 || broadcast === undefined || !tf.util.arraysEqual(broadcast, mean.shape)) {
      throw new RangeError(
        `DiagonalGaussian: logStd [${logStd.shape.join(', ')}] must broadcast to mean [${mean.shape.join(', ')}] (rank >= 1)`,
      );
    }
    this.mean = mean;
    this.logStd = logStd;
  }

  sample(rng: Rng): tf.Tensor {
    const noise = tf.tensor(rng.normal(this.mean.size), this.mean.shape, 'float32');
    const sample = tf.tidy(() => tf.add(this.mean, tf.mul(tf.exp(this.logStd), noise)));
    noise.dispose();
    return sample;
  }

  mode(): tf.Tensor {
    return tf.clone(this.mean);
  }

  logProb(value: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const standardised = tf.div(tf.sub(value, this.mean), tf.exp(this.logStd));
      const perDimension = tf.sub(
        tf.sub(tf.mul(tf.scalar(-0.5), tf.square(standardised)), this.logStd),
        tf.scalar(HALF_LOG_TWO_PI),
      );
      return tf.sum(perDimension, -1);
    });
  }

  entropy(): tf.Tensor {
    return tf.tidy(() => {
      const perDimension = tf.add(
        tf.mul(this.logStd, tf.onesLike(this.mean)),
        tf.scalar(0.5 + HALF_LOG_TWO_PI),
      );
      return tf.sum(perDimension, -1);
    });
  }

  kl(other: Distribution): tf.Tensor {
    if (!(other instanceof DiagonalGaussian))
      throw new TypeError('DiagonalGaussian.kl: other must be a DiagonalGaussian');
    return tf.tidy(() => {
      const varianceRatio = tf.exp(tf.mul(tf.scalar(2), tf.sub(this.logStd, other.logStd)));
      const meanTerm = tf.square(tf.div(tf.sub(this.mean, other.mean), tf.exp(other.logStd)));
      const perDimension = tf.sub(
        tf.add(tf.sub(other.logStd, this.logStd), tf.mul(tf.scalar(0.5), tf.add(varianceRatio, meanTerm))),
        tf.scalar(0.5),
      );
      return tf.sum(perDimension, -1);
    });
  }
}
