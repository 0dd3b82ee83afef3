import type { Rng } from './rng/rng';
import type { Box } from './spaces/box';
import type { Discrete } from './spaces/discrete';

/**
 * The dynamics of N environments over struct-of-arrays state: what a task distribution
 * implements once, and what both `VectorEnv` (N at a time) and `Env` (N = 1) run. Each of the N
 * may belong to a different task.
 */
export interface BatchedDynamics {
  /** Versioned name, e.g. `Navigation2D-v0`, for error messages. */
  readonly id: string;
  /** Number of environments N. */
  readonly numEnvs: number;
  /** One environment's observations. */
  readonly observationSpace: Box;
  /** One environment's actions. */
  readonly actionSpace: Box | Discrete;
  /** Steps after which an episode is truncated (the time limit). */
  readonly maxEpisodeSteps: number;
  /** True when the task definition clips continuous actions (then out-of-box finite actions are valid). */
  readonly clipsActions?: boolean;
  /** Starts a new episode of environment `index` and writes its observation into `observations`. */
  resetEnv(index: number, rng: Rng, observations: Float32Array): void;
  /**
   * Steps environment `index` with its action (`actions[index * actionSize ...]`), writes its
   * observation, sets `terminated[index]`, and returns its reward.
   */
  stepEnv(
    index: number,
    actions: Float32Array | Int32Array,
    rng: Rng,
    observations: Float32Array,
    terminated: Uint8Array,
  ): number;
}

/** Width of one action in the flat action array: 1 for a discrete choice. */
export function actionWidth(dynamics: BatchedDynamics): number {
  return dynamics.actionSpace.shape.length === 0 ? 1 : (dynamics.actionSpace as Box).size;
}

/** Error for an action outside the space, naming the environment, the index and the value. */
export function checkActions(
  dynamics: BatchedDynamics,
  actions: Float32Array | Int32Array,
  count: number,
  where: (index: number) => string,
  skip?: Uint8Array,
): void {
  const width = actionWidth(dynamics);
  if (
    !(actions instanceof Float32Array || actions instanceof Int32Array) ||
    actions.length !== count * width
  ) {
    const got =
      actions instanceof Float32Array || actions instanceof Int32Array
        ? `length ${actions.length}`
        : String(actions);
    throw new RangeError(
      `${dynamics.id}: actions must be a Float32Array or Int32Array of length ${count * width} (${count} envs x ${width}), got ${got}`,
    );
  }
  const space = dynamics.actionSpace;
  if (space.shape.length === 0) {
    const discrete = space as Discrete;
    for (let i = 0; i < count; i += 1) {
      if (skip?.[i]) continue;
      const a = actions[i]!;
      if (!(Number.isInteger(a) && a >= discrete.start && a < discrete.start + discrete.n)) {
        throw new RangeError(
          `${dynamics.id}: ${where(i)} is ${a}; expected an integer in ${discrete.describe()}`,
        );
      }
    }
    return;
  }
  const box = space as Box;
  for (let i = 0; i < count; i += 1) {
    if (skip?.[i]) continue;
    for (let j = 0; j < width; j += 1) {
      const a = actions[i * width + j]!;
      if (!Number.isFinite(a)) {
        throw new RangeError(
          `${dynamics.id}: ${where(i)} element ${j} is ${a}; every action element must be finite`,
        );
      }
      if (!dynamics.clipsActions && (a < box.low[j]! || a > box.high[j]!)) {
        throw new RangeError(
          `${dynamics.id}: ${where(i)} element ${j} is ${a}, outside the action space ${box.describe()}`,
        );
      }
    }
  }
}

/** A seed for `createRng` from the environment's entropy (used when no seed is given). */
export function entropySeed(): number {
  return Math.floor(Math.random() * 2 ** 31) ^ (Date.now() & 0x7fffffff);
}

/** Rejects seeds that are not safe integers, naming the environment. */
export function checkSeed(id: string, seed: unknown): asserts seed is number | undefined {
  if (seed !== undefined && !Number.isSafeInteger(seed)) {
    throw new TypeError(`${id}: reset seed must be an integer, got ${String(seed)}`);
  }
}
