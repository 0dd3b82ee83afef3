/**
 * @metarl/memory-augmented: memory-based meta-learners beside RL²'s GRU: SNAIL (Mishra et al.
 * 2018: temporal convolutions and causal soft attention) and MANN (Santoro et al. 2016: an LSTM
 * with an external memory written by least recently used access), as RL meta-learners on core's
 * trial learner and, for MANN, on one-shot classification episodes.
 */

// MANN: the RL learner, its policy, the network and its LRUA memory; one-shot classification
export { createMann, type Mann } from './mann';
export {
  cosineSimilarity,
  emptyLruaState,
  type LruaHeads,
  type LruaReadMemory,
  type LruaState,
  type LruaStep,
  lruaStep,
  NORM_EPSILON,
  rankByUsage,
} from './mann/lrua-memory';
export {
  createMannNetwork,
  disposeMannState,
  type MannKeyStrength,
  type MannMemoryMode,
  type MannNetwork,
  type MannNetworkOptions,
  type MannState,
  type MannStep,
  type MannWriteVector,
  type ResolvedMannNetworkOptions,
  resolveMannNetworkOptions,
} from './mann/mann-network';
export {
  createMannPolicy,
  flattenMannState,
  type MannPolicy,
  type MannPolicyOptions,
  unflattenMannState,
} from './mann/mann-policy';
export {
  type MannArchitecture,
  type MannConfig,
  type MannSettings,
  resolveMannSettings,
} from './mann-config';
export {
  type DatasetEpisodeOptions,
  rotateSquareImage,
  sampleDatasetEpisodes,
} from './one-shot/dataset-episodes';
export { assembleEpisodes, type OneShotBatch, shuffledIndices } from './one-shot/one-shot-batch';
export {
  createOneShotLearner,
  crossEntropy,
  evaluateAccuracyByInstance,
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
