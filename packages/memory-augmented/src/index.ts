/**
 * @metarl/memory-augmented: memory-based meta-learners beside RL²'s GRU: SNAIL (Mishra et al.
 * 2018) and MANN (Santoro et al. 2016).
 */

// MANN (Santoro et al. 2016): LRUA memory, the model, its RL policy and one-shot episodes
export {
  cosineSimilarity,
  emptyLruaState,
  type LruaHeads,
  type LruaState,
  type LruaStep,
  lruaStep,
  NORM_EPSILON,
  rankByUsage,
} from './mann/lrua-memory';
export {
  createMann,
  disposeMannState,
  type Mann,
  type MannMemoryMode,
  type MannOptions,
  type MannState,
  type MannStep,
  type ResolvedMannOptions,
  resolveMannOptions,
} from './mann/mann';
export {
  createMannPolicy,
  flattenMannState,
  type MannPolicyOptions,
  unflattenMannState,
} from './mann/mann-policy';
export { assembleEpisodes, type OneShotBatch, shuffledIndices } from './one-shot/one-shot-batch';
export {
  createOneShotLearner,
  crossEntropy,
  type OneShotLearner,
  type OneShotLearnerOptions,
} from './one-shot/one-shot-learner';
export { type SyntheticEpisodeOptions, sampleSyntheticEpisodes } from './one-shot/synthetic-episodes';
