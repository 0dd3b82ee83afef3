/**
 * What a worker does with a fitness job: rebuild the problem from its spec (cached per worker, so
 * a job does not rebuild the policy or the task distribution), rebuild the members (explicit
 * vectors, or θ ± σ·ε_k from the counter-based noise), evaluate the whole chunk with core's
 * `evaluatePopulation` (one batched forward pass per time step for every member) and answer with
 * one return per member.
 *
 * Observation normalisation follows the OpenAI-ES starter (Salimans et al. 2017, `es.py`'s
 * `ObStat`): the policy sees (o − mean) / std with the master's statistics, and a sampled fraction
 * of members report the sum, the sum of squares and the count of the raw observations they acted
 * on, which the master merges.
 *
 * @example
 * const result = handleFitnessJob(job); // { key, returns, steps, ... }
 */
import {
  createCategoricalMlpPolicy,
  createGaussianMlpPolicy,
  createInitialSolution,
  evaluatePopulation,
  type ParamLayout,
  type Policy,
} from '@metarl/core';
import { createRng, makeTaskDistribution, type TaskDistribution, type VectorEnv } from '@metarl/envs';
import { philox4x32 } from './counter-noise';
import {
  decodeVector,
  encodeReturn,
  type FitnessJob,
  type FitnessResult,
  MalformedFitnessMessageError,
  type ObservationNormalisation,
  type ProblemSpec,
  validateFitnessJob,
} from './fitness-jobs';
import { perturbationMember } from './perturbation';

/** A problem rebuilt from its spec: what every job on it shares. */
export interface BuiltProblem {
  readonly distribution: TaskDistribution<unknown>;
  readonly tasks: readonly unknown[];
  readonly policy: Policy;
  readonly layout: ParamLayout;
  /** Floats per observation. */
  readonly observationSize: number;
}

/** Problems built in this worker (thread or process), by their JSON; a few at most. */
const builtProblems = new Map<string, BuiltProblem>();
const MAX_BUILT_PROBLEMS = 4;

/**
 * The problem of `spec`, built once per worker: the task distribution, its tasks, the policy and
 * the parameter layout that member vectors follow (the layout is the same for every `rng`).
 */
export function buildProblem(spec: ProblemSpec): BuiltProblem {
  const cacheKey = JSON.stringify(spec);
  const cached = builtProblems.get(cacheKey);
  if (cached !== undefined) return cached;
  const distribution = makeTaskDistribution(spec.distribution.id, {
    ...(spec.distribution.options ?? {}),
  }) as TaskDistribution<unknown>;
  const tasks =
    spec.tasks.kind === 'sampled'
      ? distribution.sampleTasks(spec.tasks.count, { seed: spec.tasks.seed })
      : (spec.tasks.tasks as readonly unknown[]);
  const probe = distribution.makeVectorEnv([tasks[0]]);
  const actionSpace = probe.actionSpace as { readonly n?: number; readonly shape: readonly number[] };
  const discrete = typeof actionSpace.n === 'number';
  const wanted = discrete ? 'categorical-mlp' : 'gaussian-mlp';
  if (spec.policy.kind !== wanted) {
    throw new MalformedFitnessMessageError(
      `buildProblem: problem.policy.kind must be '${wanted}' for ${spec.distribution.id}'s ${discrete ? 'discrete' : 'box'} action space, got '${spec.policy.kind}'`,
    );
  }
  const policy = discrete
    ? createCategoricalMlpPolicy({
        observationSize: probe.observationSize,
        actions: actionSpace.n!,
        hiddenSizes: spec.policy.hiddenSizes,
        ...(spec.policy.activation === undefined ? {} : { activation: spec.policy.activation }),
      })
    : createGaussianMlpPolicy({
        observationSize: probe.observationSize,
        actionSize: probe.actionSize,
        hiddenSizes: spec.policy.hiddenSizes,
        ...(spec.policy.activation === undefined ? {} : { activation: spec.policy.activation }),
        ...(spec.policy.initialStd === undefined ? {} : { initialStd: spec.policy.initialStd }),
      });
  const { layout } = createInitialSolution(policy, createRng(0));
  const built: BuiltProblem = { distribution, tasks, policy, layout, observationSize: probe.observationSize };
  if (builtProblems.size >= MAX_BUILT_PROBLEMS) builtProblems.delete(builtProblems.keys().next().value!);
  builtProblems.set(cacheKey, built);
  return built;
}

const HASH_TAG = 0x45532d58; // 'ES-X'
const TWO_POW_32 = 4294967296;

/** A uniform number in [0, 1) from (environment seed, member, purpose): the same in every worker. */
function hashToUnit(environmentSeed: number, member: number, purpose: number): number {
  const block = philox4x32(
    [
      member >>> 0,
      Math.floor(member / TWO_POW_32) >>> 0,
      purpose,
      Math.floor(environmentSeed / TWO_POW_32) >>> 0,
    ],
    [environmentSeed >>> 0, HASH_TAG],
  );
  return block[0]! / TWO_POW_32;
}

/** Running sums of raw observations. */
interface ObservationSums {
  readonly sum: Float64Array;
  readonly sumOfSquares: Float64Array;
  count: number;
}

/** A VectorEnv whose observations come out normalised; raw ones acted on are summed when `sums` is given. */
class NormalisedVectorEnv implements VectorEnv {
  readonly id: string;
  readonly numEnvs: number;
  readonly observationSize: number;
  readonly actionSize: number;
  readonly observationSpace: VectorEnv['observationSpace'];
  readonly actionSpace: VectorEnv['actionSpace'];
  readonly maxEpisodeSteps: number;
  readonly autoresetMode: VectorEnv['autoresetMode'];
  private readonly normalised: Float32Array;

  constructor(
    private readonly inner: VectorEnv,
    private readonly normalisation: ObservationNormalisation,
    private readonly sums: ObservationSums | undefined,
  ) {
    this.id = inner.id;
    this.numEnvs = inner.numEnvs;
    this.observationSize = inner.observationSize;
    this.actionSize = inner.actionSize;
    this.observationSpace = inner.observationSpace;
    this.actionSpace = inner.actionSpace;
    this.maxEpisodeSteps = inner.maxEpisodeSteps;
    this.autoresetMode = inner.autoresetMode;
    this.normalised = new Float32Array(inner.numEnvs * inner.observationSize);
  }

  /** Normalises every observation; sums the raw ones of envs where `counted(i)`. */
  private normalise(raw: Float32Array, counted: (env: number) => boolean): Float32Array {
    const size = this.observationSize;
    const { mean, std } = this.normalisation;
    for (let i = 0; i < this.numEnvs; i += 1) {
      const record = this.sums !== undefined && counted(i);
      for (let d = 0; d < size; d += 1) {
        const value = raw[i * size + d]!;
        this.normalised[i * size + d] = (value - mean[d]!) / std[d]!;
        if (record) {
          this.sums!.sum[d]! += value;
          this.sums!.sumOfSquares[d]! += value * value;
        }
      }
      if (record) this.sums!.count += 1;
    }
    return this.normalised;
  }

  reset(options: { readonly seed?: number; readonly mask?: Uint8Array } = {}): Float32Array {
    const raw = this.inner.reset(options);
    const mask = options.mask;
    return this.normalise(raw, (i) => mask === undefined || mask[i] === 1);
  }

  step(actions: Parameters<VectorEnv['step']>[0], options: { readonly mask?: Uint8Array } = {}) {
    const result = this.inner.step(actions, options);
    const mask = options.mask;
    // Only observations the policy acts on next: of stepped envs whose episode goes on.
    const observations = this.normalise(
      result.observations,
      (i) => (mask === undefined || mask[i] === 1) && result.terminated[i] === 0 && result.truncated[i] === 0,
    );
    return { ...result, observations };
  }
}

/**
 * `distribution` with normalised observations for `evaluatePopulation`, which makes one VectorEnv
 * per member in member order: member `firstMember + b`'s raw observations go into `sums` when
 * `selected(firstMember + b)`.
 */
function normalisedDistribution(
  distribution: TaskDistribution<unknown>,
  normalisation: ObservationNormalisation,
  firstMember: number,
  selected: (member: number) => boolean,
  sums: ObservationSums,
): TaskDistribution<unknown> {
  let block = 0;
  return {
    ...distribution,
    sampleTasks: (count, options) => distribution.sampleTasks(count, options),
    makeEnv: (task) => distribution.makeEnv(task),
    makeVectorEnv(tasks, options) {
      const member = firstMember + block;
      block += 1;
      const inner = distribution.makeVectorEnv(tasks, options);
      return new NormalisedVectorEnv(inner, normalisation, selected(member) ? sums : undefined);
    },
  };
}

/**
 * Evaluates the members of `job` and returns their returns, in member order, with the job's key.
 * The job is validated first (a `MalformedFitnessMessageError` names the field otherwise), and its
 * vectors must have the size of the problem's parameter layout. Pure in effect: the same job gives
 * the same result in every worker (with `deterministic` policies, also for any chunking).
 */
export function handleFitnessJob(job: FitnessJob): FitnessResult {
  validateFitnessJob(job);
  const problem = buildProblem(job.problem);
  const dimension = problem.layout.size;
  const where = 'handleFitnessJob';

  // ── the members ──
  const members = job.members;
  const count = members.kind === 'explicit' ? members.vectors.length : members.count;
  const population = new Float32Array(count * dimension);
  if (members.kind === 'explicit') {
    members.vectors.forEach((encoded, i) => {
      const vector = decodeVector(encoded);
      if (vector.length !== dimension)
        throw new MalformedFitnessMessageError(
          `${where}: job.members.vectors[${i}] must have ${dimension} values (the policy's parameter count), got ${vector.length}`,
        );
      population.set(vector, i * dimension);
    });
  } else {
    const theta = decodeVector(members.theta);
    if (theta.length !== dimension)
      throw new MalformedFitnessMessageError(
        `${where}: job.members.theta must have ${dimension} values (the policy's parameter count), got ${theta.length}`,
      );
    for (let i = 0; i < count; i += 1)
      population.set(
        perturbationMember(theta, members.sigma, members.noiseSeed, members.firstMember + i),
        i * dimension,
      );
  }

  // ── observation normalisation ──
  const normalisation = job.observationNormalisation;
  if (normalisation !== undefined && normalisation.mean.length !== problem.observationSize)
    throw new MalformedFitnessMessageError(
      `${where}: job.observationNormalisation.mean must have ${problem.observationSize} values (the observation size), got ${normalisation.mean.length}`,
    );
  const sums: ObservationSums = {
    sum: new Float64Array(problem.observationSize),
    sumOfSquares: new Float64Array(problem.observationSize),
    count: 0,
  };
  const distribution =
    normalisation === undefined
      ? problem.distribution
      : normalisedDistribution(
          problem.distribution,
          normalisation,
          members.firstMember,
          (member) => hashToUnit(job.environmentSeed, member, 1) < normalisation.sampleFraction,
          sums,
        );

  // ── one batched evaluation ──
  const deterministic = job.problem.deterministic ?? true;
  const actionSeed = Math.floor(hashToUnit(job.environmentSeed, members.firstMember, 2) * TWO_POW_32);
  const evaluation = evaluatePopulation(population, {
    policy: problem.policy,
    layout: problem.layout,
    distribution,
    tasks: problem.tasks,
    seed: job.environmentSeed,
    deterministic,
    ...(deterministic ? {} : { rng: createRng(actionSeed) }),
    ...(job.problem.episodesPerTask === undefined ? {} : { episodesPerTask: job.problem.episodesPerTask }),
    ...(job.problem.maxEpisodeSteps === undefined ? {} : { maxEpisodeSteps: job.problem.maxEpisodeSteps }),
  });
  return {
    format: 'metarl-es-result',
    version: 1,
    key: { run: job.key.run, generation: job.key.generation, chunk: job.key.chunk },
    returns: Array.from(evaluation.fitness, encodeReturn),
    steps: evaluation.steps,
    ...(normalisation === undefined
      ? {}
      : {
          observationStatistics: {
            sum: Array.from(sums.sum),
            sumOfSquares: Array.from(sums.sumOfSquares),
            count: sums.count,
          },
        }),
  };
}
