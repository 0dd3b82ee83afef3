/**
 * The configuration of `createMann`: core's trial-learner options (episodes per trial, discount,
 * GAE, PPO or TRPO over whole trials, with their documented defaults) and MANN's architecture
 * (`MannNetworkOptions` without the input and output sizes, which the distribution sets).
 */
import {
  resolveTrialLearnerSettings,
  type TrialLearnerConfig,
  type TrialLearnerSettings,
} from '@metarl/core';
import type { TaskDistribution } from '@metarl/envs';
import { type MannNetworkOptions, resolveMannNetworkOptions } from './mann/mann-network';

/** MANN's architecture options as an RL policy (defaults: `createMannNetwork`'s). */
export type MannArchitecture = Omit<MannNetworkOptions, 'inputSize' | 'outputSize'>;

/** Configuration of `createMann`. */
export interface MannConfig<Task> extends TrialLearnerConfig, MannArchitecture {
  /** Where the tasks' environments come from. */
  readonly distribution: TaskDistribution<Task>;
}

/** The plain settings of a MANN learner (everything but the distribution). */
export type MannSettings = TrialLearnerSettings & Required<MannArchitecture>;

/**
 * MANN's PPO values over the trial learners' defaults: Adam 1e-3 (the trial learners' 1e-2 is
 * RL²'s measured setting for a GRU; the external memory's soft addressing needs a smaller step).
 */
const MANN_PPO = { learningRate: 1e-3 } as const;

/** `config` with defaults filled in, checked; errors start with `createMann:` and name the field. */
export function resolveMannSettings(config: MannConfig<unknown>): MannSettings {
  const training = resolveTrialLearnerSettings('createMann', config, { ppo: MANN_PPO });
  let architecture: MannArchitecture;
  try {
    const {
      inputSize: _input,
      outputSize: _output,
      ...rest
    } = resolveMannNetworkOptions({
      ...config,
      inputSize: 1,
      outputSize: 1,
    });
    architecture = rest;
  } catch (error) {
    if (error instanceof RangeError)
      throw new RangeError(error.message.replace(/^createMannNetwork:/, 'createMann:'));
    throw error;
  }
  const { episodesPerTrial, ...rest } = training;
  return { episodesPerTrial, ...(architecture as Required<MannArchitecture>), ...rest };
}
