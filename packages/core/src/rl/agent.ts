/**
 * Agents act for a whole `VectorEnv` batch in one forward pass. A policy agent may hold
 * task-batched parameters (leading axis T) so that a meta-batch of adapted policies samples in
 * one pass: environments are then laid out task-major (environment i belongs to task
 * floor(i / (N / T))).
 */

import type { Rng, VectorEnv } from '@metarl/envs';
import * as tf from '@tensorflow/tfjs-core';
import { disposeParams, type ParamTree } from '../params/param-tree';
import type { ActionKind, Policy } from './policies';

/** One batched decision. */
export interface AgentStep {
  /** `[N * actionSize]`: Float32Array for continuous actions, Int32Array for discrete ones. */
  readonly actions: Float32Array | Int32Array;
  /** Per-environment extras, e.g. `logProb` `[N]`, recorded by the sampler. */
  readonly info: Readonly<Record<string, Float32Array>>;
}

/** The observations an agent reads and the actions it emits, for samplers to check against an env. */
export interface AgentSizes {
  /** Floats per observation the agent reads. */
  readonly observationSize: number;
  /** 'continuous' (a real vector per environment) or 'discrete' (one integer choice per environment). */
  readonly actionKind: ActionKind;
  /** Action dimension (continuous) or number of choices (discrete). */
  readonly actionSize: number;
}

/** Acts for a whole batch of environments per call; may keep recurrent memory. */
export interface Agent {
  /** Optional: its observation and action sizes; samplers check them against the env before the first step (every built-in agent gives them). */
  readonly sizes?: AgentSizes;
  /** Actions for every environment from `observations` `[N * observationSize]`. */
  act(observations: Float32Array, rng: Rng): AgentStep;
  /** Episode boundaries of the environments where `envMask` is 1; RL²-style agents keep memory within a trial. */
  onEpisodeStart(envMask: Uint8Array, options: { readonly keepMemory: boolean }): void;
  /** Optional: the rewards (float64, as the `VectorEnv` gives them) of the step just taken by the environments where `envMask` is 1 (memory-based agents feed them back as inputs). */
  observeRewards?(rewards: Float64Array, envMask: Uint8Array): void;
  /** Frees what the agent owns (adapted parameters, recurrent state); a no-op for borrowed ones. */
  dispose?(): void;
}

/** Options of `createPolicyAgent`. */
export interface PolicyAgentOptions {
  /** Dispose `params` when the agent is disposed (for adapted parameters it owns); default false. */
  readonly ownsParams?: boolean;
  /** T when `params` are task-batched (leading axis T); the N environments split into T equal groups. */
  readonly tasks?: number;
  /** Act with the distribution's mode instead of sampling (evaluation); default false. */
  readonly deterministic?: boolean;
}

/** An agent that samples from `policy` under `params` (not copied: keep them alive while acting). */
export function createPolicyAgent(
  policy: Policy,
  params: ParamTree,
  options: PolicyAgentOptions = {},
): Agent {
  const size = policy.observationSize;
  const tasks = options.tasks;
  if (tasks !== undefined && (!Number.isInteger(tasks) || tasks < 1)) {
    throw new RangeError(`createPolicyAgent: tasks must be a positive integer, got ${tasks}`);
  }
  return {
    sizes: sizesOf(policy),
    act(observations, rng) {
      const count = observations.length / size;
      if (!Number.isInteger(count)) {
        throw new RangeError(
          `policy agent: observations length ${observations.length} is not a multiple of observationSize ${size}`,
        );
      }
      if (tasks !== undefined && count % tasks !== 0) {
        throw new RangeError(
          `policy agent: ${count} environments cannot be split into ${tasks} equal task groups`,
        );
      }
      const { actions, logProb } = tf.tidy(() => {
        let input: tf.Tensor = tf.tensor2d(observations, [count, size]);
        if (tasks !== undefined) input = tf.reshape(input, [tasks, count / tasks, size]);
        const distribution = policy.apply(params, input);
        const sample = options.deterministic ? distribution.mode() : distribution.sample(rng);
        return { actions: sample, logProb: distribution.logProb(sample) };
      });
      const values = actions.dataSync();
      const logProbValues = Float32Array.from(logProb.dataSync());
      tf.dispose([actions, logProb]);
      const out = policy.actionKind === 'discrete' ? Int32Array.from(values) : Float32Array.from(values);
      return { actions: out, info: { logProb: logProbValues } };
    },
    onEpisodeStart: () => {},
    dispose: () => {
      if (options.ownsParams) disposeParams(params);
    },
  };
}

/** The sizes of an agent acting with `policy` (a feed-forward or recurrent policy). */
export function sizesOf(policy: Pick<AgentSizes, keyof AgentSizes>): AgentSizes {
  return {
    observationSize: policy.observationSize,
    actionKind: policy.actionKind,
    actionSize: policy.actionSize,
  };
}

/**
 * Throws a `RangeError` naming both sizes when `sizes` (an agent's, or a policy's) do not fit
 * `env`: observation size, action kind, action size or number of choices. Errors start with
 * `where` (e.g. 'collectEpisodes').
 */
export function checkAgentMatchesEnv(
  where: string,
  sizes: AgentSizes,
  env: Pick<VectorEnv, 'id' | 'observationSize' | 'actionSpace'>,
): void {
  if (sizes.observationSize !== env.observationSize) {
    throw new RangeError(
      `${where}: policy expects observations of size ${sizes.observationSize} but env ${env.id} has ${env.observationSize}`,
    );
  }
  const space = env.actionSpace;
  const discrete = space.shape.length === 0;
  const envActions = discrete
    ? `one discrete choice among ${(space as { n: number }).n} (${space.describe()})`
    : `continuous actions of size ${(space as { size: number }).size} (${space.describe()})`;
  const agentActions =
    sizes.actionKind === 'discrete'
      ? `one discrete choice among ${sizes.actionSize}`
      : `continuous actions of size ${sizes.actionSize}`;
  const envSize = discrete ? (space as { n: number }).n : (space as { size: number }).size;
  if ((sizes.actionKind === 'discrete') !== discrete || sizes.actionSize !== envSize) {
    throw new RangeError(`${where}: policy emits ${agentActions} but env ${env.id} takes ${envActions}`);
  }
}
