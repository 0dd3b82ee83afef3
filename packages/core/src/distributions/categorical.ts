import type { Rng } from '@metarl/envs';
import * as tf from '@tensorflow/tfjs-core';
import { logSoftmax, selectLastAxis } from '../ops/ops';
import type { Distribution } from './distribution';

/** A batch of categorical distributions over K choices, parameterised by logits `[...B, K]`. */
export class Categorical implements Distribution {
  /** Unnormalised log-probabilities `[...B, K]`. */
  readonly logits: tf.Tensor;

  constructor(logits: tf.Tensor) {
    if (logits.rank < 1 || logits.shape[logits.rank - 1]! < 1) {
      throw new RangeError(
        `Categorical: logits must have shape [...batch, K] with K >= 1, got [${logits.shape.join(', ')}]`,
      );
    }
    this.logits = logits;
  }

  /** Normalised log-probabilities `[...B, K]`. */
  logProbabilities(): tf.Tensor {
    return logSoftmax(this.logits);
  }

  sample(rng: Rng): tf.Tensor {
    const choices = this.logits.shape[this.logits.rank - 1]!;
    const probabilities = tf.tidy(() => tf.exp(this.logProbabilities()));
    const values = probabilities.dataSync();
    probabilities.dispose();
    const rows = values.length / choices;
    const out = new Int32Array(rows);
    for (let row = 0; row < rows; row += 1) {
      const u = rng.next();
      let cumulative = 0;
      let choice = choices - 1;
      for (let k = 0; k < choices; k += 1) {
        cumulative += values[row * choices + k]!;
        if (u < cumulative) {
          choice = k;
          break;
        }
      }
      out[row] = choice;
    }
    return tf.tensor(out, this.logits.shape.slice(0, -1), 'int32');
  }

  mode(): tf.Tensor {
    return tf.argMax(this.logits, -1);
  }

  logProb(value: tf.Tensor): tf.Tensor {
    return tf.tidy(() => selectLastAxis(this.logProbabilities(), value));
  }

  entropy(): tf.Tensor {
    return tf.tidy(() => {
      const logP = this.logProbabilities();
      return tf.neg(tf.sum(tf.mul(tf.exp(logP), logP), -1));
    });
  }

  kl(other: Distribution): tf.Tensor {
    if (!(other instanceof Categorical)) throw new TypeError('Categorical.kl: other must be a Categorical');
    return tf.tidy(() => {
      const logP = this.logProbabilities();
      const logQ = other.logProbabilities();
      return tf.sum(tf.mul(tf.exp(logP), tf.sub(logP, logQ)), -1);
    });
  }
}
