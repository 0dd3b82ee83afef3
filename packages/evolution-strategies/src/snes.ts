/**
 * SNES, separable natural evolution strategies: Schaul, Glasmachers and Schmidhuber (2011), "High
 * dimensions and heavy tails for natural evolution strategies"; Wierstra, Schaul, Glasmachers,
 * Sun, Peters and Schmidhuber (2014), "Natural Evolution Strategies", JMLR 15, Algorithm 6.
 *
 * A diagonal Gaussian search distribution N(μ, diag(σ²)), one generation:
 * 1. ask: z_k ~ N(0, I) for k = 1..λ, x_k = μ + σ ⊙ z_k (the z_k are kept in the state).
 * 2. tell: sort the members by fitness, best first, and give rank i (1-based) the utility
 *    u_i = max(0, ln(λ/2 + 1) − ln i) / Σ_j max(0, ln(λ/2 + 1) − ln j) − 1/λ (fitness shaping by
 *    rank: only the order of the fitness matters, so any monotone shaping of the runner gives
 *    the same update);
 *    ∇μ = Σ_i u_i z_i, ∇σ = Σ_i u_i (z_i² − 1);
 *    μ ← μ + η_μ σ ⊙ ∇μ, σ ← σ ⊙ exp(η_σ / 2 · ∇σ).
 * Defaults from the paper (Table 1): λ = 4 + ⌊3 ln d⌋, η_μ = 1, η_σ = (3 + ln d) / (5 √d).
 *
 * @example
 * const runner = createEvolutionRunner(createSnes({ dimension: 10 }));
 */
import {
  type ConfigValidator,
  createConfigValidator,
  describeValue,
  type EvolutionStrategy,
} from '@metarl/core';
import type { Rng } from '@metarl/envs';
import { checkTellArguments } from './check-tell-arguments';

/** Options of `createSnes`. */
export interface SnesOptions {
  /** Search dimension d (the initial solution's length); an integer >= 1. Required: λ and η_σ depend on it. */
  readonly dimension: number;
  /** Members per generation λ >= 2; default 4 + ⌊3 ln d⌋ (the paper's). */
  readonly populationSize?: number;
  /** Learning rate of the mean η_μ > 0; default 1 (the paper's). */
  readonly meanLearningRate?: number;
  /** Learning rate of the standard deviations η_σ > 0; default (3 + ln d) / (5 √d) (the paper's). */
  readonly sigmaLearningRate?: number;
  /** Initial standard deviation of every coordinate σ_0 > 0; default 1. */
  readonly sigma?: number;
}

/** SNES's state: a plain value. */
export interface SnesState {
  /** The mean μ `[d]` (float64). */
  readonly mean: Float64Array;
  /** The standard deviations σ `[d]` (float64). */
  readonly sigma: Float64Array;
  /** The standard normal draws z of the last `ask` `[λ * d]`, member-major (empty before the first). */
  readonly noise: Float64Array;
}

/** The resolved options, every default filled in. */
export type ResolvedSnesOptions = Required<SnesOptions>;

const OPTION_NAMES = ['dimension', 'populationSize', 'meanLearningRate', 'sigmaLearningRate', 'sigma'];

/** Fills in the paper's defaults and validates; errors name the option, the value and the expected form. */
export function resolveSnesOptions(options: SnesOptions): ResolvedSnesOptions {
  const check: ConfigValidator = createConfigValidator('createSnes');
  if (options === null || typeof options !== 'object')
    check.fail(`options must be an object, got ${describeValue(options)}`);
  for (const name of Object.keys(options)) {
    if (!OPTION_NAMES.includes(name))
      check.fail(`unknown option '${name}'; known options: ${OPTION_NAMES.join(', ')}`);
  }
  check.integer('dimension', options.dimension, { min: 1 });
  const d = options.dimension;
  const resolved: ResolvedSnesOptions = {
    dimension: d,
    populationSize: options.populationSize ?? 4 + Math.floor(3 * Math.log(d)),
    meanLearningRate: options.meanLearningRate ?? 1,
    sigmaLearningRate: options.sigmaLearningRate ?? (3 + Math.log(d)) / (5 * Math.sqrt(d)),
    sigma: options.sigma ?? 1,
  };
  check.integer('populationSize', resolved.populationSize, { min: 2 });
  check.number('meanLearningRate', resolved.meanLearningRate, { above: 0 });
  check.number('sigmaLearningRate', resolved.sigmaLearningRate, { above: 0 });
  check.number('sigma', resolved.sigma, { above: 0 });
  return resolved;
}

/** The utilities u_1..u_λ of ranks 1 (best) to λ: they sum to 0 and only the top half is positive. */
export function computeSnesUtilities(populationSize: number): Float64Array {
  const raw = Float64Array.from({ length: populationSize }, (_v, i) =>
    Math.max(0, Math.log(populationSize / 2 + 1) - Math.log(i + 1)),
  );
  const total = raw.reduce((sum, value) => sum + value, 0);
  return raw.map((value) => value / total - 1 / populationSize);
}

/** SNES as an `EvolutionStrategy` (kind 'snes'); see the file header. */
export function createSnes(options: SnesOptions): EvolutionStrategy<SnesState> & {
  readonly options: ResolvedSnesOptions;
} {
  const resolved = resolveSnesOptions(options);
  const { dimension, populationSize, meanLearningRate, sigmaLearningRate } = resolved;
  const utilities = computeSnesUtilities(populationSize);
  return {
    kind: 'snes',
    populationSize,
    fitnessShaping: 'centered-ranks',
    options: resolved,

    init(_rng: Rng, initialSolution: Float32Array): SnesState {
      if (initialSolution.length !== dimension)
        throw new RangeError(
          `snes.init: initialSolution has ${initialSolution.length} values, expected options.dimension = ${dimension}`,
        );
      return {
        mean: Float64Array.from(initialSolution),
        sigma: new Float64Array(dimension).fill(resolved.sigma),
        noise: new Float64Array(0),
      };
    },

    ask(rng, state) {
      const noise = new Float64Array(populationSize * dimension);
      const population = new Float32Array(populationSize * dimension);
      for (let i = 0; i < noise.length; i += 1) {
        const j = i % dimension;
        noise[i] = rng.nextNormal();
        population[i] = state.mean[j]! + state.sigma[j]! * noise[i]!;
      }
      return { population, state: { ...state, noise } };
    },

    tell(population, fitness, state) {
      if (state.noise.length !== populationSize * dimension)
        throw new RangeError('snes.tell: the state holds no draws; pass the state returned by ask');
      checkTellArguments('snes', population, fitness, populationSize, dimension);
      // Rank the members, best first (ties keep member order).
      const order = Array.from({ length: populationSize }, (_v, i) => i).sort(
        (a, b) => fitness[b]! - fitness[a]! || a - b,
      );
      const meanGradient = new Float64Array(dimension);
      const sigmaGradient = new Float64Array(dimension);
      order.forEach((member, rank) => {
        const u = utilities[rank]!;
        for (let j = 0; j < dimension; j += 1) {
          const z = state.noise[member * dimension + j]!;
          meanGradient[j]! += u * z;
          sigmaGradient[j]! += u * (z * z - 1);
        }
      });
      const mean = new Float64Array(dimension);
      const sigma = new Float64Array(dimension);
      for (let j = 0; j < dimension; j += 1) {
        mean[j] = state.mean[j]! + meanLearningRate * state.sigma[j]! * meanGradient[j]!;
        sigma[j] = state.sigma[j]! * Math.exp((sigmaLearningRate / 2) * sigmaGradient[j]!);
      }
      let sigmaSum = 0;
      for (const value of sigma) sigmaSum += value;
      return {
        state: { mean, sigma, noise: state.noise },
        metrics: { 'snes/sigmaMean': sigmaSum / dimension },
      };
    },

    mean(state) {
      return Float32Array.from(state.mean);
    },
  };
}
