/**
 * @metarl/maml: MAML (Finn et al. 2017) and Meta-SGD (Li et al. 2017) with exact second-order
 * meta-gradients, batched over the tasks of a meta-batch: reinforcement learning (TRPO or PPO
 * outer loop) and supervised few-shot regression.
 */
export {
  adaptPolicy,
  createMaml,
  createMamlObjective,
  type InnerLoopOptions,
  innerLoss,
  innerStep,
  type Maml,
  type MamlConfig,
  type MamlObjective,
  type MamlPpoOptions,
  type MamlSettings,
} from './maml';
export { type SinusoidTask, sampleSinusoidPoints, sampleSinusoidTasks } from './sinusoid';
export { createSupervisedMaml, type SupervisedMaml, type SupervisedMamlConfig } from './supervised-maml';
export {
  type AdvantageOptions,
  disposeTaskBatch,
  type TaskBatch,
  taskAdvantages,
  taskRanges,
  toTaskBatch,
} from './task-batch';
