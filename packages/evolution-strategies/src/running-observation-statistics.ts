/**
 * The master's side of observation normalisation, as the OpenAI-ES starter keeps it (its
 * `RunningStat` with eps 1e-2): running sums of the raw observations that a fraction of the
 * members report each generation, from which the next generation's normalisation is computed,
 *
 *   mean = sum / count,  std = sqrt(max(sumOfSquares / count − mean², 1e-2)),
 *
 * starting from count = sumOfSquares = 1e-2 and sum = 0 (so std starts at 1 and never falls
 * below 0.1). Pure values: `accumulate` returns new statistics.
 *
 * @example
 * let running = createRunningObservationStatistics(4);
 * const evaluation = await fitness.evaluateAntithetic({ ...request, observationNormalisation: normaliseWith(running, 0.01) });
 * running = accumulateObservationStatistics(running, evaluation.observationStatistics!);
 */
import { describeValue } from '@metarl/core';
import type { ObservationNormalisation, ObservationStatistics } from './fitness-jobs';

/** The starter's RunningStat eps: the initial count and sum of squares, and the variance floor. */
const EPSILON = 1e-2;

/** Running sums of raw observations (a plain value). */
export interface RunningObservationStatistics {
  /** Per dimension: the sum of the observations. */
  readonly sum: readonly number[];
  /** Per dimension: the sum of their squares (plus the initial 1e-2). */
  readonly sumOfSquares: readonly number[];
  /** Observations summed (plus the initial 1e-2). */
  readonly count: number;
}

/** Statistics of `size`-dimensional observations before any is seen: mean 0, std 1. */
export function createRunningObservationStatistics(size: number): RunningObservationStatistics {
  if (!Number.isInteger(size) || size < 1)
    throw new RangeError(
      `createRunningObservationStatistics: size must be an integer >= 1, got ${describeValue(size)}`,
    );
  return { sum: new Array(size).fill(0), sumOfSquares: new Array(size).fill(EPSILON), count: EPSILON };
}

/** `running` plus one generation's reported sums (`ExecutorFitnessEvaluation.observationStatistics`). */
export function accumulateObservationStatistics(
  running: RunningObservationStatistics,
  statistics: ObservationStatistics,
): RunningObservationStatistics {
  const size = running.sum.length;
  if (
    statistics?.sum?.length !== size ||
    statistics.sumOfSquares?.length !== size ||
    !Number.isFinite(statistics.count) ||
    statistics.count < 0
  )
    throw new RangeError(
      `accumulateObservationStatistics: statistics must hold sum and sumOfSquares of ${size} values and a count >= 0, got ${describeValue(statistics)}`,
    );
  return {
    sum: running.sum.map((value, i) => value + statistics.sum[i]!),
    sumOfSquares: running.sumOfSquares.map((value, i) => value + statistics.sumOfSquares[i]!),
    count: running.count + statistics.count,
  };
}

/** The normalisation the next generation's policies use, with `sampleFraction` of the members reporting sums. */
export function normaliseWith(
  running: RunningObservationStatistics,
  sampleFraction: number,
): ObservationNormalisation {
  if (!(sampleFraction >= 0 && sampleFraction <= 1))
    throw new RangeError(
      `normaliseWith: sampleFraction must be in [0, 1], got ${describeValue(sampleFraction)}`,
    );
  const mean = running.sum.map((value) => value / running.count);
  const std = running.sumOfSquares.map((value, i) =>
    Math.sqrt(Math.max(value / running.count - mean[i]! ** 2, EPSILON)),
  );
  return { mean, std, sampleFraction };
}
