import {
  actionWidth,
  type BatchedDynamics,
  checkActions,
  checkSeed,
  createActionScratch,
  entropySeed,
  toDynamicsActions,
} from './batched-dynamics';
import { describeValue } from './describe-value';
import type { ActionArray } from './env';
import { checkFiniteStep, findNonFinite } from './non-finite-value-error';
import { createRng, type Rng } from './rng/rng';
import type { Box } from './spaces/box';
import type { Discrete } from './spaces/discrete';

/**
 * What happens after a sub-environment's episode ends (Gymnasium 1.x `AutoresetMode`):
 * - `next-step`: the next `step` resets it: its action is ignored, it returns the first
 *   observation of the new episode with reward 0 and both flags false. The default.
 * - `disabled`: nothing; reset it yourself with `reset({ mask })` before stepping it again.
 */
export type AutoresetMode = 'next-step' | 'disabled';

/** Options of `makeVectorEnv`. */
export interface VectorEnvOptions {
  /** Default 'next-step'. */
  readonly autoresetMode?: AutoresetMode;
  /** Overrides the distribution's time limit (steps per episode). */
  readonly maxEpisodeSteps?: number;
}

/** What `VectorEnv.step` returns: views of buffers the next call overwrites (copy to keep them). */
export interface VectorStepResult {
  /** `[numEnvs * observationSize]`. */
  readonly observations: Float32Array;
  /** `[numEnvs]`, float64: exactly the rewards a single `Env` of the same task returns. */
  readonly rewards: Float64Array;
  /** `[numEnvs]`, 1 where the MDP reached a terminal state. */
  readonly terminated: Uint8Array;
  /** `[numEnvs]`, 1 where the time limit was reached (even where `terminated` is 1 too, as Gymnasium). */
  readonly truncated: Uint8Array;
}

/**
 * N environments stepped as one call over struct-of-arrays buffers (Gymnasium's `VectorEnv`).
 * The N may belong to different tasks, so a sampler runs a whole meta-batch in one pass.
 */
export interface VectorEnv {
  /** Name used in error messages. */
  readonly id: string;
  /** Number of environments N. */
  readonly numEnvs: number;
  /** Floats per observation. */
  readonly observationSize: number;
  /** Numbers per action (1 for a discrete choice). */
  readonly actionSize: number;
  /** One environment's observation space. */
  readonly observationSpace: Box;
  /** One environment's action space. */
  readonly actionSpace: Box | Discrete;
  /** Steps after which an episode is truncated. */
  readonly maxEpisodeSteps: number;
  /** What happens after an episode ends. */
  readonly autoresetMode: AutoresetMode;
  /**
   * Resets all environments (or those where `mask` is 1) and returns the observations
   * `[numEnvs * observationSize]` (a buffer the next call overwrites). `seed` (an integer in
   * [0, 2^53 - numEnvs]) seeds environment i with seed + i (as Gymnasium does), so it behaves
   * exactly like a single `Env` reset with seed + i.
   */
  reset(options?: { readonly seed?: number; readonly mask?: Uint8Array }): Float32Array;
  /**
   * Steps every environment with `actions` `[numEnvs * actionSize]` (a Float32Array,
   * Float64Array or Int32Array; checked as given, then rounded to float32 for a `Box`), or only
   * those where `mask` is 1 (the others, their actions and their entries in the result are left
   * untouched). An implementation should raise a `NonFiniteValueError` (naming the environment,
   * its step and the field) when it produces a non-finite reward or observation; the built-in
   * ones do, and `collectEpisodes` checks what any `VectorEnv` returns.
   */
  step(actions: ActionArray, options?: { readonly mask?: Uint8Array }): VectorStepResult;
}

/** The `VectorEnv` of a distribution's batched dynamics, with time limits and autoreset. */
export class BatchedVectorEnv implements VectorEnv {
  readonly id: string;
  readonly numEnvs: number;
  readonly observationSize: number;
  readonly actionSize: number;
  readonly observationSpace: Box;
  readonly actionSpace: Box | Discrete;
  readonly maxEpisodeSteps: number;
  readonly autoresetMode: AutoresetMode;
  private readonly dynamics: BatchedDynamics;
  private readonly observations: Float32Array;
  private readonly rewards: Float64Array;
  private readonly terminated: Uint8Array;
  private readonly truncated: Uint8Array;
  private readonly episodeSteps: Int32Array;
  /** 1 = needs a reset before it can step (never reset, or ended). */
  private readonly needsReset: Uint8Array;
  private readonly skipBuffer: Uint8Array;
  private readonly actionScratch: Float32Array | Int32Array;
  private rngs: Rng[] = [];

  constructor(dynamics: BatchedDynamics, options: VectorEnvOptions = {}) {
    this.dynamics = dynamics;
    this.id = dynamics.id;
    this.numEnvs = dynamics.numEnvs;
    this.observationSpace = dynamics.observationSpace;
    this.actionSpace = dynamics.actionSpace;
    this.observationSize = dynamics.observationSpace.size;
    this.actionSize = actionWidth(dynamics);
    this.autoresetMode = options.autoresetMode ?? 'next-step';
    if (this.autoresetMode !== 'next-step' && this.autoresetMode !== 'disabled') {
      throw new RangeError(
        `${this.id}: autoresetMode must be 'next-step' or 'disabled', got ${describeValue(this.autoresetMode)}`,
      );
    }
    this.maxEpisodeSteps = options.maxEpisodeSteps ?? dynamics.maxEpisodeSteps;
    if (!Number.isInteger(this.maxEpisodeSteps) || this.maxEpisodeSteps < 1) {
      throw new RangeError(
        `${this.id}: maxEpisodeSteps must be a positive integer, got ${describeValue(this.maxEpisodeSteps)}`,
      );
    }
    this.observations = new Float32Array(this.numEnvs * this.observationSize);
    this.rewards = new Float64Array(this.numEnvs);
    this.terminated = new Uint8Array(this.numEnvs);
    this.truncated = new Uint8Array(this.numEnvs);
    this.episodeSteps = new Int32Array(this.numEnvs);
    this.needsReset = new Uint8Array(this.numEnvs).fill(1);
    this.skipBuffer = new Uint8Array(this.numEnvs);
    this.actionScratch = createActionScratch(dynamics, this.numEnvs);
  }

  reset(options: { readonly seed?: number; readonly mask?: Uint8Array } = {}): Float32Array {
    checkSeed(this.id, options.seed, this.numEnvs);
    const mask = options.mask;
    if (mask !== undefined && (!(mask instanceof Uint8Array) || mask.length !== this.numEnvs)) {
      throw new RangeError(
        `${this.id}: reset mask must be a Uint8Array of length ${this.numEnvs}, got ${describeValue(mask)}`,
      );
    }
    if (options.seed !== undefined || this.rngs.length === 0) {
      const seed = options.seed ?? entropySeed();
      this.rngs = Array.from({ length: this.numEnvs }, (_v, i) => createRng(seed + i));
    }
    for (let i = 0; i < this.numEnvs; i += 1) {
      if (mask !== undefined && mask[i] === 0) continue;
      this.dynamics.resetEnv(i, this.rngs[i]!, this.observations);
      this.checkFinite(i, 'reset', undefined);
      this.episodeSteps[i] = 0;
      this.needsReset[i] = 0;
      this.terminated[i] = 0;
      this.truncated[i] = 0;
    }
    return this.observations;
  }

  step(actions: ActionArray, options: { readonly mask?: Uint8Array } = {}): VectorStepResult {
    if (this.rngs.length === 0) throw new Error(`${this.id}: step before reset; call reset() first`);
    const mask = options.mask;
    if (mask !== undefined && (!(mask instanceof Uint8Array) || mask.length !== this.numEnvs)) {
      throw new RangeError(
        `${this.id}: step mask must be a Uint8Array of length ${this.numEnvs}, got ${describeValue(mask)}`,
      );
    }
    const autoreset = this.autoresetMode === 'next-step';
    if (!autoreset) {
      for (let i = 0; i < this.numEnvs; i += 1) {
        if (this.needsReset[i] === 1 && (mask === undefined || mask[i] === 1)) {
          throw new Error(
            `${this.id}: env ${i} stepped after its episode ended (autoresetMode 'disabled'); reset it with reset({ mask })`,
          );
        }
      }
    }
    let skip: Uint8Array | undefined;
    if (mask !== undefined || autoreset) {
      skip = this.skipBuffer;
      for (let i = 0; i < this.numEnvs; i += 1) {
        skip[i] = (mask !== undefined && mask[i] === 0) || (autoreset && this.needsReset[i] === 1) ? 1 : 0;
      }
    }
    checkActions(this.dynamics, actions, this.numEnvs, (i) => `action of env ${i}`, skip);
    const dynamicsActions = toDynamicsActions(actions, this.actionScratch);
    const { dynamics, observations, rewards, terminated, truncated, episodeSteps, needsReset, rngs } = this;
    const limit = this.maxEpisodeSteps;
    for (let i = 0; i < this.numEnvs; i += 1) {
      if (mask !== undefined && mask[i] === 0) continue;
      if (needsReset[i] === 1) {
        dynamics.resetEnv(i, rngs[i]!, observations);
        this.checkFinite(i, 'reset', undefined);
        rewards[i] = 0;
        terminated[i] = 0;
        truncated[i] = 0;
        episodeSteps[i] = 0;
        needsReset[i] = 0;
        continue;
      }
      rewards[i] = dynamics.stepEnv(i, dynamicsActions, rngs[i]!, observations, terminated);
      const steps = episodeSteps[i]! + 1;
      episodeSteps[i] = steps;
      this.checkFinite(i, steps, rewards[i]!);
      truncated[i] = steps >= limit ? 1 : 0;
      if (terminated[i] === 1 || truncated[i] === 1) needsReset[i] = 1;
    }
    return { observations, rewards, terminated, truncated };
  }

  /** Throws a `NonFiniteValueError` when env `i`'s reward or observation is not finite. */
  private checkFinite(i: number, step: number | 'reset', reward: number | undefined): void {
    const size = this.observationSize;
    const offset = i * size;
    // The common case allocates nothing: the error's description is built only on failure.
    if (
      (reward === undefined || reward - reward === 0) &&
      findNonFinite(this.observations, offset, offset + size) < 0
    )
      return;
    checkFiniteStep(
      { envId: this.id, envIndex: i, envCount: this.numEnvs, step },
      reward,
      this.observations,
      i * size,
      size,
    );
  }
}
