import type { Rng } from '@metarl/envs';
import type { ParamTree } from '../params/param-tree';

/**
 * A pure parameterised function. Parameters live outside the module, so adapting them (an
 * inner-loop step) returns a new tree and never touches the module.
 *
 * With task-batched params (every leaf with a leading axis T, see `stackParams` and
 * `broadcastParams`), `apply` takes inputs `[T, B, ...]` and runs all T tasks as one batched
 * computation.
 */
export interface Module<Input, Output> {
  /** Fresh parameters drawn from `rng`. */
  init(rng: Rng): ParamTree;
  /** The output for `input` under `params` (allocates; run inside `tf.tidy` or dispose). */
  apply(params: ParamTree, input: Input): Output;
}
