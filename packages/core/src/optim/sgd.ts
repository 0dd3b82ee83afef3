import * as tf from '@tensorflow/tfjs-core';
import { assertFiniteParams, mapParams, type ParamTree, zipParams } from '../params/param-tree';
import type { Optimizer, OptimizerState } from './optimizer';
import { checkState, requirePositive } from './validate';

/** Options of `createSgd`. */
export interface SgdOptions {
  /** Step size (alpha); > 0. */
  readonly learningRate: number;
  /** Heavy-ball momentum in [0, 1); default 0 (plain gradient descent). */
  readonly momentum?: number;
  /** Throw a clear error on NaN/Infinity gradients (one device read per step); default true. */
  readonly checkFinite?: boolean;
}

/** Stochastic gradient descent, optionally with momentum: v <- mu v + g; params <- params - lr v. */
export function createSgd(options: SgdOptions): Optimizer {
  requirePositive(options.learningRate, 'createSgd: learningRate');
  const momentum = options.momentum ?? 0;
  if (!(momentum >= 0 && momentum < 1))
    throw new RangeError(`createSgd: momentum must be in [0, 1), got ${momentum}`);
  const checkFinite = options.checkFinite ?? true;
  const kind = 'sgd';
  return {
    kind,
    init(params) {
      const slots: Record<string, ParamTree> = {};
      if (momentum > 0) slots.velocity = mapParams(params, (p) => tf.zerosLike(p));
      return { kind, step: 0, slots };
    },
    step(params, gradients, state) {
      checkState(state, kind);
      if (checkFinite) assertFiniteParams(gradients, 'sgd: gradients');
      const rate = tf.scalar(options.learningRate);
      let velocity: ParamTree | undefined;
      let direction = gradients;
      if (momentum > 0) {
        const mu = tf.scalar(momentum);
        velocity = zipParams(
          [state.slots.velocity!, gradients],
          ([v, g]) => tf.tidy(() => tf.add(tf.mul(mu, v!), g!)),
          'sgd',
        );
        mu.dispose();
        direction = velocity;
      }
      const next = zipParams(
        [params, direction],
        ([p, d]) => tf.tidy(() => tf.sub(p!, tf.mul(rate, d!))),
        'sgd',
      );
      rate.dispose();
      const nextState: OptimizerState = { kind, step: state.step + 1, slots: velocity ? { velocity } : {} };
      return { params: next, state: nextState };
    },
  };
}
