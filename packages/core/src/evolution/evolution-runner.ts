/**
 * `createEvolutionRunner`: the public face of an `EvolutionStrategy` (evosax's `Strategy.ask` /
 * `Strategy.tell` around `_ask` / `_tell`). The runner does the bookkeeping, the strategy only
 * its math:
 *
 * - shape checks with errors that name the argument, the value and the expected form;
 * - fitness shaping ('centered-ranks', 'z-score', 'raw');
 * - the NaN guard: non-finite fitness (NaN, ±Infinity) counts as the worst, never becomes the
 *   best, and is counted in `es/nanCount`; a generation without any finite fitness is an error;
 * - the best solution so far (by raw fitness), the generation counter, metrics with fixed keys;
 * - a JSON checkpoint of the whole state that resumes bit for bit.
 *
 * Pure functions over explicit state and an explicit `Rng`: nothing is kept between calls.
 *
 * @example
 * const runner = createEvolutionRunner(strategy);
 * let state = runner.init(createRng(0), initialSolution);
 * for (let generation = 0; generation < 100; generation += 1) {
 *   const asked = runner.ask(rng, state);
 *   const fitness = evaluate(asked.population); // [populationSize], higher is better
 *   state = runner.tell(asked.population, fitness, asked.state).state;
 * }
 */
import type { Rng } from '@metarl/envs';
import type { JsonValue } from '../checkpoint/checkpoint';
import type { EvolutionStrategy } from './evolution-strategy';
import { decodePlainValue, encodePlainValue, PlainValueError } from './plain-value';
import { FITNESS_SHAPINGS, type FitnessShaping, shapeFitness } from './shape-fitness';

/** Options of `createEvolutionRunner`. */
export interface EvolutionRunnerOptions {
  /** Fitness shaping before the strategy's `tell`; default the strategy's `fitnessShaping`, else 'centered-ranks'. */
  readonly fitnessShaping?: FitnessShaping;
}

/** The runner's state: the strategy's own state plus the bookkeeping. A plain value. */
export interface EvolutionState<State> {
  /** The strategy's own state. */
  readonly strategyState: State;
  /** Completed generations (calls of `tell`); the generation being asked or told is this number (from 0). */
  readonly generation: number;
  /** Search dimension (length of a solution). */
  readonly dimension: number;
  /** Members told so far, those with non-finite fitness included. */
  readonly evaluations: number;
  /** Best member told so far by raw fitness `[dimension]`; the initial solution until a finite fitness arrives. */
  readonly bestSolution: Float32Array;
  /** Raw fitness of `bestSolution`; -Infinity before the first finite fitness. */
  readonly bestFitness: number;
}

/**
 * The fixed metric keys of `tell` (raw fitness statistics over the generation's finite values),
 * followed by the strategy's own keys.
 */
export interface EvolutionMetrics {
  /** Completed generations after this `tell`. */
  readonly 'es/generation': number;
  /** Mean raw fitness of the generation's finite values. */
  readonly 'es/fitnessMean': number;
  /** Standard deviation (population) of the generation's finite raw fitness. */
  readonly 'es/fitnessStd': number;
  /** Highest finite raw fitness of the generation. */
  readonly 'es/fitnessMax': number;
  /** Lowest finite raw fitness of the generation. */
  readonly 'es/fitnessMin': number;
  /** Best raw fitness so far, this generation included. */
  readonly 'es/bestFitness': number;
  /** Members of the generation whose fitness was NaN or ±Infinity (treated as the worst). */
  readonly 'es/nanCount': number;
  /** Members told so far. */
  readonly 'es/evaluations': number;
  /** The strategy's own metrics. */
  readonly [key: string]: number;
}

/** A checkpoint of an `EvolutionState` as JSON (survives `JSON.stringify`/`JSON.parse` exactly). */
export type EvolutionCheckpoint = {
  /** Always 'metarl-evolution-state'. */
  readonly format: 'metarl-evolution-state';
  /** Layout version of this form (1). */
  readonly formatVersion: 1;
  /** The strategy's kind; checked on restore. */
  readonly kind: string;
  /** The strategy's population size; checked on restore. */
  readonly populationSize: number;
  /** The runner's fitness shaping; checked on restore. */
  readonly fitnessShaping: FitnessShaping;
  /** The whole `EvolutionState` in the tagged JSON form (typed arrays as base64, NaN/±Infinity/-0 tagged). */
  readonly state: JsonValue;
};

/** What the runner's `ask` returns. */
export interface EvolutionAskResult<State> {
  /** `[populationSize * dimension]`, member-major. */
  readonly population: Float32Array;
  /** The state to pass to `tell` with this population's fitness. */
  readonly state: EvolutionState<State>;
}

/** What the runner's `tell` returns. */
export interface EvolutionTellResult<State> {
  /** The state after the update (generation + 1). */
  readonly state: EvolutionState<State>;
  /** Fixed `es/*` keys plus the strategy's own. */
  readonly metrics: EvolutionMetrics;
}

/** An `EvolutionStrategy` with the bookkeeping around it. */
export interface EvolutionRunner<State> {
  /** The wrapped strategy. */
  readonly strategy: EvolutionStrategy<State>;
  /** The strategy's kind. */
  readonly kind: string;
  /** Candidates per generation. */
  readonly populationSize: number;
  /** The fitness shaping applied before the strategy's `tell`. */
  readonly fitnessShaping: FitnessShaping;
  /** The initial state around `initialSolution` (a non-empty, finite Float32Array; copied). */
  init(rng: Rng, initialSolution: Float32Array): EvolutionState<State>;
  /** The next generation's candidates, checked for shape and finiteness. */
  ask(rng: Rng, state: EvolutionState<State>): EvolutionAskResult<State>;
  /** Shapes and guards `fitness` (`[populationSize]`, higher is better), updates the strategy and the best so far. */
  tell(
    population: Float32Array,
    fitness: ArrayLike<number>,
    state: EvolutionState<State>,
  ): EvolutionTellResult<State>;
  /** The strategy's current centre, the solution to deploy (a copy). */
  mean(state: EvolutionState<State>): Float32Array;
  /** The state as JSON; throws a clear error naming the path when the strategy's state is not plain data. */
  toCheckpoint(state: EvolutionState<State>): EvolutionCheckpoint;
  /** The state back from `toCheckpoint`'s output (possibly after `JSON.parse`); validated, new arrays. */
  fromCheckpoint(checkpoint: unknown): EvolutionState<State>;
}

const FORMAT = 'metarl-evolution-state';

function describeArray(value: unknown): string {
  if (ArrayBuffer.isView(value) || Array.isArray(value)) {
    return `${(value as { constructor: { name: string } }).constructor.name} of length ${(value as ArrayLike<unknown>).length}`;
  }
  return value === null ? 'null' : typeof value === 'object' ? 'a non-array object' : String(value);
}

/** Raw fitness in double precision, non-finite values replaced by the lowest finite one (as `shapeFitness`'s 'raw'). */
function rawFitness(fitness: ArrayLike<number>): Float64Array {
  let lowest = Infinity;
  for (let i = 0; i < fitness.length; i += 1) {
    const value = Number(fitness[i]);
    if (Number.isFinite(value) && value < lowest) lowest = value;
  }
  return Float64Array.from({ length: fitness.length }, (_v, i) => {
    const value = Number(fitness[i]);
    return Number.isFinite(value) ? value : lowest;
  });
}

function firstNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i += 1) if (!Number.isFinite(values[i]!)) return i;
  return -1;
}

/**
 * Wraps `strategy` with the bookkeeping every evolution strategy needs (see the file header).
 * Throws a RangeError when the strategy's `kind` or `populationSize` is invalid.
 */
export function createEvolutionRunner<State>(
  strategy: EvolutionStrategy<State>,
  options: EvolutionRunnerOptions = {},
): EvolutionRunner<State> {
  const kind = strategy?.kind;
  if (typeof kind !== 'string' || kind.length === 0) {
    throw new RangeError(
      `createEvolutionRunner: strategy.kind must be a non-empty string, got ${JSON.stringify(kind)}`,
    );
  }
  const label = `evolution runner (${kind})`;
  const size = strategy.populationSize;
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(`${label}: strategy.populationSize must be a positive integer, got ${String(size)}`);
  }
  for (const method of ['init', 'ask', 'tell', 'mean'] as const) {
    if (typeof strategy[method] !== 'function') {
      throw new TypeError(`${label}: strategy.${method} must be a function, got ${typeof strategy[method]}`);
    }
  }
  const shaping = options.fitnessShaping ?? strategy.fitnessShaping ?? 'centered-ranks';
  if (!FITNESS_SHAPINGS.includes(shaping)) {
    throw new RangeError(
      `${label}: fitnessShaping must be one of ${FITNESS_SHAPINGS.map((m) => `'${m}'`).join(', ')}, got ${JSON.stringify(shaping)}`,
    );
  }

  const checkState = (state: EvolutionState<State>, where: string) => {
    if (
      state === null ||
      typeof state !== 'object' ||
      !Number.isInteger(state.dimension) ||
      !Number.isInteger(state.generation) ||
      !(state.bestSolution instanceof Float32Array)
    ) {
      throw new TypeError(
        `${label}.${where}: state must be an EvolutionState from init, ask, tell or fromCheckpoint, got ${describeArray(state)}`,
      );
    }
  };

  const checkPopulation = (population: unknown, dimension: number, where: string, generation: number) => {
    const expected = size * dimension;
    if (!(population instanceof Float32Array) || population.length !== expected) {
      throw new RangeError(
        `${label}.${where}: population must be a Float32Array of length populationSize * dimension = ${size} * ${dimension} = ${expected}, got ${describeArray(population)}`,
      );
    }
    const bad = firstNonFinite(population);
    if (bad >= 0) {
      throw new RangeError(
        `${label}.${where}: population of generation ${generation} holds ${population[bad]} at index ${bad} (member ${Math.floor(bad / dimension)}, coordinate ${bad % dimension}); every value must be finite`,
      );
    }
  };

  const runner: EvolutionRunner<State> = {
    strategy,
    kind,
    populationSize: size,
    fitnessShaping: shaping,

    init(rng, initialSolution) {
      if (!(initialSolution instanceof Float32Array) || initialSolution.length === 0) {
        throw new TypeError(
          `${label}.init: initialSolution must be a non-empty Float32Array, got ${describeArray(initialSolution)}`,
        );
      }
      const bad = firstNonFinite(initialSolution);
      if (bad >= 0) {
        throw new RangeError(
          `${label}.init: initialSolution holds ${initialSolution[bad]} at index ${bad}; every value must be finite`,
        );
      }
      const dimension = initialSolution.length;
      const strategyState = strategy.init(rng, Float32Array.from(initialSolution));
      const centre = strategy.mean(strategyState);
      if (!(centre instanceof Float32Array) || centre.length !== dimension) {
        throw new RangeError(
          `${label}.init: strategy.mean(state) must be a Float32Array of length ${dimension} (the initial solution's), got ${describeArray(centre)}`,
        );
      }
      return {
        strategyState,
        generation: 0,
        dimension,
        evaluations: 0,
        bestSolution: Float32Array.from(initialSolution),
        bestFitness: -Infinity,
      };
    },

    ask(rng, state) {
      checkState(state, 'ask');
      const result = strategy.ask(rng, state.strategyState);
      checkPopulation(result?.population, state.dimension, 'ask (the strategy returned)', state.generation);
      return { population: result.population, state: { ...state, strategyState: result.state } };
    },

    tell(population, fitness, state) {
      checkState(state, 'tell');
      const { dimension, generation } = state;
      checkPopulation(population, dimension, 'tell', generation);
      const isArrayLike =
        Array.isArray(fitness) || (ArrayBuffer.isView(fitness) && !(fitness instanceof DataView));
      if (!isArrayLike || fitness.length !== size) {
        throw new RangeError(
          `${label}.tell: fitness must hold populationSize = ${size} numbers (one per member), got ${describeArray(fitness)}`,
        );
      }
      let nanCount = 0;
      let count = 0;
      let sum = 0;
      let max = -Infinity;
      let min = Infinity;
      let argMax = -1;
      for (let i = 0; i < size; i += 1) {
        const value = Number(fitness[i]);
        if (!Number.isFinite(value)) {
          nanCount += 1;
          continue;
        }
        count += 1;
        sum += value;
        if (value > max) {
          max = value;
          argMax = i;
        }
        if (value < min) min = value;
      }
      if (count === 0) {
        throw new RangeError(
          `${label}.tell: every fitness of generation ${generation} is NaN or ±Infinity (${size} members); nothing to learn from, check the evaluation`,
        );
      }
      const mean = sum / count;
      let squares = 0;
      for (let i = 0; i < size; i += 1) {
        const value = Number(fitness[i]);
        if (Number.isFinite(value)) squares += (value - mean) ** 2;
      }
      // Raw fitness keeps double precision (a strategy such as CMA-ES compares values that differ
      // in the 10th digit); shaped values are in [-0.5, 0.5] or z-scores and fit float32.
      const shaped = shaping === 'raw' ? rawFitness(fitness) : shapeFitness(fitness, shaping);
      const overflow = firstNonFinite(shaped);
      if (overflow >= 0) {
        throw new RangeError(
          `${label}.tell: fitness ${fitness[overflow]} of member ${overflow} does not fit a Float32Array; use 'centered-ranks' or 'z-score' shaping`,
        );
      }
      const result = strategy.tell(population, shaped, state.strategyState);
      const strategyMetrics = result?.metrics ?? {};
      for (const [key, value] of Object.entries(strategyMetrics)) {
        if (key.startsWith('es/')) {
          throw new RangeError(
            `${label}.tell: the strategy's metric '${key}' uses the runner's reserved 'es/' prefix; name it '${kind}/...'`,
          );
        }
        if (typeof value !== 'number') {
          throw new TypeError(
            `${label}.tell: the strategy's metric '${key}' must be a number, got ${typeof value}`,
          );
        }
      }
      const improved = max > state.bestFitness;
      const bestFitness = improved ? max : state.bestFitness;
      const bestSolution = improved
        ? population.slice(argMax * dimension, (argMax + 1) * dimension)
        : state.bestSolution;
      const next: EvolutionState<State> = {
        strategyState: result.state,
        generation: generation + 1,
        dimension,
        evaluations: state.evaluations + size,
        bestSolution,
        bestFitness,
      };
      return {
        state: next,
        metrics: {
          ...strategyMetrics,
          'es/generation': generation + 1,
          'es/fitnessMean': mean,
          'es/fitnessStd': Math.sqrt(squares / count),
          'es/fitnessMax': max,
          'es/fitnessMin': min,
          'es/bestFitness': bestFitness,
          'es/nanCount': nanCount,
          'es/evaluations': next.evaluations,
        },
      };
    },

    mean(state) {
      checkState(state, 'mean');
      return Float32Array.from(strategy.mean(state.strategyState));
    },

    toCheckpoint(state) {
      checkState(state, 'toCheckpoint');
      let encoded: JsonValue;
      try {
        encoded = encodePlainValue(state, 'state');
      } catch (error) {
        if (error instanceof PlainValueError) {
          throw new PlainValueError(
            `${label}.toCheckpoint: ${error.message}. A strategy's state must be plain data to be checkpointed`,
            { cause: error },
          );
        }
        throw error;
      }
      return {
        format: FORMAT,
        formatVersion: 1,
        kind,
        populationSize: size,
        fitnessShaping: shaping,
        state: encoded,
      };
    },

    fromCheckpoint(checkpoint) {
      const where = `${label}.fromCheckpoint`;
      const record = checkpoint as Partial<EvolutionCheckpoint> | null;
      if (record === null || typeof record !== 'object' || record.format !== FORMAT) {
        throw new TypeError(
          `${where}: expected an object with format '${FORMAT}' (from toCheckpoint), got format ${JSON.stringify(record?.format)}`,
        );
      }
      if (record.formatVersion !== 1) {
        throw new RangeError(
          `${where}: formatVersion ${JSON.stringify(record.formatVersion)} is not supported (this reader supports 1)`,
        );
      }
      if (record.kind !== kind) {
        throw new TypeError(
          `${where}: the checkpoint was written by '${String(record.kind)}', this runner wraps '${kind}'`,
        );
      }
      if (record.populationSize !== size) {
        throw new RangeError(
          `${where}: the checkpoint has populationSize ${String(record.populationSize)}, this strategy has ${size}`,
        );
      }
      if (record.fitnessShaping !== shaping) {
        throw new RangeError(
          `${where}: the checkpoint used fitnessShaping '${String(record.fitnessShaping)}', this runner uses '${shaping}'; create the runner with { fitnessShaping: '${String(record.fitnessShaping)}' } to resume exactly`,
        );
      }
      const state = decodePlainValue(record.state, 'state') as EvolutionState<State> | null;
      const fail = (why: string): never => {
        throw new TypeError(`${where}: ${why}`);
      };
      if (state === null || typeof state !== 'object' || Array.isArray(state)) fail('state is not an object');
      const s = state as EvolutionState<State>;
      if (!Number.isInteger(s.dimension) || s.dimension < 1)
        fail(`state.dimension must be a positive integer, got ${String(s.dimension)}`);
      if (!Number.isInteger(s.generation) || s.generation < 0)
        fail(`state.generation must be a non-negative integer, got ${String(s.generation)}`);
      if (!Number.isInteger(s.evaluations) || s.evaluations < 0)
        fail(`state.evaluations must be a non-negative integer, got ${String(s.evaluations)}`);
      if (!(s.bestSolution instanceof Float32Array) || s.bestSolution.length !== s.dimension)
        fail(
          `state.bestSolution must be a Float32Array of length ${s.dimension}, got ${describeArray(s.bestSolution)}`,
        );
      if (typeof s.bestFitness !== 'number' || Number.isNaN(s.bestFitness) || s.bestFitness === Infinity)
        fail(`state.bestFitness must be a finite number or -Infinity, got ${String(s.bestFitness)}`);
      if (!('strategyState' in s)) fail('state.strategyState is missing');
      const centre = strategy.mean(s.strategyState);
      if (!(centre instanceof Float32Array) || centre.length !== s.dimension)
        fail(
          `strategy.mean(state.strategyState) must be a Float32Array of length ${s.dimension}, got ${describeArray(centre)}`,
        );
      return s;
    },
  };
  return runner;
}
