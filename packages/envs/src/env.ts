import type { Space } from './spaces/space';

/** Typed arrays that actions may come in (float32 is the precision `Box` actions are used at). */
export type ActionArray = Float32Array | Float64Array | Int32Array;

/**
 * What `Env.step` accepts: for a `Discrete` space an integer (a number, or an array of one); for a
 * `Box` an `ActionArray` or number array of its size (or a number when its size is 1).
 */
export type EnvAction = number | ActionArray | readonly number[];

/** Auxiliary diagnostic information returned by `reset` and `step`. */
export type Info = Readonly<Record<string, unknown>>;

/** What `step` returns (Gymnasium 1.x). */
export interface StepResult<Observation> {
  /** The observation after the step. */
  readonly observation: Observation;
  /** The reward for the step (a float64 number; a `VectorEnv` reports the same value). */
  readonly reward: number;
  /** The MDP reached a terminal state: the episode is over and nothing should be bootstrapped. */
  readonly terminated: boolean;
  /**
   * The time limit was reached (Gymnasium's `TimeLimit`: set on the step that reaches the limit,
   * even when `terminated` is set too). Bootstrap from `observation` only when truncated and not
   * terminated.
   */
  readonly truncated: boolean;
  /** Diagnostics. */
  readonly info: Info;
}

/**
 * A single environment (Gymnasium's `Env`). Call `reset` before the first `step` and after an
 * episode ends (`terminated || truncated`); stepping an ended episode is an error.
 */
export interface Env<Observation = Float32Array, Action = EnvAction> {
  /** Name used in error messages, e.g. `Navigation2D-v1`. */
  readonly id: string;
  /** The observations it produces. */
  readonly observationSpace: Space<Observation>;
  /** The actions it accepts. */
  readonly actionSpace: Space<Action>;
  /** True when the definition clips finite actions outside the action space (then they are valid). */
  readonly clipsActions?: boolean;
  /** Starts an episode; `seed` (an integer) reseeds the environment's generator. */
  reset(options?: { readonly seed?: number }): { readonly observation: Observation; readonly info: Info };
  /**
   * Applies `action`. Rewards and observations must be finite: the built-in environments raise a
   * `NonFiniteValueError` (naming the step and the field) rather than return NaN or Infinity.
   */
  step(action: Action): StepResult<Observation>;
  /**
   * A copy of the environment's state where it exposes one (every built-in environment does; see
   * `SingleEnv.getState`), as Gymnasium users read `env.unwrapped.state`.
   */
  getState?(): Float64Array;
  /** Replaces the running episode's state and returns its observation (see `SingleEnv.setState`). */
  setState?(state: ArrayLike<number>): Float32Array;
  /** Releases resources (nothing to release for the built-in environments). */
  close?(): void;
}
