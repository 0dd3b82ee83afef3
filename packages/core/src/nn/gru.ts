import * as tf from '@tensorflow/tfjs-core';
import type { ParamTree } from '../params/param-tree';
import { canFuseGruSequence, fusedGruSequence, type GruGates } from './fused-gru-sequence';
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
      checkHidden(hidden, size);
      return tf.tidy(() =>
        gruUpdate(
          params,
          applyLinear(params.inputWeight as tf.Tensor, params.inputBias as tf.Tensor, input, 'gru input'),
          hidden,
        ),
      );
    },
  };
}

function checkHidden(hidden: tf.Tensor, size: number): void {
  if (hidden.shape[hidden.rank - 1] !== size) {
    throw new RangeError(`gru: hidden state must end in ${size}, got shape [${hidden.shape.join(', ')}]`);
  }
}

/** The GRU update from the input's projection `x W + b` `[..., 3H]` and the previous hidden state. */
function gruUpdate(params: ParamTree, fromInput: tf.Tensor, hidden: tf.Tensor): tf.Tensor {
  return gruGates(params, fromInput, hidden).hidden;
}

/** One GRU step with its gates (what a written-out backward pass reads). */
function gruGates(params: ParamTree, fromInput: tf.Tensor, hidden: tf.Tensor): GruGates {
  const fromHidden = applyLinear(
    params.hiddenWeight as tf.Tensor,
    params.hiddenBias as tf.Tensor,
    hidden,
    'gru hidden',
  );
  const [inputReset, inputUpdate, inputNew] = tf.split(fromInput, 3, -1) as [tf.Tensor, tf.Tensor, tf.Tensor];
  const [hiddenReset, hiddenUpdate, hiddenCandidate] = tf.split(fromHidden, 3, -1) as [
    tf.Tensor,
    tf.Tensor,
    tf.Tensor,
  ];
  const reset = tf.sigmoid(tf.add(inputReset, hiddenReset));
  const update = tf.sigmoid(tf.add(inputUpdate, hiddenUpdate));
  const candidate = tf.tanh(tf.add(inputNew, tf.mul(reset, hiddenCandidate)));
  // (1 - z) n + z h = n + z (h - n): one kernel fewer per step.
  const next = tf.add(candidate, tf.mul(update, tf.sub(hidden, candidate)));
  return { hidden: next, reset, update, candidate, hiddenCandidate };
}

/**
 * Runs a GRU (params of `createGru`) over whole sequences `inputs` `[B, T, in]` from `hidden`
 * `[B, H]`: the input projections of all T steps are one matrix product, then one recurrent
 * update per step. Where `resets` `[B, T]` is 1 the hidden state is zeroed before that step.
 * Returns every step's state `[B, T, H]` and the last one `[B, H]`. When exactly one gradient is
 * being recorded (a first-order update), the sequence runs as one op whose backward is written
 * out (one product per step, the weight gradients of all steps in one product); otherwise op by
 * op (with no gradient there is nothing to save; with a higher derivative recorded, as in MAML or
 * TRPO's Fisher products, its gradients are exact to any order). Both agree to float32 rounding.
 */
export function applyGruSequence(
  params: ParamTree,
  inputs: tf.Tensor,
  hidden: tf.Tensor,
  resets?: tf.Tensor,
): { states: tf.Tensor; hidden: tf.Tensor } {
  if (inputs.rank !== 3)
    throw new RangeError(
      `applyGruSequence: inputs must be [B, T, in], got shape [${inputs.shape.join(', ')}]`,
    );
  const [batch, steps] = inputs.shape as [number, number, number];
  const size = (params.hiddenWeight as tf.Tensor).shape[0]!;
  checkHidden(hidden, size);
  if (resets !== undefined && (resets.rank !== 2 || resets.shape[0] !== batch || resets.shape[1] !== steps)) {
    throw new RangeError(
      `applyGruSequence: resets must be [${batch}, ${steps}], got shape [${resets.shape.join(', ')}]`,
    );
  }
  const inputSize = (params.inputWeight as tf.Tensor).shape[0]!;
  if (inputs.shape[2] !== inputSize) {
    throw new RangeError(
      `applyGruSequence: inputs must end in ${inputSize} features (the GRU's inputWeight is [${(params.inputWeight as tf.Tensor).shape.join(', ')}]), got shape [${inputs.shape.join(', ')}]`,
    );
  }
  if (canFuseGruSequence() && steps > 0) {
    // One op with a hand-written backward (fused-gru-sequence.ts): same equations, first order.
    return tf.tidy(() => {
      const states = fusedGruSequence(
        params,
        inputs,
        hidden,
        resets === undefined ? undefined : tf.sub(1, resets),
        (fromInput, start) => gruGates(params, fromInput, start),
      );
      const last = tf.reshape(tf.slice(states, [0, steps - 1, 0], [batch, 1, size]), [batch, size]);
      return { states, hidden: last };
    });
  }
  return tf.tidy(() => {
    const projected = applyLinear(
      params.inputWeight as tf.Tensor,
      params.inputBias as tf.Tensor,
      inputs,
      'gru input',
    ); // [B, T, 3H]
    const perStep = tf.unstack(projected, 1);
    const keeps = resets === undefined ? undefined : tf.unstack(tf.sub(1, tf.expandDims(resets, 2)), 1);
    const states: tf.Tensor[] = [];
    let current = hidden;
    for (let t = 0; t < steps; t += 1) {
      if (keeps !== undefined) current = tf.mul(current, keeps[t]!);
      current = gruUpdate(params, perStep[t]!, current);
      states.push(current);
    }
    return { states: tf.stack(states, 1), hidden: current };
  });
}
