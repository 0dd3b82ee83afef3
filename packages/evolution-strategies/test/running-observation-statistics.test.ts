import { describe, expect, it } from 'vitest';
import {
  accumulateObservationStatistics,
  createRunningObservationStatistics,
  normaliseWith,
} from '../src/running-observation-statistics';

describe("running observation statistics (the starter's RunningStat, eps 1e-2)", () => {
  it('starts at mean 0, std 1', () => {
    expect(normaliseWith(createRunningObservationStatistics(2), 0.01)).toEqual({
      mean: [0, 0],
      std: [1, 1],
      sampleFraction: 0.01,
    });
  });

  it('accumulates sums over generations and gives mean = sum / count, std = sqrt(max(sumsq / count - mean^2, 1e-2))', () => {
    // Observations of dimension 2: generation 1 saw (1, 5) and (3, 5); generation 2 saw (2, 5).
    let running = createRunningObservationStatistics(2);
    running = accumulateObservationStatistics(running, { sum: [4, 10], sumOfSquares: [10, 50], count: 2 });
    running = accumulateObservationStatistics(running, { sum: [2, 5], sumOfSquares: [4, 25], count: 1 });
    const count = 3.01;
    const { mean, std } = normaliseWith(running, 0.5);
    expect(mean[0]).toBeCloseTo(6 / count, 12);
    expect(mean[1]).toBeCloseTo(15 / count, 12);
    expect(std[0]).toBeCloseTo(Math.sqrt(14.01 / count - (6 / count) ** 2), 12);
    expect(std[1]).toBeCloseTo(Math.sqrt(Math.max(75.01 / count - (15 / count) ** 2, 1e-2)), 12);
    // A coordinate constant over many observations: the variance floor 1e-2 keeps std at 0.1.
    const constant = accumulateObservationStatistics(createRunningObservationStatistics(1), {
      sum: [5000],
      sumOfSquares: [25000],
      count: 1000,
    });
    expect(normaliseWith(constant, 1).std[0]).toBeCloseTo(0.1, 12);
  });

  it('rejects statistics of another size and bad fractions, naming them', () => {
    const running = createRunningObservationStatistics(3);
    expect(() => accumulateObservationStatistics(running, { sum: [1], sumOfSquares: [1], count: 1 })).toThrow(
      /statistics must hold sum and sumOfSquares of 3 values and a count >= 0/,
    );
    expect(() => normaliseWith(running, 2)).toThrow('normaliseWith: sampleFraction must be in [0, 1], got 2');
    expect(() => createRunningObservationStatistics(0)).toThrow(/size must be an integer >= 1, got 0/);
  });
});
