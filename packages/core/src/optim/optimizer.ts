import * as tf from '@tensorflow/tfjs-core';
import { disposeParams, mapParams, type ParamTree } from '../params/param-tree';

/**
 * Optimiser state as a value: a step counter and named slot trees shaped like the params
 * (Adam's `firstMoment` and `secondMoment`, SGD's `velocity`). Checkpoints store it as is.
 */
export interface OptimizerState {
  /** Which optimiser made it, checked when a state is handed back. */
  readonly kind: string;
  /** Updates applied so far. */
  readonly step: number;
  /** Per-parameter statistics, each shaped like the params. */
  readonly slots: Readonly<Record<string, ParamTree>>;
}

/** The result of one update: new params and new state (the inputs are left untouched). */
export interface OptimizerStep {
  /** Updated parameters (new tensors). */
  readonly params: ParamTree;
  /** Updated state (new tensors). */
  readonly state: OptimizerState;
}

/**
 * A gradient-descent rule as pure functions over explicit state. `step` never mutates or
 * disposes its inputs: dispose the old params and state yourself when you no longer need them.
 */
export interface Optimizer {
  /** Name, e.g. 'adam'. */
  readonly kind: string;
  /** Fresh state for `params`. */
  init(params: ParamTree): OptimizerState;
  /** params - update(gradients); rejects non-finite gradients unless `checkFinite` is off. */
  step(params: ParamTree, gradients: ParamTree, state: OptimizerState): OptimizerStep;
}

/** Frees an optimiser state's tensors (its slot trees). */
export function disposeOptimizerState(state: OptimizerState): void {
  for (const slot of Object.values(state.slots)) disposeParams(slot);
}

/** A copy of `state` (new tensors). */
export function cloneOptimizerState(state: OptimizerState): OptimizerState {
  return {
    kind: state.kind,
    step: state.step,
    slots: Object.fromEntries(
      Object.entries(state.slots).map(([name, slot]) => [name, mapParams(slot, (x) => tf.clone(x))]),
    ),
  };
}
