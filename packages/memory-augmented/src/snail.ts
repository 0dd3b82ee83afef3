/**
 * SNAIL (Mishra et al. 2018, "A Simple Neural Attentive Meta-Learner") as an RL meta-learner: a
 * policy of temporal convolutions and causal soft attention over the trial so far (trial inputs
 * as RL²'s: observation, previous action, previous reward, done flag), trained like RL² by core's
 * trial learner (PPO or TRPO through whole trials; `createTrialLearner`). Two networks, one for
 * the actions and one for the value head, as the runnable peer (lucaslingle/pytorch_rl2) builds
 * them; see `snail/snail-network.ts` for the layers and `snail/snail-policy.ts` for the memory.
 */
import { createTrialLearner, type TrialLearner } from '@metarl/core';
import { createSnailPolicy, type SnailPolicy } from './snail/snail-policy';
import { resolveSnailSettings, type SnailConfig, type SnailSettings } from './snail-config';

/** A SNAIL learner: core's trial learner over a SNAIL policy (its two networks' layers and parameter counts are visible). */
export type Snail<Task> = TrialLearner<Task, SnailSettings, SnailPolicy>;

/** Creates a SNAIL learner (see the module comment). */
export function createSnail<Task>(config: SnailConfig<Task>): Snail<Task> {
  if (config === null || typeof config !== 'object')
    throw new RangeError(`createSnail: config must be an object, got ${String(config)}`);
  const settings = resolveSnailSettings(config);
  return createTrialLearner({
    kind: 'snail',
    owner: 'createSnail',
    name: 'SNAIL',
    distribution: config.distribution,
    settings,
    config: settings,
    policy: ({ inputSize, encoding, maxTrialSteps, constantInputs }) =>
      createSnailPolicy({
        observationSize: inputSize,
        actionKind: encoding.kind,
        actionSize: encoding.size,
        contextSize: settings.contextSize === 'trial' ? maxTrialSteps : settings.contextSize,
        featureSize: settings.featureSize,
        // The peer feeds no observation on bandits: constant inputs are left out, so the layers
        // and parameter counts are the peer's.
        skippedInputs: constantInputs,
      }),
  });
}
