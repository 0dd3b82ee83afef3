/**
 * @metarl/maml: MAML (Finn et al. 2017) and Meta-SGD (Li et al. 2017) with exact second-order
 * meta-gradients, batched over the tasks of a meta-batch: reinforcement learning (TRPO or PPO
 * outer loop) and supervised few-shot regression. The task-batched inner loop (`adaptPolicy`,
 * `innerStep`, `toTaskBatch`, ...) lives in `@metarl/core`.
 */

// The sinusoid tasks live in @metarl/envs; re-exported for existing users of @metarl/maml.
export { type SinusoidTask, sampleSinusoidPoints, sampleSinusoidTasks } from '@metarl/envs';
export { createAutodiffCurvature } from './curvature/autodiff-curvature';
export {
  curvatureOf,
  type LogLikelihoodCurvature,
  type PolicyCurvature,
  type PolicyLinearization,
} from './curvature/policy-curvature';
export { createMaml, type Maml } from './maml';
export type { MamlConfig, MamlPpoOptions, MamlSettings } from './maml-config';
export {
  createMamlObjective,
  type MamlObjective,
  type MamlObjectiveOptions,
} from './maml-objective';
export { createSupervisedMaml, type SupervisedMaml, type SupervisedMamlConfig } from './supervised-maml';
