/**
 * Episodes of a meta-batch as task-batched tensors: every task's steps padded to the longest
 * task, so the T inner losses, the T adapted policies and an outer objective are each one
 * batched computation over a leading task axis (MAML, Reptile, any gradient-based
 * meta-learner). Padding rows carry zero weight.
 */
import * as tf from '@tensorflow/tfjs-core';
import { discountedReturns, generalizedAdvantages, normalizeAdvantages } from '../rl/advantages';
import { fitLinearBaseline } from '../rl/linear-baseline';
import type { ActionKind } from '../rl/policies';
import type { EpisodeBatch } from '../rl/rollouts';

/** One meta-batch's episodes as `[T, M, ...]` tensors (M = most steps of any task). */
export interface TaskBatch {
  /** Number of tasks T. */
  readonly tasks: number;
  /** `[T, M, O]`. */
  readonly observations: tf.Tensor3D;
  /** `[T, M, A]` float (continuous) or `[T, M]` int32 (discrete). */
  readonly actions: tf.Tensor;
  /** `[T, M]`: the step's normalised advantage / the task's step count (0 on padding). */
  readonly advantageWeights: tf.Tensor2D;
  /** `[T, M]`: 1 / the task's step count (0 on padding): averages a per-step quantity per task. */
  readonly stepWeights: tf.Tensor2D;
  /** Mean undiscounted episode return over all episodes. */
  readonly meanReturn: number;
}

/** Options of `taskAdvantages`. */
export interface TaskAdvantageOptions {
  /** Discount. */
  readonly gamma: number;
  /** GAE lambda. */
  readonly lambda: number;
}

/**
 * Per-task advantages as the MAML papers compute them: discounted returns, a linear baseline
 * fit per task, GAE with every episode end treated as terminal (as pytorch-maml-rl),
 * normalised within each task. `[S]`, in the batch's step order.
 */
export function taskAdvantages(batch: EpisodeBatch, options: TaskAdvantageOptions): Float32Array {
  const baseline = fitLinearBaseline(batch, discountedReturns(batch, options.gamma));
  const { advantages } = generalizedAdvantages(batch, baseline.values, options);
  const ranges = taskRanges(batch);
  const out = new Float32Array(advantages.length);
  for (const { start, end } of ranges) out.set(normalizeAdvantages(advantages.subarray(start, end)), start);
  return out;
}

/** The step range of each task 0..T-1 (episodes of a task must be contiguous, task-major). */
export function taskRanges(batch: EpisodeBatch): { start: number; end: number }[] {
  const ranges: { start: number; end: number }[] = [];
  for (let e = 0; e < batch.lengths.length; e += 1) {
    const task = batch.taskIndex[e]!;
    const start = batch.offsets[e]!;
    const end = start + batch.lengths[e]!;
    if (task === ranges.length) ranges.push({ start, end });
    else if (task === ranges.length - 1 && ranges[task]!.end === start) ranges[task]!.end = end;
    else {
      throw new RangeError(
        `taskRanges: the episodes must be task-major with tasks numbered 0, 1, ... (episode ${e} has task ${task} after task ${ranges.length - 1})`,
      );
    }
  }
  return ranges;
}

/** Pads `batch` (task-major) into a `TaskBatch` with `advantages` `[S]`. */
export function toTaskBatch(batch: EpisodeBatch, advantages: Float32Array, kind: ActionKind): TaskBatch {
  const ranges = taskRanges(batch);
  const tasks = ranges.length;
  const width = Math.max(...ranges.map((r) => r.end - r.start));
  const o = batch.observationSize;
  const a = batch.actionSize;
  const observations = new Float32Array(tasks * width * o);
  const actions = kind === 'discrete' ? new Int32Array(tasks * width) : new Float32Array(tasks * width * a);
  const advantageWeights = new Float32Array(tasks * width);
  const stepWeights = new Float32Array(tasks * width);
  ranges.forEach(({ start, end }, t) => {
    const steps = end - start;
    observations.set(batch.observations.subarray(start * o, end * o), t * width * o);
    if (kind === 'discrete') {
      for (let s = 0; s < steps; s += 1) actions[t * width + s] = batch.actions[start + s]!;
    } else actions.set(batch.actions.subarray(start * a, end * a), t * width * a);
    for (let s = 0; s < steps; s += 1) {
      advantageWeights[t * width + s] = advantages[start + s]! / steps;
      stepWeights[t * width + s] = 1 / steps;
    }
  });
  let total = 0;
  for (const r of batch.rewards) total += r;
  return {
    tasks,
    observations: tf.tensor3d(observations, [tasks, width, o]),
    actions:
      kind === 'discrete'
        ? tf.tensor2d(actions as Int32Array, [tasks, width], 'int32')
        : tf.tensor3d(actions as Float32Array, [tasks, width, a]),
    advantageWeights: tf.tensor2d(advantageWeights, [tasks, width]),
    stepWeights: tf.tensor2d(stepWeights, [tasks, width]),
    meanReturn: total / batch.lengths.length,
  };
}

/** Frees a `TaskBatch`'s tensors. */
export function disposeTaskBatch(batch: TaskBatch): void {
  tf.dispose([batch.observations, batch.actions, batch.advantageWeights, batch.stepWeights]);
}
