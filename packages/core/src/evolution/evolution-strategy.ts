/**
 * The contract an evolution strategy implements (evosax's `Strategy` idea): the author writes
 * only the math of `init`, `ask` and `tell` over flat parameter vectors; `createEvolutionRunner`
 * wraps it with the bookkeeping every strategy needs (shape checks, fitness shaping, the NaN
 * guard, best-so-far, the generation counter, fixed metric keys, checkpoints).
 *
 * Fitness is HIGHER IS BETTER. A strategy's `tell` only ever sees finite, shaped fitness.
 *
 * State is a plain value: numbers, strings, booleans, null, arrays, plain objects and typed
 * arrays (no tensors, no class instances, no closures), so that it is checkpointed as JSON and a
 * run resumes bit for bit. Every method is pure: it returns a new state and never mutates the one
 * it was given (copy a typed array before changing it).
 */
import type { Rng } from '@metarl/envs';
import type { FitnessShaping } from './shape-fitness';

/** What `ask` returns: one generation's candidates and the state after drawing them. */
export interface AskResult<State> {
  /** `[populationSize * dimension]`, member-major: member i is `population.subarray(i * dimension, (i + 1) * dimension)`. */
  readonly population: Float32Array;
  /** The state after sampling (e.g. with the drawn noise kept for `tell`). */
  readonly state: State;
}

/** What `tell` returns. */
export interface TellResult<State> {
  /** The updated state. */
  readonly state: State;
  /** Strategy-specific diagnostics with namespaced keys, e.g. `{ 'cmaes/sigma': 0.3 }`; keys starting with `es/` are the runner's. */
  readonly metrics: Readonly<Record<string, number>>;
}

/** An evolution strategy over flat parameter vectors; State is a plain value (see the file header). */
export interface EvolutionStrategy<State> {
  /** Algorithm name, e.g. 'openai-es'; written into checkpoints and checked on restore. */
  readonly kind: string;
  /** Candidates per generation (lambda); fixed for the strategy's lifetime. */
  readonly populationSize: number;
  /** The fitness shaping this strategy's math expects (the runner's option overrides it); default 'centered-ranks'. */
  readonly fitnessShaping?: FitnessShaping;
  /** The initial state around `initialSolution`, whose length is the search dimension. */
  init(rng: Rng, initialSolution: Float32Array): State;
  /** A new generation of `populationSize` candidates drawn with `rng`; never mutates `state`. */
  ask(rng: Rng, state: State): AskResult<State>;
  /**
   * The update from `fitness[i]` of member i (finite, shaped, higher is better); never mutates
   * `state`. The runner passes a Float64Array (full precision) when the shaping is 'raw', a
   * Float32Array of shaped values otherwise.
   */
  tell(population: Float32Array, fitness: Float32Array | Float64Array, state: State): TellResult<State>;
  /** The search distribution's centre, the solution to deploy `[dimension]` (a copy or a value not mutated later). */
  mean(state: State): Float32Array;
}
