import type { Rng } from '../rng/rng';

/** A Gamma(shape, 1) draw (Marsaglia and Tsang 2000; shape < 1 boosted). */
export function sampleGamma(rng: Rng, shape: number): number {
  if (shape < 1) return sampleGamma(rng, shape + 1) * rng.next() ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = rng.nextNormal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.next();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** A Beta(a, b) draw. */
export function sampleBeta(rng: Rng, a: number, b: number): number {
  const x = sampleGamma(rng, a);
  const y = sampleGamma(rng, b);
  return x / (x + y);
}

/** The index of the largest value, ties broken uniformly at random. */
export function argmaxRandomTies(values: ArrayLike<number>, rng: Rng): number {
  let best = -Infinity;
  let count = 0;
  let choice = 0;
  for (let i = 0; i < values.length; i += 1) {
    const v = values[i]!;
    if (v > best) {
      best = v;
      count = 1;
      choice = i;
    } else if (v === best) {
      count += 1;
      if (rng.nextInt(count) === 0) choice = i;
    }
  }
  return choice;
}

/** Mean and 95% confidence half-width (normal approximation) of `values`. */
export function summarise(values: ArrayLike<number>): { mean: number; halfWidth95: number; count: number } {
  const count = values.length;
  let total = 0;
  for (let i = 0; i < count; i += 1) total += values[i]!;
  const mean = total / count;
  let squares = 0;
  for (let i = 0; i < count; i += 1) squares += (values[i]! - mean) ** 2;
  const std = Math.sqrt(squares / Math.max(1, count - 1));
  return { mean, halfWidth95: (1.96 * std) / Math.sqrt(count), count };
}
