import * as tf from '@tensorflow/tfjs-core';
import type { ParamTree } from '../params/param-tree';
import {
  applyLinear,
  assertPositiveInteger,
  initialiseBiases,
  initialiseWeights,
  type WeightInitialisation,
} from './linear';
import type { Module } from './module';

/** Hidden-layer nonlinearity. */
export type Activation = 'tanh' | 'relu';

/** Options of `createMlp`. */
export interface MlpOptions {
  /** Input features. */
  readonly inputSize: number;
  /** Width of each hidden layer, e.g. [64, 64]. */
  readonly hiddenSizes: readonly number[];
  /** Output features. */
  readonly outputSize: number;
  /** Hidden nonlinearity; default 'tanh'. */
  readonly activation?: Activation;
  /** Weight initialisation of every layer; default 'glorot-uniform'. */
  readonly initialisation?: WeightInitialisation;
  /** Multiplies the output layer's initial weights; default 1. */
  readonly outputScale?: number;
}

function activate(x: tf.Tensor, activation: Activation): tf.Tensor {
  return activation === 'tanh' ? tf.tanh(x) : tf.relu(x);
}

/**
 * A multilayer perceptron. Params: `hidden0`, `hidden1`, ..., `output`, each `{weight, bias}`.
 * Accepts `[B, in]`, or `[T, B, in]` with shared or task-batched params.
 *
 * @example
 * const mlp = createMlp({ inputSize: 2, hiddenSizes: [64, 64], outputSize: 2 });
 * const params = mlp.init(createRng(0));
 * const y = mlp.apply(params, tf.zeros([32, 2])); // [32, 2]
 */
export function createMlp(options: MlpOptions): Module<tf.Tensor, tf.Tensor> {
  assertPositiveInteger(options.inputSize, 'createMlp: inputSize');
  assertPositiveInteger(options.outputSize, 'createMlp: outputSize');
  if (!Array.isArray(options.hiddenSizes)) {
    throw new TypeError(
      `createMlp: hiddenSizes must be an array of positive integers, got ${String(options.hiddenSizes)}`,
    );
  }
  options.hiddenSizes.forEach((size, i) => {
    assertPositiveInteger(size, `createMlp: hiddenSizes[${i}]`);
  });
  const activation = options.activation ?? 'tanh';
  if (activation !== 'tanh' && activation !== 'relu') {
    throw new RangeError(`createMlp: activation must be 'tanh' or 'relu', got '${String(activation)}'`);
  }
  const initialisation = options.initialisation ?? 'glorot-uniform';
  const sizes = [options.inputSize, ...options.hiddenSizes, options.outputSize];
  const names = [...options.hiddenSizes.map((_s, i) => `hidden${i}`), 'output'];
  return {
    init(rng) {
      const params: Record<string, ParamTree> = {};
      names.forEach((name, i) => {
        const scale = name === 'output' ? (options.outputScale ?? 1) : 1;
        params[name] = {
          weight: initialiseWeights(rng, sizes[i]!, sizes[i + 1]!, initialisation, scale),
          bias: initialiseBiases(rng, sizes[i]!, sizes[i + 1]!, initialisation),
        };
      });
      return params;
    },
    apply(params, input) {
      return tf.tidy(() => {
        let x = input;
        names.forEach((name, i) => {
          const layer = params[name] as ParamTree | undefined;
          if (layer === undefined) throw new RangeError(`mlp: params has no '${name}' layer`);
          x = applyLinear(layer.weight as tf.Tensor, layer.bias as tf.Tensor, x, `mlp ${name}`);
          if (i < names.length - 1) x = activate(x, activation);
        });
        return x;
      });
    },
  };
}
