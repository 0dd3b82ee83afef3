/**
 * Checkpoints in memory: everything a learner needs to resume exactly, as tensors and plain
 * values. Writing them to disk (safetensors files and a manifest, atomically) is Node-only and
 * lives in `@metarl/core/node` (`saveCheckpoint`, `loadCheckpoint`).
 */
import type { RngState } from '@metarl/envs';
import type { OptimizerState } from '../optim/optimizer';
import { describeParams, haveSameStructure, type ParamTree } from '../params/param-tree';
import {
  assertCheckpointMatches,
  type CheckpointSetup,
  type ResumeOptions,
  type RunDescription,
} from './checkpoint-setup';

/** A JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Everything needed to resume training exactly. */
export interface Checkpoint {
  /** What wrote it, e.g. 'maml'; checked by the reader. */
  readonly kind: string;
  /** Version of the writer's state layout. */
  readonly version: number;
  /** The writer's configuration, resolved (defaults filled in); compared on resume. */
  readonly config: JsonValue;
  /**
   * The run's distribution, policy and training options (`CheckpointSetup`), compared on
   * resume; absent in checkpoints written before they were recorded.
   */
  readonly setup?: CheckpointSetup;
  /** All parameters as one tree (e.g. `{policy: ..., baseline: ...}`). */
  readonly params: ParamTree;
  /** Optimiser state, when there is one. */
  readonly optimizer?: OptimizerState;
  /** Named generator states. */
  readonly rng: Readonly<Record<string, RngState>>;
  /** Completed training steps. */
  readonly step: number;
}

export { CheckpointError } from './checkpoint-error';

/** What `assertCheckpointFits` checks a checkpoint against. */
export interface CheckpointExpectation extends ResumeOptions {
  /** The learner's kind. */
  readonly kind: string;
  /** The learner's parameters (their structure and shapes). */
  readonly params: ParamTree;
  /** Whether the learner's optimizer needs a state. */
  readonly needsOptimizer: boolean;
  /** The learner's config and the setup sections it knows; when given, every difference is refused (`assertCheckpointMatches`) unless in `allowChanges`. */
  readonly run?: RunDescription;
}

/**
 * Throws unless `checkpoint` can replace a learner's state: the learner's `kind` (TypeError),
 * the same config and setup as `expected.run` where given (`CheckpointMismatchError` listing
 * every difference not in `allowChanges`), parameters shaped like `params` and an optimizer
 * state when `needsOptimizer` (TypeError).
 */
export function assertCheckpointFits(checkpoint: Checkpoint, expected: CheckpointExpectation): void {
  const where = `${expected.kind}.fromCheckpoint`;
  if (checkpoint.kind !== expected.kind)
    throw new TypeError(`${where}: cannot restore a '${checkpoint.kind}' checkpoint`);
  if (expected.run !== undefined) {
    assertCheckpointMatches(checkpoint, expected.run, {
      where,
      source: `the checkpoint at step ${checkpoint.step}`,
      allowChanges: expected.allowChanges,
    });
  }
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
