/**
 * Where fitness is computed: one `Executor` interface, three engines (in-process here; worker
 * threads and BullMQ on Redis in `@metarl/evolution-strategies/node`). An executor runs pure,
 * serialisable jobs and returns their results in job order. A job may run more than once (a
 * retry after a worker died), so jobs must be idempotent and carry their own key.
 */

/** Runs pure, serialisable jobs; results come back in job order. */
export interface Executor<Job, Result> {
  /** Runs every job (in any order, possibly more than once) and resolves with their results in job order. */
  map(jobs: readonly Job[], options?: { readonly signal?: AbortSignal }): Promise<readonly Result[]>;
  /** Releases threads, connections and queues; the executor is unusable afterwards. */
  close(): Promise<void>;
}
