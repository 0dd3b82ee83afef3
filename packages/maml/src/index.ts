/**
 * @metarl/maml: MAML (Finn et al. 2017) and Meta-SGD (Li et al. 2017) with exact second-order
 * meta-gradients, batched over the tasks of a meta-batch.
 */
export { type SinusoidTask, sampleSinusoidPoints, sampleSinusoidTasks } from './sinusoid';
export { createSupervisedMaml, type SupervisedMaml, type SupervisedMamlConfig } from './supervised-maml';
