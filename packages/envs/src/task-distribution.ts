import type { BatchedDynamics } from './batched-dynamics';
import { describeValue } from './describe-value';
import type { Env } from './env';
import { createRng } from './rng/rng';
import { SingleEnv } from './single-env';
import { BatchedVectorEnv, type VectorEnv, type VectorEnvOptions } from './vector-env';

/** A JSON value (finite numbers, strings, booleans, null, arrays and plain objects). */
export type PlainParameter =
  | null
  | boolean
  | number
  | string
  | readonly PlainParameter[]
  | { readonly [name: string]: PlainParameter };

/**
 * A distribution over tasks (a family of MDPs) for meta-RL. Tasks are plain values; every
 * environment is made from one task and shares no state with others.
 */
export interface TaskDistribution<Task> {
  /** Versioned name: bump -vN whenever dynamics or rewards change. */
  readonly id: `${string}-v${number}`;
  /**
   * Everything besides `id` that decides which tasks are drawn and how they behave, with
   * defaults filled in (e.g. `{ arms: 5 }`; `{}` when there is nothing). Plain JSON: checkpoints
   * record it with `id`, and resuming with a distribution that differs is refused.
   */
  readonly parameters: Readonly<Record<string, PlainParameter>>;
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
  /** The resolved options (defaults filled in), plain JSON; `{}` when there are none. */
  readonly parameters: Readonly<Record<string, PlainParameter>>;
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
  const parameters = freezePlainParameters(id, definition.parameters);
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
    parameters,
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

/** A frozen deep copy of `parameters`; throws a RangeError naming the first value that is not plain JSON. */
function freezePlainParameters(
  id: string,
  parameters: Readonly<Record<string, PlainParameter>>,
): Readonly<Record<string, PlainParameter>> {
  const copy = (value: unknown, path: string): PlainParameter => {
    if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
    if (typeof value === 'number' && Number.isFinite(value)) return value;
    if (Array.isArray(value)) return Object.freeze(value.map((item, i) => copy(item, `${path}[${i}]`)));
    if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      return Object.freeze(
        Object.fromEntries(Object.entries(value).map(([key, item]) => [key, copy(item, `${path}.${key}`)])),
      );
    }
    throw new RangeError(
      `${id}: ${path} must be plain JSON (a finite number, string, boolean, null, array or plain object), got ${describeValue(value)}`,
    );
  };
  if (parameters === null || typeof parameters !== 'object' || Array.isArray(parameters)) {
    throw new RangeError(
      `${id}: parameters must be a plain object of the resolved options ({} when there are none), got ${describeValue(parameters)}`,
    );
  }
  return copy(parameters, 'parameters') as Readonly<Record<string, PlainParameter>>;
}
