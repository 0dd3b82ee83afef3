/**
 * The configuration of `createRl2`: core's trial-learner options (episodes per trial, discount,
 * GAE, PPO or TRPO over whole trials, with their documented defaults) and RL²'s architecture,
 * a GRU of `hiddenSize` units.
 */
import {
  type RecurrentPolicy,
  resolveTrialLearnerSettings,
  type TrialLearnerConfig,
  type TrialLearnerSettings,
  type TrialPpoOptions,
  type TrialTrpoOptions,
} from '@metarl/core';
import type { TaskDistribution } from '@metarl/envs';

/** PPO options of RL² (core's trial-learner PPO options: 4 epochs of 4 minibatches of whole trials, Adam 1e-2, entropy 0.01, gradient norm 1). */
export type Rl2PpoOptions = TrialPpoOptions;

/** TRPO options of RL² (core's trial-learner TRPO options: damping 1e-3, then 50 Adam steps at 1e-2 on the value head). */
export type Rl2TrpoOptions = TrialTrpoOptions;

/** Configuration of `createRl2`. */
export interface Rl2Config<Task> extends TrialLearnerConfig {
  /** Where the tasks' environments come from. */
  readonly distribution: TaskDistribution<Task>;
  /** GRU state size when `policy` is not given; default 128 (the paper's is 256; 128 learns as well here at a quarter of the recurrent cost). */
  readonly hiddenSize?: number;
  /** A recurrent policy over trial inputs (`trialInputSize`); default a GRU of `hiddenSize`. */
  readonly policy?: RecurrentPolicy;
}

/** The plain settings of an RL² learner (everything but the distribution and the policy). */
export type Rl2Settings = TrialLearnerSettings & { readonly hiddenSize: number };

/** `config` with defaults filled in, checked; errors start with `createRl2:` and name the field. */
export function resolveRl2Settings(config: Rl2Config<unknown>): Rl2Settings {
  const training = resolveTrialLearnerSettings('createRl2', config);
  const hiddenSize = config.policy?.hiddenSize ?? config.hiddenSize ?? 128;
  if (!Number.isInteger(hiddenSize) || hiddenSize < 1)
    throw new RangeError(`createRl2: hiddenSize must be an integer >= 1, got ${String(hiddenSize)}`);
  const { episodesPerTrial, ...rest } = training;
  return { episodesPerTrial, hiddenSize, ...rest };
}
