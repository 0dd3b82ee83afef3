/**
 * The default executor: runs each job in this thread, one after the other, in job order. Works
 * everywhere (Node, browsers) and is deterministic; the other engines must give the same results.
 *
 * @example
 * const executor = createInProcessExecutor(handleFitnessJob);
 * const results = await executor.map(jobs);
 */
import { describeValue } from '@metarl/core';
import type { Executor } from './executor';

/** An executor that calls `handler` on each job in turn, in this thread. */
export function createInProcessExecutor<Job, Result>(
  handler: (job: Job) => Result | Promise<Result>,
): Executor<Job, Result> {
  if (typeof handler !== 'function')
    throw new TypeError(`createInProcessExecutor: handler must be a function, got ${describeValue(handler)}`);
  let closed = false;
  return {
    async map(jobs, options = {}) {
      if (closed) throw new Error('createInProcessExecutor: map called after close()');
      const results: Result[] = [];
      for (const job of jobs) {
        options.signal?.throwIfAborted();
        results.push(await handler(job));
      }
      return results;
    },
    async close() {
      closed = true;
    },
  };
}
