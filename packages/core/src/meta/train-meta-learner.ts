/**
 * The training loop every meta-learner shares: sample a meta-batch of tasks, take one
 * meta-training step, report fixed-key metrics, show progress (a bar on a TTY, plain lines
 * otherwise), hand out a checkpoint every k iterations, and resume exactly: training N
 * iterations equals training k, checkpointing, restoring and training N - k (bit for bit on cpu).
 * Checkpoints record the run's setup (the learner's config, the distribution's id and
 * parameters, the policy, `metaBatchSize` and `seed`); resuming with a run that differs is
 * refused with one error naming every difference, unless `allowChanges` names them.
 * It touches no file system (browser-safe); `trainMetaLearnerInDirectory` of `@metarl/core/node`
 * adds the metrics files and checkpoints on disk.
 */
import { createRng, createRngFromState, type Rng, type TaskDistribution } from '@metarl/envs';
import type { Checkpoint } from '../checkpoint/checkpoint';
import {
  assertAllowChanges,
  assertCheckpointMatches,
  type CheckpointSetup,
  describeTaskDistribution,
} from '../checkpoint/checkpoint-setup';
import type { MetaLearner } from './meta-learner';

/** Resolves after pending timers and I/O have had their turn (setImmediate in Node, else a 0 ms timeout). */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) =>
    typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0),
  );
}

/** One iteration's metrics: `iteration`, the learner's metrics and `time/*`, with fixed keys. */
export type MetricsRecord = Readonly<Record<string, number>>;

/** Options of `trainMetaLearner`. */
export interface TrainOptions {
  /** Iterations to reach (counting those of a resumed checkpoint). */
  readonly iterations: number;
  /** Tasks per meta-training step. */
  readonly metaBatchSize: number;
  /** Seed of task sampling and of every step's generator. */
  readonly seed: number;
  /** Hand a checkpoint to `onCheckpoint` every this many iterations (and at the end); default: only at the end. */
  readonly checkpointEvery?: number;
  /**
   * Receives a checkpoint (the learner's, with the loop's generator state and step) every
   * `checkpointEvery` iterations and at the end. Its tensors are the learner's own: save or copy
   * them before the returned promise settles, and do not dispose them (`saveCheckpoint` of
   * `@metarl/core/node` writes one to disk).
   */
  readonly onCheckpoint?: (checkpoint: Checkpoint) => Promise<void> | void;
  /**
   * A checkpoint handed out by `onCheckpoint` (or read back by `loadCheckpoint`) to resume from
   * exactly; the learner takes ownership of its tensors (a refused one stays the caller's). It
   * must come from the same setup: a checkpoint whose learner config, distribution (id and
   * parameters), policy, `metaBatchSize` or `seed` differ from this run's is refused with a
   * `CheckpointMismatchError` naming every difference, as is one written before checkpoints
   * recorded their setup.
   */
  readonly resumeFrom?: Checkpoint;
  /**
   * Settings that may deliberately differ from `resumeFrom`'s, as the refusal names them:
   * dotted paths (`'config.innerStepSize'`, `'training.metaBatchSize'`) or whole sections
   * (`'config'`, `'distribution'`, `'policy'`, `'training'`). Default: none.
   */
  readonly allowChanges?: readonly string[];
  /**
   * 'auto' (a bar on a TTY, lines otherwise), 'bar', 'lines' or 'none'; default 'auto'. Progress
   * goes to stderr; without one (a browser) 'auto', 'bar' and 'lines' log lines to the console.
   */
  readonly progress?: 'auto' | 'bar' | 'lines' | 'none';
  /** Called after every iteration with its record. */
  readonly onIteration?: (record: MetricsRecord) => void;
  /**
   * Stops training after the iteration in progress once aborted (e.g. `AbortSignal.timeout(ms)`
   * for a time budget); the last checkpoint is still handed out and `TrainResult.iterations`
   * says how many ran. With a signal, the loop yields to the event loop after every iteration,
   * so that timers (and the signal's own) can fire between iterations that never wait.
   */
  readonly signal?: AbortSignal;
}

/** What `trainMetaLearner` did. */
export interface TrainResult {
  /** Iterations completed (including resumed ones). */
  readonly iterations: number;
  /** The records of the iterations run in this call. */
  readonly records: readonly MetricsRecord[];
}

const TRAINER_RNG = 'trainer';

function describe(record: MetricsRecord): string {
  const keys = Object.keys(record).filter((k) => k.startsWith('metaTrain/return'));
  return keys.map((k) => `${k.split('/')[1]} ${record[k]!.toFixed(2)}`).join('  ');
}

/** The part of a progress stream the loop writes to (`process.stderr` in Node). */
interface ProgressStream {
  /** Whether it is a terminal (a bar redraws in place). */
  readonly isTTY?: boolean;
  /** Writes text. */
  write(text: string): unknown;
}

/** `process.stderr` where there is one (Node); otherwise undefined (a browser). */
function standardError(): ProgressStream | undefined {
  return (globalThis as { process?: { stderr?: ProgressStream } }).process?.stderr;
}

/** Throws a RangeError naming the first invalid option (also used by `trainMetaLearnerInDirectory`). */
export function assertTrainOptions(options: TrainOptions, where = 'trainMetaLearner'): void {
  const { iterations, metaBatchSize, seed } = options;
  if (!Number.isInteger(iterations) || iterations < 0)
    throw new RangeError(`${where}: iterations must be an integer >= 0, got ${iterations}`);
  if (!Number.isInteger(metaBatchSize) || metaBatchSize < 1) {
    throw new RangeError(`${where}: metaBatchSize must be a positive integer, got ${metaBatchSize}`);
  }
  if (!Number.isSafeInteger(seed)) throw new RangeError(`${where}: seed must be an integer, got ${seed}`);
  const every = options.checkpointEvery;
  if (every !== undefined && (!Number.isInteger(every) || every < 1)) {
    throw new RangeError(`${where}: checkpointEvery must be a positive integer, got ${every}`);
  }
  assertAllowChanges(options.allowChanges, where);
}

/** The setup a checkpoint of this run records: the learner's, with the loop's distribution and options. */
function runSetup<Task>(
  learnerSetup: CheckpointSetup | undefined,
  distribution: TaskDistribution<Task>,
  options: TrainOptions,
): CheckpointSetup {
  return {
    ...learnerSetup,
    distribution: describeTaskDistribution(distribution),
    training: { metaBatchSize: options.metaBatchSize, seed: options.seed },
  };
}

/**
 * Throws unless `checkpoint` can resume this run (also used by `trainMetaLearnerInDirectory`,
 * before it touches any file): written by a learner of `learner.kind` through `trainMetaLearner`
 * (it holds the loop's generator state), with the same config and setup except where
 * `options.allowChanges` allows. `source` names the checkpoint in the message.
 */
export async function assertCanResume<Task>(
  learner: MetaLearner<Task>,
  distribution: TaskDistribution<Task>,
  options: TrainOptions,
  checkpoint: Checkpoint,
  label: { readonly where: string; readonly source: string },
): Promise<void> {
  const { where, source } = label;
  if (checkpoint.kind !== learner.kind)
    throw new TypeError(
      `${where}: resumeFrom is a '${checkpoint.kind}' checkpoint, this learner is '${learner.kind}'`,
    );
  if (checkpoint.rng[TRAINER_RNG] === undefined)
    throw new RangeError(
      `${where}: resumeFrom has no '${TRAINER_RNG}' generator state (not handed out by trainMetaLearner)`,
    );
  // The learner's current checkpoint describes its config and setup; its tensors stay its own.
  const current = await learner.toCheckpoint();
  assertCheckpointMatches(
    checkpoint,
    {
      config: current.config,
      setup: runSetup(current.setup, distribution, options),
    },
    { where, source, allowChanges: options.allowChanges },
  );
}

/** Trains `learner` on meta-batches of `distribution` (see the module comment). */
export async function trainMetaLearner<Task>(
  learner: MetaLearner<Task>,
  distribution: TaskDistribution<Task>,
  options: TrainOptions,
): Promise<TrainResult> {
  assertTrainOptions(options);
  const { iterations, metaBatchSize, seed } = options;
  const every = options.checkpointEvery;
  let rng: Rng = createRng(seed);
  let iteration = 0;
  const resumed = options.resumeFrom;
  if (resumed !== undefined) {
    await assertCanResume(learner, distribution, options, resumed, {
      where: 'trainMetaLearner',
      source: `the checkpoint at step ${resumed.step}`,
    });
    await learner.fromCheckpoint(resumed, { allowChanges: options.allowChanges });
    rng = createRngFromState(resumed.rng[TRAINER_RNG]!);
    iteration = resumed.step;
  }
  const mode = options.progress ?? 'auto';
  const stream = standardError();
  // Without a stream (a browser) the bar and the lines both become console lines.
  const bar = stream !== undefined && (mode === 'bar' || (mode === 'auto' && stream.isTTY === true));
  const lines = !bar && mode !== 'none';
  const writeLine = (text: string) => (stream ? stream.write(`${text}\n`) : console.log(text));
  const records: MetricsRecord[] = [];
  const handOut = async () => {
    if (options.onCheckpoint === undefined) return;
    const checkpoint = await learner.toCheckpoint();
    await options.onCheckpoint({
      ...checkpoint,
      setup: runSetup(checkpoint.setup, distribution, options),
      step: iteration,
      rng: { ...checkpoint.rng, [TRAINER_RNG]: rng.getState() },
    });
  };
  const started = performance.now();
  const aborted = () => options.signal?.aborted === true;
  while (iteration < iterations && !aborted()) {
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
    options.onIteration?.(record);
    if (bar) {
      const width = 24;
      const filled = Math.round((width * iteration) / iterations);
      stream!.write(
        `\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${iteration}/${iterations}  ${describe(record)}   `,
      );
      if (iteration === iterations || aborted()) stream!.write('\n');
    } else if (lines) {
      writeLine(`iteration ${iteration}/${iterations}  ${describe(record)}`);
    }
    if (every !== undefined && iteration % every === 0 && iteration < iterations) await handOut();
    if (options.signal !== undefined) await yieldToEventLoop();
  }
  await handOut();
  return { iterations: iteration, records };
}
