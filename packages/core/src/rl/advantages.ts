/**
 * Returns and advantages over an `EpisodeBatch`, as plain float arithmetic (no tensors): they
 * are computed once per batch and are cheap next to a forward pass.
 */
import type { EpisodeBatch } from './rollouts';

function checkDiscount(name: string, value: number): void {
  if (!(value >= 0 && value <= 1)) throw new RangeError(`${name} must be in [0, 1], got ${value}`);
}

/** Discounted return-to-go G_t = r_t + gamma G_{t+1} within each episode (no bootstrap). */
export function discountedReturns(batch: EpisodeBatch, gamma: number): Float32Array {
  checkDiscount('discountedReturns: gamma', gamma);
  const out = new Float32Array(batch.rewards.length);
  for (let e = 0; e < batch.lengths.length; e += 1) {
    const start = batch.offsets[e]!;
    let running = 0;
    for (let t = start + batch.lengths[e]! - 1; t >= start; t -= 1) {
      running = batch.rewards[t]! + gamma * running;
      out[t] = running;
    }
  }
  return out;
}

/** Options of `generalizedAdvantages`. */
export interface GaeOptions {
  /** Discount gamma. */
  readonly gamma: number;
  /** GAE lambda (1: Monte-Carlo advantages; 0: one-step TD errors). */
  readonly lambda: number;
  /**
   * V(s) after each episode's last step `[E]`, used when the episode was truncated (time limit)
   * and did not terminate; omit to treat every episode end as terminal (no bootstrap, as
   * pytorch-maml-rl does).
   */
  readonly bootstrapValues?: Float32Array;
}

/**
 * Generalised advantage estimation (Schulman et al. 2016): delta_t = r_t + gamma V(s_{t+1}) -
 * V(s_t), A_t = sum_k (gamma lambda)^k delta_{t+k}; returns A_t + V(s_t) as value targets.
 * Terminated episodes bootstrap with 0 (also when the time limit was reached on the same step, where
 * Gymnasium sets both flags); truncated ones with `bootstrapValues` when given.
 */
export function generalizedAdvantages(
  batch: EpisodeBatch,
  values: Float32Array,
  options: GaeOptions,
): { advantages: Float32Array; returns: Float32Array } {
  const { gamma, lambda, bootstrapValues } = options;
  checkDiscount('generalizedAdvantages: gamma', gamma);
  checkDiscount('generalizedAdvantages: lambda', lambda);
  if (values.length !== batch.rewards.length) {
    throw new RangeError(
      `generalizedAdvantages: values has ${values.length} entries for ${batch.rewards.length} steps`,
    );
  }
  if (bootstrapValues !== undefined && bootstrapValues.length !== batch.lengths.length) {
    throw new RangeError(
      `generalizedAdvantages: bootstrapValues has ${bootstrapValues.length} entries for ${batch.lengths.length} episodes`,
    );
  }
  const advantages = new Float32Array(values.length);
  const returns = new Float32Array(values.length);
  for (let e = 0; e < batch.lengths.length; e += 1) {
    const start = batch.offsets[e]!;
    const end = start + batch.lengths[e]!;
    const last = end - 1;
    const bootstrap =
      batch.truncated[last] === 1 && batch.terminated[last] === 0 && bootstrapValues !== undefined;
    let nextValue = bootstrap ? bootstrapValues[e]! : 0;
    let running = 0;
    for (let t = last; t >= start; t -= 1) {
      const delta = batch.rewards[t]! + gamma * nextValue - values[t]!;
      running = delta + gamma * lambda * running;
      advantages[t] = running;
      returns[t] = running + values[t]!;
      nextValue = values[t]!;
    }
  }
  return { advantages, returns };
}

/** (a - mean) / (std + epsilon) over all entries (or within each group of `groups` when given). */
export function normalizeAdvantages(advantages: Float32Array, epsilon = 1e-8): Float32Array {
  let mean = 0;
  for (const a of advantages) mean += a;
  mean /= Math.max(1, advantages.length);
  let variance = 0;
  for (const a of advantages) variance += (a - mean) ** 2;
  const std = Math.sqrt(variance / Math.max(1, advantages.length));
  return advantages.map((a) => (a - mean) / (std + epsilon));
}
