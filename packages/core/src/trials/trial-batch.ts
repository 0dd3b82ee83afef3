/**
 * Trials as training data: advantages that run across the episode boundaries inside a trial
 * (the trial is a trial learner's episode: its objective is the trial's total reward, and only
 * the trial's end is terminal), trials padded into `[B, L, ...]` tensors with a validity mask
 * so that one recurrent unroll covers a whole minibatch of trials (PPO's units: `runPpoEpochs`
 * with `selectTrials`, the loss masked with `ppoLossTerms`), and the returns per trial.
 */
import * as tf from '@tensorflow/tfjs-core';
import { generalizedAdvantages, normalizeAdvantages } from '../rl/advantages';
import type { EpisodeBatch } from '../rl/rollouts';
import { type ActionEncoding, trialInputSize, trialInputs, trialRanges } from './trial-inputs';

/** Options of `trialAdvantages`. */
export interface TrialAdvantageOptions {
  /** Discount gamma (applied across episode boundaries too). */
  readonly gamma: number;
  /** GAE lambda. */
  readonly lambda: number;
}

/** `batch` with each trial (an environment's episodes) as one episode, terminal at its end. */
export function mergeTrials(batch: EpisodeBatch): EpisodeBatch {
  const ranges = trialRanges(batch);
  const terminated = new Uint8Array(batch.rewards.length);
  for (const range of ranges) if (range.length > 0) terminated[range.start + range.length - 1] = 1;
  return {
    ...batch,
    terminated,
    truncated: new Uint8Array(batch.rewards.length),
    lengths: Int32Array.from(ranges, (r) => r.length),
    offsets: Int32Array.from(ranges, (r) => r.start),
    envIndex: Int32Array.from(ranges, (r) => r.env),
    taskIndex: Int32Array.from(ranges, (r) => batch.taskIndex[r.firstEpisode]!),
    finalObservations: new Float32Array(0),
  };
}

/**
 * GAE over whole trials: delta_t = r_t + gamma V_{t+1} - V_t where V_{t+1} is the value of the
 * next step of the same trial even when it starts a new episode; 0 after the trial's last step.
 * Returns the advantages and the value targets (advantage + value).
 */
export function trialAdvantages(
  batch: EpisodeBatch,
  values: Float32Array,
  options: TrialAdvantageOptions,
): { advantages: Float32Array; returns: Float32Array } {
  return generalizedAdvantages(mergeTrials(batch), values, options);
}

/** Trials padded to `[B, L, ...]` tensors (the caller disposes them with `disposeTrialBatch`). */
export interface TrialBatch {
  /** Trials B. */
  readonly trials: number;
  /** Steps of the longest trial L. */
  readonly steps: number;
  /** `[B, L, I]` trial inputs. */
  readonly inputs: tf.Tensor3D;
  /** `[B, L]` int32 choices, or `[B, L, A]` continuous actions. */
  readonly actions: tf.Tensor;
  /** `[B, L]` 1 on real steps, 0 on padding. */
  readonly mask: tf.Tensor2D;
  /** `[B, L]` log-probabilities under the sampling policy. */
  readonly oldLogProb: tf.Tensor2D;
  /** `[B, L]` advantages (normalised over all real steps when asked). */
  readonly advantages: tf.Tensor2D;
  /** `[B, L]` value targets. */
  readonly returns: tf.Tensor2D;
  /** `[B, L]` values under the sampling policy (when the batch recorded them). */
  readonly oldValues?: tf.Tensor2D;
}

/** Frees a `TrialBatch`'s tensors. */
export function disposeTrialBatch(batch: TrialBatch): void {
  tf.dispose([
    batch.inputs,
    batch.actions,
    batch.mask,
    batch.oldLogProb,
    batch.advantages,
    batch.returns,
    ...(batch.oldValues === undefined ? [] : [batch.oldValues]),
  ]);
}

/**
 * Pads the trials of `batch` (sampled with `logProb` recorded, and `value` when there is a value
 * head: a `createTrialAgent` agent records both) with their advantages and value targets;
 * `normalize` standardises the advantages over all real steps.
 */
export function toTrialBatch(
  batch: EpisodeBatch,
  encoding: ActionEncoding,
  targets: { readonly advantages: Float32Array; readonly returns: Float32Array },
  normalize: boolean,
): TrialBatch {
  const logProb = batch.agentInfo.logProb;
  const values = batch.agentInfo.value;
  if (logProb === undefined)
    throw new RangeError('toTrialBatch: the batch must record logProb (sample with a trial agent)');
  const ranges = trialRanges(batch);
  const trials = ranges.length;
  const steps = Math.max(1, ...ranges.map((r) => r.length));
  const width = trialInputSize(batch.observationSize, encoding);
  const a = batch.actionSize;
  const flatInputs = trialInputs(batch, encoding);
  const inputs = new Float32Array(trials * steps * width);
  const discrete = encoding.kind === 'discrete';
  const actions = discrete ? new Int32Array(trials * steps) : new Float32Array(trials * steps * a);
  const mask = new Float32Array(trials * steps);
  const old = new Float32Array(trials * steps);
  const advantages = new Float32Array(trials * steps);
  const returns = new Float32Array(trials * steps);
  const oldValues = values === undefined ? undefined : new Float32Array(trials * steps);
  const advantageValues = normalize ? normalizeAdvantages(targets.advantages) : targets.advantages;
  ranges.forEach((range, b) => {
    for (let k = 0; k < range.length; k += 1) {
      const t = range.start + k;
      const slot = b * steps + k;
      inputs.set(flatInputs.subarray(t * width, (t + 1) * width), slot * width);
      if (discrete) actions[slot] = batch.actions[t]!;
      else for (let j = 0; j < a; j += 1) actions[slot * a + j] = batch.actions[t * a + j]!;
      mask[slot] = 1;
      old[slot] = logProb[t]!;
      advantages[slot] = advantageValues[t]!;
      returns[slot] = targets.returns[t]!;
      if (oldValues !== undefined) oldValues[slot] = values![t]!;
    }
  });
  return {
    trials,
    steps,
    inputs: tf.tensor3d(inputs, [trials, steps, width]),
    actions: discrete
      ? tf.tensor2d(actions as Int32Array, [trials, steps], 'int32')
      : tf.tensor3d(actions as Float32Array, [trials, steps, a]),
    mask: tf.tensor2d(mask, [trials, steps]),
    oldLogProb: tf.tensor2d(old, [trials, steps]),
    advantages: tf.tensor2d(advantages, [trials, steps]),
    returns: tf.tensor2d(returns, [trials, steps]),
    ...(oldValues === undefined ? {} : { oldValues: tf.tensor2d(oldValues, [trials, steps]) }),
  };
}

/** Rows `indices` of every tensor of `batch` (a minibatch of trials). */
export function selectTrials(batch: TrialBatch, indices: Int32Array): TrialBatch {
  return tf.tidy(() => {
    const rows = tf.tensor1d(indices, 'int32');
    const pick = <T extends tf.Tensor>(t: T) => tf.gather(t, rows) as T;
    return {
      trials: indices.length,
      steps: batch.steps,
      inputs: pick(batch.inputs),
      actions: pick(batch.actions),
      mask: pick(batch.mask),
      oldLogProb: pick(batch.oldLogProb),
      advantages: pick(batch.advantages),
      returns: pick(batch.returns),
      ...(batch.oldValues === undefined ? {} : { oldValues: pick(batch.oldValues) }),
    };
  }) as TrialBatch;
}

/**
 * Mean total reward per trial and mean return of the trials' first and last episodes (the gap
 * is the learning within a trial), and every trial's total.
 */
export function trialReturns(
  episodes: EpisodeBatch,
  episodesPerTrial: number,
): { perTrial: number; firstEpisode: number; lastEpisode: number; totals: Float64Array } {
  const ranges = trialRanges(episodes);
  const totals = new Float64Array(ranges.length);
  let first = 0;
  let last = 0;
  const episodeReturn = (e: number) => {
    let sum = 0;
    for (let t = episodes.offsets[e]!; t < episodes.offsets[e]! + episodes.lengths[e]!; t += 1)
      sum += episodes.rewards[t]!;
    return sum;
  };
  ranges.forEach((range, i) => {
    for (let t = range.start; t < range.start + range.length; t += 1)
      totals[i] = totals[i]! + episodes.rewards[t]!;
    first += episodeReturn(range.firstEpisode);
    last += episodeReturn(range.firstEpisode + Math.min(range.episodes, episodesPerTrial) - 1);
  });
  const count = Math.max(1, ranges.length);
  return {
    perTrial: totals.reduce((s, v) => s + v, 0) / count,
    firstEpisode: first / count,
    lastEpisode: last / count,
    totals,
  };
}
