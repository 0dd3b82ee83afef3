import { evaluatePopulation, useBackend } from '@metarl/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { sampleCounterNormal } from '../src/counter-noise';
import { createExecutorFitness } from '../src/executor-fitness';
import {
  decodeVector,
  encodeVector,
  type FitnessJob,
  type FitnessResult,
  type ProblemSpec,
  validateFitnessJob,
  validateFitnessResult,
} from '../src/fitness-jobs';
import { buildProblem, handleFitnessJob } from '../src/handle-fitness-job';
import { createInProcessExecutor } from '../src/in-process-executor';
import { perturbationMember } from '../src/perturbation';

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

function thetaOf(dimension: number, seed: number): Float32Array {
  return sampleCounterNormal(seed, 0, dimension).map((x) => 0.5 * x);
}

function antitheticJob(overrides: Partial<FitnessJob> = {}): FitnessJob {
  const dimension = buildProblem(problem).layout.size;
  return {
    format: 'metarl-es-job',
    version: 1,
    key: { run: 'test', generation: 0, chunk: 0 },
    problem,
    members: {
      kind: 'antithetic',
      theta: encodeVector(thetaOf(dimension, 1)),
      sigma: 0.5,
      noiseSeed: 5,
      firstMember: 0,
      count: 4,
    },
    environmentSeed: 11,
    ...overrides,
  };
}

describe('perturbationMember', () => {
  it('is θ + σ·ε_k for member 2k and θ − σ·ε_k for 2k + 1, rounded to float32 once', () => {
    const theta = Float32Array.from([0.5, -1, 2, 0.25, 3]);
    const epsilon = sampleCounterNormal(9, 3, 5);
    const plus = perturbationMember(theta, 0.02, 9, 6);
    const minus = perturbationMember(theta, 0.02, 9, 7);
    for (let j = 0; j < 5; j += 1) {
      expect(plus[j]).toBe(Math.fround(theta[j]! + 0.02 * epsilon[j]!));
      expect(minus[j]).toBe(Math.fround(theta[j]! - 0.02 * epsilon[j]!));
    }
  });
});

describe('vector encoding', () => {
  it('round-trips float32 bits through base64, odd lengths included', () => {
    for (const length of [0, 1, 2, 3, 7]) {
      const vector = sampleCounterNormal(1, length, length);
      expect(decodeVector(encodeVector(vector))).toEqual(vector);
    }
    expect(decodeVector([1.5, -2])).toEqual(Float32Array.from([1.5, -2]));
  });
});

describe('handleFitnessJob', () => {
  it('returns the returns of evaluatePopulation on the rebuilt members, with the job key', () => {
    const job = antitheticJob();
    const { policy, layout, distribution, tasks } = buildProblem(problem);
    const theta = decodeVector(
      (job.members as { theta: { encoding: 'base64-float32'; data: string } }).theta,
    );
    const population = new Float32Array(4 * layout.size);
    for (let m = 0; m < 4; m += 1) population.set(perturbationMember(theta, 0.5, 5, m), m * layout.size);
    const expected = evaluatePopulation(population, {
      policy,
      layout,
      distribution,
      tasks,
      seed: 11,
      deterministic: true,
      maxEpisodeSteps: 40,
    });
    const result = handleFitnessJob(job);
    expect(result.key).toEqual(job.key);
    expect(result.returns).toEqual(Array.from(expected.fitness));
    expect(result.steps).toBe(expected.steps);
    expect(new Set(result.returns).size).toBeGreaterThan(1); // the members differ
  });

  it('keeps the live tensor count flat', () => {
    handleFitnessJob(antitheticJob());
    const before = tf.memory().numTensors;
    handleFitnessJob(antitheticJob());
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects vectors of the wrong size naming the field', () => {
    const job = antitheticJob({
      members: { kind: 'explicit', firstMember: 0, vectors: [encodeVector(new Float32Array(5))] },
    });
    expect(() => handleFitnessJob(job)).toThrow(/job\.members\.vectors\[0\] must have 58 values.*got 5/);
  });
});

describe('createExecutorFitness with the in-process executor', () => {
  it('reassembles chunks in member order: any chunk size gives the returns of one batched evaluation', async () => {
    const dimension = buildProblem(problem).layout.size;
    const theta = thetaOf(dimension, 1);
    const request = {
      generation: 3,
      theta,
      sigma: 0.5,
      noiseSeed: 5,
      populationSize: 10,
      environmentSeed: 21,
    };
    const whole = await createExecutorFitness(createInProcessExecutor(handleFitnessJob), problem, {
      run: 'r',
      chunkSize: 10,
    }).evaluateAntithetic(request);
    const chunked = await createExecutorFitness(createInProcessExecutor(handleFitnessJob), problem, {
      run: 'r',
      chunkSize: 3,
    }).evaluateAntithetic(request);
    expect(new Set(whole.fitness).size).toBeGreaterThan(2); // the members differ
    expect(chunked.fitness).toEqual(whole.fitness);
    expect(chunked.steps).toBe(whole.steps);
    // Explicit vectors of the same members give the same returns.
    const population = new Float32Array(10 * dimension);
    for (let m = 0; m < 10; m += 1) population.set(perturbationMember(theta, 0.5, 5, m), m * dimension);
    const explicit = await createExecutorFitness(createInProcessExecutor(handleFitnessJob), problem, {
      run: 'r',
      chunkSize: 4,
    }).evaluatePopulation(population, { generation: 3, environmentSeed: 21 });
    expect(explicit.fitness).toEqual(whole.fitness);
  });

  it('normalises observations and merges raw-observation sums independently of the chunking', async () => {
    const dimension = buildProblem(problem).layout.size;
    const request = {
      generation: 0,
      theta: thetaOf(dimension, 1),
      sigma: 0.5,
      noiseSeed: 5,
      populationSize: 12,
      environmentSeed: 5,
      observationNormalisation: { mean: [0, 0, 0, 0], std: [1, 1, 1, 1], sampleFraction: 0.5 },
    };
    const evaluate = (chunkSize: number) =>
      createExecutorFitness(createInProcessExecutor(handleFitnessJob), problem, {
        run: 'r',
        chunkSize,
      }).evaluateAntithetic(request);
    const a = await evaluate(12);
    const b = await evaluate(5);
    const plain = await createExecutorFitness(createInProcessExecutor(handleFitnessJob), problem, {
      run: 'r',
      chunkSize: 12,
    }).evaluateAntithetic({ ...request, observationNormalisation: undefined });
    // Identity normalisation changes nothing; a fraction of the members' observations were summed.
    expect(a.fitness).toEqual(plain.fitness);
    expect(plain.observationStatistics).toBeUndefined();
    const statistics = a.observationStatistics!;
    expect(statistics.count).toBeGreaterThan(0);
    expect(statistics.count).toBeLessThan(a.steps + 12 * 2);
    expect(b.observationStatistics!.count).toBe(statistics.count);
    b.observationStatistics!.sum.forEach((value, d) => {
      expect(value).toBeCloseTo(statistics.sum[d]!, 9);
    });
    // A shifted, scaled view changes what the policy sees, hence the returns.
    const shifted = await createExecutorFitness(createInProcessExecutor(handleFitnessJob), problem, {
      run: 'r',
      chunkSize: 12,
    }).evaluateAntithetic({
      ...request,
      observationNormalisation: { mean: [0.5, 0, 0, 0], std: [0.1, 1, 1, 0.1], sampleFraction: 1 },
    });
    expect(shifted.fitness).not.toEqual(a.fitness);
    // sampleFraction 1: every observation acted on is summed (steps plus one initial observation
    // per episode, minus the final observation of each finished episode).
    expect(shifted.observationStatistics!.count).toBe(shifted.steps);
  });

  it('rejects a result with a wrong key or a missing return', async () => {
    const forged = (mutate: (result: FitnessResult) => FitnessResult) =>
      createExecutorFitness(
        createInProcessExecutor((job: FitnessJob) => mutate(handleFitnessJob(job))),
        problem,
        { run: 'r', chunkSize: 2 },
      ).evaluateAntithetic({
        generation: 1,
        theta: thetaOf(buildProblem(problem).layout.size, 1),
        sigma: 0.1,
        noiseSeed: 1,
        populationSize: 4,
        environmentSeed: 1,
      });
    await expect(forged((r) => ({ ...r, key: { ...r.key, chunk: r.key.chunk + 1 } }))).rejects.toThrow(
      /result\.key must be the key of the job it answers/,
    );
    await expect(forged((r) => ({ ...r, returns: r.returns.slice(1) }))).rejects.toThrow(
      /result\.returns must be 2 returns \(one per member\), got "1 returns"/,
    );
  });

  it('rejects a bad request naming the request field, before any job is sent', async () => {
    let jobs = 0;
    const fitness = createExecutorFitness(
      createInProcessExecutor((job: FitnessJob) => {
        jobs += 1;
        return handleFitnessJob(job);
      }),
      problem,
      { run: 'r' },
    );
    const good = {
      generation: 1,
      theta: thetaOf(buildProblem(problem).layout.size, 1),
      sigma: 0.1,
      noiseSeed: 1,
      populationSize: 4,
      environmentSeed: 1,
    };
    await expect(fitness.evaluateAntithetic({ ...good, environmentSeed: 2 ** 50 })).rejects.toThrow(
      'createExecutorFitness.evaluateAntithetic: environmentSeed must be an integer in [0, 2^48], got 1125899906842624',
    );
    await expect(fitness.evaluateAntithetic({ ...good, sigma: -1 })).rejects.toThrow(
      'createExecutorFitness.evaluateAntithetic: sigma must be a finite number >= 0, got -1',
    );
    await expect(fitness.evaluateAntithetic({ ...good, noiseSeed: 2 ** 32 })).rejects.toThrow(
      'createExecutorFitness.evaluateAntithetic: noiseSeed must be an integer in [0, 2^32 - 1], got 4294967296',
    );
    expect(jobs).toBe(0);
  });
});

describe('validators', () => {
  it('reject a malformed job naming the field, the value and the expected form', () => {
    const job = antitheticJob();
    const bad = (patch: Record<string, unknown>) => () => validateFitnessJob({ ...job, ...patch });
    expect(bad({ version: 2 })).toThrow(
      'validateFitnessJob: job.version must be 1 (the only version this package reads), got 2',
    );
    expect(bad({ key: { run: 'a:b', generation: 0, chunk: 0 } })).toThrow(
      `job.key.run must be a string of 1 to 64 letters, digits, '_' or '-', got "a:b"`,
    );
    expect(bad({ members: { ...job.members, sigma: -1 } })).toThrow(
      'job.members.sigma must be a finite number >= 0, got -1',
    );
    expect(bad({ members: { ...job.members, theta: { encoding: 'base64-float32', data: 'AAA' } } })).toThrow(
      'job.members.theta.data must be a base64 string, got "AAA"',
    );
    expect(bad({ members: { kind: 'explicit', firstMember: 0, vectors: [[1, Number.NaN]] } })).toThrow(
      'job.members.vectors[0][1] must be a finite number, got NaN',
    );
    expect(bad({ problem: { ...problem, policy: { kind: 'mlp', hiddenSizes: [8] } } })).toThrow(
      "job.problem.policy.kind must be 'categorical-mlp' or 'gaussian-mlp', got \"mlp\"",
    );
    expect(bad({ environmentSeed: undefined })).toThrow(
      'job.environmentSeed must be an integer in [0, 2^48], got undefined (missing)',
    );
    expect(bad({ extra: 1 })).toThrow('job.extra must be absent (known fields of job:');
    expect(() => validateFitnessJob('{}')).toThrow("job must be an object { format: 'metarl-es-job'");
    expect(() => validateFitnessJob(job)).not.toThrow();
  });

  it('reject a malformed result naming the field', () => {
    const job = antitheticJob();
    const result = handleFitnessJob(job);
    expect(() => validateFitnessResult(result, job)).not.toThrow();
    expect(() => validateFitnessResult({ ...result, returns: [1, null, 2, 3] })).toThrow(
      "result.returns[1] must be a number, 'NaN', 'Infinity' or '-Infinity', got null",
    );
    expect(() => validateFitnessResult({ ...result, steps: -3 })).toThrow(
      'result.steps must be an integer >= 0, got -3',
    );
    expect(() => validateFitnessResult({ ...result, format: 'x' })).toThrow(
      `result.format must be 'metarl-es-result', got "x"`,
    );
    expect(() =>
      validateFitnessResult(
        { ...result, observationStatistics: { sum: [1], sumOfSquares: [1], count: 1 } },
        job,
      ),
    ).toThrow('result.observationStatistics must be absent (the job has no observationNormalisation)');
  });
});
