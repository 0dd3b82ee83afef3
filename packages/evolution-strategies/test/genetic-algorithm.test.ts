import { createEvolutionRunner } from '@metarl/core';
import { checkEvolutionStrategy } from '@metarl/core/testing';
import { createRng } from '@metarl/envs';
import { describe, expect, it } from 'vitest';
import { createGeneticAlgorithm, type GeneticAlgorithmOptions } from '../src/genetic-algorithm';

const sphere = (x: ArrayLike<number>) => {
  let sum = 0;
  for (let j = 0; j < x.length; j += 1) sum += x[j]! ** 2;
  return sum;
};
const rastrigin = (x: ArrayLike<number>) => {
  let sum = 10 * x.length;
  for (let j = 0; j < x.length; j += 1) sum += x[j]! ** 2 - 10 * Math.cos(2 * Math.PI * x[j]!);
  return sum;
};

/** Lowest loss found by the GA in `generations` generations of `populationSize` from `start`. */
function runGeneticAlgorithm(
  options: GeneticAlgorithmOptions,
  loss: (x: Float32Array) => number,
  start: Float32Array,
  generations: number,
  seed: number,
): number {
  const runner = createEvolutionRunner(createGeneticAlgorithm(options));
  const rng = createRng(seed);
  let state = runner.init(createRng(0), start);
  const d = start.length;
  for (let g = 0; g < generations; g += 1) {
    const asked = runner.ask(rng, state);
    const fitness = Float64Array.from(
      { length: options.populationSize },
      (_v, m) => -loss(asked.population.subarray(m * d, (m + 1) * d)),
    );
    state = runner.tell(asked.population, fitness, asked.state).state;
  }
  return -state.bestFitness;
}

/** Lowest loss of `budget` points drawn uniformly in [-bound, bound]^d (pure random search). */
function randomSearch(
  loss: (x: Float32Array) => number,
  d: number,
  bound: number,
  budget: number,
  seed: number,
) {
  const rng = createRng(seed);
  let best = Infinity;
  const x = new Float32Array(d);
  for (let i = 0; i < budget; i += 1) {
    for (let j = 0; j < d; j += 1) x[j] = bound * (2 * rng.next() - 1);
    best = Math.min(best, loss(x));
  }
  return best;
}

describe('genetic algorithm', () => {
  it("passes core's checkEvolutionStrategy with every selection and crossover", () => {
    const variants: GeneticAlgorithmOptions[] = [
      { populationSize: 16, mutationSigma: 0.2 },
      { populationSize: 16, selection: 'truncation', crossover: 'one-point', mutationSigma: 0.2 },
      { populationSize: 16, crossover: 'blend', mutationRate: 0.5, elitism: 2, mutationSigma: 0.2 },
    ];
    for (const options of variants)
      expect(() => checkEvolutionStrategy(createGeneticAlgorithm(options))).not.toThrow();
  });

  it('the first generation is the initial solution plus mutations of it; elites survive unchanged', () => {
    const strategy = createGeneticAlgorithm({
      populationSize: 6,
      mutationSigma: 0.5,
      mutationRate: 0.5,
      elitism: 2,
    });
    const start = Float32Array.from([1, 2, 3, 4]);
    const state = strategy.init(createRng(0), start);
    const first = strategy.ask(createRng(1), state);
    expect(Array.from(first.population.subarray(0, 4))).toEqual([1, 2, 3, 4]);
    for (let i = 1; i < 6; i += 1)
      expect(Array.from(first.population.subarray(i * 4, i * 4 + 4))).not.toEqual([1, 2, 3, 4]);
    const fitness = Float32Array.from([0, 0.5, -0.5, 0.3, 0.1, -0.1]);
    const told = strategy.tell(first.population, fitness, first.state);
    const second = strategy.ask(createRng(2), told.state);
    expect(Array.from(second.population.subarray(0, 4))).toEqual(Array.from(first.population.subarray(4, 8)));
    expect(Array.from(second.population.subarray(4, 8))).toEqual(
      Array.from(first.population.subarray(12, 16)),
    );
  });

  it('blend crossover (alpha 0) keeps each gene between the parents; one-point splits at one cut', () => {
    const options = {
      populationSize: 40,
      crossoverRate: 1,
      mutationRate: 0,
      elitism: 0,
      selection: 'tournament',
      tournamentSize: 1,
    } as const;
    const parents = Float32Array.from({ length: 40 * 6 }, (_v, i) => Math.floor(i / 6) % 2);
    const state = {
      initialSolution: new Float32Array(6),
      population: parents,
      fitness: new Float32Array(40),
    };
    const blend = createGeneticAlgorithm({ ...options, crossover: 'blend', blendAlpha: 0 });
    const blended = blend.ask(createRng(4), state).population;
    for (const value of blended) expect(value >= 0 && value <= 1).toBe(true);
    expect(blended.some((value) => value > 0 && value < 1)).toBe(true);
    const onePoint = createGeneticAlgorithm({ ...options, crossover: 'one-point' }).ask(
      createRng(5),
      state,
    ).population;
    for (let i = 0; i < 40; i += 1) {
      const child = Array.from(onePoint.subarray(i * 6, i * 6 + 6));
      const changes = child.slice(1).filter((value, j) => value !== child[j]).length;
      expect(child.every((value) => value === 0 || value === 1)).toBe(true);
      expect(changes).toBeLessThanOrEqual(1);
    }
  });

  for (const [name, loss, bound] of [
    ['sphere', sphere, 5],
    ['rastrigin', rastrigin, 5.12],
  ] as const) {
    it(`beats pure random search on the 10-D ${name} with the same budget (best loss below a tenth)`, () => {
      const d = 10;
      const start = new Float32Array(d).fill(3);
      const populationSize = 50;
      const generations = 100;
      const found = runGeneticAlgorithm(
        { populationSize, mutationSigma: 1, mutationRate: 0.1, elitism: 2 },
        loss,
        start,
        generations,
        7,
      );
      const random = randomSearch(loss, d, bound, populationSize * generations, 7);
      expect(found).toBeLessThan(0.1 * random);
    });
  }

  it('validates its options', () => {
    expect(() => createGeneticAlgorithm({ populationSize: 1 })).toThrow(/populationSize/);
    expect(() =>
      createGeneticAlgorithm({ populationSize: 8, selection: 'roulette' as 'tournament' }),
    ).toThrow(/selection/);
    expect(() => createGeneticAlgorithm({ populationSize: 8, elitism: 8 })).toThrow(/elitism.*8/);
    expect(() => createGeneticAlgorithm({ populationSize: 8, mutationRate: 2 })).toThrow(/mutationRate/);
    expect(() => createGeneticAlgorithm({ populationSize: 8, crossover: 'two-point' as 'uniform' })).toThrow(
      /crossover/,
    );
  });
});
