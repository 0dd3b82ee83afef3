import type { Rng } from '@metarl/envs';
import * as tf from '@tensorflow/tfjs-core';
import { type Activation, createMlp } from '../nn/mlp';
import type { ParamTree } from '../params/param-tree';

/** A state-value estimate V(s). */
export interface ValueFunction {
  /** Fresh parameters. */
  init(rng: Rng): ParamTree;
  /** V at `observations` `[..., O]`, shape `[...]`. */
  apply(params: ParamTree, observations: tf.Tensor): tf.Tensor;
}

/** An MLP value function (one output, squeezed). Hidden widths default [64, 64], tanh. */
export function createMlpValueFunction(options: {
  readonly observationSize: number;
  readonly hiddenSizes?: readonly number[];
  readonly activation?: Activation;
}): ValueFunction {
  const network = createMlp({
    inputSize: options.observationSize,
    hiddenSizes: options.hiddenSizes ?? [64, 64],
    outputSize: 1,
    activation: options.activation ?? 'tanh',
  });
  return {
    init: (rng) => network.init(rng),
    apply: (params, observations) => {
      const out = network.apply(params, observations);
      const squeezed = tf.squeeze(out, [-1]);
      out.dispose();
      return squeezed;
    },
  };
}
