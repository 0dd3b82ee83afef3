/**
 * The Piscina worker of `createWorkerThreadExecutor`: selects the tensor backend once per thread,
 * then answers each task with `handleFitnessJob`. Built as its own file (dist/fitness-thread-worker).
 */
import { currentBackend, useBackend } from '@metarl/core';
import type { FitnessJob, FitnessResult } from '../fitness-jobs';
import { handleFitnessJob } from '../handle-fitness-job';

/** What the executor sends to a thread: the job and the backend to compute it on. */
export interface ThreadTask {
  readonly job: FitnessJob;
  readonly backend: string;
}

let ready: Promise<unknown> | undefined;

export default async function runThreadTask(task: ThreadTask): Promise<FitnessResult> {
  ready ??= currentBackend()?.name === task.backend ? Promise.resolve() : useBackend(task.backend);
  await ready;
  return handleFitnessJob(task.job);
}
