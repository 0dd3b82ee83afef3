/**
 * The linear feature baseline of Duan et al. 2016 (rllab), used by MAML and RL²: per task,
 * V(s_t) = w . [s, s^2, t/100, (t/100)^2, (t/100)^3, 1], w fit to the discounted returns by
 * regularised least squares (X'X + c I) w = X'G; c starts at 1e-5 and grows tenfold (up to five
 * times) while the solution is not finite, as rllab and pytorch-maml-rl do.
 */
import type { EpisodeBatch } from './rollouts';

/** The features of step `t` of an episode with observation `observation`. */
export function baselineFeatures(observation: ArrayLike<number>, t: number, out: Float64Array): void {
  const o = observation.length;
  for (let j = 0; j < o; j += 1) {
    const value = Math.min(Math.max(observation[j]!, -10), 10);
    out[j] = value;
    out[o + j] = value * value;
  }
  const time = t / 100;
  out[2 * o] = time;
  out[2 * o + 1] = time * time;
  out[2 * o + 2] = time * time * time;
  out[2 * o + 3] = 1;
}

/** Solves the symmetric positive-definite system A x = b (Cholesky; undefined if not SPD). */
function solvePositiveDefinite(
  matrix: Float64Array,
  vector: Float64Array,
  size: number,
): Float64Array | undefined {
  const lower = new Float64Array(size * size);
  for (let i = 0; i < size; i += 1) {
    for (let j = 0; j <= i; j += 1) {
      let sum = matrix[i * size + j]!;
      for (let k = 0; k < j; k += 1) sum -= lower[i * size + k]! * lower[j * size + k]!;
      if (i === j) {
        if (!(sum > 0)) return undefined;
        lower[i * size + i] = Math.sqrt(sum);
      } else lower[i * size + j] = sum / lower[j * size + j]!;
    }
  }
  const y = new Float64Array(size);
  for (let i = 0; i < size; i += 1) {
    let sum = vector[i]!;
    for (let k = 0; k < i; k += 1) sum -= lower[i * size + k]! * y[k]!;
    y[i] = sum / lower[i * size + i]!;
  }
  const x = new Float64Array(size);
  for (let i = size - 1; i >= 0; i -= 1) {
    let sum = y[i]!;
    for (let k = i + 1; k < size; k += 1) sum -= lower[k * size + i]! * x[k]!;
    x[i] = sum / lower[i * size + i]!;
  }
  return x;
}

/**
 * Fits one linear baseline per task on `targets` (usually discounted returns) and returns its
 * value at every step `[S]` and at each episode's final observation `[E]`.
 */
export function fitLinearBaseline(
  batch: EpisodeBatch,
  targets: Float32Array,
  options: { readonly regularisation?: number } = {},
): { values: Float32Array; finalValues: Float32Array; weights: Map<number, Float64Array> } {
  const o = batch.observationSize;
  const size = 2 * o + 4;
  const values = new Float32Array(targets.length);
  const finalValues = new Float32Array(batch.lengths.length);
  const weights = new Map<number, Float64Array>();
  const features = new Float64Array(size);
  const tasks = [...new Set(batch.taskIndex)];
  for (const task of tasks) {
    const gram = new Float64Array(size * size);
    const moment = new Float64Array(size);
    for (let e = 0; e < batch.lengths.length; e += 1) {
      if (batch.taskIndex[e] !== task) continue;
      const start = batch.offsets[e]!;
      for (let t = 0; t < batch.lengths[e]!; t += 1) {
        baselineFeatures(batch.observations.subarray((start + t) * o, (start + t + 1) * o), t, features);
        const target = targets[start + t]!;
        for (let i = 0; i < size; i += 1) {
          moment[i] = moment[i]! + features[i]! * target;
          for (let j = 0; j <= i; j += 1)
            gram[i * size + j] = gram[i * size + j]! + features[i]! * features[j]!;
        }
      }
    }
    for (let i = 0; i < size; i += 1) for (let j = 0; j < i; j += 1) gram[j * size + i] = gram[i * size + j]!;
    let regularisation = options.regularisation ?? 1e-5;
    let solution: Float64Array | undefined;
    for (let attempt = 0; attempt < 5 && solution === undefined; attempt += 1) {
      const system = Float64Array.from(gram);
      for (let i = 0; i < size; i += 1) system[i * size + i] = system[i * size + i]! + regularisation;
      const candidate = solvePositiveDefinite(system, moment, size);
      if (candidate?.every(Number.isFinite)) solution = candidate;
      regularisation *= 10;
    }
    const w = solution ?? new Float64Array(size);
    weights.set(task, w);
    for (let e = 0; e < batch.lengths.length; e += 1) {
      if (batch.taskIndex[e] !== task) continue;
      const start = batch.offsets[e]!;
      const length = batch.lengths[e]!;
      for (let t = 0; t <= length; t += 1) {
        const observation =
          t < length
            ? batch.observations.subarray((start + t) * o, (start + t + 1) * o)
            : batch.finalObservations.subarray(e * o, (e + 1) * o);
        baselineFeatures(observation, t, features);
        let value = 0;
        for (let i = 0; i < size; i += 1) value += w[i]! * features[i]!;
        if (t < length) values[start + t] = value;
        else finalValues[e] = value;
      }
    }
  }
  return { values, finalValues, weights };
}
