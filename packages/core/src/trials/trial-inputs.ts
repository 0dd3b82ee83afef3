/**
 * Trial inputs (RL², Duan et al. 2016; also what SNAIL- and MANN-style learners read): at every
 * step a memory-carrying policy sees the observation, the previous action (one-hot for a
 * discrete space), the previous reward and a done flag that is 1 on the first step of every
 * episode after the trial's first. A trial is all the episodes one environment ran in a batch;
 * the first step of a trial sees zeros in place of the previous step.
 */
import type { Box, Discrete } from '@metarl/envs';
import type { EpisodeBatch } from '../rl/rollouts';

/** How actions are written into the next step's input. */
export interface ActionEncoding {
  /** 'discrete': a one-hot of `size` choices starting at `start`; 'continuous': the vector itself. */
  readonly kind: 'continuous' | 'discrete';
  /** Floats the encoding takes (choices, or the action dimension). */
  readonly size: number;
  /** First choice of a discrete space (0 for the usual spaces). */
  readonly start: number;
}

/** The encoding of `space`'s actions. */
export function actionEncodingOf(space: Box | Discrete): ActionEncoding {
  return space.shape.length === 0
    ? { kind: 'discrete', size: (space as Discrete).n, start: (space as Discrete).start }
    : { kind: 'continuous', size: (space as Box).size, start: 0 };
}

/** Floats per trial input: observation + action encoding + previous reward + done flag. */
export function trialInputSize(observationSize: number, encoding: ActionEncoding): number {
  return observationSize + encoding.size + 2;
}

/** Writes `action` (`actionSize` numbers) into `target` at `offset` in `encoding`. */
export function encodeAction(
  encoding: ActionEncoding,
  action: ArrayLike<number>,
  actionOffset: number,
  target: Float32Array,
  offset: number,
): void {
  if (encoding.kind === 'discrete') {
    target.fill(0, offset, offset + encoding.size);
    target[offset + (action[actionOffset]! - encoding.start)] = 1;
  } else {
    for (let j = 0; j < encoding.size; j += 1) target[offset + j] = action[actionOffset + j]!;
  }
}

/** One trial: the contiguous steps of one environment in an `EpisodeBatch`. */
export interface TrialRange {
  /** The environment that ran it. */
  readonly env: number;
  /** Its first episode in the batch. */
  readonly firstEpisode: number;
  /** Its episodes. */
  readonly episodes: number;
  /** Its first step. */
  readonly start: number;
  /** Its steps. */
  readonly length: number;
}

/** The trials of `batch`: each environment's episodes, in order (the batch is environment-major). */
export function trialRanges(batch: EpisodeBatch): TrialRange[] {
  const ranges: TrialRange[] = [];
  let e = 0;
  while (e < batch.lengths.length) {
    const env = batch.envIndex[e]!;
    const firstEpisode = e;
    let length = 0;
    while (e < batch.lengths.length && batch.envIndex[e] === env) {
      length += batch.lengths[e]!;
      e += 1;
    }
    ranges.push({
      env,
      firstEpisode,
      episodes: e - firstEpisode,
      start: batch.offsets[firstEpisode]!,
      length,
    });
  }
  return ranges;
}

/** Every step's trial input `[S * trialInputSize]`, in the batch's step order. */
export function trialInputs(batch: EpisodeBatch, encoding: ActionEncoding): Float32Array {
  const o = batch.observationSize;
  const a = batch.actionSize;
  const width = trialInputSize(o, encoding);
  const steps = batch.rewards.length;
  const out = new Float32Array(steps * width);
  const episodeStart = new Uint8Array(steps);
  for (let e = 0; e < batch.lengths.length; e += 1) {
    if (batch.lengths[e]! > 0) episodeStart[batch.offsets[e]!] = 1;
  }
  for (const trial of trialRanges(batch)) {
    for (let t = trial.start; t < trial.start + trial.length; t += 1) {
      const row = t * width;
      out.set(batch.observations.subarray(t * o, (t + 1) * o), row);
      if (t === trial.start) continue; // zeros: no previous step in this trial
      encodeAction(encoding, batch.actions, (t - 1) * a, out, row + o);
      out[row + o + encoding.size] = batch.rewards[t - 1]!;
      out[row + o + encoding.size + 1] = episodeStart[t]!;
    }
  }
  return out;
}
