import { createEvolutionRunner, type EvolutionStrategy } from '@metarl/core';
import { checkEvolutionStrategy } from '@metarl/core/testing';
import { createRng } from '@metarl/envs';
import { describe, expect, it } from 'vitest';
import { createSnes } from '../src/snes';
import { createXnes, matrixExponential, resolveXnesOptions } from '../src/xnes';

/** Generations until `loss` at the strategy's mean falls below `target` (or `limit`). */
function generationsToReach<State>(
  strategy: EvolutionStrategy<State>,
  loss: (x: ArrayLike<number>) => number,
  start: Float32Array,
  target: number,
  limit: number,
): number {
  const runner = createEvolutionRunner(strategy);
  const rng = createRng(2);
  let state = runner.init(createRng(0), start);
  const d = start.length;
  for (let g = 0; g < limit; g += 1) {
    if (loss(runner.mean(state)) < target) return g;
    const asked = runner.ask(rng, state);
    const fitness = Float64Array.from(
      { length: runner.populationSize },
      (_v, m) => -loss(asked.population.subarray(m * d, (m + 1) * d)),
    );
    state = runner.tell(asked.population, fitness, asked.state).state;
  }
  return limit;
}

const sphere = (x: ArrayLike<number>) => {
  let sum = 0;
  for (let j = 0; j < x.length; j += 1) sum += x[j]! ** 2;
  return sum;
};

/** An ellipsoid with condition number 1e4 rotated by 45 degrees in each coordinate pair: not separable. */
const rotatedEllipsoid = (x: ArrayLike<number>) => {
  let sum = 0;
  const d = x.length;
  for (let j = 0; j + 1 < d; j += 2) {
    const a = (x[j]! + x[j + 1]!) / Math.SQRT2;
    const b = (x[j]! - x[j + 1]!) / Math.SQRT2;
    sum += a * a + 1e4 * b * b;
  }
  return sum;
};

describe('xnes', () => {
  it("uses the paper's defaults", () => {
    const options = resolveXnesOptions({ dimension: 10 });
    expect(options.populationSize).toBe(10);
    expect(options.sigmaLearningRate).toBeCloseTo((3 * (3 + Math.log(10))) / (5 * 10 * Math.sqrt(10)), 15);
    expect(options.shapeLearningRate).toBe(options.sigmaLearningRate);
  });

  it('matrixExponential: exp of a diagonal, and expm(A) expm(-A) = I for a symmetric A', () => {
    const diagonal = Float64Array.from([0.5, 0, 0, -3]);
    const e = matrixExponential(diagonal, 2);
    expect(e[0]).toBeCloseTo(Math.exp(0.5), 12);
    expect(e[3]).toBeCloseTo(Math.exp(-3), 12);
    expect(Math.abs(e[1]!) + Math.abs(e[2]!)).toBe(0);
    const a = Float64Array.from([0.3, 1.2, -0.4, 1.2, -0.7, 0.9, -0.4, 0.9, 2.1]);
    const p = matrixExponential(a, 3);
    const q = matrixExponential(
      a.map((v) => -v),
      3,
    );
    for (let i = 0; i < 3; i += 1) {
      for (let j = 0; j < 3; j += 1) {
        let value = 0;
        for (let k = 0; k < 3; k += 1) value += p[i * 3 + k]! * q[k * 3 + j]!;
        expect(value).toBeCloseTo(i === j ? 1 : 0, 10);
      }
    }
  });

  it("passes core's checkEvolutionStrategy", () => {
    expect(() => checkEvolutionStrategy(createXnes({ dimension: 8 }))).not.toThrow();
  });

  it('solves the 10-D sphere to 1e-6', () => {
    const generations = generationsToReach(
      createXnes({ dimension: 10 }),
      sphere,
      new Float32Array(10).fill(3),
      1e-6,
      2000,
    );
    expect(generations).toBeLessThan(2000);
  });

  it('adapts its covariance: on a rotated ellipsoid it needs far fewer generations than separable SNES', () => {
    const start = new Float32Array(6).fill(1);
    const xnes = generationsToReach(createXnes({ dimension: 6 }), rotatedEllipsoid, start, 1e-8, 3000);
    const snes = generationsToReach(createSnes({ dimension: 6 }), rotatedEllipsoid, start, 1e-8, 3000);
    expect(xnes).toBeLessThan(3000);
    expect(xnes).toBeLessThan(0.5 * snes);
  });
});
