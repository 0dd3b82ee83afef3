/**
 * The sandboxed BullMQ processor of `runBullmqWorker`: runs in its own child process (so that a
 * long, CPU-bound rollout cannot block the worker's lock renewal), selects the tensor backend
 * once, validates the job and answers with `handleFitnessJob`. A malformed job fails at once,
 * without retries (an error named 'UnrecoverableError'). Built as its own file
 * (dist/bullmq-fitness-processor).
 */
import { currentBackend, useBackend } from '@metarl/core';
import { type FitnessResult, MalformedFitnessMessageError, validateFitnessJob } from '../fitness-jobs';
import { handleFitnessJob } from '../handle-fitness-job';
import { BACKEND_VARIABLE } from './worker-files';

let ready: Promise<unknown> | undefined;

export default async function processFitnessJob(job: { readonly data: unknown }): Promise<FitnessResult> {
  const backend = process.env[BACKEND_VARIABLE] || 'cpu';
  ready ??= currentBackend()?.name === backend ? Promise.resolve() : useBackend(backend);
  await ready;
  try {
    return handleFitnessJob(validateFitnessJob(job.data));
  } catch (error) {
    if (error instanceof MalformedFitnessMessageError) {
      // BullMQ recognises an unrecoverable error by its name across the process boundary.
      const unrecoverable = new Error(error.message);
      unrecoverable.name = 'UnrecoverableError';
      throw unrecoverable;
    }
    throw error;
  }
}
