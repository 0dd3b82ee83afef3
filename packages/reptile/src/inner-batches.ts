/**
 * Few-shot examples as the tensors the supervised learner takes: every task's examples at once
 * (`toTaskExamples`) and the inner loop's mini-batches (`createInnerBatches`), drawn as
 * openai/supervised-reptile draws them: without replacement, epoch after epoch of a fresh
 * shuffle, a mini-batch running on into the next epoch when the examples do not divide evenly.
 */
import { tf } from '@metarl/core';
import type { Rng } from '@metarl/envs';
import type { TaskExamples } from './supervised-reptile';

/** Examples of T tasks as flat arrays, task-major. */
export interface FewShotArrays {
  /** Number of tasks T. */
  readonly tasks: number;
  /** Inputs `[T * N * inputSize]`. */
  readonly inputs: Float32Array;
  /** Regression targets `[T * N * targetSize]` (Float32Array) or class labels `[T * N]` (Int32Array). */
  readonly targets: Float32Array | Int32Array;
  /** Features per example. */
  readonly inputSize: number;
}

/** Options of `createInnerBatches`. */
export interface InnerBatchOptions {
  /** Examples per mini-batch (at most the examples per task without replacement). */
  readonly batchSize: number;
  /** Mini-batches to draw (one per inner step). */
  readonly steps: number;
  /** Draw every mini-batch independently (`random.sample` per batch, as the reference's `--replacement`); default false. */
  readonly replacement?: boolean;
}

/** Examples per task and target width of `data`, checked. */
function layout(data: FewShotArrays, owner: string): { points: number; targetSize: number; labels: boolean } {
  const { tasks, inputs, targets, inputSize } = data;
  if (!Number.isInteger(tasks) || tasks < 1)
    throw new RangeError(`${owner}: tasks must be a positive integer, got ${tasks}`);
  if (!Number.isInteger(inputSize) || inputSize < 1)
    throw new RangeError(`${owner}: inputSize must be a positive integer, got ${inputSize}`);
  if (!(inputs instanceof Float32Array)) throw new TypeError(`${owner}: inputs must be a Float32Array`);
  const points = inputs.length / (tasks * inputSize);
  if (!Number.isInteger(points) || points < 1)
    throw new RangeError(
      `${owner}: inputs hold ${inputs.length} values, not ${tasks} tasks x N examples x ${inputSize} features`,
    );
  const labels = targets instanceof Int32Array;
  if (!labels && !(targets instanceof Float32Array))
    throw new TypeError(
      `${owner}: targets must be a Float32Array (regression) or an Int32Array (class labels)`,
    );
  const targetSize = targets.length / (tasks * points);
  if (!Number.isInteger(targetSize) || targetSize < 1 || (labels && targetSize !== 1))
    throw new RangeError(
      `${owner}: targets hold ${targets.length} values, not ${tasks} tasks x ${points} examples${labels ? ' (one label each)' : ' x targetSize'}`,
    );
  return { points, targetSize, labels };
}

/** Rows `indices[t][b]` of every task of `data` as `TaskExamples` `[T, B, ...]`. */
function gather(
  data: FewShotArrays,
  points: number,
  targetSize: number,
  labels: boolean,
  indices: number[][],
): TaskExamples {
  const tasks = data.tasks;
  const size = indices[0]!.length;
  const inputs = new Float32Array(tasks * size * data.inputSize);
  const targets = labels ? new Int32Array(tasks * size) : new Float32Array(tasks * size * targetSize);
  indices.forEach((rows, t) => {
    rows.forEach((row, b) => {
      const from = t * points + row;
      const to = t * size + b;
      inputs.set(
        data.inputs.subarray(from * data.inputSize, (from + 1) * data.inputSize),
        to * data.inputSize,
      );
      targets.set(data.targets.subarray(from * targetSize, (from + 1) * targetSize), to * targetSize);
    });
  });
  return {
    inputs: tf.tensor3d(inputs, [tasks, size, data.inputSize]),
    targets: labels
      ? tf.tensor2d(targets as Int32Array, [tasks, size], 'int32')
      : tf.tensor3d(targets as Float32Array, [tasks, size, targetSize]),
  };
}

/** All examples of every task as `TaskExamples` (inputs `[T, N, inputSize]`, targets `[T, N, targetSize]` or labels `[T, N]`); the caller disposes them. */
export function toTaskExamples(data: FewShotArrays): TaskExamples {
  const { points, targetSize, labels } = layout(data, 'toTaskExamples');
  const all = Array.from({ length: points }, (_v, i) => i);
  return gather(
    data,
    points,
    targetSize,
    labels,
    Array.from({ length: data.tasks }, () => all),
  );
}

/** A uniformly shuffled copy of `values` (Fisher-Yates with `rng`). */
function shuffled(values: readonly number[], rng: Rng): number[] {
  const out = [...values];
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = Math.floor(rng.next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * The inner loop's `steps` mini-batches of every task of `data` (each task shuffled on its own),
 * as `TaskExamples` `[T, batchSize, ...]`; the caller disposes them (`disposeTaskExamples`).
 */
export function createInnerBatches(
  data: FewShotArrays,
  options: InnerBatchOptions,
  rng: Rng,
): TaskExamples[] {
  const { points, targetSize, labels } = layout(data, 'createInnerBatches');
  const { batchSize, steps } = options;
  if (!Number.isInteger(steps) || steps < 1)
    throw new RangeError(`createInnerBatches: steps must be a positive integer, got ${steps}`);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > points)
    throw new RangeError(
      `createInnerBatches: batchSize must be an integer in [1, ${points}] (the examples per task), got ${batchSize}`,
    );
  const all = Array.from({ length: points }, (_v, i) => i);
  // rows[s][t]: the examples of task t in mini-batch s.
  const rows: number[][][] = Array.from({ length: steps }, () => []);
  for (let t = 0; t < data.tasks; t += 1) {
    if (options.replacement === true) {
      for (let s = 0; s < steps; s += 1) rows[s]!.push(shuffled(all, rng).slice(0, batchSize));
      continue;
    }
    let order: number[] = [];
    for (let s = 0; s < steps; s += 1) {
      const batch: number[] = [];
      while (batch.length < batchSize) {
        if (order.length === 0) order = shuffled(all, rng);
        batch.push(order.shift()!);
      }
      rows[s]!.push(batch);
    }
  }
  return rows.map((indices) => gather(data, points, targetSize, labels, indices));
}

/** Frees the tensors of `examples` (one `TaskExamples` or a list). */
export function disposeTaskExamples(examples: TaskExamples | readonly TaskExamples[]): void {
  for (const item of Array.isArray(examples) ? examples : [examples as TaskExamples])
    tf.dispose([item.inputs, item.targets]);
}
