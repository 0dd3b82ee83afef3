/**
 * xNES, exponential natural evolution strategies: Glasmachers, Schaul, Sun, Wierstra and
 * Schmidhuber (2010), "Exponential natural evolution strategies"; Wierstra et al. (2014), "Natural
 * Evolution Strategies", JMLR 15, Algorithm 5.
 *
 * A full-covariance Gaussian N(μ, σ² B Bᵀ) with det(B) = 1, one generation:
 * 1. ask: z_k ~ N(0, I), x_k = μ + σ B z_k (the z_k are kept in the state).
 * 2. tell: rank the members best first and give rank i the utility u_i of SNES
 *    (max(0, ln(λ/2 + 1) − ln i) / Σ_j max(0, ln(λ/2 + 1) − ln j) − 1/λ);
 *    G_δ = Σ u_i z_i, G_M = Σ u_i (z_i z_iᵀ − I), G_σ = tr(G_M) / d, G_B = G_M − G_σ I;
 *    μ ← μ + η_μ σ B G_δ, σ ← σ exp(η_σ / 2 · G_σ), B ← B expm(η_B / 2 · G_B).
 * Defaults (the paper's Table 1): λ = 4 + ⌊3 ln d⌋, η_μ = 1, η_σ = η_B = 3 (3 + ln d) / (5 d √d).
 * The matrix exponential is a Taylor series with scaling and squaring (G_B is symmetric and small).
 * O(d²) memory and O(λ d² + d³) time per generation: for small d (up to a few hundred).
 *
 * @example
 * const runner = createEvolutionRunner(createXnes({ dimension: 10 }));
 */
import {
  type ConfigValidator,
  createConfigValidator,
  describeValue,
  type EvolutionStrategy,
} from '@metarl/core';
import type { Rng } from '@metarl/envs';
import { checkTellArguments } from './check-tell-arguments';
import { computeSnesUtilities } from './snes';

/** Options of `createXnes`. */
export interface XnesOptions {
  /** Search dimension d (the initial solution's length); an integer >= 1. Required. */
  readonly dimension: number;
  /** Members per generation λ >= 2; default 4 + ⌊3 ln d⌋ (the paper's). */
  readonly populationSize?: number;
  /** Learning rate of the mean η_μ > 0; default 1. */
  readonly meanLearningRate?: number;
  /** Learning rate of the step size η_σ > 0; default 3 (3 + ln d) / (5 d √d). */
  readonly sigmaLearningRate?: number;
  /** Learning rate of the shape matrix η_B > 0; default 3 (3 + ln d) / (5 d √d). */
  readonly shapeLearningRate?: number;
  /** Initial step size σ_0 > 0 (B starts as the identity); default 1. */
  readonly sigma?: number;
}

/** xNES's state: a plain value. */
export interface XnesState {
  /** The mean μ `[d]`. */
  readonly mean: Float64Array;
  /** The step size σ. */
  readonly sigma: number;
  /** The shape matrix B `[d * d]`, row-major, det(B) = 1. */
  readonly shape: Float64Array;
  /** The standard normal draws z of the last `ask` `[λ * d]`, member-major (empty before the first). */
  readonly noise: Float64Array;
}

/** The resolved options, every default filled in. */
export type ResolvedXnesOptions = Required<XnesOptions>;

const OPTION_NAMES = [
  'dimension',
  'populationSize',
  'meanLearningRate',
  'sigmaLearningRate',
  'shapeLearningRate',
  'sigma',
];

/** Fills in the paper's defaults and validates; errors name the option, the value and the expected form. */
export function resolveXnesOptions(options: XnesOptions): ResolvedXnesOptions {
  const check: ConfigValidator = createConfigValidator('createXnes');
  if (options === null || typeof options !== 'object')
    check.fail(`options must be an object, got ${describeValue(options)}`);
  for (const name of Object.keys(options)) {
    if (!OPTION_NAMES.includes(name))
      check.fail(`unknown option '${name}'; known options: ${OPTION_NAMES.join(', ')}`);
  }
  check.integer('dimension', options.dimension, { min: 1 });
  const d = options.dimension;
  const rate = (3 * (3 + Math.log(d))) / (5 * d * Math.sqrt(d));
  const resolved: ResolvedXnesOptions = {
    dimension: d,
    populationSize: options.populationSize ?? 4 + Math.floor(3 * Math.log(d)),
    meanLearningRate: options.meanLearningRate ?? 1,
    sigmaLearningRate: options.sigmaLearningRate ?? rate,
    shapeLearningRate: options.shapeLearningRate ?? rate,
    sigma: options.sigma ?? 1,
  };
  check.integer('populationSize', resolved.populationSize, { min: 2 });
  check.number('meanLearningRate', resolved.meanLearningRate, { above: 0 });
  check.number('sigmaLearningRate', resolved.sigmaLearningRate, { above: 0 });
  check.number('shapeLearningRate', resolved.shapeLearningRate, { above: 0 });
  check.number('sigma', resolved.sigma, { above: 0 });
  return resolved;
}

/** C = A B for d x d row-major matrices. */
function multiply(a: Float64Array, b: Float64Array, d: number): Float64Array {
  const c = new Float64Array(d * d);
  for (let i = 0; i < d; i += 1) {
    for (let k = 0; k < d; k += 1) {
      const aik = a[i * d + k]!;
      if (aik === 0) continue;
      for (let j = 0; j < d; j += 1) c[i * d + j]! += aik * b[k * d + j]!;
    }
  }
  return c;
}

/** expm(A) of a d x d row-major matrix: Taylor series of order 12 after scaling to ‖A‖₁ <= 1/2, then squaring. */
export function matrixExponential(a: Float64Array, d: number): Float64Array {
  let normOne = 0;
  for (let j = 0; j < d; j += 1) {
    let column = 0;
    for (let i = 0; i < d; i += 1) column += Math.abs(a[i * d + j]!);
    normOne = Math.max(normOne, column);
  }
  const squarings = normOne > 0.5 ? Math.ceil(Math.log2(normOne / 0.5)) : 0;
  const scaled = a.map((value) => value / 2 ** squarings);
  let result: Float64Array = new Float64Array(d * d);
  let term: Float64Array = new Float64Array(d * d);
  for (let i = 0; i < d; i += 1) {
    result[i * d + i] = 1;
    term[i * d + i] = 1;
  }
  for (let order = 1; order <= 12; order += 1) {
    term = multiply(term, scaled, d).map((value) => value / order);
    for (let i = 0; i < d * d; i += 1) result[i]! += term[i]!;
  }
  for (let s = 0; s < squarings; s += 1) result = multiply(result, result, d);
  return result;
}

/** xNES as an `EvolutionStrategy` (kind 'xnes'); see the file header. */
export function createXnes(options: XnesOptions): EvolutionStrategy<XnesState> & {
  readonly options: ResolvedXnesOptions;
} {
  const resolved = resolveXnesOptions(options);
  const { dimension: d, populationSize, meanLearningRate, sigmaLearningRate, shapeLearningRate } = resolved;
  const utilities = computeSnesUtilities(populationSize);
  return {
    kind: 'xnes',
    populationSize,
    fitnessShaping: 'centered-ranks',
    options: resolved,

    init(_rng: Rng, initialSolution: Float32Array): XnesState {
      if (initialSolution.length !== d)
        throw new RangeError(
          `xnes.init: initialSolution has ${initialSolution.length} values, expected options.dimension = ${d}`,
        );
      const shape = new Float64Array(d * d);
      for (let i = 0; i < d; i += 1) shape[i * d + i] = 1;
      return {
        mean: Float64Array.from(initialSolution),
        sigma: resolved.sigma,
        shape,
        noise: new Float64Array(0),
      };
    },

    ask(rng, state) {
      const noise = new Float64Array(populationSize * d);
      const population = new Float32Array(populationSize * d);
      for (let k = 0; k < populationSize; k += 1) {
        for (let j = 0; j < d; j += 1) noise[k * d + j] = rng.nextNormal();
        for (let i = 0; i < d; i += 1) {
          let offset = 0;
          for (let j = 0; j < d; j += 1) offset += state.shape[i * d + j]! * noise[k * d + j]!;
          population[k * d + i] = state.mean[i]! + state.sigma * offset;
        }
      }
      return { population, state: { ...state, noise } };
    },

    tell(population, fitness, state) {
      if (state.noise.length !== populationSize * d)
        throw new RangeError('xnes.tell: the state holds no draws; pass the state returned by ask');
      checkTellArguments('xnes', population, fitness, populationSize, d);
      const order = Array.from({ length: populationSize }, (_v, i) => i).sort(
        (a, b) => fitness[b]! - fitness[a]! || a - b,
      );
      // Natural gradients in local coordinates.
      const gradientDelta = new Float64Array(d);
      const gradientM = new Float64Array(d * d);
      order.forEach((member, rank) => {
        const u = utilities[rank]!;
        const z = state.noise.subarray(member * d, (member + 1) * d);
        for (let i = 0; i < d; i += 1) {
          gradientDelta[i]! += u * z[i]!;
          for (let j = 0; j < d; j += 1) gradientM[i * d + j]! += u * (z[i]! * z[j]! - (i === j ? 1 : 0));
        }
      });
      let trace = 0;
      for (let i = 0; i < d; i += 1) trace += gradientM[i * d + i]!;
      const gradientSigma = trace / d;
      const exponent = new Float64Array(d * d);
      for (let i = 0; i < d * d; i += 1) exponent[i] = (shapeLearningRate / 2) * gradientM[i]!;
      for (let i = 0; i < d; i += 1) exponent[i * d + i]! -= (shapeLearningRate / 2) * gradientSigma;
      // Updates: μ ← μ + η_μ σ B G_δ, σ ← σ exp(η_σ/2 G_σ), B ← B expm(η_B/2 G_B).
      const mean = new Float64Array(d);
      for (let i = 0; i < d; i += 1) {
        let offset = 0;
        for (let j = 0; j < d; j += 1) offset += state.shape[i * d + j]! * gradientDelta[j]!;
        mean[i] = state.mean[i]! + meanLearningRate * state.sigma * offset;
      }
      const sigma = state.sigma * Math.exp((sigmaLearningRate / 2) * gradientSigma);
      const shape = multiply(state.shape, matrixExponential(exponent, d), d);
      return { state: { mean, sigma, shape, noise: state.noise }, metrics: { 'xnes/sigma': sigma } };
    },

    mean(state) {
      return Float32Array.from(state.mean);
    },
  };
}
