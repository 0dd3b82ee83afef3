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
 * Member `memberIndex` of the generation drawn with `noiseSeed` around `theta`: θ + σ·ε_k for
 * member 2k and θ − σ·ε_k for member 2k + 1 (antithetic, the default), or θ + σ·ε_i (not
 * antithetic), with ε_k = sampleCounterNormal(noiseSeed, k, theta.length). Pure: the master's
 * `ask` and a remote worker get the same bits. Written into `out` when given (a new
 * `Float32Array` of `theta.length` values otherwise).
 */
export function perturbationMember(
  theta: Float32Array,
  sigma: number,
  noiseSeed: number,
  memberIndex: number,
  options: { readonly antithetic?: boolean; readonly out?: Float32Array } = {},
): Float32Array {
  if (!(theta instanceof Float32Array))
    throw new TypeError(`perturbationMember: theta must be a Float32Array, got ${describeValue(theta)}`);
  if (typeof sigma !== 'number' || !Number.isFinite(sigma) || sigma < 0)
    throw new RangeError(
      `perturbationMember: sigma must be a finite number >= 0, got ${describeValue(sigma)}`,
    );
  const antithetic = options.antithetic ?? true;
  const largest = antithetic ? 2 * 0xffffffff + 1 : 0xffffffff;
  if (!Number.isInteger(memberIndex) || memberIndex < 0 || memberIndex > largest)
    throw new RangeError(
      `perturbationMember: memberIndex must be an integer in [0, ${antithetic ? '2^33 - 1' : '2^32 - 1'}], got ${describeValue(memberIndex)}`,
    );
  const dimension = theta.length;
  const noiseIndex = antithetic ? Math.floor(memberIndex / 2) : memberIndex;
  const out = options.out ?? new Float32Array(dimension);
  sampleCounterNormal(noiseSeed, noiseIndex, dimension, out);
  // Math.fround(θ − σε) and Math.fround(θ + (−σ)ε) are the same bits: one rounding to float32.
  if (antithetic && memberIndex % 2 === 1) {
    for (let j = 0; j < dimension; j += 1) out[j] = theta[j]! - sigma * out[j]!;
  } else {
    for (let j = 0; j < dimension; j += 1) out[j] = theta[j]! + sigma * out[j]!;
  }
  return out;
}
