/**
 * @metarl/reptile: Reptile (Nichol, Achiam & Schulman 2018) and first-order MAML, batched over
 * tasks, for supervised few-shot learning and for meta-reinforcement learning.
 */
export {
  createInnerBatches,
  disposeTaskExamples,
  type FewShotArrays,
  type InnerBatchOptions,
  toTaskExamples,
} from './inner-batches';
export {
  createReptile,
  type Reptile,
  type ReptileConfig,
  type ReptileSettings,
  resolveReptileSettings,
} from './reptile';
export type { ReptileAlgorithm, ReptileRuleOptions, ReptileRuleSettings } from './reptile-rules';
export {
  createSupervisedReptile,
  type SupervisedEvaluation,
  type SupervisedLoss,
  type SupervisedMetaBatch,
  type SupervisedReptile,
  type SupervisedReptileConfig,
  type SupervisedReptileSettings,
  type TaskExamples,
} from './supervised-reptile';
