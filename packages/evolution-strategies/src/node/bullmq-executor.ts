/**
 * Fitness across machines through BullMQ on Redis: the master (`createBullmqExecutor`) puts each
 * chunk on a queue as a job whose id is its key (run, generation, chunk), and any number of
 * workers (`runBullmqWorker`, one per machine or core) take jobs, evaluate them in sandboxed child
 * processes and store the results in Redis.
 *
 * Why nothing is lost or counted twice:
 * - a job id is its key, so a retry or a second add of the same chunk is the same job, and a job
 *   has one stored result; the master reads exactly one result per key and checks it (same key,
 *   one return per member) before using it;
 * - a worker that dies mid-job stops renewing the job's lock; another worker's stalled-job check
 *   puts the job back on the queue and it runs elsewhere (jobs are pure, so the rerun gives the
 *   same result);
 * - an id already on the queue with other contents (an old run under the same name) is an error,
 *   never a reused result;
 * - a Redis restart that loses the queue (no persistence) makes the jobs vanish: the master fails
 *   with an error saying so; with persistence the jobs survive and the generation resumes; Redis
 *   unreachable for longer than `connectionTimeoutMs` is an error too.
 *
 * @example
 * // master
 * const executor = await createBullmqExecutor({ redis: 'redis://10.0.0.1:6379', queue: 'cartpole-es' });
 * // each worker machine
 * const worker = await runBullmqWorker({ redis: 'redis://10.0.0.1:6379', queue: 'cartpole-es', concurrency: 2 });
 */
import { hostname } from 'node:os';
import { describeValue } from '@metarl/core';
import type { Executor } from '../executor';
import {
  type FitnessJob,
  type FitnessResult,
  formatFitnessJobKey,
  validateFitnessJob,
  validateFitnessResult,
} from '../fitness-jobs';
import { loadOptionalPeer } from './load-optional-peer';
import { BACKEND_VARIABLE, resolveWorkerFile } from './worker-files';

type BullmqModule = typeof import('bullmq');
type Queue = import('bullmq').Queue;
type BullJob = import('bullmq').Job;

/** Options of `createBullmqExecutor`. */
export interface BullmqExecutorOptions {
  /** Redis URL, e.g. 'redis://127.0.0.1:6379' (`rediss://` for TLS, credentials in the URL). */
  readonly redis: string;
  /** Queue name shared with the workers. */
  readonly queue: string;
  /** Tries per job when a worker's evaluation throws; default 3. (A worker that dies is not a try: see `maxStalledCount`.) */
  readonly attempts?: number;
  /** Milliseconds between two looks at the pending jobs; default 100. */
  readonly pollIntervalMs?: number;
  /** Redis unreachable for longer than this (milliseconds) fails the generation; default 10000. */
  readonly connectionTimeoutMs?: number;
  /** Remove a generation's jobs from Redis once their results are read; default true. */
  readonly removeCompleted?: boolean;
}

/** Options of `runBullmqWorker`. */
export interface BullmqWorkerOptions {
  /** Redis URL, the master's. */
  readonly redis: string;
  /** Queue name, the master's. */
  readonly queue: string;
  /** Jobs evaluated at once, each in its own child process; default 1 (one per core is typical). */
  readonly concurrency?: number;
  /** Tensor backend of the child processes (`useBackend`'s name); default 'cpu'. */
  readonly backend?: string;
  /** Lock of a running job, milliseconds; a dead worker's job returns to the queue after it expires; default 30000. */
  readonly lockDurationMs?: number;
  /** Milliseconds between this worker's checks for stalled jobs (of dead workers); default 30000. */
  readonly stalledIntervalMs?: number;
  /** Times a job may stall (its worker died) before it fails; default 5. */
  readonly maxStalledCount?: number;
  /** Path of the sandboxed processor; default the package's built `bullmq-fitness-processor`. */
  readonly processorFile?: string;
  /** This worker's name, stored on the jobs it runs (`processedBy`); default '<hostname>-<pid>'. */
  readonly name?: string;
  /** Called with worker errors (lost connection, ...); default: one line on stderr. */
  readonly onError?: (error: Error) => void;
}

/** A running worker. */
export interface BullmqWorker {
  /** Finishes the jobs in progress, then disconnects. */
  close(): Promise<void>;
}

function checkUrl(where: string, redis: unknown): void {
  if (typeof redis !== 'string' || !/^rediss?:\/\/[^\s]+$/.test(redis))
    throw new TypeError(
      `${where}: options.redis must be a Redis URL like 'redis://127.0.0.1:6379', got ${describeValue(redis)}`,
    );
}

function checkQueueName(where: string, queue: unknown): void {
  if (typeof queue !== 'string' || !/^[A-Za-z0-9_.-]{1,100}$/.test(queue))
    throw new TypeError(
      `${where}: options.queue must be 1 to 100 letters, digits, '_', '.' or '-', got ${describeValue(queue)}`,
    );
}

function checkPositiveInteger(where: string, name: string, value: unknown, minimum = 1): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || (value as number) < minimum))
    throw new RangeError(
      `${where}: options.${name} must be an integer >= ${minimum}, got ${describeValue(value)}`,
    );
}

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/** Rejects after `milliseconds` unless `promise` settles first. */
function withTimeout<T>(promise: Promise<T>, milliseconds: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${milliseconds} ms`)), milliseconds);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The master side: an executor whose jobs run on `runBullmqWorker` workers; needs the optional peers `bullmq` and `ioredis`. */
export async function createBullmqExecutor(
  options: BullmqExecutorOptions,
): Promise<Executor<FitnessJob, FitnessResult>> {
  const where = 'createBullmqExecutor';
  checkUrl(where, options?.redis);
  checkQueueName(where, options.queue);
  checkPositiveInteger(where, 'attempts', options.attempts);
  checkPositiveInteger(where, 'pollIntervalMs', options.pollIntervalMs);
  checkPositiveInteger(where, 'connectionTimeoutMs', options.connectionTimeoutMs);
  const attempts = options.attempts ?? 3;
  const pollInterval = options.pollIntervalMs ?? 100;
  const connectionTimeout = options.connectionTimeoutMs ?? 10_000;
  const removeCompleted = options.removeCompleted ?? true;
  const bullmq = await loadOptionalPeer<BullmqModule>('bullmq', where);
  let lastConnectionError: Error | undefined;
  const queue: Queue = new bullmq.Queue(options.queue, {
    // Fail a command fast while Redis is away: the poll loop decides when that is an error.
    connection: { url: options.redis, maxRetriesPerRequest: 1 },
  });
  queue.on('error', (error: Error) => {
    lastConnectionError = error;
  });
  const place = `queue '${options.queue}' on ${options.redis}`;
  let closed = false;

  /** Calls Redis through `body`, retrying while Redis is unreachable for up to `connectionTimeout`. */
  async function reachRedis<T>(what: string, body: () => Promise<T>): Promise<T> {
    const since = Date.now();
    for (;;) {
      try {
        return await withTimeout(body(), connectionTimeout, what);
      } catch (error) {
        if (Date.now() - since >= connectionTimeout)
          throw new Error(
            `${where}: Redis unreachable for ${connectionTimeout} ms (${what}, ${place}): ${
              (error as Error).message
            }${lastConnectionError === undefined ? '' : `; last connection error: ${lastConnectionError.message}`}. The generation's jobs may be lost: bring Redis back and evaluate the generation again.`,
            { cause: error },
          );
        await sleep(Math.min(500, pollInterval * 5));
      }
    }
  }

  async function removeQuietly(ids: readonly string[]): Promise<void> {
    await Promise.all(
      ids.map(async (id) => {
        try {
          await withTimeout(queue.remove(id), 2000, 'remove');
        } catch {
          // Best effort: an active job is locked by its worker and stays until it finishes.
        }
      }),
    );
  }

  return {
    async map(jobs, mapOptions = {}) {
      if (closed) throw new Error(`${where}: map called after close()`);
      const signal = mapOptions.signal;
      signal?.throwIfAborted();
      jobs.forEach((job) => {
        validateFitnessJob(job);
      });
      const ids = jobs.map((job) => formatFitnessJobKey(job.key));
      const seen = new Set<string>();
      for (const id of ids) {
        if (seen.has(id))
          throw new Error(`${where}: two jobs of one map share the key '${id}'; chunk keys must be unique`);
        seen.add(id);
      }
      const serialised = jobs.map((job) => JSON.stringify(job));

      // Add every chunk under its key; an id already present must hold this very job.
      await reachRedis('adding the jobs', () =>
        queue.addBulk(
          jobs.map((job, i) => ({
            name: 'fitness',
            data: job,
            opts: { jobId: ids[i]!, attempts, removeOnComplete: false, removeOnFail: false },
          })),
        ),
      );
      // An id already on the queue must hold this very job (else: an old run under the same name).
      const ours: string[] = [];
      for (const [i, id] of ids.entries()) {
        const job: BullJob | undefined = await reachRedis(`reading job '${id}'`, () => queue.getJob(id));
        if (job !== undefined && JSON.stringify(job.data) !== serialised[i]) {
          await removeQuietly(ours);
          throw new Error(
            `${where}: ${place} already holds a job '${id}' with other contents (an earlier run under the same run name?); use a new run name or obliterate the queue`,
          );
        }
        ours.push(id);
      }

      // Poll until every job has its one result; read each result once and check it.
      const results: (FitnessResult | undefined)[] = new Array(jobs.length);
      const pending = new Set(jobs.map((_, i) => i));
      try {
        while (pending.size > 0) {
          signal?.throwIfAborted();
          for (const i of [...pending]) {
            const id = ids[i]!;
            const vanished = () =>
              new Error(
                `${where}: job '${id}' vanished from ${place} before its result was read: Redis lost its data (restarted without persistence, flushed, or the queue was obliterated). No result of this generation is used; evaluate the generation again.`,
              );
            // The state first, then the job: a job read before it finished would carry no result.
            const state = await reachRedis(`reading job '${id}'`, () => queue.getJobState(id));
            if (state === 'unknown') throw vanished();
            if (state !== 'completed' && state !== 'failed') continue;
            const job: BullJob | undefined = await reachRedis(`reading job '${id}'`, () => queue.getJob(id));
            if (job === undefined) throw vanished();
            if (state === 'failed')
              throw new Error(
                `${where}: job '${id}' failed on the workers after ${job.attemptsMade} attempt(s): ${job.failedReason}`,
              );
            try {
              results[i] = validateFitnessResult(job.returnvalue, jobs[i]);
            } catch (error) {
              throw new Error(
                `${where}: job '${id}' returned a malformed result: ${(error as Error).message}`,
                {
                  cause: error,
                },
              );
            }
            pending.delete(i);
          }
          if (pending.size > 0) await sleep(pollInterval);
        }
      } catch (error) {
        // Leave no waiting job of a failed generation behind (so the generation can be evaluated again).
        await removeQuietly(ids);
        throw error;
      }
      if (removeCompleted) await removeQuietly(ids);
      return results as FitnessResult[];
    },
    async close() {
      if (closed) return;
      closed = true;
      await queue.close();
    },
  };
}

/**
 * A worker: takes fitness jobs from `options.queue` and evaluates each in a sandboxed child
 * process (so CPU-bound rollouts cannot block the lock renewal), `concurrency` at a time. Runs
 * until `close()`; start one per machine (or per core, with `concurrency: 1`).
 */
export async function runBullmqWorker(options: BullmqWorkerOptions): Promise<BullmqWorker> {
  const where = 'runBullmqWorker';
  checkUrl(where, options?.redis);
  checkQueueName(where, options.queue);
  checkPositiveInteger(where, 'concurrency', options.concurrency);
  checkPositiveInteger(where, 'lockDurationMs', options.lockDurationMs);
  checkPositiveInteger(where, 'stalledIntervalMs', options.stalledIntervalMs);
  checkPositiveInteger(where, 'maxStalledCount', options.maxStalledCount, 0);
  const backend = options.backend ?? 'cpu';
  if (typeof backend !== 'string' || backend === '')
    throw new TypeError(
      `${where}: options.backend must be a backend name like 'cpu', got ${describeValue(backend)}`,
    );
  const processorFile = options.processorFile ?? resolveWorkerFile('bullmq-fitness-processor', where);
  const bullmq = await loadOptionalPeer<BullmqModule>('bullmq', where);
  // The sandboxed child processes inherit this process's environment.
  process.env[BACKEND_VARIABLE] = backend;
  const onError =
    options.onError ??
    ((error: Error) => {
      process.stderr.write(`${where} (queue '${options.queue}'): ${error.message}\n`);
    });
  const worker = new bullmq.Worker(options.queue, processorFile, {
    connection: { url: options.redis, maxRetriesPerRequest: null },
    name: options.name ?? `${hostname()}-${process.pid}`,
    concurrency: options.concurrency ?? 1,
    useWorkerThreads: false,
    lockDuration: options.lockDurationMs ?? 30_000,
    stalledInterval: options.stalledIntervalMs ?? 30_000,
    maxStalledCount: options.maxStalledCount ?? 5,
  });
  worker.on('error', onError);
  await worker.waitUntilReady();
  return {
    async close() {
      await worker.close();
    },
  };
}
