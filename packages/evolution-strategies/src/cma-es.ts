/**
 * CMA-ES, the covariance matrix adaptation evolution strategy, with pycma 4.x's defaults
 * (N. Hansen, "The CMA Evolution Strategy: A Tutorial", arXiv:1604.00772, 2016, Algorithm and
 * Table 1; N. Hansen et al., pycma 4.4.0, `cma/evolution_strategy.py`, `cma/options_parameters.py`,
 * `cma/sampler.py`, `cma/sigma_adaptation.py`, `cma/recombination_weights.py`). One generation,
 * for dimension n, population lambda, parents mu = floor(lambda / 2):
 *
 * 1. ask: y_k = B D z_k, z_k ~ N(0, I), x_k = m + sigma y_k (k = 1..lambda). B and D (C = B D^2 B^T)
 *    are recomputed lazily, as pycma does, when at least 1 / (c1 + c_mu) / n / 10 generations have
 *    passed since the last eigendecomposition. The drawn y_k stay in the state (Float64) and `tell`
 *    uses them: the Float32 population is only what the caller evaluates.
 * 2. tell (fitness HIGHER IS BETTER, only its order matters): sort, m' = m + sigma sum_{i<=mu} w_i y_i:lambda;
 *    cumulative step-size adaptation p_sigma = (1 - c_sigma) p_sigma + sqrt(c_sigma (2 - c_sigma) mu_eff) C^-1/2 <y>_w,
 *    sigma' = sigma exp(min(1, c_sigma / d_sigma (|p_sigma| / E|N(0,I)| - 1)));
 *    p_c = (1 - c_c) p_c + h_sigma sqrt(c_c (2 - c_c) mu_eff) <y>_w, with the h_sigma stall
 *    |p_sigma|^2 / (1 - (1 - c_sigma)^(2 g)) / n < 2 + 4 / (n + 1);
 *    C' = (1 + c1 delta(h_sigma) - c1 - c_mu sum_j w_j) C + c1 p_c p_c^T + c_mu sum_i w_i° y_i:lambda y_i:lambda^T,
 *    with active CMA's negative weights (w_i° = w_i n / |C^-1/2 y_i:lambda|^2 for w_i < 0).
 *
 * Constants as pycma (which differ in places from the tutorial's Table 1):
 * lambda = 4 + floor(3 ln n); raw weights w'_i = ln((lambda + 1) / 2) - ln i; positive weights sum to 1;
 * mu_eff = 1 / sum w_i^2 (i <= mu); c_c = (4 + mu_eff / n) / (n + 4 + 2 mu_eff / n);
 * c_sigma = (mu_eff + 2) / (n + mu_eff + 3) (the tutorial has + 5);
 * d_sigma = 1 + 2 max(0, sqrt((mu_eff - 1) / (n + 1)) - 1) + c_sigma;
 * c1 = min(1, lambda / 6) 2 / ((n + 1.3)^2 + mu_eff) (the tutorial has no min(1, lambda / 6));
 * c_mu = min(1 - c1, 2 (0.25 + mu_eff - 2 + 1 / mu_eff) / ((n + 2)^2 + mu_eff));
 * the negative weights sum to -min(alpha_mu^- = 1 + c1 / c_mu, alpha_mueff^- = 1 + 2 mu_eff^- / (mu_eff + 2),
 * alpha_posdef^- = (1 - c1 - c_mu) / (n c_mu)) (tutorial eq. 53); E|N(0,I)| exact for n <= 6, else
 * sqrt(n) (1 - 1 / (4n) + 1 / (26 n^2)) as pycma. The initial C is diag(exp(1e-4 i / n)) as pycma's
 * (it separates equal eigenvalues).
 *
 * `diagonal: true` is separable CMA-ES (Ros & Hansen, "A Simple Modification in CMA-ES Achieving
 * Linear Time and Space Complexity", PPSN 2008): C is diagonal, O(n) per sample, with pycma's
 * separable learning rates c1_sep = 1 / (n + 2 sqrt(n) + mu_eff / n),
 * c_mu_sep = min(1 - c1_sep, (0.25 + mu_eff + 1 / mu_eff - 2) / (n + 4 sqrt(n) + mu_eff / 2)),
 * c_c_sep = (1 + 1 / n + mu_eff / n) / (sqrt(n) + 1 / n + 2 mu_eff / n), negative weights without
 * the alpha_posdef^- bound (as pycma); the variance update is additive as in the paper (pycma
 * updates its diagonal multiplicatively), and a coordinate's negative update is kept at most half
 * its positive-only value so that no variance can become zero or negative.
 *
 * Stopping criteria (pycma's defaults, checked after every `tell`, listed in the state's
 * `stopReasons` and read with `cmaEsStopReasons`): tolfun, tolfunhist, tolx, tolfacupx,
 * tolstagnation, tolxstagnation, tolupsigma, tolconditioncov, noeffectaxis, noeffectcoord,
 * tolflatfitness. maxiter, maxfevals and ftarget are the driver's (`cmaEsStopReasons`'s limits,
 * `minimize`).
 *
 * What is not here (pycma options off by default or not needed by this contract): boundary
 * handling, mirrored sampling for lambda < 6, elitism, the alleviation of conditioning above 1e8,
 * the rescaling when sigma grows beyond 1e9 sigma0, noise handling.
 */
import { createConfigValidator, describeValue, type EvolutionStrategy } from '@metarl/core';
import type { Rng } from '@metarl/envs';
import { decomposeSymmetric } from './decompose-symmetric';

const OWNER = 'createCmaEs';

/** Options of `createCmaEs`. Tolerances follow pycma's option of the same meaning (named in brackets). */
export interface CmaEsOptions {
  /** Search dimension n (required), an integer >= 1. */
  readonly dimension: number;
  /** Initial step size sigma0 (required), > 0: about a quarter of the search range per coordinate. */
  readonly sigma: number;
  /** Population size lambda, an integer >= 2; default 4 + floor(3 ln n). */
  readonly populationSize?: number;
  /** Active CMA: negative weights for the worse half (pycma's CMA_active); default true. */
  readonly active?: boolean;
  /** Separable CMA-ES (diagonal C, O(n) per sample) for large n; default false. */
  readonly diagonal?: boolean;
  /** Rank-one update of C (multiplier of c1, pycma's CMA_rankone): 0 turns it off; default 1. */
  readonly rankOneFactor?: number;
  /** Rank-mu update of C (multiplier of c_mu, pycma's CMA_rankmu): 0 turns it off; default 1. */
  readonly rankMuFactor?: number;
  /** Stop when the f range of this generation and of the recent best values is below this [tolfun]; default 1e-11. */
  readonly functionTolerance?: number;
  /** Stop when the recent best f values (>= 10 generations) span less than this [tolfunhist]; default 1e-12. */
  readonly functionHistoryTolerance?: number;
  /** Stop when every sigma sqrt(C_ii) and sigma |p_c,i| is below this, absolute as pycma [tolx]; default 1e-11. */
  readonly solutionTolerance?: number;
  /** Stop when some sigma sqrt(C_ii) exceeds sigma0 times this [tolfacupx]; default 1e3. */
  readonly stepGrowthLimit?: number;
  /** Stop when the condition number of C exceeds this [tolconditioncov]; default 1e14. */
  readonly conditionLimit?: number;
  /** Stop when the median f and best f have not improved over about this many generations [tolstagnation]; default floor(100 + 100 n^1.5 / lambda). */
  readonly stagnationGenerations?: number;
  /** Stop when sigma / max(D) exceeds sigma0 times this [tolupsigma]; default 1e20. */
  readonly sigmaGrowthLimit?: number;
  /** Stop after this many generations with a flat fitness (best equal to the 75th percentile) [tolflatfitness]; Infinity turns it off; default 1. */
  readonly flatFitnessGenerations?: number;
  /** Stop when the mean moved less than this over 20 + 0.1 g generations [tolxstagnation's delta]; 0 turns it off; default 1e-9. */
  readonly meanStagnationTolerance?: number;
}

/** Learning rates and weights of one CMA-ES configuration (pycma's `CMAParameters` and sampler parameters). */
export interface CmaEsParameters {
  /** Dimension n. */
  readonly dimension: number;
  /** Population size lambda. */
  readonly populationSize: number;
  /** Number of positive weights mu = floor(lambda / 2). */
  readonly parents: number;
  /** Recombination weights `[lambda]`: positive ones sum to 1, negative ones (active) to -alpha^-, else 0. */
  readonly weights: Float64Array;
  /** Variance effective selection mass mu_eff of the positive weights. */
  readonly effectiveParents: number;
  /** mu_eff^- of the negative raw weights. */
  readonly effectiveParentsNegative: number;
  /** Learning rate c_c of the covariance path. */
  readonly pathCovarianceRate: number;
  /** Learning rate c_sigma of the step-size path. */
  readonly pathSigmaRate: number;
  /** Damping d_sigma of the step-size update. */
  readonly sigmaDamping: number;
  /** Rank-one learning rate c1. */
  readonly rankOneRate: number;
  /** Rank-mu learning rate c_mu. */
  readonly rankMuRate: number;
  /** E|N(0, I)|, chi_n. */
  readonly expectedNormLength: number;
  /** Generations between eigendecompositions (pycma's lazy_update_gap), 1 / (c1 + c_mu) / n / 10. */
  readonly eigenGap: number;
}

/** The stopping tolerances in effect (options with defaults filled in). */
export interface CmaEsTolerances {
  readonly functionTolerance: number;
  readonly functionHistoryTolerance: number;
  readonly solutionTolerance: number;
  readonly stepGrowthLimit: number;
  readonly conditionLimit: number;
  readonly stagnationGenerations: number;
  readonly sigmaGrowthLimit: number;
  readonly flatFitnessGenerations: number;
  readonly meanStagnationTolerance: number;
}

/** CMA-ES's state: a plain value (Float64 arrays and numbers), checkpointed as JSON by the runner. */
export interface CmaEsState {
  /** Dimension n. */
  readonly dimension: number;
  /** Completed generations g (calls of `tell`). */
  readonly generation: number;
  /** Members told so far (g lambda). */
  readonly evaluations: number;
  /** Distribution mean m `[n]`. */
  readonly mean: Float64Array;
  /** Step size sigma. */
  readonly sigma: number;
  /** Initial step size sigma0 (for tolfacupx and tolupsigma). */
  readonly initialSigma: number;
  /** Covariance matrix C, row-major `[n * n]`, or its diagonal `[n]` when separable. */
  readonly covariance: Float64Array;
  /** Eigenvectors B of C as columns, row-major `[n * n]`; empty when separable (B = I). */
  readonly eigenvectors: Float64Array;
  /** Axis lengths D (square roots of C's eigenvalues) `[n]`: ascending for full C, per coordinate when separable. */
  readonly axisLengths: Float64Array;
  /** Value of `generation` at the last eigendecomposition (pycma's last_update). */
  readonly eigenGeneration: number;
  /** Evolution path p_sigma `[n]`. */
  readonly pathSigma: Float64Array;
  /** Evolution path p_c `[n]`. */
  readonly pathCovariance: Float64Array;
  /** The y_k = B D z_k drawn by the last `ask`, member-major `[lambda * n]`; empty before the first `ask`. */
  readonly steps: Float64Array;
  /** The generation the `steps` were drawn for; -1 before the first `ask`. */
  readonly stepsGeneration: number;
  /** Best f (= -fitness) of the recent generations, oldest first (pycma's fit.hist, at most 10 + 30 n / lambda). */
  readonly recentBest: Float64Array;
  /** Best f every 5th generation, oldest first (pycma's fit.histbest, for tolstagnation). */
  readonly sparseBest: Float64Array;
  /** Median f every 5th generation, oldest first (pycma's fit.histmedian). */
  readonly sparseMedian: Float64Array;
  /** The last generation's sorted f values (ascending; tolfun's current range). */
  readonly lastValues: Float64Array;
  /** Best f so far (= -best fitness); Infinity before the first `tell`. */
  readonly bestValue: number;
  /** Evaluations when `bestValue` was reached. */
  readonly bestEvaluation: number;
  /** Consecutive generations with a flat fitness. */
  readonly flatGenerations: number;
  /** tolxstagnation: the reference mean `[n]`, the generation it was set and the update count. */
  readonly stagnationMean: Float64Array;
  readonly stagnationSince: number;
  /** Stopping criteria met after the last `tell` (pycma's names), empty while none is met. */
  readonly stopReasons: readonly string[];
}

/** A CMA-ES strategy: the core contract plus its parameters and stopping reasons. */
export interface CmaEs extends EvolutionStrategy<CmaEsState> {
  readonly kind: 'cma-es';
  /** Always 'raw': CMA-ES uses only the order of the fitness values, and the values for its tolerances. */
  readonly fitnessShaping: 'raw';
  /** The learning rates and weights in effect. */
  readonly parameters: CmaEsParameters;
  /** The stopping tolerances in effect. */
  readonly tolerances: CmaEsTolerances;
  /** Whether C is diagonal (separable CMA-ES). */
  readonly diagonal: boolean;
  /**
   * The update from `fitness[k]` of member k (higher is better). A Float64Array keeps full
   * precision for the ranking and the f tolerances (`minimize` passes one); the runner passes
   * Float32. Uses the steps drawn by `ask`; `population` must be the one `ask` returned.
   */
  tell(
    population: Float32Array,
    fitness: ArrayLike<number>,
    state: CmaEsState,
  ): { readonly state: CmaEsState; readonly metrics: Readonly<Record<string, number>> };
  /** The stopping criteria met after the last `tell` (same as `cmaEsStopReasons(state)`). */
  stopReasons(state: CmaEsState): readonly string[];
}

/** E|N(0, I_n)| as pycma and Hansen's tutorial approximate it: sqrt(n) (1 - 1/(4n) + 1/(21 n^2)). */
function expectedNormLength(n: number): number {
  return Math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n));
}

/**
 * CMA-ES's learning rates and recombination weights for dimension n and population lambda, as
 * pycma computes them (see the file header). `active: false` zeroes the negative weights.
 *
 * @example
 * computeCmaEsParameters(20, 12).weights[0]; // 0.4024029428...
 */
export function computeCmaEsParameters(
  dimension: number,
  populationSize: number,
  options: {
    readonly active?: boolean;
    readonly diagonal?: boolean;
    readonly rankOneFactor?: number;
    readonly rankMuFactor?: number;
  } = {},
): CmaEsParameters {
  const check = createConfigValidator('computeCmaEsParameters');
  check.integer('dimension', dimension, { min: 1 });
  check.integer('populationSize', populationSize, { min: 2 });
  const n = dimension;
  const lambda = populationSize;
  const active = options.active ?? true;
  const diagonal = options.diagonal ?? false;
  const rankOneFactor = options.rankOneFactor ?? 1;
  const rankMuFactor = options.rankMuFactor ?? 1;

  // Raw weights ln((lambda + 1) / 2) - ln i; mu = number of positive ones = floor(lambda / 2).
  const raw = Float64Array.from({ length: lambda }, (_v, i) => Math.log((lambda + 1) / 2) - Math.log(i + 1));
  let mu = 0;
  while (mu < lambda && raw[mu]! > 0) mu += 1;
  let positiveSum = 0;
  for (let i = 0; i < mu; i += 1) positiveSum += raw[i]!;
  let negativeSum = 0;
  let negativeSquares = 0;
  for (let i = mu; i < lambda; i += 1) {
    negativeSum += raw[i]!;
    negativeSquares += raw[i]! ** 2;
  }
  const weights = new Float64Array(lambda);
  let squares = 0;
  for (let i = 0; i < mu; i += 1) {
    weights[i] = raw[i]! / positiveSum;
    squares += weights[i]! ** 2;
  }
  const mueff = 1 / squares;
  const mueffMinus = negativeSquares > 0 ? negativeSum ** 2 / negativeSquares : 0;
  // Negative weights first normalised to sum -1 (pycma's RecombinationWeights).
  for (let i = mu; i < lambda; i += 1) weights[i] = negativeSum !== 0 ? raw[i]! / -negativeSum : 0;

  const cc = diagonal
    ? (1 + 1 / n + mueff / n) / (Math.sqrt(n) + 1 / n + (2 * mueff) / n)
    : (4 + mueff / n) / (n + (4 + (2 * mueff) / n));
  const cs = (mueff + 2) / (n + mueff + 3);
  const damps = 0.5 + 0.5 + 2 * Math.max(0, Math.sqrt((mueff - 1) / (n + 1)) - 1) + cs;
  let c1: number;
  let cmu: number;
  if (diagonal) {
    c1 = rankOneFactor / (n + 2 * Math.sqrt(n) + mueff / n);
    cmu = Math.min(
      1 - c1,
      (rankMuFactor * (0.25 + mueff + 1 / mueff - 2)) / (n + 4 * Math.sqrt(n) + mueff / 2),
    );
  } else {
    c1 = (rankOneFactor * Math.min(1, lambda / 6) * 2) / ((n + 1.3) ** 2 + mueff);
    cmu = Math.min(
      1 - c1,
      (rankMuFactor * 2 * (0.25 + mueff + 1 / mueff - 2)) / ((n + 2) ** 2 + (2 * mueff) / 2),
    );
  }
  if (cmu < 0) cmu = 0;

  // Active CMA (tutorial eq. 53, pycma's finalize_negative_weights): scale the negative weights.
  if (mu < lambda && negativeSum !== 0) {
    if (!active || cmu <= 0) {
      for (let i = mu; i < lambda; i += 1) weights[i] = 0;
    } else {
      let target = 1 + c1 / cmu; // alpha_mu^-
      if (!diagonal) target = Math.min(target, (1 - c1 - cmu) / cmu / n); // alpha_posdef^-
      target = Math.min(target, 1 + (2 * mueffMinus) / (mueff + 2)); // alpha_mueff^-
      for (let i = mu; i < lambda; i += 1) weights[i] = weights[i]! * target;
    }
  }
  return {
    dimension: n,
    populationSize: lambda,
    parents: mu,
    weights,
    effectiveParents: mueff,
    effectiveParentsNegative: mueffMinus,
    pathCovarianceRate: cc,
    pathSigmaRate: cs,
    sigmaDamping: damps,
    rankOneRate: c1,
    rankMuRate: cmu,
    expectedNormLength: expectedNormLength(n),
    eigenGap: 1 / (c1 + cmu + 1e-23) / n / 10,
  };
}

/** The default population size 4 + floor(3 ln n) (pycma's `popsize`). */
export function defaultCmaEsPopulationSize(dimension: number): number {
  return 4 + Math.floor(3 * Math.log(dimension));
}

/** The eigendecomposition of the full C: B (columns) and D ascending, pycma's repair when not positive definite. */
function decomposeCovariance(
  covariance: Float64Array,
  n: number,
  previousAxisLengths: Float64Array,
): { covariance: Float64Array; eigenvectors: Float64Array; axisLengths: Float64Array } {
  let matrix = covariance;
  for (let attempt = 0; attempt < 10; attempt += 1) {
    const { values, vectors } = decomposeSymmetric(matrix, n);
    if (values[0]! > 0) {
      // C symmetrised, as pycma's (C + C^T) / 2.
      const symmetric = new Float64Array(n * n);
      for (let i = 0; i < n; i += 1)
        for (let j = 0; j < n; j += 1) symmetric[i * n + j] = 0.5 * (matrix[i * n + j]! + matrix[j * n + i]!);
      return { covariance: symmetric, eigenvectors: vectors, axisLengths: values.map(Math.sqrt) };
    }
    // Not positive definite: add the smallest previous eigenvalue to the diagonal and try again (pycma).
    let smallest = Infinity;
    for (const d of previousAxisLengths) smallest = Math.min(smallest, d * d);
    matrix = Float64Array.from(matrix);
    for (let i = 0; i < n; i += 1) matrix[i * n + i] = matrix[i * n + i]! + smallest;
  }
  throw new RangeError(
    'CMA-ES: the covariance matrix stayed indefinite after repair; reformulate the objective',
  );
}

function median(values: ArrayLike<number>): number {
  const sorted = Array.from(values).sort((a, b) => a - b);
  const half = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[half]! : (sorted[half - 1]! + sorted[half]!) / 2;
}

/** Median of `values[from..to)` counted from the newest (last) entry, as pycma's `hist[from:to]`. */
function newestMedian(values: Float64Array, from: number, to: number): number {
  const end = values.length - from;
  const start = Math.max(0, values.length - to);
  return median(values.subarray(start, end));
}

function appendCapped(values: Float64Array, value: number, cap: number): Float64Array {
  const keep = Math.min(values.length, Math.max(0, cap - 1));
  const out = new Float64Array(keep + 1);
  out.set(values.subarray(values.length - keep));
  out[keep] = value;
  return out;
}

/**
 * Creates CMA-ES over vectors of `options.dimension` (see the file header). Throws a RangeError
 * naming the option, the value and the expected form for an invalid option.
 *
 * @example
 * const strategy = createCmaEs({ dimension: 10, sigma: 0.5 });
 * const runner = createEvolutionRunner(strategy); // fitness higher is better: pass -f to minimise
 */
export function createCmaEs(options: CmaEsOptions): CmaEs {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(
      `${OWNER}: options must be an object like { dimension: 10, sigma: 0.5 }, got ${describeValue(options)}`,
    );
  }
  const check = createConfigValidator(OWNER);
  const known = [
    'dimension',
    'sigma',
    'populationSize',
    'active',
    'diagonal',
    'rankOneFactor',
    'rankMuFactor',
    'functionTolerance',
    'functionHistoryTolerance',
    'solutionTolerance',
    'stepGrowthLimit',
    'conditionLimit',
    'stagnationGenerations',
    'sigmaGrowthLimit',
    'flatFitnessGenerations',
    'meanStagnationTolerance',
  ];
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) check.fail(`unknown option '${key}'; the options are ${known.join(', ')}`);
  }
  check.integer('dimension', options.dimension, { min: 1 });
  check.number('sigma', options.sigma, { above: 0 });
  const n = options.dimension;
  const lambda = options.populationSize ?? defaultCmaEsPopulationSize(n);
  check.integer('populationSize', lambda, { min: 2 });
  const active = options.active ?? true;
  check.boolean('active', active);
  const diagonal = options.diagonal ?? false;
  check.boolean('diagonal', diagonal);
  const rankOneFactor = options.rankOneFactor ?? 1;
  check.number('rankOneFactor', rankOneFactor, { min: 0 });
  const rankMuFactor = options.rankMuFactor ?? 1;
  check.number('rankMuFactor', rankMuFactor, { min: 0 });
  const tolerances: CmaEsTolerances = {
    functionTolerance: options.functionTolerance ?? 1e-11,
    functionHistoryTolerance: options.functionHistoryTolerance ?? 1e-12,
    solutionTolerance: options.solutionTolerance ?? 1e-11,
    stepGrowthLimit: options.stepGrowthLimit ?? 1e3,
    conditionLimit: options.conditionLimit ?? 1e14,
    stagnationGenerations: options.stagnationGenerations ?? Math.floor(100 + (100 * n ** 1.5) / lambda),
    sigmaGrowthLimit: options.sigmaGrowthLimit ?? 1e20,
    flatFitnessGenerations: options.flatFitnessGenerations ?? 1,
    meanStagnationTolerance: options.meanStagnationTolerance ?? 1e-9,
  };
  for (const [name, value] of Object.entries(tolerances)) {
    // Generation counts are integers, or Infinity to switch the criterion off.
    if (name === 'stagnationGenerations' || name === 'flatFitnessGenerations') {
      if (value !== Number.POSITIVE_INFINITY) check.integer(name, value, { min: 0 });
    } else check.number(name, value, { min: 0 });
  }
  const parameters = computeCmaEsParameters(n, lambda, { active, diagonal, rankOneFactor, rankMuFactor });
  const {
    parents: mu,
    weights,
    effectiveParents: mueff,
    pathCovarianceRate: cc,
    pathSigmaRate: cs,
    sigmaDamping: damps,
    rankOneRate: c1,
    rankMuRate: cmu,
    expectedNormLength: chiN,
    eigenGap,
  } = parameters;
  let weightSum = 0;
  for (const w of weights) weightSum += w;
  const historyCap = 10 + (30 * n) / lambda;
  const label = `cma-es (dimension ${n}, populationSize ${lambda})`;

  /** C^-1/2 v = B D^-1 B^T v (or v / D when separable), with the B and D of the last decomposition. */
  const whiten = (state: CmaEsState, v: Float64Array): Float64Array => {
    const d = state.axisLengths;
    const out = new Float64Array(n);
    if (diagonal) {
      for (let i = 0; i < n; i += 1) out[i] = v[i]! / d[i]!;
      return out;
    }
    const b = state.eigenvectors;
    const inner = new Float64Array(n);
    for (let k = 0; k < n; k += 1) {
      let sum = 0;
      for (let i = 0; i < n; i += 1) sum += b[i * n + k]! * v[i]!;
      inner[k] = sum / d[k]!;
    }
    for (let i = 0; i < n; i += 1) {
      let sum = 0;
      for (let k = 0; k < n; k += 1) sum += b[i * n + k]! * inner[k]!;
      out[i] = sum;
    }
    return out;
  };

  /** |D^-1 B^T v|^2, the squared Mahalanobis norm of v. */
  const mahalanobisSquared = (state: CmaEsState, v: Float64Array): number => {
    const d = state.axisLengths;
    let total = 0;
    if (diagonal) {
      for (let i = 0; i < n; i += 1) total += (v[i]! / d[i]!) ** 2;
      return total;
    }
    const b = state.eigenvectors;
    for (let k = 0; k < n; k += 1) {
      let sum = 0;
      for (let i = 0; i < n; i += 1) sum += b[i * n + k]! * v[i]!;
      total += (sum / d[k]!) ** 2;
    }
    return total;
  };

  /** pycma's termination conditions after a `tell` (names as pycma's). */
  const findStopReasons = (state: CmaEsState): string[] => {
    const reasons: string[] = [];
    const g = state.generation;
    const sigma = state.sigma;
    const c = state.covariance;
    const variance = (i: number) => (diagonal ? c[i]! : c[i * n + i]!);
    const values = state.lastValues;
    const currentRange = values[values.length - 1]! - values[0]!;
    let historyMax = -Infinity;
    let historyMin = Infinity;
    for (const v of state.recentBest) {
      historyMax = Math.max(historyMax, v);
      historyMin = Math.min(historyMin, v);
    }
    const historyRange = historyMax - historyMin;
    if (currentRange < tolerances.functionTolerance && historyRange < tolerances.functionTolerance)
      reasons.push('tolfun');
    if (state.recentBest.length > 9 && historyRange < tolerances.functionHistoryTolerance)
      reasons.push('tolfunhist');
    let allSmall = true;
    let anyLarge = false;
    for (let i = 0; i < n; i += 1) {
      const std = sigma * Math.sqrt(variance(i));
      if (
        !(
          std < tolerances.solutionTolerance &&
          sigma * Math.abs(state.pathCovariance[i]!) < tolerances.solutionTolerance
        )
      )
        allSmall = false;
      if (std > state.initialSigma * tolerances.stepGrowthLimit) anyLarge = true;
    }
    if (allSmall) reasons.push('tolx');
    if (anyLarge) reasons.push('tolfacupx');
    const stagnation = tolerances.stagnationGenerations;
    if (stagnation > 0) {
      const sparse = state.sparseBest.length;
      const l = Math.max(stagnation / 5 / 2, sparse / 10);
      if (l <= g) {
        const span = Math.floor(l);
        if (
          g > n * (5 + 100 / lambda) &&
          (state.evaluations - state.bestEvaluation) / lambda > stagnation / 2 &&
          sparse > 100 &&
          2 * span < sparse &&
          newestMedian(state.sparseMedian, 0, span) >= newestMedian(state.sparseMedian, span, 2 * span) &&
          newestMedian(state.sparseBest, 0, span) >= newestMedian(state.sparseBest, span, 2 * span)
        )
          reasons.push('tolstagnation');
      }
    }
    if (tolerances.meanStagnationTolerance > 0 && g - state.stagnationSince > 20 + 0.1 * g)
      reasons.push('tolxstagnation');
    let maxAxis = 0;
    let minAxis = Infinity;
    for (const d of state.axisLengths) {
      maxAxis = Math.max(maxAxis, d);
      minAxis = Math.min(minAxis, d);
    }
    if (sigma / maxAxis > state.initialSigma * tolerances.sigmaGrowthLimit) reasons.push('tolupsigma');
    const m = state.mean;
    for (let i = 0; i < n; i += 1) {
      if (m[i] === m[i]! + 0.2 * sigma * Math.sqrt(variance(i))) {
        reasons.push('noeffectcoord');
        break;
      }
    }
    if (!diagonal) {
      const axis = g % n;
      let noEffect = true;
      for (let i = 0; i < n; i += 1) {
        if (m[i] !== m[i]! + 0.1 * sigma * state.axisLengths[axis]! * state.eigenvectors[i * n + axis]!) {
          noEffect = false;
          break;
        }
      }
      if (noEffect) reasons.push('noeffectaxis');
    }
    if (maxAxis > Math.sqrt(tolerances.conditionLimit) * minAxis) reasons.push('tolconditioncov');
    if (tolerances.flatFitnessGenerations >= 0 && state.flatGenerations > tolerances.flatFitnessGenerations)
      reasons.push('tolflatfitness');
    return reasons;
  };

  const strategy: CmaEs = {
    kind: 'cma-es',
    populationSize: lambda,
    fitnessShaping: 'raw',
    parameters,
    tolerances,
    diagonal,

    init(_rng: Rng, initialSolution: Float32Array): CmaEsState {
      if (!(initialSolution instanceof Float32Array) || initialSolution.length !== n) {
        throw new RangeError(
          `${label}.init: initialSolution must be a Float32Array of length dimension = ${n}, got ${describeValue(
            initialSolution?.length,
          )} values`,
        );
      }
      // pycma's initial C = diag(exp(1e-4 i / n)): separates equal eigenvalues.
      const covariance = new Float64Array(diagonal ? n : n * n);
      const axisLengths = new Float64Array(n);
      const eigenvectors = new Float64Array(diagonal ? 0 : n * n);
      for (let i = 0; i < n; i += 1) {
        const variance = Math.exp((1e-4 / n) * i);
        covariance[diagonal ? i : i * n + i] = variance;
        axisLengths[i] = Math.sqrt(variance);
        if (!diagonal) eigenvectors[i * n + i] = 1;
      }
      const mean = Float64Array.from(initialSolution);
      return {
        dimension: n,
        generation: 0,
        evaluations: 0,
        mean,
        sigma: options.sigma,
        initialSigma: options.sigma,
        covariance,
        eigenvectors,
        axisLengths,
        eigenGeneration: 0,
        pathSigma: new Float64Array(n),
        pathCovariance: new Float64Array(n),
        steps: new Float64Array(0),
        stepsGeneration: -1,
        recentBest: new Float64Array(0),
        sparseBest: new Float64Array(0),
        sparseMedian: new Float64Array(0),
        lastValues: new Float64Array(0),
        bestValue: Infinity,
        bestEvaluation: 0,
        flatGenerations: 0,
        stagnationMean: Float64Array.from(mean),
        stagnationSince: 0,
        stopReasons: [],
      };
    },

    ask(rng: Rng, state: CmaEsState) {
      let current = state;
      // Lazy eigendecomposition (pycma's GaussFullSampler.update_now).
      const sinceUpdate = state.generation - state.eigenGeneration;
      if (!diagonal && !(sinceUpdate < eigenGap || (eigenGap === 0 && sinceUpdate === 0))) {
        const decomposed = decomposeCovariance(state.covariance, n, state.axisLengths);
        current = { ...state, ...decomposed, eigenGeneration: state.generation };
      }
      const b = current.eigenvectors;
      const d = current.axisLengths;
      const steps = new Float64Array(lambda * n);
      const population = new Float32Array(lambda * n);
      const z = new Float64Array(n);
      for (let k = 0; k < lambda; k += 1) {
        for (let i = 0; i < n; i += 1) z[i] = d[i]! * rng.nextNormal();
        for (let i = 0; i < n; i += 1) {
          let y: number;
          if (diagonal) y = z[i]!;
          else {
            y = 0;
            for (let j = 0; j < n; j += 1) y += b[i * n + j]! * z[j]!;
          }
          steps[k * n + i] = y;
          population[k * n + i] = current.mean[i]! + current.sigma * y;
        }
      }
      return { population, state: { ...current, steps, stepsGeneration: current.generation } };
    },

    tell(population: Float32Array, fitness: ArrayLike<number>, state: CmaEsState) {
      if (state.stepsGeneration !== state.generation || state.steps.length !== lambda * n) {
        throw new RangeError(
          `${label}.tell: the state holds no steps drawn for generation ${state.generation}; pass the state returned by ask`,
        );
      }
      if (!(population instanceof Float32Array) || population.length !== lambda * n) {
        throw new RangeError(
          `${label}.tell: population must be a Float32Array of length ${lambda * n} (the one ask returned), got length ${describeValue(population?.length)}`,
        );
      }
      if (fitness === null || typeof fitness !== 'object' || fitness.length !== lambda) {
        throw new RangeError(
          `${label}.tell: fitness must hold populationSize = ${lambda} numbers, got ${describeValue(
            (fitness as ArrayLike<number> | null)?.length,
          )}`,
        );
      }
      // The population must be what ask drew (the update uses the Float64 steps, not the Float32 copy).
      for (let k = 0; k < lambda; k += 1) {
        for (let i = 0; i < n; i += 1) {
          const expected = Math.fround(state.mean[i]! + state.sigma * state.steps[k * n + i]!);
          if (population[k * n + i] !== expected) {
            throw new RangeError(
              `${label}.tell: population member ${k} differs from what ask drew (coordinate ${i}: ${population[k * n + i]} vs ${expected}); CMA-ES must be told the population of the state's last ask`,
            );
          }
        }
      }
      const steps = state.steps;
      const generation = state.generation + 1; // pycma's countiter, >= 1 now
      const evaluations = state.evaluations + lambda;

      // Sort by f = -fitness ascending (best first); non-finite fitness is the worst.
      const values = Float64Array.from({ length: lambda }, (_v, k) => {
        const f = -Number(fitness[k]);
        return Number.isNaN(f) ? Infinity : f;
      });
      const order = Array.from({ length: lambda }, (_v, k) => k).sort((a, b) => {
        const fa = values[a]!;
        const fb = values[b]!;
        return fa < fb ? -1 : fa > fb ? 1 : a - b;
      });
      const sorted = Float64Array.from(order, (k) => values[k]!);

      // Fitness histories (pycma's fit.hist, fit.histbest, fit.histmedian).
      const half = lambda >> 1;
      const medianValue = lambda % 2 === 1 ? sorted[half]! : (sorted[half - 1]! + sorted[half]!) / 2;
      const recentBest = appendCapped(state.recentBest, sorted[0]!, Math.floor(historyCap));
      const sparse = generation % 5 === 0;
      const sparseBest = sparse ? appendCapped(state.sparseBest, sorted[0]!, 20000) : state.sparseBest;
      const sparseMedian = sparse ? appendCapped(state.sparseMedian, medianValue, 20000) : state.sparseMedian;
      const improved = sorted[0]! < state.bestValue;
      const flatGenerations = sorted[0]! < sorted[Math.floor(0.75 * lambda)]! ? 0 : state.flatGenerations + 1;

      // Recombination: <y>_w = sum_{i<=mu} w_i y_i:lambda, m' = m + sigma <y>_w.
      const meanStep = new Float64Array(n);
      for (let i = 0; i < mu; i += 1) {
        const w = weights[i]!;
        const offset = order[i]! * n;
        for (let j = 0; j < n; j += 1) meanStep[j] = meanStep[j]! + w * steps[offset + j]!;
      }
      const mean = Float64Array.from(state.mean, (m, j) => m + state.sigma * meanStep[j]!);

      // Cumulative step-size adaptation path, with the C^-1/2 of the decomposition used to sample.
      const whitened = whiten(state, meanStep);
      const pathSigmaFactor = Math.sqrt(cs * (2 - cs) * mueff);
      const pathSigma = Float64Array.from(
        state.pathSigma,
        (p, j) => (1 - cs) * p + pathSigmaFactor * whitened[j]!,
      );
      let pathSigmaSquared = 0;
      for (const p of pathSigma) pathSigmaSquared += p * p;
      const hsig = pathSigmaSquared / (1 - (1 - cs) ** (2 * generation)) / n - 1 < 1 + 4 / (n + 1) ? 1 : 0;

      // Covariance path with the h_sigma stall.
      const pathCovarianceFactor = hsig * Math.sqrt(cc * (2 - cc) * mueff);
      const pathCovariance = Float64Array.from(
        state.pathCovariance,
        (p, j) => (1 - cc) * p + pathCovarianceFactor * meanStep[j]!,
      );

      // Covariance update: C' = (1 - c1a - c_mu sum w) C + c1 p_c p_c^T + c_mu sum w°_i y_i y_i^T.
      const c1a = c1 * (1 - (1 - hsig) * cc * (2 - cc));
      let covariance = state.covariance;
      if (c1a + cmu > 0) {
        const decay = 1 - c1a - cmu * weightSum;
        const memberWeights = new Float64Array(lambda);
        for (let i = 0; i < lambda; i += 1) {
          let w = cmu * weights[i]!;
          if (w < 0) {
            // Negative-weight vectors rescaled to squared Mahalanobis length n (tutorial eq. 46).
            const norm = Math.sqrt(
              mahalanobisSquared(state, steps.subarray(order[i]! * n, (order[i]! + 1) * n)),
            );
            w *= n / (norm + 1e-9) ** 2;
          }
          memberWeights[i] = w;
        }
        if (diagonal) {
          covariance = new Float64Array(n);
          for (let j = 0; j < n; j += 1) {
            let positive = decay * state.covariance[j]! + c1 * pathCovariance[j]! ** 2;
            let negative = 0;
            for (let i = 0; i < lambda; i += 1) {
              const w = memberWeights[i]!;
              if (w === 0) continue;
              const term = w * steps[order[i]! * n + j]! ** 2;
              if (w > 0) positive += term;
              else negative += term;
            }
            covariance[j] = positive + Math.max(negative, -0.5 * positive);
          }
        } else {
          covariance = new Float64Array(n * n);
          const c = state.covariance;
          for (let r = 0; r < n; r += 1) {
            for (let s = r; s < n; s += 1) {
              let value = decay * c[r * n + s]! + c1 * pathCovariance[r]! * pathCovariance[s]!;
              for (let i = 0; i < lambda; i += 1) {
                const w = memberWeights[i]!;
                if (w === 0) continue;
                const offset = order[i]! * n;
                value += w * steps[offset + r]! * steps[offset + s]!;
              }
              covariance[r * n + s] = value;
              covariance[s * n + r] = value;
            }
          }
        }
      }
      const axisLengths = diagonal ? covariance.map(Math.sqrt) : state.axisLengths;

      // Step size: sigma' = sigma exp(min(1, c_sigma / d_sigma (|p_sigma| / chi_n - 1))).
      const change = Math.max(-1, Math.min(1, (cs / damps) * (Math.sqrt(pathSigmaSquared) / chiN - 1)));
      const sigma = state.sigma * Math.exp(change);

      // tolxstagnation's reference mean (pycma's _StopTolXStagnation.update).
      const threshold = 20 + 0.1 * generation;
      const delta =
        tolerances.meanStagnationTolerance *
        Math.sqrt(Math.max(1, (generation - state.stagnationSince) / threshold));
      let distance = 0;
      for (let j = 0; j < n; j += 1) distance += (mean[j]! - state.stagnationMean[j]!) ** 2;
      const moved = Math.sqrt(distance) > delta;

      const next: CmaEsState = {
        ...state,
        generation,
        evaluations,
        mean,
        sigma,
        covariance,
        axisLengths,
        pathSigma,
        pathCovariance,
        steps: new Float64Array(0),
        stepsGeneration: -1,
        recentBest,
        sparseBest,
        sparseMedian,
        lastValues: sorted,
        bestValue: improved ? sorted[0]! : state.bestValue,
        bestEvaluation: improved ? evaluations : state.bestEvaluation,
        flatGenerations,
        stagnationMean: moved ? Float64Array.from(mean) : state.stagnationMean,
        stagnationSince: moved ? generation : state.stagnationSince,
        stopReasons: [],
      };
      const stopReasons = findStopReasons(next);
      let maxAxis = 0;
      let minAxis = Infinity;
      for (const d of axisLengths) {
        maxAxis = Math.max(maxAxis, d);
        minAxis = Math.min(minAxis, d);
      }
      return {
        state: { ...next, stopReasons },
        metrics: {
          'cmaes/sigma': sigma,
          'cmaes/axisRatio': maxAxis / minAxis,
          'cmaes/pathSigmaRatio': Math.sqrt(pathSigmaSquared) / chiN,
          'cmaes/hsig': hsig,
          'cmaes/bestValue': next.bestValue,
          'cmaes/stop': stopReasons.length > 0 ? 1 : 0,
        },
      };
    },

    mean(state: CmaEsState): Float32Array {
      return Float32Array.from(state.mean);
    },

    stopReasons(state: CmaEsState): readonly string[] {
      return state.stopReasons;
    },
  };
  return strategy;
}

/** Driver-level limits checked by `cmaEsStopReasons` beside the strategy's own criteria. */
export interface CmaEsStopLimits {
  /** Stop after this many generations [maxiter]; default none. */
  readonly maxGenerations?: number;
  /** Stop once this many members have been told [maxfevals]; default none. */
  readonly maxEvaluations?: number;
  /** Stop once the best fitness told reaches this value (higher is better; -ftarget) [ftarget]; default none. */
  readonly targetFitness?: number;
}

/**
 * The stopping criteria met by a CMA-ES state after `tell` (pycma's names: 'tolfun', 'tolx', ...),
 * plus 'maxiter', 'maxfevals' and 'ftarget' for the driver's `limits`. Empty while CMA-ES should go on.
 *
 * @example
 * if (cmaEsStopReasons(state, { maxEvaluations: 1e5 }).length > 0) break;
 */
export function cmaEsStopReasons(state: CmaEsState, limits: CmaEsStopLimits = {}): string[] {
  if (state === null || typeof state !== 'object' || !Array.isArray(state.stopReasons)) {
    throw new TypeError(`cmaEsStopReasons: state must be a CmaEsState, got ${describeValue(state)}`);
  }
  const reasons: string[] = [];
  if (limits.targetFitness !== undefined && -state.bestValue >= limits.targetFitness) reasons.push('ftarget');
  if (limits.maxEvaluations !== undefined && state.evaluations >= limits.maxEvaluations)
    reasons.push('maxfevals');
  if (limits.maxGenerations !== undefined && state.generation >= limits.maxGenerations)
    reasons.push('maxiter');
  return [...reasons, ...state.stopReasons];
}
