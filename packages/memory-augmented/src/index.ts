/**
 * @metarl/memory-augmented: memory-based meta-learners beside RL²'s GRU: SNAIL (Mishra et al.
 * 2018: temporal convolutions and causal soft attention) and MANN (Santoro et al. 2016: an LSTM
 * with an external memory written by least recently used access), as RL meta-learners on core's
 * trial learner and, for MANN, on one-shot classification episodes.
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
  type MannWriteVector,
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
// SNAIL: the learner, its policy (two networks) and the network
export { createSnail, type Snail } from './snail';
export {
  createSnailNetwork,
  type SnailLayer,
  type SnailNetwork,
  type SnailNetworkOptions,
  type SnailStep,
} from './snail/snail-network';
export { createSnailPolicy, type SnailPolicy, type SnailPolicyOptions } from './snail/snail-policy';
export { resolveSnailSettings, type SnailConfig, type SnailSettings } from './snail-config';
