/**
 * A GRU over whole sequences as one differentiable op with a hand-written backward pass
 * (backpropagation through time), used by `applyGruSequence` when at most a first derivative is
 * recorded.
 *
 * Why: differentiated op by op, a step's backward is ~40 kernels, with one small hidden-weight
 * product and one bias reduction per step. Here the forward saves the gates, a step's backward is
 * the gate derivatives and one product dQ Uᵀ, and the weight and bias gradients of all steps are
 * one product and one sum each. The equations are those of `createGru` (PyTorch's `nn.GRUCell`),
 * with r, z, n the reset, update and candidate gates and q_n = h U_n + c_n:
 *   dn = g (1 - z), dz = g (h - n) z (1 - z), da_n = dn (1 - n²),
 *   dr = da_n q_n r (1 - r), dq = [dr, dz, da_n r], dh = g z + dq Uᵀ.
 *
 * The gradient it defines is first order (its backward is not itself differentiable): when a
 * higher derivative is recorded the caller runs the sequence op by op instead, and this op refuses
 * to be differentiated twice. It runs through tfjs's engine (`tfjs-internals/tfjs-engine.ts`),
 * so on an unverified tfjs-core it steps aside and the sequence runs op by op.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParamTree } from '../params/param-tree';
import { isRecordingGradient, recordedGradientDepth, runOpWithGradient } from '../tfjs-internals/tfjs-engine';
import { applyLinear } from './linear';

/** One GRU step: the new state and the gates its backward pass reads. */
export interface GruGates {
  /** The new state h' `[B, H]`. */
  readonly hidden: tf.Tensor;
  /** r. */
  readonly reset: tf.Tensor;
  /** z. */
  readonly update: tf.Tensor;
  /** n. */
  readonly candidate: tf.Tensor;
  /** q_n = h U_n + c_n. */
  readonly hiddenCandidate: tf.Tensor;
}

/**
 * True when exactly one gradient is being recorded around the caller: the fused op's gradient is
 * then exact, and what it saves is used (outside any gradient the plain forward saves nothing).
 */
export function canFuseGruSequence(): boolean {
  // Undefined (never 1) on an unverified tfjs-core: the sequence then runs op by op.
  return recordedGradientDepth() === 1;
}

/**
 * States `[B, T, H]` of a GRU with params `{ inputWeight [in, 3H], inputBias [3H], hiddenWeight
 * [H, 3H], hiddenBias [3H] }` over `inputs [B, T, in]` from `hidden [B, H]`, one `step` (the GRU's
 * own, given a step's input projection and its starting state) per time step; the state is
 * multiplied by `keeps [B, T]` (0 resets it) before each step. Differentiable to first order in
 * the inputs, the initial state and the params (not in `keeps`).
 */
export function fusedGruSequence(
  params: ParamTree,
  inputs: tf.Tensor,
  hidden: tf.Tensor,
  keeps: tf.Tensor | undefined,
  step: (fromInput: tf.Tensor, start: tf.Tensor) => GruGates,
): tf.Tensor {
  const inputWeight = params.inputWeight as tf.Tensor;
  const inputBias = params.inputBias as tf.Tensor;
  const hiddenWeight = params.hiddenWeight as tf.Tensor;
  const hiddenBias = params.hiddenBias as tf.Tensor;
  const [batch, steps, inputSize] = inputs.shape as [number, number, number];
  const size = hiddenWeight.shape[0]!;
  const keepSteps = (from: tf.Tensor | undefined): tf.Tensor[] | undefined =>
    from === undefined ? undefined : tf.unstack(tf.reshape(from, [batch, steps, 1]), 1);
  const outputs = runOpWithGradient({
    inputs: {
      x: inputs,
      h0: hidden,
      weight: inputWeight,
      bias: inputBias,
      recurrent: hiddenWeight,
      recurrentBias: hiddenBias,
    },
    // The gates of every step are outputs too (the backward pass reads them): a kernel may only
    // leave its outputs behind.
    forwardFunc: (_backend: unknown, save: (tensors: tf.Tensor[]) => void) => {
      const perStep = tf.unstack(applyLinear(inputWeight, inputBias, inputs, 'gru input'), 1);
      const keepAt = keepSteps(keeps);
      const gates: tf.Tensor[][] = [[], [], [], [], []]; // start, reset, update, candidate, hiddenCandidate
      const states: tf.Tensor[] = [];
      let current = hidden;
      for (let t = 0; t < steps; t += 1) {
        const start = keepAt === undefined ? current : tf.mul(current, keepAt[t]!);
        const { hidden: next, reset, update, candidate, hiddenCandidate } = step(perStep[t]!, start);
        // A step without reset starts from the previous state itself: keep a copy as its own output.
        gates[0]!.push(keepAt === undefined ? tf.clone(start) : start);
        gates[1]!.push(reset);
        gates[2]!.push(update);
        gates[3]!.push(candidate);
        gates[4]!.push(hiddenCandidate);
        states.push(next);
        current = next;
      }
      const saved = gates.flat();
      save([inputs, inputWeight, hiddenWeight, ...saved, ...(keeps === undefined ? [] : [keeps])]);
      return [tf.stack(states, 1), ...saved];
    },
    backwardsFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      if (isRecordingGradient()) {
        throw new Error(
          'applyGruSequence: a second derivative was requested through a GRU sequence whose forward ran with a first-order gradient; run the sequence inside the outermost differentiated function',
        );
      }
      const gradients = tf.tidy(() => {
        const [savedInputs, savedWeight, savedRecurrent] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        const at = (list: number, t: number) => saved[3 + list * steps + t]!;
        const transposed = tf.transpose(savedRecurrent);
        const stateGradients = tf.unstack(Array.isArray(dy) ? dy[0]! : dy, 1);
        const keepBack = keepSteps(keeps === undefined ? undefined : saved[3 + 5 * steps]);
        const dFromHidden: tf.Tensor[] = new Array(steps);
        const dProjected: tf.Tensor[] = new Array(steps);
        let carried: tf.Tensor | undefined;
        for (let t = steps - 1; t >= 0; t -= 1) {
          const [start, r, z, n, hiddenCandidate] = [0, 1, 2, 3, 4].map((list) => at(list, t)) as [
            tf.Tensor,
            tf.Tensor,
            tf.Tensor,
            tf.Tensor,
            tf.Tensor,
          ];
          const g = carried === undefined ? stateGradients[t]! : tf.add(stateGradients[t]!, carried);
          const oneMinusZ = tf.sub(1, z);
          const dUpdate = tf.mul(tf.mul(g, tf.sub(start, n)), tf.mul(z, oneMinusZ));
          const dCandidate = tf.mul(tf.mul(g, oneMinusZ), tf.sub(1, tf.square(n)));
          const dReset = tf.mul(tf.mul(dCandidate, hiddenCandidate), tf.mul(r, tf.sub(1, r)));
          dFromHidden[t] = tf.concat([dReset, dUpdate, tf.mul(dCandidate, r)], 1);
          dProjected[t] = tf.concat([dReset, dUpdate, dCandidate], 1);
          const dStart = tf.add(
            tf.mul(g, z),
            tf.matMul(dFromHidden[t] as tf.Tensor2D, transposed as tf.Tensor2D),
          );
          carried = keepBack === undefined ? dStart : tf.mul(dStart, keepBack[t]!);
        }
        const flatFromHidden = tf.reshape(tf.stack(dFromHidden, 0), [steps * batch, 3 * size]) as tf.Tensor2D;
        const flatPrevious = tf.reshape(
          tf.stack(
            Array.from({ length: steps }, (_v, t) => at(0, t)),
            0,
          ),
          [steps * batch, size],
        ) as tf.Tensor2D;
        const flatProjected = tf.reshape(tf.stack(dProjected, 1), [batch * steps, 3 * size]) as tf.Tensor2D;
        const flatInputs = tf.reshape(savedInputs, [batch * steps, inputSize]) as tf.Tensor2D;
        return {
          x: tf.reshape(tf.matMul(flatProjected, savedWeight as tf.Tensor2D, false, true), [
            batch,
            steps,
            inputSize,
          ]),
          h0: carried!,
          weight: tf.matMul(flatInputs, flatProjected, true, false),
          bias: tf.sum(flatProjected, 0),
          recurrent: tf.matMul(flatPrevious, flatFromHidden, true, false),
          recurrentBias: tf.sum(flatFromHidden, 0),
        };
      });
      return Object.fromEntries(Object.entries(gradients).map(([name, gradient]) => [name, () => gradient]));
    },
  }) as tf.Tensor[];
  for (let i = 1; i < outputs.length; i += 1) outputs[i]!.dispose();
  return outputs[0]!;
}
