import type { EvolutionStrategy } from '@metarl/core';
import { describe, expect, it } from 'vitest';
import { createCmaEs } from '../src/cma-es';
import { type MinimizeOptions, maximize, minimize } from '../src/minimize';

const shiftedSphere = (x: Float32Array) => x.reduce((s, v) => s + (v - 1) ** 2, 0);
const rastrigin = (x: Float32Array) => {
  let s = 10 * x.length;
  for (const v of x) s += v * v - 10 * Math.cos(2 * Math.PI * v);
  return s;
};

describe('minimize and maximize', () => {
  it('minimize finds the minimum of f and maximize the maximum: the sign is explicit', () => {
    const initial = new Array<number>(6).fill(0);
    const low = minimize(shiftedSphere, initial, { sigma: 0.5, target: 1e-10 });
    expect(low.value).toBeLessThanOrEqual(1e-10);
    for (const v of low.solution) expect(v).toBeCloseTo(1, 4);
    expect(low.stopReasons).toContain('ftarget');
    const high = maximize((x) => 5 - shiftedSphere(x), initial, { sigma: 0.5, target: 5 - 1e-10 });
    expect(high.value).toBeGreaterThanOrEqual(5 - 1e-10);
    for (const v of high.solution) expect(v).toBeCloseTo(1, 4);
    // Maximising the bowl itself runs away from the minimum: sigma grows until pycma's tolfacupx.
    const away = maximize(shiftedSphere, initial, { sigma: 0.5, maxEvaluations: 5000 });
    expect(away.value).toBeGreaterThan(1e4);
    expect(away.stopReasons).toContain('tolfacupx');
  });

  it('gives the same run for the batch form of the objective', () => {
    const single = minimize(shiftedSphere, [0, 0, 0], { sigma: 0.5, seed: 3, maxEvaluations: 300 });
    const batch = minimize(
      {
        evaluateBatch: (population, dimension) =>
          Float64Array.from({ length: population.length / dimension }, (_v, k) =>
            shiftedSphere(population.subarray(k * dimension, (k + 1) * dimension)),
          ),
      },
      [0, 0, 0],
      { sigma: 0.5, seed: 3, maxEvaluations: 300 },
    );
    expect(batch.value).toBe(single.value);
    expect(Array.from(batch.solution)).toEqual(Array.from(single.solution));
    expect(batch.evaluations).toBe(single.evaluations);
  });

  it('grows the IPOP population as pycma: floor(2^k (4 + 3 ln n))', () => {
    // A flat function stops every run after its first generation (tolfun), so only the sizes matter.
    const result = minimize(() => 0, new Array<number>(10).fill(0), {
      sigma: 1,
      restarts: 'ipop',
      maxRestarts: 5,
    });
    expect(result.runs.map((r) => r.populationSize)).toEqual([10, 21, 43, 87, 174, 349]);
    expect(result.restarts).toBe(5);
    expect(result.runs.every((r) => r.stopReasons.includes('tolfun'))).toBe(true);
    const forty = minimize(() => 0, new Array<number>(40).fill(0), {
      sigma: 1,
      restarts: 'ipop',
      maxRestarts: 3,
    });
    expect(forty.runs.map((r) => r.populationSize)).toEqual([15, 30, 60, 120]);
  });

  it('solves the 10-D Rastrigin function with IPOP from x0 drawn uniformly at every restart', () => {
    const draws: number[] = [];
    const result = minimize(
      rastrigin,
      (rng) => {
        const x = Array.from({ length: 10 }, () => -5.12 + 10.24 * rng.next());
        draws.push(x[0]!);
        return x;
      },
      { sigma: 2.5, seed: 1, target: 1e-8, restarts: 'ipop', maxRestarts: 9 },
    );
    expect(result.value).toBeLessThanOrEqual(1e-8);
    expect(result.restarts).toBeGreaterThan(0);
    expect(draws.length).toBe(result.runs.length);
    expect(new Set(draws).size).toBe(draws.length);
  }, 30_000);

  it('interleaves small-population runs with BIPOP', () => {
    const result = minimize(rastrigin, new Array<number>(5).fill(3), {
      sigma: 2,
      seed: 2,
      restarts: 'bipop',
      maxRestarts: 3,
      restartBounds: [-5, 5],
    });
    const regimes = result.runs.map((r) => r.regime);
    expect(regimes[0]).toBe('first');
    expect(regimes.filter((r) => r === 'large').length).toBe(3);
    expect(regimes).toContain('small');
    for (const run of result.runs.filter((r) => r.regime === 'small')) {
      expect(run.sigma).toBeLessThanOrEqual(2);
      expect(run.sigma).toBeGreaterThanOrEqual(0.02);
    }
    const large = result.runs.filter((r) => r.regime === 'large').map((r) => r.populationSize);
    expect(large).toEqual([17, 35, 70]);
  }, 30_000);

  it('plugs in any strategy factory and records the history', () => {
    let made = 0;
    const factory = (setup: { dimension: number; sigma: number }): EvolutionStrategy<unknown> => {
      made += 1;
      return createCmaEs({
        dimension: setup.dimension,
        sigma: setup.sigma,
        diagonal: true,
      }) as EvolutionStrategy<unknown>;
    };
    const result = minimize(shiftedSphere, [0, 0, 0, 0], {
      sigma: 0.5,
      strategy: factory,
      history: true,
      target: 1e-8,
    });
    expect(made).toBe(1);
    expect(result.value).toBeLessThanOrEqual(1e-8);
    expect(result.history?.value.length).toBe(result.generations);
    expect(result.history?.value[result.generations - 1]).toBe(result.value);
  });

  it('gives clear errors for bad options', () => {
    const f = shiftedSphere;
    expect(() => minimize(f, [0, 0], {} as MinimizeOptions)).toThrow(
      'minimize: sigma must be a finite number > 0, got undefined',
    );
    expect(() => minimize(f, [0, 0], { sigma: 1, restarts: 'pop' as 'ipop' })).toThrow(
      "minimize: restarts must be one of 'none', 'ipop', 'bipop', got 'pop'",
    );
    expect(() => minimize(f, [], { sigma: 1 })).toThrow(/initialSolution must be a non-empty array/);
    expect(() => minimize(f, [0, Number.NaN], { sigma: 1 })).toThrow(
      'minimize: initialSolution holds NaN at index 1',
    );
    expect(() => maximize(f, [0, 0], { sigma: 1, seeds: 2 } as unknown as MinimizeOptions)).toThrow(
      /maximize: unknown option 'seeds'/,
    );
    expect(() => minimize(f, [0, 0], { sigma: 1, restartBounds: [1, 0] })).toThrow(
      /restartBounds must be \[lower, upper\]/,
    );
    expect(() => minimize(() => Number.NaN, [0, 0], { sigma: 1 })).toThrow(/is NaN or ±Infinity/);
  });
});
