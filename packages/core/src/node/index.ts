/**
 * @metarl/core/node: the Node-only part of @metarl/core (file system): checkpoints on disk,
 * metrics files and the training loop that writes them. The main entry stays browser-safe.
 */

export { loadCheckpoint, saveCheckpoint } from './checkpoint-directory';
export { MetricsLog, type MetricsLogOptions, readMetrics } from './metrics-log';
export {
  type TrainInDirectoryOptions,
  type TrainInDirectoryResult,
  trainMetaLearnerInDirectory,
} from './train-meta-learner-in-directory';
