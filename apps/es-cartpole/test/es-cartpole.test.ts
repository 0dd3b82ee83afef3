import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runApp as runAppIn } from '../../../test-support/run-app';

/** Runs the app with `args`, as `pnpm es-cartpole -- ...` would. */
const appDirectory = join(__dirname, '..');
const runApp = (...args: string[]) => runAppIn(appDirectory, args);
/** A tiny run: 8 members, 2 generations. */
const tiny = ['--population', '8', '--generations', '2', '--backend', 'wasm', '--seed', '4'];
/** The first bytes of every PNG file. */
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const folders: string[] = [];
let output = '';
const newFolder = () => {
  const folder = mkdtempSync(join(tmpdir(), 'es-cartpole-'));
  folders.push(folder);
  return folder;
};
beforeEach(() => {
  output = newFolder();
});
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

interface Summary {
  readonly settings: {
    readonly engine: string;
    readonly population: number;
    readonly normaliseObservations: boolean;
  };
  readonly generationsRun: number;
  readonly evaluations: number;
  readonly learningCurve: readonly Record<string, number>[];
}
const readSummary = (folder: string): Summary =>
  JSON.parse(readFileSync(join(folder, 'summary.json'), 'utf8'));

it('--help lists every option with its default and the master/worker examples', async () => {
  const run = await runApp('--help');
  expect(run.status).toBe(0);
  for (const option of [
    /--generations <n> .*\(default:\s+300\)/s,
    /--population <n> .*\(default:\s+64\)/s,
    /--threads <n> .*\(default:\s+the number of\s+cores, \d+ here\)/s,
    /--redis <url> /,
    /--worker /,
    /--queue <name> .*\(default:\s+"metarl-es-cartpole"\)/s,
    /--concurrency <n> .*\(default:\s+1\)/s,
    /--output <folder> .*\(default:\s+"es-cartpole-report"\)/s,
    /--worker --redis redis:\/\/10\.0\.0\.5:6379/,
  ])
    expect(run.stdout).toMatch(option);
  expect(run.stdout).not.toMatch(/--resume/);
});

it('bad options end with one line naming the option, the value and the form, exit code 2', async () => {
  for (const [args, message] of [
    [
      ['--population', '7'],
      "error: option '--population <n>' argument '7' is invalid. Expected an even integer >= 2.\n",
    ],
    [
      ['--threads', '0'],
      "error: option '--threads <n>' argument '0' is invalid. Expected an integer >= 1.\n",
    ],
    [
      ['--redis', 'localhost'],
      "error: option '--redis <url>' argument 'localhost' is invalid. Expected a URL like redis://host:6379.\n",
    ],
    [
      ['--worker'],
      "error: --worker needs --redis <url>: the master's Redis server, e.g. redis://10.0.0.5:6379\n",
    ],
    [['--concurrency', '2'], 'error: --concurrency is a worker option: use it with --worker --redis <url>\n'],
  ] as const) {
    const run = await runApp(...args, '--output', output);
    expect(run.stderr).toBe(message);
    expect(run.status).toBe(2);
  }
});

it('a tiny run writes the report; worker threads give exactly the in-process results', async () => {
  const inProcess = await runApp(...tiny, '--threads', '1', '--output', output);
  expect(inProcess.stderr).toMatch(
    /^generation 1\/2: mean policy \d+\.\d, population \d+\.\d \(best \d+\.\d\)\n/,
  );
  expect(inProcess.status).toBe(0);
  expect(inProcess.stdout).toMatch(
    /^OpenAI-ES on CartPole-v1 \(wasm backend, fitness on this thread\): population 8, 114 parameters/,
  );
  expect(inProcess.stdout).toMatch(/\d+ evaluations, \d+ environment steps in \d+\.\d s/);
  expect(readdirSync(output).sort()).toEqual(['learning-curve.png', 'summary.json']);
  const bytes = readFileSync(join(output, 'learning-curve.png'));
  expect([...bytes.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
  expect(bytes.length).toBeGreaterThan(20_000);
  const summary = readSummary(output);
  expect(summary.generationsRun).toBe(2);
  expect(summary.evaluations).toBe(16);

  const threadsOutput = newFolder();
  const threads = await runApp(...tiny, '--threads', '2', '--output', threadsOutput);
  expect(threads.status).toBe(0);
  const threaded = readSummary(threadsOutput);
  expect(threaded.settings.engine).toBe('2 worker threads');
  expect(threaded.learningCurve).toEqual(summary.learningCurve);

  // With the starter's observation normalisation: the statistics merged from the threads' chunks
  // equal this thread's, so the whole run does too.
  const normalised = [newFolder(), newFolder()];
  for (const [index, threadCount] of ['1', '2'].entries()) {
    const run = await runApp(
      ...tiny,
      '--normalise-observations',
      '--threads',
      threadCount,
      '--output',
      normalised[index]!,
    );
    expect(run.status).toBe(0);
  }
  const [alone, spread] = normalised.map(readSummary);
  expect(spread!.learningCurve).toEqual(alone!.learningCurve);
  expect(alone!.settings).toMatchObject({ normaliseObservations: true });
}, 180_000);

it('keeps an existing report unless told to --overwrite', async () => {
  writeFileSync(join(output, 'summary.json'), '{"kept":true}\n');
  const run = await runApp(...tiny, '--threads', '1', '--output', output);
  expect(run.status).toBe(2);
  expect(run.stderr).toBe(
    `error: ${output} already holds a report (summary.json); pass --overwrite to replace it, or choose another --output\n`,
  );
  expect(readFileSync(join(output, 'summary.json'), 'utf8')).toBe('{"kept":true}\n');
});

/** A free loopback port. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const hasRedis = spawnSync('redis-server', ['--version']).status === 0;
if (!hasRedis && process.env.METARL_REQUIRE_REDIS === '1')
  throw new Error('METARL_REQUIRE_REDIS=1 but redis-server is not installed (apt-get install redis-server)');
if (!hasRedis)
  console.warn(
    'es-cartpole: redis-server is not installed; the master/worker test is skipped (apt-get install redis-server)',
  );

describe.skipIf(!hasRedis)('as a BullMQ master with a worker process', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) child.kill('SIGKILL');
  });

  it('gives exactly the in-process results', async () => {
    const port = await freePort();
    const redisFolder = newFolder();
    const redis = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        redisFolder,
      ],
      { stdio: 'ignore' },
    );
    children.push(redis);
    const url = `redis://127.0.0.1:${port}`;
    const tsx = join(__dirname, '..', '..', '..', 'node_modules', '.bin', 'tsx');
    const worker = spawn(
      tsx,
      ['src/main.ts', '--worker', '--redis', url, '--queue', 'app-test', '--backend', 'wasm'],
      {
        cwd: appDirectory,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    children.push(worker);
    let workerOutput = '';
    worker.stdout?.on('data', (chunk) => {
      workerOutput += chunk;
    });
    const master = await runApp(...tiny, '--redis', url, '--queue', 'app-test', '--output', output);
    expect(master.stderr).not.toMatch(/error/);
    expect(master.status).toBe(0);
    expect(workerOutput).toMatch(/es-cartpole worker: evaluating jobs of queue 'app-test'/);
    const distributed = readSummary(output);
    expect(distributed.settings.engine).toBe(`BullMQ workers via ${url} (queue 'app-test')`);

    const localOutput = newFolder();
    const local = await runApp(...tiny, '--threads', '1', '--output', localOutput);
    expect(local.status).toBe(0);
    expect(distributed.learningCurve).toEqual(readSummary(localOutput).learningCurve);
    worker.kill('SIGTERM');
  }, 180_000);
});
