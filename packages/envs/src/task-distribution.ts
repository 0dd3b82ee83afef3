import type { BatchedDynamics } from './batched-dynamics';
import { describeValue } from './describe-value';
import type { Env } from './env';
import { createRng } from './rng/rng';
import { SingleEnv } from './single-env';
import { BatchedVectorEnv, type VectorEnv, type VectorEnvOptions } from './vector-env';

/**
 * A distribution over tasks (a family of MDPs) for meta-RL. Tasks are plain values; every
 * environment is made from one task and shares no state with others.
 */
export interface TaskDistribution<Task> {
  /** Versioned name: bump -vN whenever dynamics or rewards change. */
  readonly id: `${string}-v${number}`;
  /** `count` tasks drawn with `seed` (the same seed gives the same tasks). */
  sampleTasks(count: number, options: { readonly seed: number }): readonly Task[];
  /** The task whose dynamics equal the distribution's reference environment (e.g. Gymnasium's). */
  defaultTask(): Task;
  /** A fresh single environment fixed to `task`. */
  makeEnv(task: Task): Env;
  /** N environments, possibly of different tasks, stepped together. */
  makeVectorEnv(tasks: readonly Task[], options?: VectorEnvOptions): VectorEnv;
}

/** What a built-in distribution supplies; `defineTaskDistribution` adds the shared behaviour. */
export interface TaskDistributionDefinition<Task> {
  /** Versioned name. */
  readonly id: `${string}-v${number}`;
  /** Draws one task with `next()` uniforms in [0, 1) and `normal()` standard normals. */
  sampleTask(random: { next(): number; normal(): number }): Task;
  /** The reference task. */
  defaultTask(): Task;
  /** Throws a clear error when `task` is not a valid task of this distribution. */
  validateTask(task: Task): void;
  /** The batched dynamics of environments of `tasks`. */
  createDynamics(tasks: readonly Task[]): BatchedDynamics;
}

/** A `TaskDistribution` from its definition: argument checks, seeding, env construction. */
export function defineTaskDistribution<Task>(
  definition: TaskDistributionDefinition<Task>,
): TaskDistribution<Task> {
  const { id } = definition;
  const validateAll = (tasks: readonly Task[]) => {
    if (!Array.isArray(tasks) || tasks.length === 0) {
      throw new RangeError(
        `${id}: needs a non-empty array of tasks, got ${Array.isArray(tasks) ? 'an empty array' : describeValue(tasks)}`,
      );
    }
    tasks.forEach((task, i) => {
      try {
        definition.validateTask(task);
      } catch (error) {
        throw new RangeError(`${id}: task ${i} is invalid: ${(error as Error).message}`, { cause: error });
      }
    });
  };
  return {
    id,
    sampleTasks(count, options) {
      if (!Number.isInteger(count) || count < 0)
        throw new RangeError(
          `${id}: sampleTasks count must be a non-negative integer, got ${describeValue(count)}`,
        );
      if (!Number.isSafeInteger(options?.seed))
        throw new TypeError(
          `${id}: sampleTasks needs a safe integer seed, got ${describeValue(options?.seed)}`,
        );
      const rng = createRng(options.seed);
      const random = { next: () => rng.next(), normal: () => rng.normal(1)[0]! };
      return Array.from({ length: count }, () => definition.sampleTask(random));
    },
    defaultTask: () => definition.defaultTask(),
    makeEnv(task) {
      validateAll([task]);
      return new SingleEnv(definition.createDynamics([task]));
    },
    makeVectorEnv(tasks, options) {
      validateAll(tasks);
      return new BatchedVectorEnv(definition.createDynamics(tasks), options);
    },
  };
}
