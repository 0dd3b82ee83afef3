/**
 * Sampling: every environment of a `VectorEnv` runs the same number of whole episodes, all
 * stepped together with one agent call per time step. Typed arrays only in the loop: no tensors,
 * no per-environment objects.
 */
import { checkFiniteStep, findNonFinite, NonFiniteValueError, type Rng, type VectorEnv } from '@metarl/envs';
import * as tf from '@tensorflow/tfjs-core';
import { type Agent, checkAgentMatchesEnv } from './agent';

/** Whole episodes as flat arrays (steps of one episode contiguous, episodes env-major). */
export interface EpisodeBatch {
  /** Floats per observation (O). */
  readonly observationSize: number;
  /** Numbers per action (A; 1 for a discrete choice). */
  readonly actionSize: number;
  /** `[S * O]`: the observation each action was chosen from. */
  readonly observations: Float32Array;
  /** `[S * A]` (discrete choices as floats). */
  readonly actions: Float32Array;
  /** `[S]`. */
  readonly rewards: Float32Array;
  /** `[S]`, 1 at a step that ended its episode in a terminal state. */
  readonly terminated: Uint8Array;
  /** `[S]`, 1 at a step where the time limit cut its episode. */
  readonly truncated: Uint8Array;
  /** `[E]` steps per episode. */
  readonly lengths: Int32Array;
  /** `[E]` first step of each episode. */
  readonly offsets: Int32Array;
  /** `[E]` environment that ran each episode. */
  readonly envIndex: Int32Array;
  /** `[E]` task of each episode. */
  readonly taskIndex: Int32Array;
  /** `[E * O]` the observation after each episode's last step (to bootstrap truncated ones). */
  readonly finalObservations: Float32Array;
  /** Per-step agent extras, e.g. `logProb` `[S]`. */
  readonly agentInfo: Readonly<Record<string, Float32Array>>;
}

/** Options of `collectEpisodes`. */
export interface CollectOptions {
  /** Whole episodes per environment. */
  readonly episodesPerEnv: number;
  /** Drives the agent's sampling. */
  readonly rng: Rng;
  /** Seed of the environments' first reset (environment i gets seed + i); default: continue. */
  readonly seed?: number;
  /** Task of each environment; default: N / tasks equal task-major groups, or the env index. */
  readonly taskOfEnv?: Int32Array;
  /** Number of tasks when `taskOfEnv` is not given (task-major groups); default N. */
  readonly tasks?: number;
  /** Keep the agent's memory across the episodes of an environment (RL² trials); default false. */
  readonly keepMemoryAcrossEpisodes?: boolean;
  /**
   * Clip continuous actions into the action space's bounds before stepping (the batch records
   * the unclipped action, whose log-probability the policy gave); default true. Gaussian
   * policies sample outside any box, and the environments reject out-of-space actions.
   */
  readonly clipActionsToSpace?: boolean;
}

/**
 * Runs `episodesPerEnv` whole episodes in every environment of `env` (made with
 * `autoresetMode: 'disabled'`) and returns them as one `EpisodeBatch`.
 *
 * Checks before the first step that the agent's `sizes` (when it gives them) fit the env, and
 * after every reset and step that the rewards and observations are finite: a non-finite value
 * raises a `NonFiniteValueError` naming the env, its task, the step within the episode and the
 * field, e.g. `collectEpisodes: Navigation2D-v1 (env 3 of 8, task 1) step 17: reward is NaN (...)`.
 *
 * @example
 * const env = navigation.makeVectorEnv(tasks, { autoresetMode: 'disabled' });
 * const batch = collectEpisodes(env, createPolicyAgent(policy, params), { episodesPerEnv: 20, rng, seed: 0 });
 */
export function collectEpisodes(env: VectorEnv, agent: Agent, options: CollectOptions): EpisodeBatch {
  if (env.autoresetMode !== 'disabled') {
    throw new RangeError(
      `collectEpisodes(${env.id}): the VectorEnv must be made with autoresetMode 'disabled' (the sampler resets episodes)`,
    );
  }
  const perEnv = options.episodesPerEnv;
  if (!Number.isInteger(perEnv) || perEnv < 1) {
    throw new RangeError(
      `collectEpisodes(${env.id}): episodesPerEnv must be a positive integer, got ${String(perEnv)}`,
    );
  }
  const n = env.numEnvs;
  const o = env.observationSize;
  const a = env.actionSize;
  const tasks = options.tasks ?? n;
  if (options.taskOfEnv === undefined && (!Number.isInteger(tasks) || tasks < 1 || n % tasks !== 0)) {
    throw new RangeError(
      `collectEpisodes(${env.id}): ${n} environments cannot form ${tasks} equal task groups`,
    );
  }
  const taskOfEnv =
    options.taskOfEnv ?? Int32Array.from({ length: n }, (_v, i) => Math.floor(i / (n / tasks)));
  if (taskOfEnv.length !== n)
    throw new RangeError(`collectEpisodes(${env.id}): taskOfEnv must have ${n} entries`);
  if (agent.sizes !== undefined) checkAgentMatchesEnv('collectEpisodes', agent.sizes, env);
  const capacity = perEnv * env.maxEpisodeSteps; // steps per environment at most
  const observations = new Float32Array(n * capacity * o);
  const actions = new Float32Array(n * capacity * a);
  const rewards = new Float32Array(n * capacity);
  const terminated = new Uint8Array(n * capacity);
  const truncated = new Uint8Array(n * capacity);
  const lengths = new Int32Array(n * perEnv);
  const finalObservations = new Float32Array(n * perEnv * o);
  const info: Record<string, Float32Array> = {};
  const stepsOfEnv = new Int32Array(n);
  const episodesOfEnv = new Int32Array(n);
  const active = new Uint8Array(n).fill(1);
  const restart = new Uint8Array(n);
  const keepMemory = options.keepMemoryAcrossEpisodes ?? false;

  const space = env.actionSpace;
  const clip = (options.clipActionsToSpace ?? true) && space.shape.length > 0;
  const low = clip ? (space as { low: Float32Array }).low : undefined;
  const high = clip ? (space as { high: Float32Array }).high : undefined;
  const clipped = new Float32Array(clip ? n * a : 0);

  /** Throws a `NonFiniteValueError` when env `i`'s reward (omitted at a reset) or observation is not finite. */
  const checkFinite = (
    i: number,
    step: number | 'reset',
    reward: number | undefined,
    values: Float32Array,
  ) => {
    // The common case allocates nothing: the error's description is built only on failure.
    if ((reward === undefined || reward - reward === 0) && findNonFinite(values, i * o, i * o + o) < 0)
      return;
    checkFiniteStep(
      { where: 'collectEpisodes', envId: env.id, envIndex: i, envCount: n, taskIndex: taskOfEnv[i]!, step },
      reward,
      values,
      i * o,
      o,
    );
  };
  /** `env.reset` / `env.step`, with the task added to an env's own non-finite value error. */
  const call = <T>(body: () => T): T => {
    try {
      return body();
    } catch (error) {
      const source = error instanceof NonFiniteValueError ? error.source : undefined;
      if (source?.envIndex === undefined || source.envIndex >= n || source.where !== undefined) throw error;
      throw new NonFiniteValueError(
        { ...source, where: 'collectEpisodes', taskIndex: taskOfEnv[source.envIndex]! },
        { cause: error },
      );
    }
  };

  let current = call(() => env.reset(options.seed === undefined ? {} : { seed: options.seed }));
  for (let i = 0; i < n; i += 1) checkFinite(i, 'reset', undefined, current);
  agent.onEpisodeStart(new Uint8Array(n).fill(1), { keepMemory: false });
  let remaining = n;
  while (remaining > 0) {
    const decision = agent.act(current, options.rng);
    const extras = Object.entries(decision.info).map(([key, values]) => {
      const width = values.length / n;
      info[key] ??= new Float32Array(n * capacity * width);
      return { values, width, target: info[key]! };
    });
    for (let i = 0; i < n; i += 1) {
      if (active[i] === 0) continue;
      const slot = i * capacity + stepsOfEnv[i]!;
      observations.set(current.subarray(i * o, (i + 1) * o), slot * o);
      for (let j = 0; j < a; j += 1) actions[slot * a + j] = decision.actions[i * a + j]!;
      for (const { values, width, target } of extras) {
        for (let j = 0; j < width; j += 1) target[slot * width + j] = values[i * width + j]!;
      }
    }
    let stepActions = decision.actions;
    if (clip) {
      for (let k = 0; k < n * a; k += 1) {
        const j = k % a;
        clipped[k] = Math.min(Math.max(decision.actions[k]!, low![j]!), high![j]!);
      }
      stepActions = clipped;
    }
    const result = call(() => env.step(stepActions, { mask: active }));
    for (let i = 0; i < n; i += 1) {
      if (active[i] === 1)
        checkFinite(i, lengths[i * perEnv + episodesOfEnv[i]!]! + 1, result.rewards[i]!, result.observations);
    }
    agent.observeRewards?.(result.rewards, active);
    let anyRestart = false;
    for (let i = 0; i < n; i += 1) {
      if (active[i] === 0) continue;
      const slot = i * capacity + stepsOfEnv[i]!;
      rewards[slot] = result.rewards[i]!;
      terminated[slot] = result.terminated[i]!;
      truncated[slot] = result.truncated[i]!;
      stepsOfEnv[i] = stepsOfEnv[i]! + 1;
      const episode = i * perEnv + episodesOfEnv[i]!;
      lengths[episode] = lengths[episode]! + 1;
      restart[i] = 0;
      if (result.terminated[i] === 1 || result.truncated[i] === 1) {
        finalObservations.set(result.observations.subarray(i * o, (i + 1) * o), episode * o);
        episodesOfEnv[i] = episodesOfEnv[i]! + 1;
        if (episodesOfEnv[i] === perEnv) {
          active[i] = 0;
          remaining -= 1;
        } else {
          restart[i] = 1;
          anyRestart = true;
        }
      }
    }
    current = result.observations;
    if (anyRestart) {
      current = call(() => env.reset({ mask: restart }));
      for (let i = 0; i < n; i += 1) if (restart[i] === 1) checkFinite(i, 'reset', undefined, current);
      agent.onEpisodeStart(restart, { keepMemory });
    }
  }

  // Compact the per-environment slots into one contiguous batch.
  const total = lengths.reduce((p, v) => p + v, 0);
  const out = {
    observations: new Float32Array(total * o),
    actions: new Float32Array(total * a),
    rewards: new Float32Array(total),
    terminated: new Uint8Array(total),
    truncated: new Uint8Array(total),
  };
  const outInfo: Record<string, Float32Array> = {};
  for (const [key, values] of Object.entries(info))
    outInfo[key] = new Float32Array(total * (values.length / (n * capacity)));
  let position = 0;
  for (let i = 0; i < n; i += 1) {
    const steps = stepsOfEnv[i]!;
    const from = i * capacity;
    out.observations.set(observations.subarray(from * o, (from + steps) * o), position * o);
    out.actions.set(actions.subarray(from * a, (from + steps) * a), position * a);
    out.rewards.set(rewards.subarray(from, from + steps), position);
    out.terminated.set(terminated.subarray(from, from + steps), position);
    out.truncated.set(truncated.subarray(from, from + steps), position);
    for (const [key, values] of Object.entries(info)) {
      const width = values.length / (n * capacity);
      outInfo[key]!.set(values.subarray(from * width, (from + steps) * width), position * width);
    }
    position += steps;
  }
  const offsets = new Int32Array(lengths.length);
  for (let e = 1; e < lengths.length; e += 1) offsets[e] = offsets[e - 1]! + lengths[e - 1]!;
  return {
    observationSize: o,
    actionSize: a,
    ...out,
    lengths,
    offsets,
    envIndex: Int32Array.from({ length: n * perEnv }, (_v, e) => Math.floor(e / perEnv)),
    taskIndex: Int32Array.from({ length: n * perEnv }, (_v, e) => taskOfEnv[Math.floor(e / perEnv)]!),
    finalObservations,
    agentInfo: outInfo,
  };
}

/** The batch's actions as a tensor: int32 `[S]` for discrete choices, float `[S, A]` otherwise. */
export function actionsAsTensor(batch: EpisodeBatch, kind: 'continuous' | 'discrete'): tf.Tensor {
  const steps = batch.rewards.length;
  return kind === 'discrete'
    ? tf.tensor1d(Int32Array.from(batch.actions), 'int32')
    : tf.tensor2d(batch.actions, [steps, batch.actionSize]);
}
