/**
 * pnpm bench es-executors [-- --population 256 --engines in-process,threads-2,bullmq-4 ...]
 *
 * Where ES fitness is computed: evaluations per second of one OpenAI-ES-sized CartPole-v1
 * generation (an antithetic population around the initial solution of a categorical MLP policy,
 * one episode per member, chunks of `--chunk-size` members per job) on each engine of
 * @metarl/evolution-strategies: in this thread, on 1 and 2 worker threads (Piscina), and through
 * BullMQ on a redis-server this benchmark starts on loopback, with 1, 2 and 4 worker processes
 * (`runBullmqWorker`, concurrency 1, each job in a sandboxed child process).
 *
 * Every engine evaluates the same generations and must return the same fitness (checked); a
 * warm-up generation (threads and child processes start, problems are built) is not timed. On a
 * machine with fewer cores than workers the extra workers only add contention.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInitialSolution, createRng, useBackend } from '@metarl/core';
import {
  buildProblem,
  createExecutorFitness,
  createInProcessExecutor,
  type Executor,
  type FitnessJob,
  type FitnessResult,
  handleFitnessJob,
  type ProblemSpec,
} from '@metarl/evolution-strategies';
import { createBullmqExecutor, createWorkerThreadExecutor } from '@metarl/evolution-strategies/node';
import { describeMachine, median, readFlags, report } from './shared';

const started = performance.now();
const flags = readFlags('es-executors', {
  population: {
    type: 'integer',
    default: 256,
    minimum: 2,
    description: 'members per generation (antithetic pairs x 2)',
  },
  'chunk-size': { type: 'integer', default: 16, minimum: 1, description: 'members per job' },
  generations: {
    type: 'integer',
    default: 3,
    minimum: 1,
    description: 'timed generations per engine (after one warm-up)',
  },
  'max-steps': {
    type: 'integer',
    default: 500,
    minimum: 1,
    description: 'CartPole time limit (steps per episode)',
  },
  'hidden-sizes': { type: 'integers', default: [32, 32], description: 'hidden layer widths of the policy' },
  engines: {
    type: 'strings',
    default: ['in-process', 'threads-1', 'threads-2', 'bullmq-1', 'bullmq-2', 'bullmq-4'],
    description: 'engines to time: in-process, threads-<n>, bullmq-<n worker processes>',
  },
});

const problem: ProblemSpec = {
  distribution: { id: 'CartPole-v1' },
  tasks: { kind: 'sampled', seed: 1, count: 1 },
  policy: { kind: 'categorical-mlp', hiddenSizes: flags['hidden-sizes'] },
  maxEpisodeSteps: flags['max-steps'],
  deterministic: true,
};

await useBackend('cpu');
const { policy } = buildProblem(problem);
const theta = createInitialSolution(policy, createRng(0)).solution;
const requestOf = (generation: number) => ({
  generation,
  theta,
  sigma: 0.1,
  noiseSeed: 17,
  populationSize: flags.population,
  environmentSeed: 1000 + generation,
});

// ── a throwaway redis-server and worker processes ──
async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolvePort(port));
    });
  });
}

function hasRedisServer(): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v redis-server'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const temporary = mkdtempSync(join(tmpdir(), 'metarl-es-executors-'));
let redis: { url: string; process: ChildProcess } | undefined;
async function startRedis(): Promise<string> {
  if (redis !== undefined) return redis.url;
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', temporary],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  await new Promise<void>((resolveReady, reject) => {
    let output = '';
    child.stdout?.on('data', (data: Buffer) => {
      output += data.toString();
      if (output.includes('Ready to accept connections')) resolveReady();
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${output}`)));
  });
  child.stdout?.resume();
  redis = { url: `redis://127.0.0.1:${port}`, process: child };
  return redis.url;
}

// A CommonJS script file (BullMQ forks its sandboxed processes with the worker's execArgv).
const workerScript = join(temporary, 'worker.cjs');
writeFileSync(
  workerScript,
  `const { runBullmqWorker } = require(${JSON.stringify(createRequire(import.meta.url).resolve('@metarl/evolution-strategies/node'))});
  runBullmqWorker({ redis: process.argv[2], queue: process.argv[3], concurrency: 1 }).then((worker) => {
    process.on('SIGTERM', () => worker.close().then(() => process.exit(0)));
    console.log('ready');
  });`,
);

async function startWorkers(url: string, queue: string, count: number): Promise<ChildProcess[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const child = spawn(process.execPath, [workerScript, url, queue], {
        detached: true,
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      await new Promise<void>((resolveReady, reject) => {
        child.stdout?.on('data', (data: Buffer) => {
          if (data.toString().includes('ready')) resolveReady();
        });
        child.once('exit', (code) =>
          reject(new Error(`worker process exited (${code}) before it was ready`)),
        );
      });
      return child;
    }),
  );
}

async function stopWorkers(workers: readonly ChildProcess[]): Promise<void> {
  await Promise.all(
    workers.map(async (worker) => {
      const exited = new Promise((resolveExit) => worker.once('exit', resolveExit));
      worker.kill('SIGTERM');
      await exited;
      try {
        process.kill(-worker.pid!, 'SIGKILL'); // its sandboxed children
      } catch {
        // Already gone.
      }
    }),
  );
}

// ── the measurements ──
let reference: Float32Array | undefined;
const results: Record<string, unknown>[] = [];
try {
  for (const engine of flags.engines) {
    let executor: Executor<FitnessJob, FitnessResult>;
    let workers: ChildProcess[] = [];
    const match = /^(in-process|threads-(\d+)|bullmq-(\d+))$/.exec(engine);
    if (match === null)
      throw new Error(`--engines: unknown engine '${engine}' (in-process, threads-<n>, bullmq-<n>)`);
    if (engine === 'in-process') executor = createInProcessExecutor(handleFitnessJob);
    else if (match[2] !== undefined)
      executor = await createWorkerThreadExecutor({ threads: Number(match[2]) });
    else {
      if (!hasRedisServer()) {
        console.error(
          `${engine}: skipped (redis-server not found; install it with: sudo apt-get install redis-server)`,
        );
        results.push({ engine, skipped: 'redis-server not found' });
        continue;
      }
      const url = await startRedis();
      const queue = `es-executors-${engine}`;
      workers = await startWorkers(url, queue, Number(match[3]));
      executor = await createBullmqExecutor({ redis: url, queue, pollIntervalMs: 10 });
    }
    try {
      const fitness = createExecutorFitness(executor, problem, {
        run: engine,
        chunkSize: flags['chunk-size'],
      });
      const warmup = await fitness.evaluateAntithetic(requestOf(0));
      reference ??= warmup.fitness;
      if (warmup.fitness.some((value, i) => value !== reference![i]))
        throw new Error(`${engine}: the fitness differs from the first engine's`);
      const seconds: number[] = [];
      let steps = 0;
      for (let g = 1; g <= flags.generations; g += 1) {
        const t0 = performance.now();
        const evaluation = await fitness.evaluateAntithetic(requestOf(g));
        seconds.push((performance.now() - t0) / 1000);
        steps = evaluation.steps;
      }
      const generationSeconds = median(seconds);
      const row = {
        engine,
        generationSecondsMedian: Number(generationSeconds.toFixed(3)),
        evaluationsPerSecond: Math.round(flags.population / generationSeconds),
        envStepsPerSecond: Math.round(steps / generationSeconds),
        envStepsPerGeneration: steps,
      };
      results.push(row);
      console.error(
        `${engine}: ${row.generationSecondsMedian} s per generation, ${row.evaluationsPerSecond} evaluations/s, ${row.envStepsPerSecond} env steps/s`,
      );
    } finally {
      await executor.close();
      await stopWorkers(workers);
    }
  }
} finally {
  if (redis !== undefined) {
    const exited = new Promise((resolveExit) => redis!.process.once('exit', resolveExit));
    redis.process.kill('SIGTERM');
    await exited;
  }
  rmSync(temporary, { recursive: true, force: true });
}

report({
  name: 'es-executors',
  config: {
    distribution: 'CartPole-v1',
    population: flags.population,
    chunkSize: flags['chunk-size'],
    generations: flags.generations,
    maxEpisodeSteps: flags['max-steps'],
    policy: `categorical MLP [${flags['hidden-sizes'].join(', ')}] tanh, deterministic`,
    members: 'antithetic around the initial solution (seed 0), sigma 0.1, noise seed 17',
    bullmqWorkers: 'one process each, concurrency 1, sandboxed child process per job',
  },
  backend: 'cpu',
  machine: describeMachine(),
  wallSeconds: Number(((performance.now() - started) / 1000).toFixed(1)),
  results,
});
