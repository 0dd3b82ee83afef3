/**
 * MANN (Santoro et al. 2016, "Meta-Learning with Memory-Augmented Neural Networks") as an RL
 * meta-learner: an LSTM controller with an external memory written by least recently used access,
 * reading trial inputs as RL² does (observation, previous action, previous reward, done flag),
 * trained by core's trial learner (PPO or TRPO through whole trials; `createTrialLearner`). The
 * output layer gives the action logits (or means); the value head reads the controller's output
 * and the reads. See `mann/mann-network.ts` for the step and `mann/mann-policy.ts` for the memory
 * layout of a trial agent.
 */
import { createTrialLearner, type TrialLearner } from '@metarl/core';
import { createMannPolicy, type MannPolicy } from './mann/mann-policy';
import { type MannConfig, type MannSettings, resolveMannSettings } from './mann-config';

/** A MANN learner: core's trial learner over a MANN policy (its network's options and parameter count are visible). */
export type Mann<Task> = TrialLearner<Task, MannSettings, MannPolicy>;

/** Creates a MANN learner (see the module comment). */
export function createMann<Task>(config: MannConfig<Task>): Mann<Task> {
  if (config === null || typeof config !== 'object')
    throw new RangeError(`createMann: config must be an object, got ${String(config)}`);
  const settings = resolveMannSettings(config);
  return createTrialLearner({
    kind: 'mann',
    owner: 'createMann',
    name: 'MANN',
    distribution: config.distribution,
    settings,
    config: settings,
    policy: ({ inputSize, encoding }) =>
      createMannPolicy({
        observationSize: inputSize,
        actionKind: encoding.kind,
        actionSize: encoding.size,
        controllerSize: settings.controllerSize,
        memorySlots: settings.memorySlots,
        memoryWidth: settings.memoryWidth,
        heads: settings.heads,
        usageDecay: settings.usageDecay,
        memory: settings.memory,
        writeVector: settings.writeVector,
        keyStrength: settings.keyStrength,
        initialKeyStrength: settings.initialKeyStrength,
        readMemory: settings.readMemory,
      }),
  });
}
