import * as tf from '@tensorflow/tfjs-core';
import type { ParamTree } from '../params/param-tree';
import { applyLinear, assertPositiveInteger, initialiseWeights } from './linear';
import type { Module } from './module';

/** Options of `createLstm`. */
export interface LstmOptions {
  /** Input features per step. */
  readonly inputSize: number;
  /** Hidden (and cell) state size H. */
  readonly hiddenSize: number;
}

/** An LSTM's recurrent state: the output `hidden` h and the memory `cell` c, each `[B, H]` (or `[T, B, H]`). */
export type LstmState = {
  /** h, the cell's output. */
  readonly hidden: tf.Tensor;
  /** c, the cell's memory. */
  readonly cell: tf.Tensor;
};

/** One LSTM step's input: the step's features and the previous state. */
export type LstmInput = LstmState & {
  /** `[B, in]` or `[T, B, in]`. */
  readonly input: tf.Tensor;
};

/**
 * A long short-term memory cell (Hochreiter & Schmidhuber 1997 with a forget gate, Gers et al.
 * 2000; the gate layout of PyTorch's `nn.LSTMCell`):
 * i = σ(x W_i + h U_i + b_i), f = σ(x W_f + h U_f + b_f), g = tanh(x W_g + h U_g + b_g),
 * o = σ(x W_o + h U_o + b_o), c' = f ⊙ c + i ⊙ g, h' = o ⊙ tanh(c').
 * Params: `inputWeight [in, 4H]`, `hiddenWeight [H, 4H]`, `bias [4H]` (gate order i, f, g, o;
 * one bias, as x W + h U + b needs no second one).
 * Initialisation: both weights Glorot-uniform over their own [fan-in, 4H] (as `createGru`), the
 * bias zero except the forget gate's, which starts at 1 (Jozefowicz et al. 2015: the cell keeps
 * its memory at first instead of forgetting it). `apply` returns the new state.
 */
export function createLstm(options: LstmOptions): Module<LstmInput, LstmState> {
  assertPositiveInteger(options.inputSize, 'createLstm: inputSize');
  assertPositiveInteger(options.hiddenSize, 'createLstm: hiddenSize');
  const size = options.hiddenSize;
  return {
    init: (rng) => {
      const bias = new Float32Array(4 * size);
      bias.fill(1, size, 2 * size);
      return {
        inputWeight: initialiseWeights(rng, options.inputSize, 4 * size),
        hiddenWeight: initialiseWeights(rng, size, 4 * size),
        bias: tf.tensor1d(bias),
      };
    },
    apply(params: ParamTree, { input, hidden, cell }: LstmInput) {
      checkState({ hidden, cell }, size, 'lstm');
      return tf.tidy(() =>
        applyLstmCell(
          params,
          applyLinear(params.inputWeight as tf.Tensor, params.bias as tf.Tensor, input, 'lstm input'),
          { hidden, cell },
        ),
      );
    },
  };
}

function checkState(state: LstmState, size: number, name: string): void {
  for (const [part, tensor] of [
    ['hidden', state.hidden],
    ['cell', state.cell],
  ] as const) {
    if (tensor.shape[tensor.rank - 1] !== size) {
      throw new RangeError(
        `${name}: the ${part} state must end in ${size}, got shape [${tensor.shape.join(', ')}]`,
      );
    }
  }
}

/** The LSTM update from the input's projection `x W + b` `[..., 4H]` and the previous state. */
export function applyLstmCell(params: ParamTree, fromInput: tf.Tensor, state: LstmState): LstmState {
  const fromHidden = applyLinear(params.hiddenWeight as tf.Tensor, undefined, state.hidden, 'lstm hidden');
  const [inputGate, forgetGate, candidate, outputGate] = tf.split(tf.add(fromInput, fromHidden), 4, -1) as [
    tf.Tensor,
    tf.Tensor,
    tf.Tensor,
    tf.Tensor,
  ];
  const cell = tf.add(
    tf.mul(tf.sigmoid(forgetGate), state.cell),
    tf.mul(tf.sigmoid(inputGate), tf.tanh(candidate)),
  );
  return { hidden: tf.mul(tf.sigmoid(outputGate), tf.tanh(cell)), cell };
}

/**
 * Runs an LSTM (params of `createLstm`) over whole sequences `inputs` `[B, T, in]` from `state`
 * (default zeros): the input projections of all T steps are one matrix product, then one
 * recurrent update per step (op by op: gradients exact to any order). Returns every step's
 * output `[B, T, H]` and the last state.
 */
export function applyLstmSequence(
  params: ParamTree,
  inputs: tf.Tensor,
  state?: LstmState,
): { outputs: tf.Tensor; state: LstmState } {
  if (inputs.rank !== 3)
    throw new RangeError(
      `applyLstmSequence: inputs must be [B, T, in], got shape [${inputs.shape.join(', ')}]`,
    );
  const [batch, steps] = inputs.shape as [number, number, number];
  const inputWeight = params.inputWeight as tf.Tensor;
  const size = (params.hiddenWeight as tf.Tensor).shape[0]!;
  if (inputs.shape[2] !== inputWeight.shape[0]) {
    throw new RangeError(
      `applyLstmSequence: inputs must end in ${inputWeight.shape[0]} features (the LSTM's inputWeight is [${inputWeight.shape.join(', ')}]), got shape [${inputs.shape.join(', ')}]`,
    );
  }
  if (steps < 1) throw new RangeError('applyLstmSequence: inputs must have at least one step (T >= 1)');
  if (state !== undefined) checkState(state, size, 'applyLstmSequence');
  return tf.tidy(() => {
    let current: LstmState = state ?? { hidden: tf.zeros([batch, size]), cell: tf.zeros([batch, size]) };
    const projected = applyLinear(inputWeight, params.bias as tf.Tensor, inputs, 'lstm input'); // [B, T, 4H]
    const perStep = tf.unstack(projected, 1);
    const outputs: tf.Tensor[] = [];
    for (let t = 0; t < steps; t += 1) {
      current = applyLstmCell(params, perStep[t]!, current);
      outputs.push(current.hidden);
    }
    return { outputs: tf.stack(outputs, 1), state: current };
  });
}
