import type { Space } from './spaces/space';

/** Auxiliary diagnostic information returned by `reset` and `step`. */
export type Info = Readonly<Record<string, unknown>>;

/** What `step` returns (Gymnasium 1.x). */
export interface StepResult<Observation> {
  /** The observation after the step. */
  readonly observation: Observation;
  /** The reward for the step. */
  readonly reward: number;
  /** The MDP reached a terminal state: the episode is over and nothing should be bootstrapped. */
  readonly terminated: boolean;
  /** The episode was cut short (time limit): bootstrap from `observation`. */
  readonly truncated: boolean;
  /** Diagnostics. */
  readonly info: Info;
}

/**
 * A single environment (Gymnasium's `Env`). Call `reset` before the first `step` and after an
 * episode ends (`terminated || truncated`); stepping an ended episode is an error.
 */
export interface Env<Observation = Float32Array, Action = Float32Array | number> {
  /** Name used in error messages, e.g. `Navigation2D-v0`. */
  readonly id: string;
  /** The observations it produces. */
  readonly observationSpace: Space<Observation>;
  /** The actions it accepts. */
  readonly actionSpace: Space<Action>;
  /** True when the definition clips finite actions outside the action space (then they are valid). */
  readonly clipsActions?: boolean;
  /** Starts an episode; `seed` (an integer) reseeds the environment's generator. */
  reset(options?: { readonly seed?: number }): { readonly observation: Observation; readonly info: Info };
  /** Applies `action`. */
  step(action: Action): StepResult<Observation>;
  /** Releases resources (nothing to release for the built-in environments). */
  close?(): void;
}
