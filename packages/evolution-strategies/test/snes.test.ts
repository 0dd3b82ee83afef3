import { createEvolutionRunner } from '@metarl/core';
import { checkEvolutionStrategy } from '@metarl/core/testing';
import { createRng } from '@metarl/envs';
import { describe, expect, it } from 'vitest';
import { computeSnesUtilities, createSnes, resolveSnesOptions } from '../src/snes';

const sphereLoss = (x: ArrayLike<number>) => {
  let sum = 0;
  for (let j = 0; j < x.length; j += 1) sum += x[j]! ** 2;
  return sum;
};

describe('snes', () => {
  it("uses the paper's defaults: lambda = 4 + floor(3 ln d), eta_mu = 1, eta_sigma = (3 + ln d) / (5 sqrt d)", () => {
    const options = resolveSnesOptions({ dimension: 10 });
    expect(options.populationSize).toBe(10);
    expect(options.meanLearningRate).toBe(1);
    expect(options.sigmaLearningRate).toBeCloseTo((3 + Math.log(10)) / (5 * Math.sqrt(10)), 15);
    expect(resolveSnesOptions({ dimension: 100 }).populationSize).toBe(17);
  });

  it('utilities: max(0, ln(lambda/2 + 1) - ln i) normalised, minus 1/lambda; zero sum, decreasing', () => {
    const u = computeSnesUtilities(10);
    const raw = Array.from({ length: 10 }, (_v, i) => Math.max(0, Math.log(6) - Math.log(i + 1)));
    const total = raw.reduce((a, b) => a + b, 0);
    for (const [i, value] of raw.entries()) expect(u[i]).toBeCloseTo(value / total - 0.1, 15);
    expect(Math.abs(u.reduce((a, b) => a + b, 0))).toBeLessThan(1e-15);
    expect(u[5]).toBeCloseTo(-0.1, 15);
  });

  it('one tell by hand: mu + eta_mu sigma sum u z, sigma exp(eta_sigma / 2 sum u (z^2 - 1))', () => {
    const strategy = createSnes({ dimension: 2, populationSize: 4, sigma: 0.5 });
    const state = strategy.init(createRng(0), Float32Array.from([1, -1]));
    const asked = strategy.ask(createRng(1), state);
    const fitness = Float32Array.from([0.1, 0.4, -0.3, 0.2]); // ranks: member 1, 3, 0, 2
    const told = strategy.tell(asked.population, fitness, asked.state);
    const u = computeSnesUtilities(4);
    const order = [1, 3, 0, 2];
    const etaSigma = strategy.options.sigmaLearningRate;
    for (let j = 0; j < 2; j += 1) {
      let gMean = 0;
      let gSigma = 0;
      order.forEach((m, rank) => {
        const z = asked.state.noise[m * 2 + j]!;
        gMean += u[rank]! * z;
        gSigma += u[rank]! * (z * z - 1);
      });
      expect(told.state.mean[j]).toBeCloseTo([1, -1][j]! + 0.5 * gMean, 12);
      expect(told.state.sigma[j]).toBeCloseTo(0.5 * Math.exp((etaSigma / 2) * gSigma), 12);
    }
  });

  it("passes core's checkEvolutionStrategy", () => {
    expect(() => checkEvolutionStrategy(createSnes({ dimension: 8 }))).not.toThrow();
  });

  it('solves the sphere in 10 dimensions to a loss below 1e-6', () => {
    const dimension = 10;
    const runner = createEvolutionRunner(createSnes({ dimension }));
    const rng = createRng(3);
    let state = runner.init(createRng(0), new Float32Array(dimension).fill(3));
    let generations = 0;
    while (sphereLoss(runner.mean(state)) > 1e-6 && generations < 2000) {
      const asked = runner.ask(rng, state);
      const fitness = Float64Array.from(
        { length: runner.populationSize },
        (_v, m) => -sphereLoss(asked.population.subarray(m * dimension, (m + 1) * dimension)),
      );
      state = runner.tell(asked.population, fitness, asked.state).state;
      generations += 1;
    }
    expect(sphereLoss(runner.mean(state))).toBeLessThan(1e-6);
    expect(generations).toBeLessThan(1000);
  });

  it('validates its options', () => {
    expect(() => createSnes({ dimension: 0 })).toThrow(/dimension/);
    expect(() => createSnes({ dimension: 4, sigma: -1 })).toThrow(/sigma.*-1/);
    expect(() => createSnes({ dimension: 4, initialSigma: 1 } as never)).toThrow(
      /unknown option 'initialSigma'/,
    );
    expect(() => createSnes({ dimension: 4 }).init(createRng(0), new Float32Array(3))).toThrow(
      /dimension = 4/,
    );
  });
});
