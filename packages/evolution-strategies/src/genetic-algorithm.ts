/**
 * A genetic algorithm over real vectors with named operators (Goldberg 1989, "Genetic Algorithms
 * in Search, Optimization and Machine Learning"; BLX-α from Eshelman and Schaffer 1993,
 * "Real-coded genetic algorithms and interval-schemata").
 *
 * One generation from the last told population and its fitness:
 * 1. elitism: the `elitism` best members are copied unchanged;
 * 2. every other child: two parents chosen by `selection` ('tournament': the best of
 *    `tournamentSize` members drawn uniformly with replacement; 'truncation': uniformly among the
 *    best ⌈truncationFraction · N⌉), crossed with probability `crossoverRate` ('uniform': each gene
 *    from either parent with probability 1/2; 'one-point': genes before a uniform cut point from
 *    the first parent, the rest from the second; 'blend' (BLX-α): each gene uniform in
 *    [min − α·I, max + α·I], I = |a − b|), otherwise a copy of the first parent; then Gaussian
 *    mutation: each gene, with probability `mutationRate`, gets N(0, mutationSigma²) added.
 * The first generation is the initial solution itself plus N − 1 mutations of it.
 *
 * Selection uses only the order of the fitness, so any monotone shaping of the runner gives the
 * same search (the default is centred ranks).
 *
 * @example
 * const runner = createEvolutionRunner(createGeneticAlgorithm({ populationSize: 64, selection: 'tournament' }));
 */
import {
  type ConfigValidator,
  createConfigValidator,
  describeValue,
  type EvolutionStrategy,
} from '@metarl/core';
import type { Rng } from '@metarl/envs';
import { checkTellArguments } from './check-tell-arguments';

/** Parent selection. */
export type GeneticSelection = 'tournament' | 'truncation';
/** Crossover operator. */
export type GeneticCrossover = 'uniform' | 'one-point' | 'blend';

/** Options of `createGeneticAlgorithm`. */
export interface GeneticAlgorithmOptions {
  /** Members per generation N >= 2. Required. */
  readonly populationSize: number;
  /** Parent selection; default 'tournament'. */
  readonly selection?: GeneticSelection;
  /** Members per tournament (>= 1; 'tournament' only); default 3. */
  readonly tournamentSize?: number;
  /** Fraction of the population parents are drawn from, in (0, 1] ('truncation' only); default 0.2. */
  readonly truncationFraction?: number;
  /** Crossover operator; default 'uniform'. */
  readonly crossover?: GeneticCrossover;
  /** Probability that a child is a crossover of its two parents, in [0, 1]; default 0.9. */
  readonly crossoverRate?: number;
  /** BLX-α's α >= 0 ('blend' only); default 0.5. */
  readonly blendAlpha?: number;
  /** Standard deviation of the Gaussian mutation > 0 (in the units of the solution); default 0.1. */
  readonly mutationSigma?: number;
  /** Probability that a gene is mutated, in [0, 1]; default 1 (every gene, as estool's SimpleGA). */
  readonly mutationRate?: number;
  /** Best members copied unchanged into the next generation, in [0, N); default 1. */
  readonly elitism?: number;
}

/** The GA's state: the last told population and its fitness (a plain value). */
export interface GeneticAlgorithmState {
  /** The initial solution `[d]` (the first generation is built from it). */
  readonly initialSolution: Float32Array;
  /** The last told population `[N * d]` (empty before the first `tell`). */
  readonly population: Float32Array;
  /** Its shaped fitness `[N]`, higher is better (empty before the first `tell`). */
  readonly fitness: Float32Array;
}

/** The resolved options, every default filled in. */
export type ResolvedGeneticAlgorithmOptions = Required<GeneticAlgorithmOptions>;

const OPTION_NAMES = [
  'populationSize',
  'selection',
  'tournamentSize',
  'truncationFraction',
  'crossover',
  'crossoverRate',
  'blendAlpha',
  'mutationSigma',
  'mutationRate',
  'elitism',
];

/** Fills in the defaults and validates; errors name the option, the value and the expected form. */
export function resolveGeneticAlgorithmOptions(
  options: GeneticAlgorithmOptions,
): ResolvedGeneticAlgorithmOptions {
  const check: ConfigValidator = createConfigValidator('createGeneticAlgorithm');
  if (options === null || typeof options !== 'object')
    check.fail(`options must be an object, got ${describeValue(options)}`);
  for (const name of Object.keys(options)) {
    if (!OPTION_NAMES.includes(name))
      check.fail(`unknown option '${name}'; known options: ${OPTION_NAMES.join(', ')}`);
  }
  const resolved: ResolvedGeneticAlgorithmOptions = {
    populationSize: options.populationSize,
    selection: options.selection ?? 'tournament',
    tournamentSize: options.tournamentSize ?? 3,
    truncationFraction: options.truncationFraction ?? 0.2,
    crossover: options.crossover ?? 'uniform',
    crossoverRate: options.crossoverRate ?? 0.9,
    blendAlpha: options.blendAlpha ?? 0.5,
    mutationSigma: options.mutationSigma ?? 0.1,
    mutationRate: options.mutationRate ?? 1,
    elitism: options.elitism ?? 1,
  };
  check.integer('populationSize', resolved.populationSize, { min: 2 });
  check.oneOf('selection', resolved.selection, ['tournament', 'truncation'] as const);
  check.integer('tournamentSize', resolved.tournamentSize, { min: 1 });
  check.number('truncationFraction', resolved.truncationFraction, { above: 0, max: 1 });
  check.oneOf('crossover', resolved.crossover, ['uniform', 'one-point', 'blend'] as const);
  check.number('crossoverRate', resolved.crossoverRate, { min: 0, max: 1 });
  check.number('blendAlpha', resolved.blendAlpha, { min: 0 });
  check.number('mutationSigma', resolved.mutationSigma, { above: 0 });
  check.number('mutationRate', resolved.mutationRate, { min: 0, max: 1 });
  check.integer('elitism', resolved.elitism, { min: 0, max: resolved.populationSize - 1 });
  return resolved;
}

/** A genetic algorithm as an `EvolutionStrategy` (kind 'genetic-algorithm'); see the file header. */
export function createGeneticAlgorithm(
  options: GeneticAlgorithmOptions,
): EvolutionStrategy<GeneticAlgorithmState> & {
  readonly options: ResolvedGeneticAlgorithmOptions;
} {
  const resolved = resolveGeneticAlgorithmOptions(options);
  const { populationSize, mutationSigma, mutationRate } = resolved;

  /** Adds N(0, σ²) to each gene of `child` with probability `mutationRate` (in place, a fresh child). */
  const mutate = (rng: Rng, child: Float32Array) => {
    for (let j = 0; j < child.length; j += 1) {
      if (mutationRate === 1 || rng.next() < mutationRate)
        child[j] = child[j]! + mutationSigma * rng.nextNormal();
    }
  };

  /** Index of a parent drawn by the selection operator from members sorted best first. */
  const selectParent = (rng: Rng, order: readonly number[], fitness: Float32Array): number => {
    if (resolved.selection === 'truncation') {
      const pool = Math.max(1, Math.ceil(resolved.truncationFraction * populationSize));
      return order[rng.nextInt(pool)]!;
    }
    let best = rng.nextInt(populationSize);
    for (let t = 1; t < resolved.tournamentSize; t += 1) {
      const challenger = rng.nextInt(populationSize);
      if (fitness[challenger]! > fitness[best]!) best = challenger;
    }
    return best;
  };

  /** The child of parents a and b under the crossover operator (a new vector). */
  const cross = (rng: Rng, a: Float32Array, b: Float32Array): Float32Array => {
    const child = Float32Array.from(a);
    if (rng.next() >= resolved.crossoverRate) return child;
    const d = a.length;
    if (resolved.crossover === 'uniform') {
      for (let j = 0; j < d; j += 1) if (rng.next() < 0.5) child[j] = b[j]!;
    } else if (resolved.crossover === 'one-point') {
      const cut = rng.nextInt(d + 1);
      for (let j = cut; j < d; j += 1) child[j] = b[j]!;
    } else {
      const alpha = resolved.blendAlpha;
      for (let j = 0; j < d; j += 1) {
        const low = Math.min(a[j]!, b[j]!);
        const spread = Math.abs(a[j]! - b[j]!);
        child[j] = low - alpha * spread + (1 + 2 * alpha) * spread * rng.next();
      }
    }
    return child;
  };

  return {
    kind: 'genetic-algorithm',
    populationSize,
    fitnessShaping: 'centered-ranks',
    options: resolved,

    init(_rng: Rng, initialSolution: Float32Array): GeneticAlgorithmState {
      return {
        initialSolution: Float32Array.from(initialSolution),
        population: new Float32Array(0),
        fitness: new Float32Array(0),
      };
    },

    ask(rng, state) {
      const d = state.initialSolution.length;
      const population = new Float32Array(populationSize * d);
      if (state.fitness.length === 0) {
        // First generation: the initial solution and N - 1 mutations of it.
        population.set(state.initialSolution, 0);
        for (let i = 1; i < populationSize; i += 1) {
          const child = Float32Array.from(state.initialSolution);
          mutate(rng, child);
          population.set(child, i * d);
        }
        return { population, state };
      }
      const member = (i: number) => state.population.subarray(i * d, (i + 1) * d);
      const order = Array.from({ length: populationSize }, (_v, i) => i).sort(
        (a, b) => state.fitness[b]! - state.fitness[a]! || a - b,
      );
      for (let i = 0; i < resolved.elitism; i += 1) population.set(member(order[i]!), i * d);
      for (let i = resolved.elitism; i < populationSize; i += 1) {
        const first = selectParent(rng, order, state.fitness);
        const second = selectParent(rng, order, state.fitness);
        const child = cross(rng, member(first), member(second));
        mutate(rng, child);
        population.set(child, i * d);
      }
      return { population, state };
    },

    tell(population, fitness, state) {
      checkTellArguments(
        'genetic-algorithm',
        population,
        fitness,
        populationSize,
        state.initialSolution.length,
      );
      let best = 0;
      for (let i = 1; i < fitness.length; i += 1) if (fitness[i]! > fitness[best]!) best = i;
      return {
        state: {
          initialSolution: state.initialSolution,
          population: Float32Array.from(population),
          fitness: Float32Array.from(fitness),
        },
        metrics: { 'genetic-algorithm/bestMember': best },
      };
    },

    mean(state) {
      // The solution to deploy: the best member of the last told generation (the initial solution before).
      if (state.fitness.length === 0) return Float32Array.from(state.initialSolution);
      const d = state.initialSolution.length;
      let best = 0;
      for (let i = 1; i < state.fitness.length; i += 1)
        if (state.fitness[i]! > state.fitness[best]!) best = i;
      return state.population.slice(best * d, (best + 1) * d);
    },
  };
}
