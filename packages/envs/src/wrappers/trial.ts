/**
 * Trials for RL²-style learners (Duan et al. 2016): n episodes of the same task form one trial;
 * each observation is extended with the previous action (one-hot for a discrete space), the
 * previous reward and a done flag that is 1 on the first observation after an inner episode
 * ended. The trial ends (`terminated`) when its n-th episode ends; the flags of inner episode
 * ends are reported separately in `episodeEnded`, so returns and GAE can run across them.
 */
import { Box } from '../spaces/box';
import type { Discrete } from '../spaces/discrete';
import type { VectorEnv, VectorStepResult } from '../vector-env';

/** Options of `TrialVectorEnv`. */
export interface TrialOptions {
  /** Episodes per trial (n >= 1). */
  readonly episodesPerTrial: number;
}

/** What `TrialVectorEnv.step` returns: a trial-level step plus the inner episode boundaries. */
export interface TrialStepResult extends VectorStepResult {
  /** `[numEnvs]`, 1 where this step ended an inner episode (including the trial's last). */
  readonly episodeEnded: Uint8Array;
}

function encodingSize(space: Box | Discrete): number {
  return space.shape.length === 0 ? (space as Discrete).n : (space as Box).size;
}

/**
 * A `VectorEnv` of trials over a base `VectorEnv` created with `autoresetMode: 'disabled'`.
 * Its own autoreset is 'next-step' at the trial level: the step after a trial ended starts a new
 * trial (action ignored, reward 0).
 */
export class TrialVectorEnv implements VectorEnv {
  readonly id: string;
  readonly numEnvs: number;
  readonly observationSize: number;
  readonly actionSize: number;
  readonly observationSpace: Box;
  readonly actionSpace: Box | Discrete;
  readonly maxEpisodeSteps: number;
  readonly autoresetMode = 'next-step' as const;
  /** Episodes per trial. */
  readonly episodesPerTrial: number;
  private readonly base: VectorEnv;
  private readonly baseSize: number;
  private readonly encoding: number;
  private readonly observations: Float32Array;
  private readonly rewards: Float32Array;
  private readonly terminated: Uint8Array;
  private readonly truncated: Uint8Array;
  private readonly episodeEnded: Uint8Array;
  private readonly episodeIndex: Int32Array;
  private readonly trialEnded: Uint8Array;
  private readonly active: Uint8Array;
  private readonly restart: Uint8Array;
  private started = false;

  constructor(base: VectorEnv, options: TrialOptions) {
    if (base.autoresetMode !== 'disabled') {
      throw new RangeError(
        `TrialVectorEnv(${base.id}): the base VectorEnv must be made with autoresetMode 'disabled' (the trial resets its episodes), got '${base.autoresetMode}'`,
      );
    }
    const n = options?.episodesPerTrial;
    if (!Number.isInteger(n) || n < 1) {
      throw new RangeError(
        `TrialVectorEnv(${base.id}): episodesPerTrial must be an integer >= 1, got ${String(n)}`,
      );
    }
    this.base = base;
    this.id = `${base.id} trials of ${n}`;
    this.numEnvs = base.numEnvs;
    this.episodesPerTrial = n;
    this.actionSize = base.actionSize;
    this.actionSpace = base.actionSpace;
    this.baseSize = base.observationSize;
    this.encoding = encodingSize(base.actionSpace);
    this.observationSize = this.baseSize + this.encoding + 2;
    const low = [...base.observationSpace.low, ...new Array<number>(this.encoding + 2).fill(-Infinity)];
    const high = [...base.observationSpace.high, ...new Array<number>(this.encoding + 2).fill(Infinity)];
    this.observationSpace = new Box(low, high);
    this.maxEpisodeSteps = base.maxEpisodeSteps * n;
    this.observations = new Float32Array(this.numEnvs * this.observationSize);
    this.rewards = new Float32Array(this.numEnvs);
    this.terminated = new Uint8Array(this.numEnvs);
    this.truncated = new Uint8Array(this.numEnvs);
    this.episodeEnded = new Uint8Array(this.numEnvs);
    this.episodeIndex = new Int32Array(this.numEnvs);
    this.trialEnded = new Uint8Array(this.numEnvs);
    this.active = new Uint8Array(this.numEnvs);
    this.restart = new Uint8Array(this.numEnvs);
  }

  /** Writes env i's extended observation from the base observations and the previous step. */
  private compose(
    i: number,
    baseObservations: Float32Array,
    actions: Float32Array | Int32Array | undefined,
    reward: number,
    done: number,
  ): void {
    const out = i * this.observationSize;
    this.observations.set(baseObservations.subarray(i * this.baseSize, (i + 1) * this.baseSize), out);
    const encodingStart = out + this.baseSize;
    this.observations.fill(0, encodingStart, encodingStart + this.encoding);
    if (actions !== undefined) {
      if (this.actionSpace.shape.length === 0) {
        this.observations[encodingStart + (actions[i]! - (this.actionSpace as Discrete).start)] = 1;
      } else {
        for (let j = 0; j < this.actionSize; j += 1)
          this.observations[encodingStart + j] = actions[i * this.actionSize + j]!;
      }
    }
    this.observations[encodingStart + this.encoding] = reward;
    this.observations[encodingStart + this.encoding + 1] = done;
  }

  reset(options: { readonly seed?: number; readonly mask?: Uint8Array } = {}): Float32Array {
    const baseObservations = this.base.reset(options);
    for (let i = 0; i < this.numEnvs; i += 1) {
      if (options.mask !== undefined && options.mask[i] === 0) continue;
      this.episodeIndex[i] = 0;
      this.trialEnded[i] = 0;
      this.compose(i, baseObservations, undefined, 0, 0);
    }
    this.started = true;
    return this.observations;
  }

  step(actions: Float32Array | Int32Array, options: { readonly mask?: Uint8Array } = {}): TrialStepResult {
    if (!this.started) throw new Error(`${this.id}: step before reset; call reset() first`);
    const mask = options.mask;
    const { active, restart } = this;
    let restarting = false;
    for (let i = 0; i < this.numEnvs; i += 1) {
      const selected = mask === undefined || mask[i] === 1;
      restart[i] = selected && this.trialEnded[i] === 1 ? 1 : 0;
      active[i] = selected && this.trialEnded[i] === 0 ? 1 : 0;
      if (restart[i] === 1) restarting = true;
    }
    if (restarting) {
      const baseObservations = this.base.reset({ mask: restart });
      for (let i = 0; i < this.numEnvs; i += 1) {
        if (restart[i] === 0) continue;
        this.episodeIndex[i] = 0;
        this.trialEnded[i] = 0;
        this.rewards[i] = 0;
        this.terminated[i] = 0;
        this.truncated[i] = 0;
        this.episodeEnded[i] = 0;
        this.compose(i, baseObservations, undefined, 0, 0);
      }
    }
    const result = this.base.step(actions, { mask: active });
    let episodesRestart = false;
    for (let i = 0; i < this.numEnvs; i += 1) {
      if (active[i] === 0) continue;
      const ended = result.terminated[i] === 1 || result.truncated[i] === 1;
      this.rewards[i] = result.rewards[i]!;
      this.episodeEnded[i] = ended ? 1 : 0;
      this.truncated[i] = 0;
      this.terminated[i] = 0;
      restart[i] = 0;
      if (ended) {
        this.episodeIndex[i] = this.episodeIndex[i]! + 1;
        if (this.episodeIndex[i]! >= this.episodesPerTrial) {
          this.terminated[i] = 1;
          this.trialEnded[i] = 1;
        } else {
          restart[i] = 1;
          episodesRestart = true;
          continue;
        }
      }
      this.compose(i, result.observations, actions, result.rewards[i]!, ended ? 1 : 0);
    }
    if (episodesRestart) {
      // A new inner episode starts at once: its first observation carries the done flag.
      const baseObservations = this.base.reset({ mask: restart });
      for (let i = 0; i < this.numEnvs; i += 1) {
        if (active[i] === 1 && restart[i] === 1)
          this.compose(i, baseObservations, actions, this.rewards[i]!, 1);
      }
    }
    return {
      observations: this.observations,
      rewards: this.rewards,
      terminated: this.terminated,
      truncated: this.truncated,
      episodeEnded: this.episodeEnded,
    };
  }
}
