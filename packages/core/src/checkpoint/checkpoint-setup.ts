/**
 * What a run was set up with, recorded in every checkpoint so that resuming with different
 * settings is refused instead of silently continuing another experiment: the learner's resolved
 * config (the checkpoint's `config`), the task distribution (id and parameters), the policy
 * (sizes and architecture) and the training loop's options that shape the trajectory.
 *
 * Resuming compares the checkpoint with the current run setting by setting (dotted paths such
 * as `config.innerStepSize`, `distribution.parameters.arms`, `policy.architecture.layerSizes`,
 * `training.metaBatchSize`) and throws one `CheckpointMismatchError` listing every difference,
 * unless each is named in `allowChanges` (a path allows itself and everything under it).
 */
import type { PlainParameter, TaskDistribution } from '@metarl/envs';
import type { Policy } from '../rl/policies';
import type { RecurrentPolicy } from '../rl/recurrent-policy';
import type { JsonValue } from './checkpoint';
import { CheckpointError } from './checkpoint-error';

/** The parts of a run besides the learner's config; each section is compared only when the current run gives it. */
export interface CheckpointSetup {
  /** The task distribution: its versioned id and its parameters (`describeTaskDistribution`). */
  readonly distribution?: JsonValue;
  /** The policy: its sizes and its `architecture` (`describePolicy`). */
  readonly policy?: JsonValue;
  /** The training loop's options that shape the trajectory: `{ metaBatchSize, seed }` (`trainMetaLearner`'s). */
  readonly training?: JsonValue;
}

/** How a resume may deliberately differ from its checkpoint. */
export interface ResumeOptions {
  /**
   * Settings that may differ from the checkpoint's, as the refusal names them: dotted paths
   * (`'config.innerStepSize'`) or whole sections (`'config'`, `'distribution'`, `'policy'`,
   * `'training'`); a path allows itself and everything under it. Default: none.
   */
  readonly allowChanges?: readonly string[];
}

/** One setting that differs; `undefined` where a side does not record it. */
export interface CheckpointDifference {
  /** The setting's dotted path, e.g. 'config.innerStepSize'. */
  readonly path: string;
  /** Its value in the checkpoint. */
  readonly checkpoint: JsonValue | undefined;
  /** Its value in the current run. */
  readonly current: JsonValue | undefined;
}

/** Raised when a checkpoint differs from the run that resumes it; the message lists every difference. */
export class CheckpointMismatchError extends CheckpointError {
  override readonly name = 'CheckpointMismatchError';

  constructor(
    message: string,
    /** The settings that differ (the allowed ones left out). */
    readonly differences: readonly CheckpointDifference[],
  ) {
    super(message);
  }
}

/** The run's description to compare: the learner's config and the setup sections it knows. */
export interface RunDescription {
  /** The learner's resolved config (plain JSON). */
  readonly config: JsonValue;
  /** The distribution, policy and training sections. */
  readonly setup?: CheckpointSetup;
}

/** `value` as JSON carries it: undefined members dropped, readonly arrays plain. */
function toJson(value: unknown): JsonValue | undefined {
  return value === undefined ? undefined : (JSON.parse(JSON.stringify(value)) as JsonValue);
}

/** `{ id, parameters }` of a task distribution, as checkpoints record it. */
export function describeTaskDistribution<Task>(distribution: TaskDistribution<Task>): JsonValue {
  const parameters: Readonly<Record<string, PlainParameter>> | undefined = distribution.parameters;
  return { id: distribution.id, parameters: toJson(parameters) ?? null };
}

/**
 * A policy's sizes and structure, as checkpoints record it: `{ observationSize, actionKind,
 * actionSize, hiddenSize? (recurrent), architecture }` (`architecture` is the policy's
 * `PolicyArchitecture`, or null when it gives none).
 */
export function describePolicy(policy: Policy | RecurrentPolicy): JsonValue {
  const hidden = (policy as Partial<RecurrentPolicy>).hiddenSize;
  const architecture = (policy as Partial<Policy>).architecture;
  return toJson({
    observationSize: policy.observationSize,
    actionKind: policy.actionKind,
    actionSize: policy.actionSize,
    ...(hidden === undefined ? {} : { hiddenSize: hidden }),
    architecture: architecture ?? null,
  })!;
}

function isObject(value: JsonValue | undefined): value is { [key: string]: JsonValue } {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function collectDifferences(
  checkpoint: JsonValue | undefined,
  current: JsonValue | undefined,
  path: string,
  into: CheckpointDifference[],
): void {
  if (isObject(checkpoint) && isObject(current)) {
    const keys = [...new Set([...Object.keys(checkpoint), ...Object.keys(current)])];
    for (const key of keys) collectDifferences(checkpoint[key], current[key], `${path}.${key}`, into);
    return;
  }
  if (JSON.stringify(checkpoint) !== JSON.stringify(current)) into.push({ path, checkpoint, current });
}

/**
 * Every setting in which `checkpoint` differs from `current`: the config always, and each setup
 * section that `current` gives (a section the checkpoint lacks differs as a whole).
 */
export function findCheckpointDifferences(
  checkpoint: RunDescription,
  current: RunDescription,
): CheckpointDifference[] {
  const differences: CheckpointDifference[] = [];
  collectDifferences(toJson(checkpoint.config), toJson(current.config), 'config', differences);
  for (const section of ['distribution', 'policy', 'training'] as const) {
    const now = toJson(current.setup?.[section]);
    if (now === undefined) continue;
    collectDifferences(toJson(checkpoint.setup?.[section]), now, section, differences);
  }
  return differences;
}

function formatValue(value: JsonValue | undefined): string {
  if (value === undefined) return 'not recorded';
  const text = JSON.stringify(value);
  return text.length <= 60 ? text : `${text.slice(0, 57)}...`;
}

/** Throws a TypeError unless `allowChanges` is absent or an array of non-empty strings. */
export function assertAllowChanges(allowChanges: unknown, where: string): void {
  if (allowChanges === undefined) return;
  if (!Array.isArray(allowChanges) || !allowChanges.every((p) => typeof p === 'string' && p.length > 0)) {
    throw new TypeError(
      `${where}: allowChanges must be an array of setting paths such as ['config.innerStepSize'], got ${JSON.stringify(allowChanges) ?? String(allowChanges)}`,
    );
  }
}

/**
 * Throws a `CheckpointMismatchError` naming every setting in which `checkpoint` differs from
 * `current` and that `options.allowChanges` does not allow. `where` names the caller and
 * `source` the checkpoint (a directory, or e.g. 'the checkpoint at step 2').
 */
export function assertCheckpointMatches(
  checkpoint: RunDescription,
  current: RunDescription,
  options: ResumeOptions & { readonly where: string; readonly source: string },
): void {
  const { where, source } = options;
  assertAllowChanges(options.allowChanges, where);
  const allowed = options.allowChanges ?? [];
  const differences = findCheckpointDifferences(checkpoint, current).filter(
    ({ path }) => !allowed.some((prefix) => path === prefix || path.startsWith(`${prefix}.`)),
  );
  if (differences.length === 0) return;
  const count = differences.length === 1 ? '1 setting' : `${differences.length} settings`;
  const listed = differences
    .map((d) => `${d.path} ${formatValue(d.checkpoint)} (checkpoint) vs ${formatValue(d.current)} (now)`)
    .join('; ');
  const paths = differences.map((d) => `'${d.path}'`).join(', ');
  throw new CheckpointMismatchError(
    `${where}: cannot resume from ${source}: it differs from this run in ${count}: ${listed}; to resume anyway, pass allowChanges: [${paths}]`,
    differences,
  );
}
