/**
 * OpenAI-ES: Salimans, Ho, Chen, Sidor and Sutskever (2017), "Evolution Strategies as a Scalable
 * Alternative to Reinforcement Learning", as openai/evolution-strategies-starter computes it
 * (`es_distributed/es.py`, `optimizers.py`).
 *
 * One generation around the centre θ with noise scale σ:
 * 1. ask: a fresh `noiseSeed` from the rng; with antithetic sampling (mirrored pairs) member 2k is
 *    θ + σ ε_k and member 2k+1 is θ − σ ε_k, where ε_k = sampleCounterNormal(noiseSeed, k, n).
 *    A member is a pure function of (θ, σ, noiseSeed, member index): `perturbationMember`, which
 *    `ask` itself uses, so a remote worker rebuilds member i bit for bit from two integers.
 * 2. the runner shapes the fitness, by default with centred ranks over the whole population
 *    (all 2n returns ranked together, scaled to [−0.5, 0.5]: the starter's `compute_centered_ranks`).
 * 3. tell: g = Σ_k (r⁺_k − r⁻_k) ε_k / N, where N is the number of returns (the population size,
 *    2n): the starter divides by `returns_n2.size` and NOT by σ (σ is folded into the step size).
 *    Without antithetic sampling g = Σ_i r_i ε_i / N (plain Monte Carlo, not in the starter).
 * 4. the optimiser minimises, so it is given −g + l2·θ (weight decay as an L2 term on θ) and
 *    θ ← θ + step: Adam as the starter's (a = α √(1 − β2^t) / (1 − β1^t), step = −a m / (√v + ε),
 *    ε outside the bias correction) or SGD with momentum (v ← μ v + (1 − μ) g, step = −α v).
 *
 * Metrics: `openai-es/gradientNorm` ‖g‖ (the starter logs its square as GradNorm),
 * `openai-es/updateRatio` ‖step‖ / ‖θ‖ (θ before the step, the starter's UpdateRatio; Infinity
 * when θ = 0), `openai-es/parameterNorm` ‖θ‖ after the step (the starter logs its square as Norm).
 *
 * What differs from the starter: the noise is counter-based (Philox) instead of a shared 1 GB
 * table indexed at random offsets; tied fitness values share their average centred rank (the
 * starter's argsort gives ties distinct, order-dependent ranks); observation normalisation and
 * the adaptive episode cut-off belong to the evaluation, not to the strategy.
 *
 * @example
 * const strategy = createOpenAiEs({ populationSize: 64, sigma: 0.1, learningRate: 0.01 });
 * const runner = createEvolutionRunner(strategy); // centred ranks
 * let state = runner.init(createRng(0), initialSolution);
 * const asked = runner.ask(rng, state);
 * state = runner.tell(asked.population, fitness, asked.state).state;
 */
import {
  type ConfigValidator,
  createConfigValidator,
  describeValue,
  type EvolutionStrategy,
  type FitnessShaping,
} from '@metarl/core';
import type { Rng } from '@metarl/envs';
import { checkTellArguments } from './check-tell-arguments';
import { sampleCounterNormal } from './counter-noise';
import { perturbationMember } from './perturbation';

/** Options of `createOpenAiEs`. */
export interface OpenAiEsOptions {
  /** Members per generation (N); even when `antithetic`. Required. estool's CartPole setting is 64. */
  readonly populationSize: number;
  /** Noise standard deviation σ (the starter's `noise_stdev`); > 0. Default 0.1 (estool's `sigma_init`). */
  readonly sigma?: number;
  /** Step size α of the optimiser (the starter's `stepsize`); > 0. Default 0.01 (starter and estool). */
  readonly learningRate?: number;
  /** 'adam' (default, the starter's experiments and estool) or 'sgd' (SGD with momentum). */
  readonly optimizer?: 'adam' | 'sgd';
  /** SGD's momentum μ in [0, 1); default 0.9 (the starter's). Ignored by Adam. */
  readonly momentum?: number;
  /** Adam's β1 in [0, 1); default 0.9 (the starter's; estool's OpenES uses 0.99). */
  readonly adamBeta1?: number;
  /** Adam's β2 in [0, 1); default 0.999 (starter and estool). */
  readonly adamBeta2?: number;
  /** Adam's ε added to √v (outside the bias correction); > 0, default 1e-8 (starter and estool). */
  readonly adamEpsilon?: number;
  /**
   * L2 coefficient (weight decay) added to the descent direction: −g + l2·θ (the starter's
   * `l2coeff`); >= 0. Default 0.005, the starter's experiment configs (estool's 0.01 is a fitness
   * penalty −0.01·mean(θ_i²) per member instead, a different formula).
   */
  readonly l2Coefficient?: number;
  /** Mirrored pairs θ ± σε (default true, the starter's only mode); false: N independent draws θ + σε_i. */
  readonly antithetic?: boolean;
  /** Fitness shaping the runner applies by default; 'centered-ranks' (the starter's `centered_rank`). */
  readonly fitnessShaping?: FitnessShaping;
}

/** OpenAI-ES's state: a plain value (see core's EvolutionStrategy). */
export interface OpenAiEsState {
  /** The centre θ `[dimension]`. */
  readonly theta: Float32Array;
  /** The noise seed of the last `ask` (a uint32), -1 before the first. */
  readonly noiseSeed: number;
  /** Optimiser steps taken (t). */
  readonly step: number;
  /** Adam's first moment m, or SGD's velocity v `[dimension]`. */
  readonly firstMoment: Float32Array;
  /** Adam's second moment v `[dimension]` (all zero for SGD). */
  readonly secondMoment: Float32Array;
}

/** The resolved options, every default filled in. */
export type ResolvedOpenAiEsOptions = Required<OpenAiEsOptions>;

const OPTION_NAMES = [
  'populationSize',
  'sigma',
  'learningRate',
  'optimizer',
  'momentum',
  'adamBeta1',
  'adamBeta2',
  'adamEpsilon',
  'l2Coefficient',
  'antithetic',
  'fitnessShaping',
] as const;

/** Fills in the defaults and validates; errors name the option, the value and the expected form. */
export function resolveOpenAiEsOptions(options: OpenAiEsOptions): ResolvedOpenAiEsOptions {
  const check: ConfigValidator = createConfigValidator('createOpenAiEs');
  if (options === null || typeof options !== 'object')
    check.fail(`options must be an object, got ${describeValue(options)}`);
  for (const name of Object.keys(options)) {
    if (!(OPTION_NAMES as readonly string[]).includes(name))
      check.fail(`unknown option '${name}'; known options: ${OPTION_NAMES.join(', ')}`);
  }
  const resolved: ResolvedOpenAiEsOptions = {
    populationSize: options.populationSize,
    sigma: options.sigma ?? 0.1,
    learningRate: options.learningRate ?? 0.01,
    optimizer: options.optimizer ?? 'adam',
    momentum: options.momentum ?? 0.9,
    adamBeta1: options.adamBeta1 ?? 0.9,
    adamBeta2: options.adamBeta2 ?? 0.999,
    adamEpsilon: options.adamEpsilon ?? 1e-8,
    l2Coefficient: options.l2Coefficient ?? 0.005,
    antithetic: options.antithetic ?? true,
    fitnessShaping: options.fitnessShaping ?? 'centered-ranks',
  };
  check.integer('populationSize', resolved.populationSize, { min: 2 });
  if (resolved.antithetic && resolved.populationSize % 2 !== 0)
    check.fail(
      `populationSize must be even with antithetic sampling (mirrored pairs), got ${describeValue(resolved.populationSize)}`,
    );
  check.number('sigma', resolved.sigma, { above: 0 });
  check.number('learningRate', resolved.learningRate, { above: 0 });
  check.oneOf('optimizer', resolved.optimizer, ['adam', 'sgd'] as const);
  check.number('momentum', resolved.momentum, { min: 0, below: 1 });
  check.number('adamBeta1', resolved.adamBeta1, { min: 0, below: 1 });
  check.number('adamBeta2', resolved.adamBeta2, { min: 0, below: 1 });
  check.number('adamEpsilon', resolved.adamEpsilon, { above: 0 });
  check.number('l2Coefficient', resolved.l2Coefficient, { min: 0 });
  check.boolean('antithetic', resolved.antithetic);
  check.oneOf('fitnessShaping', resolved.fitnessShaping, ['centered-ranks', 'z-score', 'raw'] as const);
  return resolved;
}

/**
 * The gradient estimate g `[dimension]` from shaped fitness (higher is better): with antithetic
 * sampling Σ_k (r_{2k} − r_{2k+1}) ε_k / N, otherwise Σ_i r_i ε_i / N, N = fitness.length (the
 * starter's division by the number of returns; no 1/σ). Exported for the fixed-fixture tests.
 */
export function estimateOpenAiEsGradient(
  fitness: ArrayLike<number>,
  noiseSeed: number,
  dimension: number,
  antithetic: boolean,
): Float64Array {
  const count = fitness.length;
  const gradient = new Float64Array(dimension);
  const noise = new Float32Array(dimension);
  const directions = antithetic ? count / 2 : count;
  for (let k = 0; k < directions; k += 1) {
    const weight = antithetic ? fitness[2 * k]! - fitness[2 * k + 1]! : fitness[k]!;
    if (weight === 0) continue;
    sampleCounterNormal(noiseSeed, k, dimension, noise);
    for (let j = 0; j < dimension; j += 1) gradient[j]! += weight * noise[j]!;
  }
  for (let j = 0; j < dimension; j += 1) gradient[j]! /= count;
  return gradient;
}

/**
 * One optimiser step on the descent direction `direction` (= −g + l2·θ): the starter's Adam or
 * SGD with momentum. Returns the step and the new moments; pure. Exported for the fixture tests.
 */
export function computeOpenAiEsStep(
  options: ResolvedOpenAiEsOptions,
  direction: ArrayLike<number>,
  moments: { readonly step: number; readonly firstMoment: Float32Array; readonly secondMoment: Float32Array },
): {
  readonly update: Float64Array;
  readonly firstMoment: Float32Array;
  readonly secondMoment: Float32Array;
} {
  if (options.optimizer === 'sgd') {
    const dimension = direction.length;
    const update = new Float64Array(dimension);
    const firstMoment = new Float32Array(dimension);
    const mu = options.momentum;
    for (let j = 0; j < dimension; j += 1) {
      firstMoment[j] = mu * moments.firstMoment[j]! + (1 - mu) * direction[j]!;
      update[j] = -options.learningRate * firstMoment[j]!;
    }
    return { update, firstMoment, secondMoment: new Float32Array(dimension) };
  }
  return computeAdamStep(direction, moments, {
    learningRate: options.learningRate,
    beta1: options.adamBeta1,
    beta2: options.adamBeta2,
    epsilon: options.adamEpsilon,
  });
}

/**
 * One Adam step on a flat vector as the starter's optimizers.py takes it: the moments of
 * `direction` (a descent direction), a = learningRate √(1 − β2^t) / (1 − β1^t) and
 * update = −a m / (√v + ε), ε outside the bias correction. Shared by OpenAI-ES and ES-MAML's outer loop.
 */
export function computeAdamStep(
  direction: ArrayLike<number>,
  moments: { readonly step: number; readonly firstMoment: Float32Array; readonly secondMoment: Float32Array },
  settings: {
    readonly learningRate: number;
    readonly beta1: number;
    readonly beta2: number;
    readonly epsilon: number;
  },
): {
  readonly update: Float64Array;
  readonly firstMoment: Float32Array;
  readonly secondMoment: Float32Array;
} {
  const dimension = direction.length;
  const t = moments.step + 1;
  const { beta1, beta2, epsilon } = settings;
  const update = new Float64Array(dimension);
  const firstMoment = new Float32Array(dimension);
  const secondMoment = new Float32Array(dimension);
  const a = (settings.learningRate * Math.sqrt(1 - beta2 ** t)) / (1 - beta1 ** t);
  for (let j = 0; j < dimension; j += 1) {
    const d = direction[j]!;
    firstMoment[j] = beta1 * moments.firstMoment[j]! + (1 - beta1) * d;
    secondMoment[j] = beta2 * moments.secondMoment[j]! + (1 - beta2) * d * d;
    update[j] = (-a * firstMoment[j]!) / (Math.sqrt(secondMoment[j]!) + epsilon);
  }
  return { update, firstMoment, secondMoment };
}

function norm(values: ArrayLike<number>): number {
  let sum = 0;
  for (let j = 0; j < values.length; j += 1) sum += values[j]! ** 2;
  return Math.sqrt(sum);
}

/** OpenAI-ES as an `EvolutionStrategy` (kind 'openai-es'); see the file header. */
export function createOpenAiEs(options: OpenAiEsOptions): EvolutionStrategy<OpenAiEsState> & {
  readonly options: ResolvedOpenAiEsOptions;
} {
  const resolved = resolveOpenAiEsOptions(options);
  const { populationSize, sigma, antithetic, l2Coefficient } = resolved;
  return {
    kind: 'openai-es',
    populationSize,
    fitnessShaping: resolved.fitnessShaping,
    options: resolved,

    init(_rng: Rng, initialSolution: Float32Array): OpenAiEsState {
      const dimension = initialSolution.length;
      return {
        theta: Float32Array.from(initialSolution),
        noiseSeed: -1,
        step: 0,
        firstMoment: new Float32Array(dimension),
        secondMoment: new Float32Array(dimension),
      };
    },

    ask(rng, state) {
      const noiseSeed = rng.nextUint32();
      const dimension = state.theta.length;
      const population = new Float32Array(populationSize * dimension);
      for (let i = 0; i < populationSize; i += 1) {
        perturbationMember(state.theta, sigma, noiseSeed, i, {
          antithetic,
          out: population.subarray(i * dimension, (i + 1) * dimension),
        });
      }
      return { population, state: { ...state, noiseSeed } };
    },

    tell(population, fitness, state) {
      if (state.noiseSeed < 0)
        throw new RangeError('openai-es.tell: the state has no noise seed; pass the state returned by ask');
      const { theta } = state;
      const dimension = theta.length;
      checkTellArguments('openai-es', population, fitness, populationSize, dimension);
      // 1. Gradient estimate from the shaped fitness and the regenerated noise.
      const gradient = estimateOpenAiEsGradient(fitness, state.noiseSeed, dimension, antithetic);
      // 2. The optimiser minimises: descend along −g + l2·θ.
      const direction = new Float64Array(dimension);
      for (let j = 0; j < dimension; j += 1) direction[j] = -gradient[j]! + l2Coefficient * theta[j]!;
      const { update, firstMoment, secondMoment } = computeOpenAiEsStep(resolved, direction, state);
      const next = new Float32Array(dimension);
      for (let j = 0; j < dimension; j += 1) next[j] = theta[j]! + update[j]!;
      const thetaNorm = norm(theta);
      return {
        state: { theta: next, noiseSeed: state.noiseSeed, step: state.step + 1, firstMoment, secondMoment },
        metrics: {
          'openai-es/gradientNorm': norm(gradient),
          'openai-es/updateRatio': thetaNorm === 0 ? Infinity : norm(update) / thetaNorm,
          'openai-es/parameterNorm': norm(next),
        },
      };
    },

    mean(state) {
      return Float32Array.from(state.theta);
    },
  };
}
