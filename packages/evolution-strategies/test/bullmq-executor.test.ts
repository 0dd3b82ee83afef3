import { useBackend } from '@metarl/core';
import { Queue, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleCounterNormal } from '../src/counter-noise';
import { createExecutorFitness } from '../src/executor-fitness';
import type { FitnessJob, ProblemSpec } from '../src/fitness-jobs';
import { handleFitnessJob } from '../src/handle-fitness-job';
import { createInProcessExecutor } from '../src/in-process-executor';
import { createBullmqExecutor } from '../src/node/bullmq-executor';
import {
  findRedisServer,
  REDIS_MISSING,
  startRedis,
  startWorkerProcess,
  type TestRedis,
  type TestWorker,
} from './helpers/redis-server';

// Worker processes run the built package (dist/): run `pnpm build` first.

const redisInstalled = findRedisServer() !== undefined;
if (!redisInstalled) console.warn(REDIS_MISSING);

// Pendulum never terminates early: every job runs its full episodes, long enough to be killed mid-way.
const problem: ProblemSpec = {
  distribution: { id: 'Pendulum-v1' },
  tasks: { kind: 'sampled', seed: 1, count: 4 },
  policy: { kind: 'gaussian-mlp', hiddenSizes: [8] },
  maxEpisodeSteps: 200,
  deterministic: true,
};

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

describe.skipIf(!redisInstalled)(
  'createBullmqExecutor with runBullmqWorker processes on a real Redis',
  () => {
    let redis: TestRedis;
    const workers: TestWorker[] = [];

    beforeAll(async () => {
      await useBackend('cpu');
      redis = await startRedis();
    });

    afterAll(async () => {
      await Promise.all(workers.map((worker) => worker.close()));
      await redis?.dispose();
    });

    it('loses nothing and counts nothing twice when a worker is killed (SIGKILL) mid-generation', async () => {
      const queue = 'kill-test';
      workers.push(...(await Promise.all([0, 1, 2].map(() => startWorkerProcess(redis.url, queue)))));
      const executor = await createBullmqExecutor({
        redis: redis.url,
        queue,
        pollIntervalMs: 50,
        removeCompleted: false,
      });
      const inspector = new Queue(queue, { connection: { url: redis.url } });
      try {
        const fitness = createExecutorFitness(executor, problem, { run: 'kill', chunkSize: 2 });
        const theta = sampleCounterNormal(1, 0, fitness.dimension).map((x) => 0.5 * x);
        const request = {
          generation: 0,
          theta,
          sigma: 0.3,
          noiseSeed: 5,
          populationSize: 16,
          environmentSeed: 9,
          observationNormalisation: { mean: [0, 0, 0], std: [1, 1, 2], sampleFraction: 0.5 },
        };
        const evaluation = fitness.evaluateAntithetic(request);

        // Kill the worker that runs a job, as soon as it is seen running one.
        let victim: { readonly jobId: string; readonly worker: TestWorker } | undefined;
        while (victim === undefined) {
          const active = await inspector.getJobs(['active']);
          const job = active.find((candidate) => candidate.processedBy !== undefined);
          const worker = workers.find((candidate) => job?.processedBy === `worker-${candidate.pid}`);
          if (job !== undefined && worker !== undefined) victim = { jobId: job.id!, worker };
          else await sleep(20);
        }
        await sleep(100);
        victim.worker.kill();

        const result = await evaluation;
        const expected = await createExecutorFitness(createInProcessExecutor(handleFitnessJob), problem, {
          run: 'kill',
          chunkSize: 2,
        }).evaluateAntithetic(request);
        expect(new Set(expected.fitness).size).toBeGreaterThan(2);
        expect(result.fitness).toEqual(expected.fitness);
        expect(result.steps).toBe(expected.steps);
        expect(result.observationStatistics).toEqual(expected.observationStatistics);

        // Every chunk has exactly one completed job; the killed one was taken over by another worker.
        const jobs = await inspector.getJobs(['completed', 'failed', 'active', 'waiting', 'delayed']);
        expect(jobs.map((job) => job.id).sort()).toEqual(
          Array.from({ length: 8 }, (_, c) => `kill.g0.c${c}`).sort(),
        );
        expect(jobs.every((job) => job.finishedOn !== undefined && job.failedReason === undefined)).toBe(
          true,
        );
        const retried = jobs.find((job) => job.id === victim.jobId)!;
        expect(retried.stalledCounter).toBeGreaterThanOrEqual(1);
        expect(retried.processedBy).not.toBe(`worker-${victim.worker.pid}`);
      } finally {
        await inspector.close();
        await executor.close();
      }
    });

    it('rejects a malformed job on the worker without retrying it, with the validator message', async () => {
      const queue = 'kill-test'; // the surviving workers of the previous test
      const inspector = new Queue(queue, { connection: { url: redis.url } });
      try {
        await inspector.add(
          'fitness',
          { format: 'metarl-es-job', version: 2 },
          { jobId: 'malformed', attempts: 3 },
        );
        const deadline = Date.now() + 20_000;
        while ((await inspector.getJob('malformed'))?.finishedOn === undefined && Date.now() < deadline)
          await sleep(50);
        const job = await inspector.getJob('malformed');
        expect(await job!.getState()).toBe('failed');
        expect(job!.failedReason).toBe(
          'validateFitnessJob: job.version must be 1 (the only version this package reads), got 2',
        );
        expect(job!.attemptsMade).toBe(1);
      } finally {
        await inspector.close();
      }
    });

    it('rejects a malformed job before queueing it, and a malformed or foreign result after', async () => {
      const queue = 'forged-results';
      const executor = await createBullmqExecutor({ redis: redis.url, queue, pollIntervalMs: 20 });
      // An in-test worker that answers with the wrong key.
      const forger = new Worker(
        queue,
        async (job) => {
          const result = handleFitnessJob(job.data as FitnessJob);
          return { ...result, key: { ...result.key, chunk: result.key.chunk + 1 } };
        },
        { connection: { url: redis.url, maxRetriesPerRequest: null } },
      );
      try {
        const fitness = createExecutorFitness(executor, problem, { run: 'forged', chunkSize: 4 });
        const request = {
          generation: 0,
          theta: new Float32Array(fitness.dimension),
          sigma: 0.1,
          noiseSeed: 1,
          populationSize: 4,
          environmentSeed: 1,
        };
        await expect(fitness.evaluateAntithetic(request)).rejects.toThrow(
          "createBullmqExecutor: job 'forged.g0.c0' returned a malformed result: validateFitnessResult: result.key must be the key of the job it answers",
        );
        await expect(executor.map([{ format: 'metarl-es-job' } as never])).rejects.toThrow(
          'validateFitnessJob: job.version must be 1',
        );
      } finally {
        await forger.close();
        await executor.close();
      }
    });

    it('refuses a job id that already holds other contents (an old run under the same name)', async () => {
      const queue = 'reused-name';
      const executor = await createBullmqExecutor({ redis: redis.url, queue, pollIntervalMs: 20 });
      const inspector = new Queue(queue, { connection: { url: redis.url } });
      try {
        const fitness = createExecutorFitness(executor, problem, { run: 'old', chunkSize: 4 });
        await inspector.add('fitness', { stale: true }, { jobId: 'old.g0.c0' });
        await expect(
          fitness.evaluateAntithetic({
            generation: 0,
            theta: new Float32Array(fitness.dimension),
            sigma: 0.1,
            noiseSeed: 1,
            populationSize: 4,
            environmentSeed: 1,
          }),
        ).rejects.toThrow("already holds a job 'old.g0.c0' with other contents");
      } finally {
        await inspector.close();
        await executor.close();
      }
    });

    it('waits for workers until the signal says to give up, and leaves no job behind', async () => {
      const queue = 'no-workers';
      const executor = await createBullmqExecutor({ redis: redis.url, queue, pollIntervalMs: 20 });
      const inspector = new Queue(queue, { connection: { url: redis.url } });
      try {
        const fitness = createExecutorFitness(executor, problem, { run: 'lonely', chunkSize: 2 });
        const started = performance.now();
        await expect(
          fitness.evaluateAntithetic({
            generation: 0,
            theta: new Float32Array(fitness.dimension),
            sigma: 0.1,
            noiseSeed: 1,
            populationSize: 4,
            environmentSeed: 1,
            signal: AbortSignal.timeout(400),
          }),
        ).rejects.toThrow(/aborted|timed out/i);
        expect(performance.now() - started).toBeGreaterThanOrEqual(350);
        await sleep(100);
        expect(await inspector.getJobCounts('waiting', 'active', 'completed', 'failed')).toEqual({
          waiting: 0,
          active: 0,
          completed: 0,
          failed: 0,
        });
      } finally {
        await inspector.close();
        await executor.close();
      }
    });
  },
);
