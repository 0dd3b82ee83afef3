/**
 * Fitness through any `Executor`: splits a population into keyed chunks (one job each), maps them,
 * checks that every result answers its job (same key, one return per member, observation
 * statistics when asked) and reassembles the returns in member order. The same code drives the
 * in-process, worker-thread and BullMQ engines, so they agree exactly for the same seeds and chunk
 * size.
 *
 * @example
 * const fitness = createExecutorFitness(createInProcessExecutor(handleFitnessJob), problem, { run: 'cartpole-1' });
 * const { fitness: returns } = await fitness.evaluateAntithetic({ generation: 0, theta, sigma: 0.02,
 *   noiseSeed: 7, populationSize: 64, environmentSeed: 100 });
 */
import { describeValue } from '@metarl/core';
import type { Executor } from './executor';
import {
  decodeReturn,
  encodeVector,
  type FitnessJob,
  type FitnessJobMembers,
  type FitnessResult,
  type ObservationNormalisation,
  type ObservationStatistics,
  type ProblemSpec,
  validateFitnessResult,
  validateProblemSpec,
} from './fitness-jobs';
import { buildProblem } from './handle-fitness-job';

/** Options of `createExecutorFitness`. */
export interface ExecutorFitnessOptions {
  /** Names the run in every job key: 1 to 64 letters, digits, '_' or '-'. Two runs sharing a queue need different names. */
  readonly run: string;
  /** Members per job; default 16. Results depend on it only when the policy samples actions. */
  readonly chunkSize?: number;
}

/** What one generation's evaluation returns. */
export interface ExecutorFitnessEvaluation {
  /** `[populationSize]`: member i's mean episode return, higher is better. */
  readonly fitness: Float32Array;
  /** Environment steps taken by the whole population. */
  readonly steps: number;
  /** Sums of the sampled raw observations over all chunks (when observation normalisation was asked). */
  readonly observationStatistics?: ObservationStatistics;
}

/** Shared fields of a generation's request. */
export interface GenerationRequest {
  /** Generation number (part of the job keys: each generation must be evaluated under its own number). */
  readonly generation: number;
  /** Environment seed: environment j of every member resets with seed + j (common random numbers). */
  readonly environmentSeed: number;
  /** The master's current observation statistics; absent: raw observations, no statistics returned. */
  readonly observationNormalisation?: ObservationNormalisation;
  readonly signal?: AbortSignal;
}

/** Fitness of whole populations through an executor. */
export interface ExecutorFitness {
  /** The problem's parameter count: every member vector has this many values. */
  readonly dimension: number;
  /** Evaluates explicit member vectors `population` `[members * dimension]` (member-major, as `ask` returns them). */
  evaluatePopulation(
    population: Float32Array,
    request: GenerationRequest,
  ): Promise<ExecutorFitnessEvaluation>;
  /** Evaluates the antithetic population θ ± σ·ε_k of `populationSize` members (`perturbationMember`), sending only θ and integers. */
  evaluateAntithetic(
    request: GenerationRequest & {
      readonly theta: Float32Array;
      readonly sigma: number;
      readonly noiseSeed: number;
      readonly populationSize: number;
    },
  ): Promise<ExecutorFitnessEvaluation>;
}

/** Fitness of populations on `problem`, computed by `executor` in chunks of `options.chunkSize` members. */
export function createExecutorFitness(
  executor: Executor<FitnessJob, FitnessResult>,
  problem: ProblemSpec,
  options: ExecutorFitnessOptions,
): ExecutorFitness {
  const where = 'createExecutorFitness';
  if (typeof executor?.map !== 'function')
    throw new TypeError(
      `${where}: executor must be an Executor (with map and close), got ${describeValue(executor)}`,
    );
  validateProblemSpec(problem, where);
  if (typeof options?.run !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(options.run))
    throw new TypeError(
      `${where}: options.run must be 1 to 64 letters, digits, '_' or '-', got ${describeValue(options?.run)}`,
    );
  const chunkSize = options.chunkSize ?? 16;
  if (!Number.isInteger(chunkSize) || chunkSize < 1)
    throw new RangeError(
      `${where}: options.chunkSize must be an integer >= 1, got ${describeValue(chunkSize)}`,
    );
  const dimension = buildProblem(problem).layout.size;

  function checkRequest(label: string, request: GenerationRequest): void {
    if (!Number.isInteger(request.generation) || request.generation < 0)
      throw new RangeError(
        `${label}: generation must be an integer >= 0, got ${describeValue(request.generation)}`,
      );
    if (
      !Number.isSafeInteger(request.environmentSeed) ||
      request.environmentSeed < 0 ||
      request.environmentSeed > 2 ** 48
    )
      throw new RangeError(
        `${label}: environmentSeed must be an integer in [0, 2^48], got ${describeValue(request.environmentSeed)}`,
      );
  }

  async function run(
    request: GenerationRequest,
    populationSize: number,
    membersOf: (first: number, count: number) => FitnessJobMembers,
  ): Promise<ExecutorFitnessEvaluation> {
    const jobs: FitnessJob[] = [];
    for (let first = 0, chunk = 0; first < populationSize; first += chunkSize, chunk += 1) {
      jobs.push({
        format: 'metarl-es-job',
        version: 1,
        key: { run: options.run, generation: request.generation, chunk },
        problem,
        members: membersOf(first, Math.min(chunkSize, populationSize - first)),
        environmentSeed: request.environmentSeed,
        ...(request.observationNormalisation === undefined
          ? {}
          : { observationNormalisation: request.observationNormalisation }),
      });
    }
    const results = await executor.map(jobs, request.signal === undefined ? {} : { signal: request.signal });
    if (results.length !== jobs.length)
      throw new Error(`${where}: the executor returned ${results.length} results for ${jobs.length} jobs`);
    const fitness = new Float32Array(populationSize);
    let steps = 0;
    const size = request.observationNormalisation?.mean.length ?? 0;
    const sum = new Array<number>(size).fill(0);
    const sumOfSquares = new Array<number>(size).fill(0);
    let count = 0;
    jobs.forEach((job, i) => {
      const result = validateFitnessResult(results[i], job);
      const first = job.members.firstMember;
      result.returns.forEach((value, m) => {
        fitness[first + m] = decodeReturn(value);
      });
      steps += result.steps;
      const statistics = result.observationStatistics;
      if (statistics !== undefined) {
        for (let d = 0; d < size; d += 1) {
          sum[d]! += statistics.sum[d]!;
          sumOfSquares[d]! += statistics.sumOfSquares[d]!;
        }
        count += statistics.count;
      }
    });
    return {
      fitness,
      steps,
      ...(request.observationNormalisation === undefined
        ? {}
        : { observationStatistics: { sum, sumOfSquares, count } }),
    };
  }

  return {
    dimension,
    async evaluatePopulation(population, request) {
      const label = `${where}.evaluatePopulation`;
      checkRequest(label, request);
      const members = population instanceof Float32Array ? population.length / dimension : Number.NaN;
      if (!Number.isInteger(members) || members < 1)
        throw new RangeError(
          `${label}: population must be a non-empty Float32Array [members * ${dimension}], got ${
            population instanceof Float32Array ? `length ${population.length}` : describeValue(population)
          }`,
        );
      return run(request, members, (first, count) => ({
        kind: 'explicit',
        firstMember: first,
        vectors: Array.from({ length: count }, (_, m) =>
          encodeVector(population.subarray((first + m) * dimension, (first + m + 1) * dimension)),
        ),
      }));
    },
    async evaluateAntithetic(request) {
      const label = `${where}.evaluateAntithetic`;
      checkRequest(label, request);
      if (!(request.theta instanceof Float32Array) || request.theta.length !== dimension)
        throw new RangeError(
          `${label}: theta must be a Float32Array of ${dimension} values, got ${describeValue(request.theta)}`,
        );
      if (!Number.isInteger(request.populationSize) || request.populationSize < 1)
        throw new RangeError(
          `${label}: populationSize must be an integer >= 1, got ${describeValue(request.populationSize)}`,
        );
      if (typeof request.sigma !== 'number' || !Number.isFinite(request.sigma) || request.sigma < 0)
        throw new RangeError(
          `${label}: sigma must be a finite number >= 0, got ${describeValue(request.sigma)}`,
        );
      if (!Number.isInteger(request.noiseSeed) || request.noiseSeed < 0 || request.noiseSeed > 0xffffffff)
        throw new RangeError(
          `${label}: noiseSeed must be an integer in [0, 2^32 - 1], got ${describeValue(request.noiseSeed)}`,
        );
      const theta = encodeVector(request.theta);
      return run(request, request.populationSize, (first, count) => ({
        kind: 'antithetic',
        theta,
        sigma: request.sigma,
        noiseSeed: request.noiseSeed,
        firstMember: first,
        count,
      }));
    },
  };
}
