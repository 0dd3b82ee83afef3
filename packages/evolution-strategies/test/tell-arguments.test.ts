import { createRng, type EvolutionStrategy } from '@metarl/core';
import { describe, expect, it } from 'vitest';
import { createGeneticAlgorithm } from '../src/genetic-algorithm';
import { createOpenAiEs } from '../src/openai-es';
import { createSnes } from '../src/snes';
import { createXnes } from '../src/xnes';

// Called without core's runner, every strategy's tell refuses fitness of the wrong length, a
// non-finite fitness and a population of the wrong size, naming the argument.
const strategies: Record<string, () => EvolutionStrategy<unknown>> = {
  'openai-es': () => createOpenAiEs({ populationSize: 8 }) as EvolutionStrategy<unknown>,
  snes: () => createSnes({ dimension: 3, populationSize: 8 }) as EvolutionStrategy<unknown>,
  xnes: () => createXnes({ dimension: 3, populationSize: 8 }) as EvolutionStrategy<unknown>,
  'genetic-algorithm': () => createGeneticAlgorithm({ populationSize: 8 }) as EvolutionStrategy<unknown>,
};

describe.each(Object.entries(strategies))('%s.tell', (kind, create) => {
  it('refuses wrong shapes and non-finite fitness', () => {
    const strategy = create();
    const rng = createRng(1);
    const asked = strategy.ask(rng, strategy.init(rng, new Float32Array([0.1, -0.2, 0.3])));
    const fitness = Float32Array.from({ length: 8 }, (_v, i) => i);
    expect(() => strategy.tell(asked.population, fitness.subarray(0, 7), asked.state)).toThrow(
      new RegExp(`^${kind}\\.tell: fitness must hold populationSize = 8 numbers`),
    );
    const withNaN = fitness.slice();
    withNaN[5] = Number.NaN;
    expect(() => strategy.tell(asked.population, withNaN, asked.state)).toThrow(
      `${kind}.tell: fitness[5] is NaN; tell takes finite values`,
    );
    expect(() => strategy.tell(asked.population.subarray(3), fitness, asked.state)).toThrow(
      /population must be a Float32Array of populationSize × dimension = 24 values/,
    );
    expect(() => strategy.tell(asked.population, fitness, asked.state)).not.toThrow();
  });
});
