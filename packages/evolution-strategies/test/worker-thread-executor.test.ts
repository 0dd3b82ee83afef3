import { useBackend } from '@metarl/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { sampleCounterNormal } from '../src/counter-noise';
import { createExecutorFitness } from '../src/executor-fitness';
import type { ProblemSpec } from '../src/fitness-jobs';
import { handleFitnessJob } from '../src/handle-fitness-job';
import { createInProcessExecutor } from '../src/in-process-executor';
import { loadOptionalPeer } from '../src/node/load-optional-peer';
import { createWorkerThreadExecutor } from '../src/node/worker-thread-executor';

// The threads load the built worker file (dist/fitness-thread-worker.js): run `pnpm build` first.

beforeAll(async () => {
  await useBackend('cpu');
});

const problem: ProblemSpec = {
  distribution: { id: 'CartPole-v1' },
  tasks: { kind: 'sampled', seed: 3, count: 2 },
  policy: { kind: 'categorical-mlp', hiddenSizes: [8] },
  maxEpisodeSteps: 40,
  deterministic: true,
};

describe('createWorkerThreadExecutor', () => {
  it('gives exactly the in-process results for the same seeds, on 1 and 2 threads', async () => {
    const reference = createExecutorFitness(createInProcessExecutor(handleFitnessJob), problem, {
      run: 'threads',
      chunkSize: 3,
    });
    const theta = sampleCounterNormal(1, 0, reference.dimension).map((x) => 0.5 * x);
    const request = {
      generation: 0,
      theta,
      sigma: 0.5,
      noiseSeed: 5,
      populationSize: 14,
      environmentSeed: 9,
      observationNormalisation: { mean: [0, 0.1, 0, 0], std: [1, 2, 0.5, 1], sampleFraction: 0.3 },
    };
    const expected = await reference.evaluateAntithetic(request);
    expect(new Set(expected.fitness).size).toBeGreaterThan(2);
    for (const threads of [1, 2]) {
      const executor = await createWorkerThreadExecutor({ threads });
      try {
        const fitness = createExecutorFitness(executor, problem, { run: 'threads', chunkSize: 3 });
        const result = await fitness.evaluateAntithetic(request);
        expect(result.fitness).toEqual(expected.fitness);
        expect(result.steps).toBe(expected.steps);
        expect(result.observationStatistics).toEqual(expected.observationStatistics);
        // Explicit member vectors travel as base64 float32 and give the same returns too.
        const population = new Float32Array(4 * fitness.dimension);
        population.set(theta);
        population.set(
          theta.map((x) => -x),
          fitness.dimension,
        );
        population.set(
          theta.map((x) => 2 * x),
          2 * fitness.dimension,
        );
        population.set(
          theta.map((x) => x + 0.25),
          3 * fitness.dimension,
        );
        const explicitRequest = { generation: 1, environmentSeed: 4 };
        expect((await fitness.evaluatePopulation(population, explicitRequest)).fitness).toEqual(
          (await reference.evaluatePopulation(population, explicitRequest)).fitness,
        );
      } finally {
        await executor.close();
      }
    }
  });

  it('rejects a malformed job with the validator error from the thread', async () => {
    const executor = await createWorkerThreadExecutor({ threads: 1 });
    try {
      await expect(executor.map([{ format: 'metarl-es-job', version: 2 } as never])).rejects.toThrow(
        'validateFitnessJob: job.version must be 1 (the only version this package reads), got 2',
      );
    } finally {
      await executor.close();
    }
  });

  it('validates its options', async () => {
    await expect(createWorkerThreadExecutor({ threads: 0 })).rejects.toThrow(
      'createWorkerThreadExecutor: options.threads must be an integer >= 1, got 0',
    );
  });

  it('names the optional peer to install when it is missing', async () => {
    await expect(loadOptionalPeer('piscina-not-installed', 'createWorkerThreadExecutor')).rejects.toThrow(
      "createWorkerThreadExecutor needs the optional peer dependency 'piscina-not-installed', which is not installed: npm install piscina-not-installed",
    );
  });
});
