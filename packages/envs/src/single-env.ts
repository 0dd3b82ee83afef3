import {
  actionWidth,
  type BatchedDynamics,
  checkActionValues,
  checkSeed,
  createActionScratch,
  entropySeed,
  isActionArray,
} from './batched-dynamics';
import { describeValue } from './describe-value';
import type { Env, EnvAction, Info, StepResult } from './env';
import { checkFiniteStep } from './non-finite-value-error';
import { createRng, type Rng } from './rng/rng';
import type { Box } from './spaces/box';
import type { Discrete } from './spaces/discrete';

/** `value` when it is not the action expected: an array by kind and length, else itself. */
function describeAction(value: unknown): string {
  if (isActionArray(value)) return `a ${value.constructor.name} of length ${value.length}`;
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  return describeValue(value);
}

/** An `Env` over one environment of a distribution's batched dynamics, with its time limit. */
export class SingleEnv implements Env<Float32Array, EnvAction> {
  readonly id: string;
  readonly observationSpace: Box;
  readonly actionSpace: Box | Discrete;
  /** Steps after which an episode is truncated. */
  readonly maxEpisodeSteps: number;
  readonly clipsActions: boolean;
  /**
   * Names of the elements of `getState()`, e.g. CartPole's `['x', 'xDot', 'theta', 'thetaDot']`;
   * undefined when the dynamics define no state accessor.
   */
  readonly stateNames: readonly string[] | undefined;
  private readonly dynamics: BatchedDynamics;
  private readonly observation: Float32Array;
  private readonly terminatedFlag = new Uint8Array(1);
  private readonly actionScratch: Float32Array | Int32Array;
  private rng: Rng | undefined;
  private episodeSteps = 0;
  private status: 'unstarted' | 'running' | 'ended' = 'unstarted';

  constructor(dynamics: BatchedDynamics, maxEpisodeSteps = dynamics.maxEpisodeSteps) {
    if (dynamics.numEnvs !== 1)
      throw new RangeError(`SingleEnv: needs dynamics of 1 environment, got ${dynamics.numEnvs}`);
    if (!Number.isInteger(maxEpisodeSteps) || maxEpisodeSteps < 1) {
      throw new RangeError(
        `${dynamics.id}: maxEpisodeSteps must be a positive integer, got ${describeValue(maxEpisodeSteps)}`,
      );
    }
    this.dynamics = dynamics;
    this.id = dynamics.id;
    this.observationSpace = dynamics.observationSpace;
    this.actionSpace = dynamics.actionSpace;
    this.maxEpisodeSteps = maxEpisodeSteps;
    this.clipsActions = dynamics.clipsActions === true;
    this.stateNames =
      dynamics.stateNames !== undefined &&
      dynamics.readState !== undefined &&
      dynamics.writeState !== undefined
        ? [...dynamics.stateNames]
        : undefined;
    this.observation = new Float32Array(dynamics.observationSpace.size);
    this.actionScratch = createActionScratch(dynamics, 1);
  }

  reset(options: { readonly seed?: number } = {}): { observation: Float32Array; info: Info } {
    checkSeed(this.id, options?.seed);
    if (options?.seed !== undefined || this.rng === undefined)
      this.rng = createRng(options?.seed ?? entropySeed());
    this.dynamics.resetEnv(0, this.rng, this.observation);
    this.episodeSteps = 0;
    this.status = 'running';
    checkFiniteStep(
      { envId: this.id, step: 'reset' },
      undefined,
      this.observation,
      0,
      this.observation.length,
    );
    return { observation: Float32Array.from(this.observation), info: {} };
  }

  /**
   * Applies `action`: for a `Discrete` space an integer of the space (a number, or an array of
   * one); for a `Box` a Float32Array, Float64Array, Int32Array or number array of its size (or a
   * number when the size is 1). Box actions are checked as given, then rounded to float32, the
   * action space's precision. A non-finite reward or observation element from the dynamics
   * raises a `NonFiniteValueError` naming the step and the field.
   */
  step(action: EnvAction): StepResult<Float32Array> {
    if (this.status === 'unstarted') throw new Error(`${this.id}: step before reset; call reset() first`);
    if (this.status === 'ended') {
      throw new Error(
        `${this.id}: step after the episode ended (terminated or truncated); call reset() first`,
      );
    }
    const width = actionWidth(this.dynamics);
    const discrete = this.actionSpace.shape.length === 0;
    const isArray = isActionArray(action) || Array.isArray(action);
    let values: ArrayLike<unknown>;
    if (isArray && (action as ArrayLike<unknown>).length === width) values = action as ArrayLike<unknown>;
    else if (!isArray && (discrete || (width === 1 && typeof action === 'number'))) values = [action];
    else {
      const expected = discrete
        ? `an integer in ${this.actionSpace.describe()} (a number, or an array of 1)`
        : `a Float32Array, Float64Array, Int32Array or number array of length ${width}${width === 1 ? ', or a number' : ''}`;
      throw new RangeError(`${this.id}: action must be ${expected}, got ${describeAction(action)}`);
    }
    checkActionValues(this.dynamics, values, 1, () => 'action');
    const actions = this.actionScratch;
    actions.set(values as ArrayLike<number>);
    const reward = this.dynamics.stepEnv(0, actions, this.rng!, this.observation, this.terminatedFlag);
    this.episodeSteps += 1;
    checkFiniteStep(
      { envId: this.id, step: this.episodeSteps },
      reward,
      this.observation,
      0,
      this.observation.length,
    );
    const terminated = this.terminatedFlag[0] === 1;
    const truncated = this.episodeSteps >= this.maxEpisodeSteps;
    if (terminated || truncated) this.status = 'ended';
    return { observation: Float32Array.from(this.observation), reward, terminated, truncated, info: {} };
  }

  /**
   * A copy of the environment's state (names in `stateNames`), as Gymnasium users read
   * `env.unwrapped.state`: enough, with `setState`, to replay a recorded trajectory. Needs a
   * `reset()` first.
   */
  getState(): Float64Array {
    const names = this.requireState('getState');
    const out = new Float64Array(names.length);
    this.dynamics.readState!(0, out);
    return out;
  }

  /**
   * Replaces the state of the running episode by `state` (`stateNames.length` finite numbers,
   * e.g. from `getState()`) and returns the observation of that state. The step count, and so
   * the time limit, are unchanged; the environment's generator is not touched.
   */
  setState(state: ArrayLike<number>): Float32Array {
    const names = this.requireState('setState');
    if (this.status === 'ended') {
      throw new Error(`${this.id}: setState after the episode ended; call reset() first`);
    }
    const expected = `${names.length} finite numbers [${names.join(', ')}]`;
    if (!(isActionArray(state) || Array.isArray(state)) || state.length !== names.length) {
      throw new RangeError(`${this.id}: state must be ${expected}, got ${describeAction(state)}`);
    }
    const values = new Float64Array(names.length);
    for (let j = 0; j < names.length; j += 1) {
      const v: unknown = state[j];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new RangeError(
          `${this.id}: state element ${j} (${names[j]}) is ${describeValue(v)}; state must be ${expected}`,
        );
      }
      values[j] = v;
    }
    this.dynamics.writeState!(0, values, this.observation);
    return Float32Array.from(this.observation);
  }

  private requireState(method: string): readonly string[] {
    if (this.stateNames === undefined) {
      throw new Error(`${this.id}: ${method} is not available; its dynamics define no state accessor`);
    }
    if (this.status === 'unstarted')
      throw new Error(`${this.id}: ${method} before reset; call reset() first`);
    return this.stateNames;
  }
}
