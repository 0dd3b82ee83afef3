/**
 * Fitness of a population of policies: a population of M parameter vectors is a batch of M
 * "tasks" for the batched sampler. The members are stacked on the leading (task) axis of the
 * policy's parameters and every member runs every task, `episodesPerTask` episodes each, in
 * parallel: one forward pass per time step for the whole population x tasks x episodes.
 *
 * Common random numbers: every member meets the same tasks and the same environment seeds
 * (environment j of every member resets with `seed + j`, exactly as when that member is
 * evaluated alone), so differences in fitness come from the parameters, not from luck of the
 * draw. With `deterministic: true` (the policy's mode) a member's fitness is exactly what it gets
 * when evaluated alone. When actions are sampled, the population's action noise comes from one
 * `rng` stream shared across members in one batched draw per step: a member's returns then agree
 * with a lone evaluation in distribution, not draw for draw.
 *
 * Feed-forward `Policy`s only (a recurrent policy's hidden state is not stacked here).
 */
import {
  createRng,
  NonFiniteValueError,
  type Rng,
  type TaskDistribution,
  type VectorEnv,
} from '@metarl/envs';
import { disposeParams } from '../params/param-tree';
import { checkAgentMatchesEnv, createPolicyAgent, sizesOf } from '../rl/agent';
import type { Policy } from '../rl/policies';
import { collectEpisodes } from '../rl/rollouts';
import { type ParamLayout, stackPopulation } from './param-layout';

/** Options of `evaluatePopulation`. */
export interface EvaluatePopulationOptions<Task> {
  /** The policy whose parameters each member holds. */
  readonly policy: Policy;
  /** Where each parameter sits in a member's vector (from `createInitialSolution` or `createParamLayout`). */
  readonly layout: ParamLayout;
  /** Makes the environments of `tasks`. */
  readonly distribution: TaskDistribution<Task>;
  /** The tasks every member runs (the same for all members). */
  readonly tasks: readonly Task[];
  /** Episodes per (member, task), run in parallel environments; default 1. */
  readonly episodesPerTask?: number;
  /** Environment seed: environment j of each member (task floor(j / episodesPerTask)) resets with seed + j. */
  readonly seed: number;
  /** Drives action sampling; required unless `deterministic`. */
  readonly rng?: Rng;
  /** Act with the distribution's mode (greedy / mean action) instead of sampling; default false. */
  readonly deterministic?: boolean;
  /** Overrides the distribution's time limit (steps per episode). */
  readonly maxEpisodeSteps?: number;
}

/** What `evaluatePopulation` returns. */
export interface PopulationEvaluation {
  /** `[M]`: each member's mean undiscounted episode return over its tasks and episodes. */
  readonly fitness: Float32Array;
  /** `[M * T]`: member m's mean return on task t at index m * T + t. */
  readonly returnsPerTask: Float32Array;
  /** Environment steps taken by the whole population. */
  readonly steps: number;
}

/** M copies of one VectorEnv layout side by side, each reset with the same seed (member-major). */
class MemberBlocksVectorEnv implements VectorEnv {
  readonly id: string;
  readonly numEnvs: number;
  readonly observationSize: number;
  readonly actionSize: number;
  readonly observationSpace: VectorEnv['observationSpace'];
  readonly actionSpace: VectorEnv['actionSpace'];
  readonly maxEpisodeSteps: number;
  readonly autoresetMode: VectorEnv['autoresetMode'];
  private readonly blocks: readonly VectorEnv[];
  private readonly blockSize: number;
  private readonly observations: Float32Array;
  private readonly rewards: Float64Array;
  private readonly terminated: Uint8Array;
  private readonly truncated: Uint8Array;

  constructor(blocks: readonly VectorEnv[]) {
    const first = blocks[0]!;
    this.blocks = blocks;
    this.blockSize = first.numEnvs;
    this.id = `${first.id} (${blocks.length} members)`;
    this.numEnvs = first.numEnvs * blocks.length;
    this.observationSize = first.observationSize;
    this.actionSize = first.actionSize;
    this.observationSpace = first.observationSpace;
    this.actionSpace = first.actionSpace;
    this.maxEpisodeSteps = first.maxEpisodeSteps;
    this.autoresetMode = first.autoresetMode;
    this.observations = new Float32Array(this.numEnvs * this.observationSize);
    this.rewards = new Float64Array(this.numEnvs);
    this.terminated = new Uint8Array(this.numEnvs);
    this.truncated = new Uint8Array(this.numEnvs);
  }

  private maskOf(mask: Uint8Array | undefined, block: number): Uint8Array | undefined {
    return mask?.subarray(block * this.blockSize, (block + 1) * this.blockSize);
  }

  /** Runs `body` on block `b`, numbering the env of a block's non-finite value error across all blocks. */
  private inBlock<T>(b: number, body: () => T): T {
    try {
      return body();
    } catch (error) {
      const source = error instanceof NonFiniteValueError ? error.source : undefined;
      if (source?.envIndex === undefined || source.where !== undefined) throw error;
      throw new NonFiniteValueError(
        { ...source, envId: this.id, envIndex: b * this.blockSize + source.envIndex, envCount: this.numEnvs },
        { cause: error },
      );
    }
  }

  private anySet(mask: Uint8Array | undefined): boolean {
    return mask === undefined || mask.includes(1);
  }

  reset(options: { readonly seed?: number; readonly mask?: Uint8Array } = {}): Float32Array {
    const n = this.blockSize;
    const o = this.observationSize;
    this.blocks.forEach((block, b) => {
      const mask = this.maskOf(options.mask, b);
      if (options.seed === undefined && !this.anySet(mask)) return;
      const observations = this.inBlock(b, () =>
        block.reset({
          ...(options.seed === undefined ? {} : { seed: options.seed }),
          ...(mask === undefined ? {} : { mask }),
        }),
      );
      this.observations.set(observations.subarray(0, n * o), b * n * o);
    });
    return this.observations;
  }

  step(actions: Float32Array | Int32Array, options: { readonly mask?: Uint8Array } = {}) {
    const n = this.blockSize;
    const o = this.observationSize;
    const a = this.actionSize;
    this.blocks.forEach((block, b) => {
      const mask = this.maskOf(options.mask, b);
      if (!this.anySet(mask)) return;
      const result = this.inBlock(b, () =>
        block.step(actions.subarray(b * n * a, (b + 1) * n * a), mask === undefined ? {} : { mask }),
      );
      this.observations.set(result.observations.subarray(0, n * o), b * n * o);
      this.rewards.set(result.rewards.subarray(0, n), b * n);
      this.terminated.set(result.terminated.subarray(0, n), b * n);
      this.truncated.set(result.truncated.subarray(0, n), b * n);
    });
    return {
      observations: this.observations,
      rewards: this.rewards,
      terminated: this.terminated,
      truncated: this.truncated,
    };
  }
}

/**
 * Evaluates every member of `population` `[M * layout.size]` (member-major, as an evolution
 * strategy's `ask` returns it) on `options.tasks` with one batched sampler run, and returns each
 * member's fitness (mean episode return) and its mean return per task.
 *
 * @example
 * const { solution, layout } = createInitialSolution(policy, createRng(0));
 * const tasks = distribution.sampleTasks(4, { seed: 1 });
 * const { fitness } = evaluatePopulation(population, { policy, layout, distribution, tasks, seed: 2, rng });
 */
export function evaluatePopulation<Task>(
  population: Float32Array,
  options: EvaluatePopulationOptions<Task>,
): PopulationEvaluation {
  const where = 'evaluatePopulation';
  const { policy, layout, distribution, tasks } = options;
  if (typeof policy?.apply !== 'function') {
    throw new TypeError(`${where}: options.policy must be a Policy, got ${String(policy)}`);
  }
  if (!Array.isArray(layout?.entries) || !Number.isInteger(layout.size) || layout.size < 1) {
    throw new TypeError(
      `${where}: options.layout must be a ParamLayout (from createInitialSolution or createParamLayout), got ${String(layout)}`,
    );
  }
  if (typeof distribution?.makeVectorEnv !== 'function') {
    throw new TypeError(
      `${where}: options.distribution must be a TaskDistribution, got ${String(distribution)}`,
    );
  }
  if (!Array.isArray(tasks) || tasks.length === 0) {
    throw new RangeError(
      `${where}: options.tasks must be a non-empty array of tasks, got ${Array.isArray(tasks) ? 'an empty array' : String(tasks)}`,
    );
  }
  const dimension = layout.size;
  const members = population instanceof Float32Array ? population.length / dimension : Number.NaN;
  if (!Number.isInteger(members) || members < 1) {
    throw new RangeError(
      `${where}: population must be a non-empty Float32Array [members * ${dimension}] (the layout's size ${dimension} per member), got ${
        population instanceof Float32Array ? `length ${population.length}` : String(population)
      }`,
    );
  }
  const episodes = options.episodesPerTask ?? 1;
  if (!Number.isInteger(episodes) || episodes < 1) {
    throw new RangeError(
      `${where}: options.episodesPerTask must be a positive integer, got ${String(episodes)}`,
    );
  }
  if (!Number.isSafeInteger(options.seed)) {
    throw new TypeError(`${where}: options.seed must be an integer, got ${String(options.seed)}`);
  }
  const deterministic = options.deterministic ?? false;
  if (!deterministic && typeof options.rng?.next !== 'function') {
    throw new TypeError(
      `${where}: options.rng (an Rng for action sampling) is required unless options.deterministic is true`,
    );
  }

  // Environment j of each member plays task floor(j / episodes); every member gets the same block.
  const perMember = tasks.length * episodes;
  const envTasks = tasks.flatMap((task) => Array.from({ length: episodes }, () => task));
  const envOptions = {
    autoresetMode: 'disabled' as const,
    ...(options.maxEpisodeSteps === undefined ? {} : { maxEpisodeSteps: options.maxEpisodeSteps }),
  };
  const first = distribution.makeVectorEnv(envTasks, envOptions);
  checkAgentMatchesEnv(where, sizesOf(policy), first);
  const blocks = [
    first,
    ...Array.from({ length: members - 1 }, () => distribution.makeVectorEnv(envTasks, envOptions)),
  ];
  const env = members === 1 ? blocks[0]! : new MemberBlocksVectorEnv(blocks);

  const params = stackPopulation(layout, population);
  let batch: ReturnType<typeof collectEpisodes>;
  try {
    const agent = createPolicyAgent(policy, params, { tasks: members, deterministic });
    batch = collectEpisodes(env, agent, {
      episodesPerEnv: 1,
      rng: options.rng ?? createRng(options.seed),
      seed: options.seed,
      tasks: members,
    });
  } finally {
    disposeParams(params);
  }

  // One episode per environment: episode e ran in environment e.
  const returnsPerTask = new Float32Array(members * tasks.length);
  const fitness = new Float32Array(members);
  for (let m = 0; m < members; m += 1) {
    let memberTotal = 0;
    for (let t = 0; t < tasks.length; t += 1) {
      let taskTotal = 0;
      for (let c = 0; c < episodes; c += 1) {
        const e = m * perMember + t * episodes + c;
        const start = batch.offsets[e]!;
        let episodeReturn = 0;
        for (let s = start; s < start + batch.lengths[e]!; s += 1) episodeReturn += batch.rewards[s]!;
        taskTotal += episodeReturn;
      }
      returnsPerTask[m * tasks.length + t] = taskTotal / episodes;
      memberTotal += taskTotal;
    }
    fitness[m] = memberTotal / perMember;
  }
  return { fitness, returnsPerTask, steps: batch.rewards.length };
}
