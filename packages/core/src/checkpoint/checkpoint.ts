/**
 * Checkpoints in memory: everything a learner needs to resume exactly, as tensors and plain
 * values. Writing them to disk (safetensors files and a manifest, atomically) is Node-only and
 * lives in `@metarl/core/node` (`saveCheckpoint`, `loadCheckpoint`).
 */
import type { RngState } from '@metarl/envs';
import type { OptimizerState } from '../optim/optimizer';
import { describeParams, haveSameStructure, type ParamTree } from '../params/param-tree';

/** A JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Everything needed to resume training exactly. */
export interface Checkpoint {
  /** What wrote it, e.g. 'maml'; checked by the reader. */
  readonly kind: string;
  /** Version of the writer's state layout. */
  readonly version: number;
  /** The writer's configuration. */
  readonly config: JsonValue;
  /** All parameters as one tree (e.g. `{policy: ..., baseline: ...}`). */
  readonly params: ParamTree;
  /** Optimiser state, when there is one. */
  readonly optimizer?: OptimizerState;
  /** Named generator states. */
  readonly rng: Readonly<Record<string, RngState>>;
  /** Completed training steps. */
  readonly step: number;
}

/** Raised when a checkpoint cannot be written or read; the message names the file and problem. */
export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
}

/**
 * Throws a TypeError unless `checkpoint` can replace a learner's state: the learner's `kind`,
 * parameters shaped like `params`, and an optimizer state when `needsOptimizer`.
 */
export function assertCheckpointFits(
  checkpoint: Checkpoint,
  expected: { readonly kind: string; readonly params: ParamTree; readonly needsOptimizer: boolean },
): void {
  const where = `${expected.kind}.fromCheckpoint`;
  if (checkpoint.kind !== expected.kind)
    throw new TypeError(`${where}: cannot restore a '${checkpoint.kind}' checkpoint`);
  if (!haveSameStructure(checkpoint.params, expected.params)) {
    throw new TypeError(
      `${where}: the checkpoint's parameters (${describeParams(checkpoint.params)}) do not fit this learner's (${describeParams(expected.params)})`,
    );
  }
  if (expected.needsOptimizer && checkpoint.optimizer === undefined)
    throw new TypeError(
      `${where}: the checkpoint has no optimizer state (this learner's optimizer needs one)`,
    );
}
