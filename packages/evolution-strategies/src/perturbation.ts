/**
 * The antithetic members of OpenAI-ES (Salimans et al. 2017, "Evolution Strategies as a Scalable
 * Alternative to Reinforcement Learning", section 2.1 and mirrored sampling): member 2k is
 * θ + σ·ε_k and member 2k + 1 is θ − σ·ε_k, with ε_k = sampleCounterNormal(noiseSeed, k, n). A
 * worker rebuilds any member from θ, σ and two integers, so a job carries no noise.
 *
 * Every element is rounded to float32 once: `Math.fround(theta[j] ± sigma * epsilon[j])`.
 *
 * @example
 * const member = perturbationMember(theta, 0.02, noiseSeed, 5); // θ − σ·ε_2
 */
import { describeValue } from '@metarl/core';
import { sampleCounterNormal } from './counter-noise';

/**
 * Member `memberIndex` of the antithetic population around `theta`: θ + σ·ε_k for an even index
 * 2k, θ − σ·ε_k for an odd index 2k + 1 (a new `Float32Array`, `theta.length` values).
 */
export function perturbationMember(
  theta: Float32Array,
  sigma: number,
  noiseSeed: number,
  memberIndex: number,
): Float32Array {
  if (!(theta instanceof Float32Array))
    throw new TypeError(`perturbationMember: theta must be a Float32Array, got ${describeValue(theta)}`);
  if (typeof sigma !== 'number' || !Number.isFinite(sigma) || sigma < 0)
    throw new RangeError(
      `perturbationMember: sigma must be a finite number >= 0, got ${describeValue(sigma)}`,
    );
  if (!Number.isInteger(memberIndex) || memberIndex < 0 || memberIndex > 2 * 0xffffffff + 1)
    throw new RangeError(
      `perturbationMember: memberIndex must be an integer in [0, 2^33 - 1], got ${describeValue(memberIndex)}`,
    );
  const pair = Math.floor(memberIndex / 2);
  const epsilon = sampleCounterNormal(noiseSeed, pair, theta.length);
  const member = new Float32Array(theta.length);
  if (memberIndex % 2 === 0) {
    for (let j = 0; j < theta.length; j += 1) member[j] = Math.fround(theta[j]! + sigma * epsilon[j]!);
  } else {
    for (let j = 0; j < theta.length; j += 1) member[j] = Math.fround(theta[j]! - sigma * epsilon[j]!);
  }
  return member;
}
