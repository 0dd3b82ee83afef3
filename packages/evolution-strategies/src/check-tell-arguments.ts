/**
 * The argument checks every strategy's `tell` makes, for users who call a strategy without core's
 * runner: the population has populationSize × dimension values and the fitness populationSize
 * finite numbers (the runner turns NaN and ±Infinity into the worst fitness before `tell`).
 */
import { describeValue } from '@metarl/core';

/** Throws a RangeError naming the argument when `population` or `fitness` has the wrong shape or a non-finite value. */
export function checkTellArguments(
  kind: string,
  population: Float32Array,
  fitness: ArrayLike<number>,
  populationSize: number,
  dimension: number,
): void {
  if (!(population instanceof Float32Array) || population.length !== populationSize * dimension)
    throw new RangeError(
      `${kind}.tell: population must be a Float32Array of populationSize × dimension = ${populationSize * dimension} values (the one ask returned), got ${describeValue(population)}`,
    );
  if (fitness === null || typeof fitness !== 'object' || fitness.length !== populationSize)
    throw new RangeError(
      `${kind}.tell: fitness must hold populationSize = ${populationSize} numbers, got ${describeValue(fitness)}`,
    );
  for (let i = 0; i < populationSize; i += 1) {
    if (!Number.isFinite(fitness[i]))
      throw new RangeError(
        `${kind}.tell: fitness[${i}] is ${fitness[i]}; tell takes finite values (createEvolutionRunner counts NaN and ±Infinity as the worst fitness)`,
      );
  }
}
