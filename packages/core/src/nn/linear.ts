import type { Rng } from '@metarl/envs';
import * as tf from '@tensorflow/tfjs-core';
import { requireBackend } from '../backend/backend-registry';
import type { ParamTree } from '../params/param-tree';
import type { Module } from './module';

/**
 * How weights are drawn: 'glorot-uniform' U(+-sqrt(6 / (in + out))), 'he-uniform'
 * U(+-sqrt(6 / in)), 'zeros', or 'fan-in-uniform' U(+-1 / sqrt(in)) for the weights AND the
 * biases (PyTorch's `nn.Linear` default; the other schemes start biases at zero).
 */
export type WeightInitialisation = 'glorot-uniform' | 'he-uniform' | 'fan-in-uniform' | 'zeros';

/** Options of `createLinear`. */
export interface LinearOptions {
  /** Input features. */
  readonly inputSize: number;
  /** Output features. */
  readonly outputSize: number;
  /** Weight initialisation; default 'glorot-uniform' (Xavier, as pytorch-maml-rl). */
  readonly initialisation?: WeightInitialisation;
  /** Multiplies the initial weights (e.g. 0.01 for a policy's last layer); default 1. */
  readonly initialScale?: number;
}

export function assertPositiveInteger(value: unknown, name: string): asserts value is number {
  if (!Number.isInteger(value) || (value as number) < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${String(value)}`);
  }
}

/** Weights `[inputSize, outputSize]` drawn with `rng` (identical on every backend). */
export function initialiseWeights(
  rng: Rng,
  inputSize: number,
  outputSize: number,
  initialisation: WeightInitialisation = 'glorot-uniform',
  scale = 1,
): tf.Tensor2D {
  requireBackend('creating parameters (e.g. policy.init or creating a learner)');
  const values = new Float32Array(inputSize * outputSize);
  if (initialisation !== 'zeros') {
    const limit =
      initialisation === 'glorot-uniform'
        ? Math.sqrt(6 / (inputSize + outputSize))
        : initialisation === 'fan-in-uniform'
          ? 1 / Math.sqrt(inputSize)
          : Math.sqrt(6 / inputSize);
    for (let i = 0; i < values.length; i += 1) values[i] = scale * limit * (2 * rng.next() - 1);
  }
  return tf.tensor2d(values, [inputSize, outputSize]);
}

/** Biases `[outputSize]`: U(+-1 / sqrt(inputSize)) for 'fan-in-uniform' (drawn with `rng` after the weights), zeros otherwise. */
export function initialiseBiases(
  rng: Rng,
  inputSize: number,
  outputSize: number,
  initialisation: WeightInitialisation = 'glorot-uniform',
): tf.Tensor1D {
  if (initialisation !== 'fan-in-uniform') return tf.zeros([outputSize]);
  const limit = 1 / Math.sqrt(inputSize);
  return tf.tensor1d(Float32Array.from({ length: outputSize }, () => limit * (2 * rng.next() - 1)));
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * x W + b for `x` of shape `[B, in]`, or `[T, B, in]` with shared (`W [in, out]`) or
 * task-batched (`W [T, in, out]`, `b [T, out]`) params.
 */
export function applyLinear(
  weight: tf.Tensor,
  bias: tf.Tensor | undefined,
  input: tf.Tensor,
  name = 'linear',
): tf.Tensor {
  const inputSize = weight.shape[weight.rank - 2];
  if (input.shape[input.rank - 1] !== inputSize) {
    throw new RangeError(
      `${name}: input has ${input.shape[input.rank - 1]} features (shape ${shapeText(input.shape)}), the weight expects ${inputSize} (weight ${shapeText(weight.shape)})`,
    );
  }
  return tf.tidy(() => {
    let output: tf.Tensor;
    if (weight.rank === 2) {
      if (input.rank === 2) output = tf.matMul(input, weight);
      else {
        const flat = tf.reshape(input, [-1, inputSize!]);
        output = tf.reshape(tf.matMul(flat, weight), [...input.shape.slice(0, -1), weight.shape[1]!]);
      }
    } else if (weight.rank === 3) {
      if (input.rank !== 3 || input.shape[0] !== weight.shape[0]) {
        throw new RangeError(
          `${name}: task-batched weight ${shapeText(weight.shape)} needs input [${weight.shape[0]}, batch, ${inputSize}], got ${shapeText(input.shape)}`,
        );
      }
      output = tf.matMul(input, weight);
    } else {
      throw new RangeError(
        `${name}: weight must be [in, out] or [tasks, in, out], got ${shapeText(weight.shape)}`,
      );
    }
    if (bias === undefined) return output;
    if (bias.rank === 2) return tf.add(output, tf.expandDims(bias, 1));
    return tf.add(output, bias);
  });
}

/** A fully connected layer; params `{weight: [in, out], bias: [out]}`. */
export function createLinear(options: LinearOptions): Module<tf.Tensor, tf.Tensor> {
  assertPositiveInteger(options.inputSize, 'createLinear: inputSize');
  assertPositiveInteger(options.outputSize, 'createLinear: outputSize');
  const initialisation = options.initialisation ?? 'glorot-uniform';
  const scale = options.initialScale ?? 1;
  if (!Number.isFinite(scale))
    throw new RangeError(`createLinear: initialScale must be finite, got ${scale}`);
  return {
    init: (rng) => ({
      weight: initialiseWeights(rng, options.inputSize, options.outputSize, initialisation, scale),
      bias: initialiseBiases(rng, options.inputSize, options.outputSize, initialisation),
    }),
    apply: (params: ParamTree, input: tf.Tensor) =>
      applyLinear(params.weight as tf.Tensor, params.bias as tf.Tensor, input),
  };
}
