/**
 * The training loop every meta-learner shares: sample a meta-batch of tasks, take one
 * meta-training step, log fixed-key metrics (JSONL and CSV), show progress (a bar on a TTY,
 * plain lines otherwise), checkpoint every k iterations, and resume exactly: training N
 * iterations equals training k, saving, loading and training N - k (bit for bit on cpu).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRng, createRngFromState, type Rng, type TaskDistribution } from '@metarl/envs';
import { loadCheckpoint, saveCheckpoint } from '../checkpoint/checkpoint';
import type { MetaLearner } from './meta-learner';
import { MetricsLog, type MetricsRecord, readMetrics } from './metrics-log';
import { plotLearningCurve } from './plot-learning-curve';

/** Options of `trainMetaLearner`. */
export interface TrainOptions {
  /** Iterations to reach (counting those of a resumed checkpoint). */
  readonly iterations: number;
  /** Tasks per meta-training step. */
  readonly metaBatchSize: number;
  /** Seed of task sampling and of every step's generator. */
  readonly seed: number;
  /**
   * Where metrics.jsonl, metrics.csv, learning-curve.png and checkpoint/ go; nothing is written
   * without it. A new run starts the metrics files afresh; a resumed one keeps their records up
   * to the checkpoint's iteration and continues them.
   */
  readonly outputDirectory?: string;
  /** Save a checkpoint every this many iterations (and at the end); default: only at the end. */
  readonly checkpointEvery?: number;
  /** A checkpoint directory to resume from. */
  readonly resumeFrom?: string;
  /** 'auto' (bar on a TTY, lines otherwise), 'bar', 'lines' or 'none'; default 'auto'. */
  readonly progress?: 'auto' | 'bar' | 'lines' | 'none';
  /** Called after every iteration with its record. */
  readonly onIteration?: (record: MetricsRecord) => void;
}

/** What `trainMetaLearner` did. */
export interface TrainResult {
  /** Iterations completed (including resumed ones). */
  readonly iterations: number;
  /** The records of the iterations run in this call. */
  readonly records: readonly MetricsRecord[];
  /** The last checkpoint written, if any. */
  readonly checkpointDirectory?: string;
}

const TRAINER_RNG = 'trainer';

function describe(record: MetricsRecord): string {
  const keys = Object.keys(record).filter((k) => k.startsWith('metaTrain/return'));
  return keys.map((k) => `${k.split('/')[1]} ${record[k]!.toFixed(2)}`).join('  ');
}

/** Trains `learner` on meta-batches of `distribution` (see the module comment). */
export async function trainMetaLearner<Task>(
  learner: MetaLearner<Task>,
  distribution: TaskDistribution<Task>,
  options: TrainOptions,
): Promise<TrainResult> {
  const { iterations, metaBatchSize, seed } = options;
  if (!Number.isInteger(iterations) || iterations < 0)
    throw new RangeError(`trainMetaLearner: iterations must be an integer >= 0, got ${iterations}`);
  if (!Number.isInteger(metaBatchSize) || metaBatchSize < 1) {
    throw new RangeError(`trainMetaLearner: metaBatchSize must be a positive integer, got ${metaBatchSize}`);
  }
  if (!Number.isSafeInteger(seed))
    throw new RangeError(`trainMetaLearner: seed must be an integer, got ${seed}`);
  const every = options.checkpointEvery;
  if (every !== undefined && (!Number.isInteger(every) || every < 1)) {
    throw new RangeError(`trainMetaLearner: checkpointEvery must be a positive integer, got ${every}`);
  }
  let rng: Rng = createRng(seed);
  let iteration = 0;
  if (options.resumeFrom !== undefined) {
    const checkpoint = await loadCheckpoint(options.resumeFrom, learner.kind);
    const trainerState = checkpoint.rng[TRAINER_RNG];
    if (trainerState === undefined)
      throw new RangeError(
        `trainMetaLearner: ${options.resumeFrom} has no '${TRAINER_RNG}' generator state (not written by trainMetaLearner)`,
      );
    await learner.fromCheckpoint(checkpoint);
    rng = createRngFromState(trainerState);
    iteration = checkpoint.step;
  }
  const out = options.outputDirectory;
  if (out !== undefined) mkdirSync(out, { recursive: true });
  // A resumed run continues the metrics files up to its checkpoint; a new run starts them afresh.
  const log =
    out === undefined
      ? undefined
      : new MetricsLog(join(out, 'metrics.jsonl'), join(out, 'metrics.csv'), {
          ...(options.resumeFrom !== undefined ? { continueAfterIteration: iteration } : {}),
        });
  const mode = options.progress ?? 'auto';
  const bar = mode === 'bar' || (mode === 'auto' && process.stderr.isTTY === true);
  const lines = mode === 'lines' || (mode === 'auto' && !bar);
  const records: MetricsRecord[] = [];
  let checkpointDirectory: string | undefined;
  const save = async () => {
    if (out === undefined) return;
    const checkpoint = await learner.toCheckpoint();
    checkpointDirectory = join(out, 'checkpoint');
    await saveCheckpoint(checkpointDirectory, {
      ...checkpoint,
      step: iteration,
      rng: { ...checkpoint.rng, [TRAINER_RNG]: rng.getState() },
    });
  };
  const started = performance.now();
  while (iteration < iterations) {
    const iterationStarted = performance.now();
    const tasks = distribution.sampleTasks(metaBatchSize, { seed: rng.nextSeed() });
    const stepRng = rng.split(1)[0]!;
    const metrics = await learner.metaTrainStep(tasks, stepRng);
    iteration += 1;
    const record: MetricsRecord = {
      iteration,
      ...metrics,
      'time/iterationSeconds': (performance.now() - iterationStarted) / 1000,
      'time/totalSeconds': (performance.now() - started) / 1000,
    };
    records.push(record);
    log?.append(record);
    options.onIteration?.(record);
    if (bar) {
      const width = 24;
      const filled = Math.round((width * iteration) / iterations);
      process.stderr.write(
        `\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${iteration}/${iterations}  ${describe(record)}   `,
      );
      if (iteration === iterations) process.stderr.write('\n');
    } else if (lines) {
      process.stderr.write(`iteration ${iteration}/${iterations}  ${describe(record)}\n`);
    }
    if (every !== undefined && iteration % every === 0 && iteration < iterations) await save();
  }
  await save();
  if (out !== undefined && iteration > 0) {
    const all = readMetrics(join(out, 'metrics.jsonl'));
    if (all.some((r) => Object.keys(r).some((k) => k.startsWith('metaTrain/return')))) {
      writeFileSync(
        join(out, 'learning-curve.png'),
        await plotLearningCurve(all, { title: `${learner.kind}: return per meta-iteration` }),
      );
    }
  }
  return { iterations: iteration, records, ...(checkpointDirectory ? { checkpointDirectory } : {}) };
}
