import * as tf from '@tensorflow/tfjs-core';
import type { ParamTree } from '../params/param-tree';
import { applyLinear, assertPositiveInteger, initialiseWeights } from './linear';
import type { Module } from './module';

/** Options of `createGru`. */
export interface GruOptions {
  /** Input features per step. */
  readonly inputSize: number;
  /** Hidden state size H. */
  readonly hiddenSize: number;
}

/** One GRU step's input: the step's features and the previous hidden state. */
export interface GruInput {
  /** `[B, in]` or `[T, B, in]`. */
  readonly input: tf.Tensor;
  /** `[B, H]` or `[T, B, H]`. */
  readonly hidden: tf.Tensor;
}

/**
 * A gated recurrent unit cell (Cho et al. 2014, the gate layout of PyTorch's `nn.GRUCell`):
 * r = σ(x W_r + b_r + h U_r + c_r), z = σ(x W_z + b_z + h U_z + c_z),
 * n = tanh(x W_n + b_n + r ⊙ (h U_n + c_n)), h' = (1 - z) ⊙ n + z ⊙ h.
 * Params: `inputWeight [in, 3H]`, `inputBias [3H]`, `hiddenWeight [H, 3H]`, `hiddenBias [3H]`
 * (gate order r, z, n). `apply` returns the new hidden state.
 */
export function createGru(options: GruOptions): Module<GruInput, tf.Tensor> {
  assertPositiveInteger(options.inputSize, 'createGru: inputSize');
  assertPositiveInteger(options.hiddenSize, 'createGru: hiddenSize');
  const size = options.hiddenSize;
  return {
    init: (rng) => ({
      inputWeight: initialiseWeights(rng, options.inputSize, 3 * size),
      inputBias: tf.zeros([3 * size]),
      hiddenWeight: initialiseWeights(rng, size, 3 * size),
      hiddenBias: tf.zeros([3 * size]),
    }),
    apply(params: ParamTree, { input, hidden }: GruInput) {
      if (hidden.shape[hidden.rank - 1] !== size) {
        throw new RangeError(`gru: hidden state must end in ${size}, got shape [${hidden.shape.join(', ')}]`);
      }
      return tf.tidy(() => {
        const fromInput = applyLinear(
          params.inputWeight as tf.Tensor,
          params.inputBias as tf.Tensor,
          input,
          'gru input',
        );
        const fromHidden = applyLinear(
          params.hiddenWeight as tf.Tensor,
          params.hiddenBias as tf.Tensor,
          hidden,
          'gru hidden',
        );
        const [inputReset, inputUpdate, inputNew] = tf.split(fromInput, 3, -1) as [
          tf.Tensor,
          tf.Tensor,
          tf.Tensor,
        ];
        const [hiddenReset, hiddenUpdate, hiddenNew] = tf.split(fromHidden, 3, -1) as [
          tf.Tensor,
          tf.Tensor,
          tf.Tensor,
        ];
        const reset = tf.sigmoid(tf.add(inputReset, hiddenReset));
        const update = tf.sigmoid(tf.add(inputUpdate, hiddenUpdate));
        const candidate = tf.tanh(tf.add(inputNew, tf.mul(reset, hiddenNew)));
        return tf.add(tf.mul(tf.sub(tf.scalar(1), update), candidate), tf.mul(update, hidden));
      });
    },
  };
}
