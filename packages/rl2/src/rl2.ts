/**
 * RL² (Duan et al. 2016, "RL²: Fast Reinforcement Learning via Slow Reinforcement Learning"): a
 * GRU policy whose input each step is (observation, previous action, previous reward, done
 * flag) and whose hidden state is kept across the n episodes of a trial, trained by an ordinary
 * RL algorithm to maximise the trial's total reward. The "fast" learning happens in the hidden
 * state; adaptation is the forward pass itself. One meta-training step (the paper's algorithm,
 * PPO by default in place of its TRPO):
 *
 * 1. sample one trial of n episodes per task, all trials together (one GRU step for every trial
 *    per time step), recording log-probabilities and values;
 * 2. GAE over whole trials (discounting runs across the episode boundaries inside a trial; only
 *    the trial's end is terminal);
 * 3. move the value head's PopArt scale to the new value targets;
 * 4. the outer update on trials padded to `[B, L, ...]`, back-propagating through whole trials:
 *    PPO over minibatches of whole trials (core's `runPpoEpochs` and `ppoLossTerms`), or TRPO on
 *    the policy followed by a regression of the value head.
 *
 * The value head reads the policy's GRU state (one recurrent network, two heads). The training
 * loop is core's trial learner (`createTrialLearner`, shared with SNAIL and MANN); this file
 * chooses the architecture.
 */
import { createGruPolicy, createTrialLearner, type TrialLearner } from '@metarl/core';
import { type Rl2Config, type Rl2Settings, resolveRl2Settings } from './rl2-config';

/** An RL² learner: core's trial learner over a GRU policy. */
export interface Rl2<Task> extends TrialLearner<Task, Rl2Settings> {}

/** Creates an RL² learner (see the module comment). */
export function createRl2<Task>(config: Rl2Config<Task>): Rl2<Task> {
  if (config === null || typeof config !== 'object')
    throw new RangeError(`createRl2: config must be an object, got ${String(config)}`);
  const settings = resolveRl2Settings(config);
  return createTrialLearner({
    kind: 'rl2',
    owner: 'createRl2',
    name: 'RL²',
    distribution: config.distribution,
    settings,
    config: settings,
    policy: ({ inputSize, encoding }) =>
      config.policy ??
      createGruPolicy({
        observationSize: inputSize,
        actionKind: encoding.kind,
        actionSize: encoding.size,
        hiddenSize: settings.hiddenSize,
      }),
  });
}
