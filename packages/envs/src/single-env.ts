import { actionWidth, type BatchedDynamics, checkActions, checkSeed, entropySeed } from './batched-dynamics';
import type { Env, Info, StepResult } from './env';
import { createRng, type Rng } from './rng/rng';
import type { Box } from './spaces/box';
import type { Discrete } from './spaces/discrete';

/** An `Env` over one environment of a distribution's batched dynamics, with its time limit. */
export class SingleEnv implements Env<Float32Array, Float32Array | number> {
  readonly id: string;
  readonly observationSpace: Box;
  readonly actionSpace: Box | Discrete;
  /** Steps after which an episode is truncated. */
  readonly maxEpisodeSteps: number;
  readonly clipsActions: boolean;
  private readonly dynamics: BatchedDynamics;
  private readonly observation: Float32Array;
  private readonly terminatedFlag = new Uint8Array(1);
  private readonly actionBuffer: Float32Array;
  private rng: Rng | undefined;
  private episodeSteps = 0;
  private state: 'unstarted' | 'running' | 'ended' = 'unstarted';

  constructor(dynamics: BatchedDynamics, maxEpisodeSteps = dynamics.maxEpisodeSteps) {
    if (dynamics.numEnvs !== 1)
      throw new RangeError(`SingleEnv: needs dynamics of 1 environment, got ${dynamics.numEnvs}`);
    if (!Number.isInteger(maxEpisodeSteps) || maxEpisodeSteps < 1) {
      throw new RangeError(
        `${dynamics.id}: maxEpisodeSteps must be a positive integer, got ${maxEpisodeSteps}`,
      );
    }
    this.dynamics = dynamics;
    this.id = dynamics.id;
    this.observationSpace = dynamics.observationSpace;
    this.actionSpace = dynamics.actionSpace;
    this.maxEpisodeSteps = maxEpisodeSteps;
    this.clipsActions = dynamics.clipsActions === true;
    this.observation = new Float32Array(dynamics.observationSpace.size);
    this.actionBuffer = new Float32Array(actionWidth(dynamics));
  }

  reset(options: { readonly seed?: number } = {}): { observation: Float32Array; info: Info } {
    checkSeed(this.id, options?.seed);
    if (options?.seed !== undefined || this.rng === undefined)
      this.rng = createRng(options?.seed ?? entropySeed());
    this.dynamics.resetEnv(0, this.rng, this.observation);
    this.episodeSteps = 0;
    this.state = 'running';
    return { observation: Float32Array.from(this.observation), info: {} };
  }

  step(action: Float32Array | number): StepResult<Float32Array> {
    if (this.state === 'unstarted') throw new Error(`${this.id}: step before reset; call reset() first`);
    if (this.state === 'ended') {
      throw new Error(
        `${this.id}: step after the episode ended (terminated or truncated); call reset() first`,
      );
    }
    const buffer = this.actionBuffer;
    if (typeof action === 'number') {
      if (buffer.length !== 1) {
        throw new RangeError(
          `${this.id}: action must be a Float32Array of length ${buffer.length}, got the number ${action}`,
        );
      }
      buffer[0] = action;
    } else if ((action instanceof Float32Array || Array.isArray(action)) && action.length === buffer.length) {
      buffer.set(action);
    } else {
      const got =
        action instanceof Float32Array || Array.isArray(action)
          ? `length ${(action as ArrayLike<number>).length}`
          : String(action);
      throw new RangeError(
        `${this.id}: action must be ${this.actionSpace.shape.length === 0 ? 'an integer' : `a Float32Array of length ${buffer.length}`}, got ${got}`,
      );
    }
    checkActions(this.dynamics, buffer, 1, () => 'action');
    const reward = this.dynamics.stepEnv(0, buffer, this.rng!, this.observation, this.terminatedFlag);
    this.episodeSteps += 1;
    const terminated = this.terminatedFlag[0] === 1;
    const truncated = !terminated && this.episodeSteps >= this.maxEpisodeSteps;
    if (terminated || truncated) this.state = 'ended';
    return { observation: Float32Array.from(this.observation), reward, terminated, truncated, info: {} };
  }
}
