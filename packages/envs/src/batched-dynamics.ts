import { describeValue } from './describe-value';
import type { ActionArray } from './env';
import type { Rng } from './rng/rng';
import type { Box } from './spaces/box';
import type { Discrete } from './spaces/discrete';

/**
 * The dynamics of N environments over struct-of-arrays state: what a task distribution
 * implements once, and what both `VectorEnv` (N at a time) and `Env` (N = 1) run. Each of the N
 * may belong to a different task.
 */
export interface BatchedDynamics {
  /** Versioned name, e.g. `Navigation2D-v1`, for error messages. */
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
   * Steps environment `index` with its action (`actions[index * actionSize ...]`, float32 for a
   * `Box`, integers for a `Discrete`), writes its observation, sets `terminated[index]`, and
   * returns its reward (a float64 number; the vector env stores it as is).
   */
  stepEnv(
    index: number,
    actions: Float32Array | Int32Array,
    rng: Rng,
    observations: Float32Array,
    terminated: Uint8Array,
  ): number;
  /** Names of one environment's state elements, e.g. `['theta', 'thetaDot']`; absent: no state accessor. */
  readonly stateNames?: readonly string[];
  /** Copies environment `index`'s state into `out` (`stateNames.length` numbers). */
  readState?(index: number, out: Float64Array): void;
  /**
   * Replaces environment `index`'s state by `state` (already checked: `stateNames.length` finite
   * numbers) and writes its observation; throws a `RangeError` naming the element it rejects.
   */
  writeState?(index: number, state: Float64Array, observations: Float32Array): void;
}

const ACTION_TYPES = 'a Float32Array, Float64Array or Int32Array';

/** True for the typed arrays actions may come in. */
export function isActionArray(value: unknown): value is ActionArray {
  return value instanceof Float32Array || value instanceof Float64Array || value instanceof Int32Array;
}

/** Width of one action in the flat action array: 1 for a discrete choice. */
export function actionWidth(dynamics: BatchedDynamics): number {
  return dynamics.actionSpace.shape.length === 0 ? 1 : (dynamics.actionSpace as Box).size;
}

/**
 * Checks the action values of environments `0 .. count - 1` (those not in `skip`) as given,
 * before any conversion to float32: an error names the environment, the index and the value.
 */
export function checkActionValues(
  dynamics: BatchedDynamics,
  actions: ArrayLike<unknown>,
  count: number,
  where: (index: number) => string,
  skip?: Uint8Array,
): void {
  const width = actionWidth(dynamics);
  const space = dynamics.actionSpace;
  if (space.shape.length === 0) {
    const discrete = space as Discrete;
    for (let i = 0; i < count; i += 1) {
      if (skip?.[i]) continue;
      const a = actions[i] as number; // Number.isInteger rejects non-numbers too
      if (!(Number.isInteger(a) && a >= discrete.start && a < discrete.start + discrete.n)) {
        throw new RangeError(
          `${dynamics.id}: ${where(i)} is ${describeValue(a)}; expected an integer in ${discrete.describe()}`,
        );
      }
    }
    return;
  }
  const box = space as Box;
  for (let i = 0; i < count; i += 1) {
    if (skip?.[i]) continue;
    for (let j = 0; j < width; j += 1) {
      const a = actions[i * width + j] as number; // Number.isFinite rejects non-numbers too
      if (!Number.isFinite(a)) {
        throw new RangeError(
          `${dynamics.id}: ${where(i)} element ${j} is ${describeValue(a)}; every action element must be a finite number`,
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

/** Error for actions of the wrong type or length, or values outside the space. */
export function checkActions(
  dynamics: BatchedDynamics,
  actions: unknown,
  count: number,
  where: (index: number) => string,
  skip?: Uint8Array,
): asserts actions is ActionArray {
  const width = actionWidth(dynamics);
  if (!isActionArray(actions) || actions.length !== count * width) {
    const got = isActionArray(actions)
      ? `a ${actions.constructor.name} of length ${actions.length}`
      : describeValue(actions);
    throw new RangeError(
      `${dynamics.id}: actions must be ${ACTION_TYPES} of length ${count * width} (${count} envs x ${width}), got ${got}`,
    );
  }
  checkActionValues(dynamics, actions, count, where, skip);
}

/** A buffer for `count` environments' actions as the dynamics read them (see `toDynamicsActions`). */
export function createActionScratch(dynamics: BatchedDynamics, count: number): Float32Array | Int32Array {
  const size = count * actionWidth(dynamics);
  return dynamics.actionSpace.shape.length === 0 ? new Int32Array(size) : new Float32Array(size);
}

/**
 * The actions as the dynamics read them: float32 for a `Box` (the action space's precision),
 * integers for a `Discrete` (values already checked). A Float32Array, or an Int32Array for a
 * `Discrete`, passes through; other arrays are copied into `scratch` (from `createActionScratch`).
 */
export function toDynamicsActions(
  actions: ActionArray,
  scratch: Float32Array | Int32Array,
): Float32Array | Int32Array {
  if (actions instanceof Float32Array || (actions instanceof Int32Array && scratch instanceof Int32Array)) {
    return actions;
  }
  scratch.set(actions);
  return scratch;
}

/** A seed for `createRng` from the environment's entropy (used when no seed is given). */
export function entropySeed(): number {
  return Math.floor(Math.random() * 2 ** 31) ^ (Date.now() & 0x7fffffff);
}

/**
 * Rejects reset seeds that are not integers in [0, 2^53 - count] (environment i of `count` is
 * seeded with seed + i, which must stay a safe integer), naming the environment.
 */
export function checkSeed(id: string, seed: unknown, count = 1): asserts seed is number | undefined {
  if (seed === undefined) return;
  const max = Number.MAX_SAFE_INTEGER - (count - 1);
  if (typeof seed === 'number' && Number.isInteger(seed) && seed >= 0 && seed <= max) return;
  const range = `an integer in [0, ${max}]${count > 1 ? ` (env i of ${count} is seeded with seed + i, at most 2^53 - 1)` : ''}`;
  const ErrorType = typeof seed === 'number' ? RangeError : TypeError;
  throw new ErrorType(`${id}: reset seed must be ${range}, got ${describeValue(seed)}`);
}
