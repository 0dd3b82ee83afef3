/**
 * Fitness on worker threads of this machine (Piscina): each thread rebuilds the problem once and
 * evaluates whole chunks with `handleFitnessJob`, so a chunk's result is exactly what the
 * in-process executor computes for the same job (the threads use the same tensor backend).
 *
 * @example
 * const executor = await createWorkerThreadExecutor({ threads: 2 });
 * const fitness = createExecutorFitness(executor, problem, { run: 'cartpole-1', chunkSize: 16 });
 * // ... await fitness.evaluateAntithetic(...) each generation ...
 * await executor.close();
 */
import { describeValue } from '@metarl/core';
import type { Executor } from '../executor';
import type { FitnessJob, FitnessResult } from '../fitness-jobs';
import type { ThreadTask } from './fitness-thread-worker';
import { loadOptionalPeer } from './load-optional-peer';
import { resolveWorkerFile } from './worker-files';

/** Options of `createWorkerThreadExecutor`. */
export interface WorkerThreadExecutorOptions {
  /** Worker threads, an integer >= 1; typically the number of cores. */
  readonly threads: number;
  /** Tensor backend of every thread (`useBackend`'s name); default 'cpu'. */
  readonly backend?: string;
  /** Path of the thread worker file; default the package's built `fitness-thread-worker`. */
  readonly workerFile?: string;
}

type PiscinaModule = typeof import('piscina');

/** An executor that spreads jobs over `options.threads` worker threads; needs the optional peer `piscina`. */
export async function createWorkerThreadExecutor(
  options: WorkerThreadExecutorOptions,
): Promise<Executor<FitnessJob, FitnessResult>> {
  const where = 'createWorkerThreadExecutor';
  if (!Number.isInteger(options?.threads) || options.threads < 1)
    throw new RangeError(
      `${where}: options.threads must be an integer >= 1, got ${describeValue(options?.threads)}`,
    );
  const backend = options.backend ?? 'cpu';
  if (typeof backend !== 'string' || backend === '')
    throw new TypeError(
      `${where}: options.backend must be a backend name like 'cpu', got ${describeValue(backend)}`,
    );
  const filename = options.workerFile ?? resolveWorkerFile('fitness-thread-worker', where);
  const piscina = await loadOptionalPeer<PiscinaModule>('piscina', where);
  const Piscina = piscina.Piscina ?? piscina.default;
  const pool = new Piscina<ThreadTask, FitnessResult>({
    filename,
    minThreads: options.threads,
    maxThreads: options.threads,
    idleTimeout: Number.POSITIVE_INFINITY,
  });
  let closed = false;
  return {
    async map(jobs, mapOptions = {}) {
      if (closed) throw new Error(`${where}: map called after close()`);
      mapOptions.signal?.throwIfAborted();
      return Promise.all(
        jobs.map((job) =>
          pool.run({ job, backend }, mapOptions.signal === undefined ? {} : { signal: mapOptions.signal }),
        ),
      );
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.destroy();
    },
  };
}
