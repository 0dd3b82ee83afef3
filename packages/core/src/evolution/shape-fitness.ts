/**
 * Fitness shaping: the transformation of one generation's raw fitness before a strategy sees
 * it. Ranks make a strategy invariant to monotone changes of the objective and robust to
 * outliers (Salimans et al. 2017, OpenAI-ES; Wierstra et al. 2014, NES).
 */

/**
 * How raw fitness is shaped:
 * - `centered-ranks`: rank r in 0..n-1 (ties share their average rank) mapped to r / (n - 1) - 0.5,
 *   in [-0.5, 0.5] with zero sum (OpenAI-ES's `compute_centered_ranks`);
 * - `z-score`: (f - mean) / standard deviation (population), all 0 when every fitness is equal;
 * - `raw`: unchanged.
 */
export type FitnessShaping = 'centered-ranks' | 'z-score' | 'raw';

/** The shaping methods, for validation and documentation. */
export const FITNESS_SHAPINGS: readonly FitnessShaping[] = ['centered-ranks', 'z-score', 'raw'];

/**
 * Shapes one generation's fitness (higher is better). Non-finite fitness (NaN, ±Infinity) counts
 * as the worst: ranked below every finite value ('centered-ranks'), or replaced by the lowest
 * finite value ('raw', 'z-score'). Throws a RangeError when no value is finite.
 *
 * @example
 * shapeFitness([3, 1, 2], 'centered-ranks'); // Float32Array [0.5, -0.5, 0]
 */
export function shapeFitness(fitness: ArrayLike<number>, method: FitnessShaping): Float32Array {
  if (!FITNESS_SHAPINGS.includes(method)) {
    throw new RangeError(
      `shapeFitness: method must be one of ${FITNESS_SHAPINGS.map((m) => `'${m}'`).join(', ')}, got ${JSON.stringify(method)}`,
    );
  }
  const n = fitness.length;
  let lowest = Infinity;
  for (let i = 0; i < n; i += 1) {
    const value = fitness[i]!;
    if (Number.isFinite(value) && value < lowest) lowest = value;
  }
  if (lowest === Infinity) {
    throw new RangeError(`shapeFitness: none of the ${n} fitness values is finite`);
  }
  const out = new Float32Array(n);
  if (method === 'centered-ranks') {
    const keys = Float64Array.from({ length: n }, (_v, i) =>
      Number.isFinite(fitness[i]!) ? fitness[i]! : -Infinity,
    );
    const order = Array.from({ length: n }, (_v, i) => i).sort((a, b) => keys[a]! - keys[b]! || a - b);
    for (let start = 0; start < n; ) {
      let end = start + 1;
      while (end < n && keys[order[end]!] === keys[order[start]!]) end += 1;
      const rank = (start + end - 1) / 2; // average of the tied ranks start..end-1
      const shaped = n === 1 ? 0 : rank / (n - 1) - 0.5;
      for (let k = start; k < end; k += 1) out[order[k]!] = shaped;
      start = end;
    }
    return out;
  }
  const values = Float64Array.from({ length: n }, (_v, i) =>
    Number.isFinite(fitness[i]!) ? fitness[i]! : lowest,
  );
  if (method === 'raw') {
    out.set(values);
    return out;
  }
  let mean = 0;
  for (const value of values) mean += value;
  mean /= n;
  let variance = 0;
  for (const value of values) variance += (value - mean) ** 2;
  const std = Math.sqrt(variance / n);
  if (std > 0) for (let i = 0; i < n; i += 1) out[i] = (values[i]! - mean) / std;
  return out;
}
