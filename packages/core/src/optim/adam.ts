import * as tf from '@tensorflow/tfjs-core';
import { assertFiniteParams, mapParams, zipParams } from '../params/param-tree';
import type { Optimizer } from './optimizer';
import { checkState, requirePositive } from './validate';

/** Options of `createAdam` (Kingma and Ba 2015; symbols as in the paper). */
export interface AdamOptions {
  /** Step size alpha; default 1e-3. */
  readonly learningRate?: number;
  /** Decay of the first moment, beta1 in [0, 1); default 0.9. */
  readonly beta1?: number;
  /** Decay of the second moment, beta2 in [0, 1); default 0.999. */
  readonly beta2?: number;
  /** epsilon added to sqrt(v-hat); default 1e-8. */
  readonly epsilon?: number;
  /** Throw a clear error on NaN/Infinity gradients (one device read per step); default true. */
  readonly checkFinite?: boolean;
}

/** Adam with bias correction, as pure functions over explicit state. */
export function createAdam(options: AdamOptions = {}): Optimizer {
  const learningRate = options.learningRate ?? 1e-3;
  const beta1 = options.beta1 ?? 0.9;
  const beta2 = options.beta2 ?? 0.999;
  const epsilon = options.epsilon ?? 1e-8;
  requirePositive(learningRate, 'createAdam: learningRate');
  requirePositive(epsilon, 'createAdam: epsilon');
  for (const [name, beta] of [
    ['beta1', beta1],
    ['beta2', beta2],
  ] as const) {
    if (!(beta >= 0 && beta < 1)) throw new RangeError(`createAdam: ${name} must be in [0, 1), got ${beta}`);
  }
  const checkFinite = options.checkFinite ?? true;
  const kind = 'adam';
  return {
    kind,
    init: (params) => ({
      kind,
      step: 0,
      slots: {
        firstMoment: mapParams(params, (p) => tf.zerosLike(p)),
        secondMoment: mapParams(params, (p) => tf.zerosLike(p)),
      },
    }),
    step(params, gradients, state) {
      checkState(state, kind);
      if (checkFinite) assertFiniteParams(gradients, 'adam: gradients');
      const step = state.step + 1;
      // With beta1 = 0 (as Reptile's inner Adam) the first moment is the gradient itself.
      const firstMoment =
        beta1 === 0
          ? mapParams(gradients, (g) => tf.clone(g))
          : zipParams(
              [state.slots.firstMoment!, gradients],
              ([m, g]) =>
                tf.tidy(() => tf.add(tf.mul(tf.scalar(beta1), m!), tf.mul(tf.scalar(1 - beta1), g!))),
              'adam',
            );
      const secondMoment = zipParams(
        [state.slots.secondMoment!, gradients],
        ([v, g]) =>
          tf.tidy(() => tf.add(tf.mul(tf.scalar(beta2), v!), tf.mul(tf.scalar(1 - beta2), tf.square(g!)))),
        'adam',
      );
      const correctedRate = (learningRate * Math.sqrt(1 - beta2 ** step)) / (1 - beta1 ** step);
      const epsilonHat = epsilon * Math.sqrt(1 - beta2 ** step);
      const next = zipParams(
        [params, firstMoment, secondMoment],
        ([p, m, v]) =>
          tf.tidy(() =>
            tf.sub(
              p!,
              tf.mul(tf.scalar(correctedRate), tf.div(m!, tf.add(tf.sqrt(v!), tf.scalar(epsilonHat)))),
            ),
          ),
        'adam',
      );
      return { params: next, state: { kind, step, slots: { firstMoment, secondMoment } } };
    },
  };
}
