/**
 * `trainMetaLearner` with its output on disk (Node only): `metrics.jsonl` and `metrics.csv` with
 * fixed keys, a checkpoint directory every k iterations and at the end, and exact resume from a
 * checkpoint directory.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TaskDistribution } from '@metarl/envs';
import type { MetaLearner } from '../meta/meta-learner';
import {
  assertCanResume,
  assertTrainOptions,
  type TrainOptions,
  type TrainResult,
  trainMetaLearner,
} from '../meta/train-meta-learner';
import { disposeOptimizerState } from '../optim/optimizer';
import { disposeParams } from '../params/param-tree';
import { loadCheckpoint, saveCheckpoint } from './checkpoint-directory';
import { MetricsLog } from './metrics-log';

/** Options of `trainMetaLearnerInDirectory`: those of `trainMetaLearner`, with directories. */
export interface TrainInDirectoryOptions extends Omit<TrainOptions, 'resumeFrom' | 'onCheckpoint'> {
  /**
   * Where `metrics.jsonl`, `metrics.csv` and `checkpoint/` go (created if missing). A new run
   * starts the metrics files afresh; a resumed one keeps their records up to the checkpoint's
   * iteration and continues them.
   */
  readonly outputDirectory: string;
  /**
   * A checkpoint directory (written by this function) to resume from. As with
   * `trainMetaLearner`, one whose setup differs from this run's is refused, naming the directory
   * and every difference (see `allowChanges`), before any file is touched.
   */
  readonly resumeFrom?: string;
}

/** What `trainMetaLearnerInDirectory` did. */
export interface TrainInDirectoryResult extends TrainResult {
  /** The last checkpoint written: `<outputDirectory>/checkpoint`. */
  readonly checkpointDirectory: string;
}

/**
 * Trains `learner` like `trainMetaLearner`, writing metrics and checkpoints into
 * `options.outputDirectory` and resuming from `options.resumeFrom` (a checkpoint directory).
 */
export async function trainMetaLearnerInDirectory<Task>(
  learner: MetaLearner<Task>,
  distribution: TaskDistribution<Task>,
  options: TrainInDirectoryOptions,
): Promise<TrainInDirectoryResult> {
  const { outputDirectory, resumeFrom, onIteration, ...loop } = options;
  const where = 'trainMetaLearnerInDirectory';
  if (typeof outputDirectory !== 'string' || outputDirectory.length === 0)
    throw new TypeError(`${where}: outputDirectory must be a non-empty path, got ${String(outputDirectory)}`);
  assertTrainOptions(loop, where);
  const checkpoint = resumeFrom === undefined ? undefined : await loadCheckpoint(resumeFrom, learner.kind);
  if (checkpoint !== undefined) {
    try {
      await assertCanResume(learner, distribution, loop, checkpoint, { where, source: resumeFrom! });
    } catch (error) {
      disposeParams(checkpoint.params); // loaded here and refused: nobody else holds them
      if (checkpoint.optimizer !== undefined) disposeOptimizerState(checkpoint.optimizer);
      throw error;
    }
  }
  mkdirSync(outputDirectory, { recursive: true });
  // A resumed run continues the metrics files up to its checkpoint; a new run starts them afresh.
  const log = new MetricsLog(join(outputDirectory, 'metrics.jsonl'), join(outputDirectory, 'metrics.csv'), {
    ...(checkpoint === undefined ? {} : { continueAfterIteration: checkpoint.step }),
  });
  const checkpointDirectory = join(outputDirectory, 'checkpoint');
  const result = await trainMetaLearner(learner, distribution, {
    ...loop,
    ...(checkpoint === undefined ? {} : { resumeFrom: checkpoint }),
    onIteration: (record) => {
      log.append(record);
      onIteration?.(record);
    },
    onCheckpoint: (latest) => saveCheckpoint(checkpointDirectory, latest),
  });
  return { ...result, checkpointDirectory };
}
