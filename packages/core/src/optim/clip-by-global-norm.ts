import * as tf from '@tensorflow/tfjs-core';
import { cloneParams, listLeaves, type ParamTree, scaleParams } from '../params/param-tree';

/** Gradients rescaled so that their global L2 norm is at most `maxNorm`, and the norm before. */
export function clipByGlobalNorm(
  gradients: ParamTree,
  maxNorm: number,
): { gradients: ParamTree; norm: number } {
  if (!(typeof maxNorm === 'number' && maxNorm > 0 && Number.isFinite(maxNorm))) {
    throw new RangeError(`clipByGlobalNorm: maxNorm must be a finite number > 0, got ${String(maxNorm)}`);
  }
  const normTensor = tf.tidy(() =>
    tf.sqrt(tf.addN(listLeaves(gradients).map((leaf) => tf.sum(tf.square(leaf.tensor))))),
  );
  const norm = normTensor.dataSync()[0]!;
  normTensor.dispose();
  if (!Number.isFinite(norm)) {
    throw new RangeError(
      `clipByGlobalNorm: the gradients' global norm is ${norm}; every gradient must be finite`,
    );
  }
  if (norm <= maxNorm) return { gradients: cloneParams(gradients), norm };
  return { gradients: scaleParams(gradients, maxNorm / norm), norm };
}
