/**
 * The configuration of `createSnail`: core's trial-learner options (episodes per trial, discount,
 * GAE, PPO or TRPO over whole trials, with their documented defaults) and SNAIL's architecture.
 */
import {
  resolveTrialLearnerSettings,
  type TrialLearnerConfig,
  type TrialLearnerSettings,
} from '@metarl/core';
import type { TaskDistribution } from '@metarl/envs';

/** Configuration of `createSnail`. */
export interface SnailConfig<Task> extends TrialLearnerConfig {
  /** Where the tasks' environments come from. */
  readonly distribution: TaskDistribution<Task>;
  /** F: filters per dense block and the attention's key, query and value size; default 32 (the peer's and the paper's bandit/MDP setting). */
  readonly featureSize?: number;
  /** The context T; default the trial's length (episodes per trial times the environments' time limit), as the peer sets it. */
  readonly contextSize?: number;
}

/** The plain settings of a SNAIL learner (everything but the distribution). */
export type SnailSettings = TrialLearnerSettings & {
  readonly featureSize: number;
  readonly contextSize: number | 'trial';
};

/**
 * SNAIL's PPO values over the trial learners' defaults: Adam 1e-3 (the trial learners' 1e-2 is
 * RL²'s measured setting for a GRU; measured on bandits k 5 n 10: 1e-3 and 3e-4 learn alike over 30
 * updates, 1e-3 reached 6.61 after 60).
 */
const SNAIL_PPO = { learningRate: 1e-3 } as const;

/** `config` with defaults filled in, checked; errors start with `createSnail:` and name the field. */
export function resolveSnailSettings(config: SnailConfig<unknown>): SnailSettings {
  const training = resolveTrialLearnerSettings('createSnail', config, { ppo: SNAIL_PPO });
  const featureSize = config.featureSize ?? 32;
  const contextSize = config.contextSize ?? 'trial';
  if (!Number.isInteger(featureSize) || featureSize < 1)
    throw new RangeError(`createSnail: featureSize must be an integer >= 1, got ${String(featureSize)}`);
  if (contextSize !== 'trial' && (!Number.isInteger(contextSize) || contextSize < 2))
    throw new RangeError(`createSnail: contextSize must be an integer >= 2, got ${String(contextSize)}`);
  const { episodesPerTrial, ...rest } = training;
  return { episodesPerTrial, featureSize, contextSize, ...rest };
}
