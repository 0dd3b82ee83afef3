import { useBackend } from '@metarl/core';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleCounterNormal } from '../src/counter-noise';
import { createExecutorFitness, type ExecutorFitness } from '../src/executor-fitness';
import type { ProblemSpec } from '../src/fitness-jobs';
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

const problem: ProblemSpec = {
  distribution: { id: 'Pendulum-v1' },
  tasks: { kind: 'sampled', seed: 1, count: 2 },
  policy: { kind: 'gaussian-mlp', hiddenSizes: [8] },
  maxEpisodeSteps: 100,
  deterministic: true,
};

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

function requestOf(fitness: ExecutorFitness, generation: number) {
  return {
    generation,
    theta: sampleCounterNormal(2, 0, fitness.dimension).map((x) => 0.5 * x),
    sigma: 0.3,
    noiseSeed: 7,
    populationSize: 12,
    environmentSeed: 3 + generation,
  };
}

async function inProcess(generation: number) {
  const fitness = createExecutorFitness(createInProcessExecutor(handleFitnessJob), problem, {
    run: 'restart',
    chunkSize: 2,
  });
  return fitness.evaluateAntithetic(requestOf(fitness, generation));
}

/** Waits until a job of `queue` is active (running on a worker). */
async function waitForActiveJob(url: string, queue: string): Promise<void> {
  const inspector = new Queue(queue, { connection: { url } });
  try {
    while ((await inspector.getJobCounts('active')).active === 0) await sleep(20);
  } finally {
    await inspector.close();
  }
}

describe.skipIf(!redisInstalled)('createBullmqExecutor when Redis restarts mid-generation', () => {
  const servers: TestRedis[] = [];
  const workers: TestWorker[] = [];

  beforeAll(async () => {
    await useBackend('cpu');
  });

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.close()));
    await Promise.all(servers.map((server) => server.dispose()));
  });

  it('without persistence: fails with an error saying the jobs vanished, then evaluates the generation again exactly', async () => {
    const redis = await startRedis();
    servers.push(redis);
    const queue = 'volatile';
    workers.push(...(await Promise.all([0, 1].map(() => startWorkerProcess(redis.url, queue)))));
    const executor = await createBullmqExecutor({ redis: redis.url, queue, pollIntervalMs: 50 });
    try {
      const fitness = createExecutorFitness(executor, problem, { run: 'restart', chunkSize: 2 });
      const evaluation = fitness.evaluateAntithetic(requestOf(fitness, 0));
      evaluation.catch(() => {}); // awaited below
      await waitForActiveJob(redis.url, queue);
      await redis.stop();
      await redis.start();
      await expect(evaluation).rejects.toThrow(
        /job 'restart\.g0\.c\d+' vanished from queue 'volatile' on redis:\/\/127\.0\.0\.1:\d+ before its result was read: Redis lost its data/,
      );
      // The workers reconnect; evaluating the generation again gives exactly the in-process result.
      const again = await fitness.evaluateAntithetic(requestOf(fitness, 0));
      expect(again.fitness).toEqual((await inProcess(0)).fitness);
    } finally {
      await executor.close();
    }
  });

  it('with persistence (append-only file): resumes and gives exactly the in-process result', async () => {
    const redis = await startRedis({ persistent: true });
    servers.push(redis);
    const queue = 'persistent';
    workers.push(...(await Promise.all([0, 1].map(() => startWorkerProcess(redis.url, queue)))));
    const executor = await createBullmqExecutor({ redis: redis.url, queue, pollIntervalMs: 50 });
    try {
      const fitness = createExecutorFitness(executor, problem, { run: 'restart', chunkSize: 2 });
      const evaluation = fitness.evaluateAntithetic(requestOf(fitness, 1));
      evaluation.catch(() => {}); // awaited below
      await waitForActiveJob(redis.url, queue);
      await redis.stop();
      await sleep(300);
      await redis.start();
      const result = await evaluation;
      const expected = await inProcess(1);
      expect(new Set(expected.fitness).size).toBeGreaterThan(2);
      expect(result.fitness).toEqual(expected.fitness);
      expect(result.steps).toBe(expected.steps);
    } finally {
      await executor.close();
    }
  });

  it('fails with a clear error when Redis stays away longer than connectionTimeoutMs', async () => {
    const redis = await startRedis();
    servers.push(redis);
    const executor = await createBullmqExecutor({
      redis: redis.url,
      queue: 'gone',
      pollIntervalMs: 50,
      connectionTimeoutMs: 1500,
    });
    try {
      const fitness = createExecutorFitness(executor, problem, { run: 'gone', chunkSize: 2 });
      const evaluation = fitness.evaluateAntithetic(requestOf(fitness, 0)); // no workers: the jobs wait
      evaluation.catch(() => {}); // awaited below
      await sleep(200);
      await redis.stop();
      await expect(evaluation).rejects.toThrow(
        /createBullmqExecutor: Redis unreachable for 1500 ms \(reading job 'gone\.g0\.c\d+', queue 'gone' on redis:\/\/127\.0\.0\.1:\d+\).*evaluate the generation again/,
      );
    } finally {
      await executor.close();
    }
  });
});
