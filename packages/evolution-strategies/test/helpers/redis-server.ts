/**
 * Test helpers: a throwaway redis-server on a free loopback port (no persistence unless asked, a
 * temporary directory), and BullMQ worker processes running the built `runBullmqWorker`.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const packageDirectory = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The path of redis-server, or undefined when it is not installed; with METARL_REQUIRE_REDIS=1
 * (set by .ci/run) a missing redis-server is an error instead of a skip.
 */
export function findRedisServer(): string | undefined {
  let path: string | undefined;
  try {
    path = execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    path = undefined;
  }
  if (path === undefined && process.env.METARL_REQUIRE_REDIS === '1')
    throw new Error(
      'METARL_REQUIRE_REDIS=1 but redis-server is not installed (apt-get install redis-server)',
    );
  return path;
}

export const REDIS_MISSING =
  'redis-server not found: the BullMQ tests are skipped (install it with `sudo apt-get install redis-server`)';

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolvePort(port));
    });
  });
}

/** A redis-server this test started. */
export interface TestRedis {
  readonly url: string;
  /** Stops the server (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port and directory. */
  start(): Promise<void>;
  /** Stops it and removes its directory. */
  dispose(): Promise<void>;
}

/** Starts redis-server on a free loopback port; `persistent` turns on the append-only file (fsync always). */
export async function startRedis(options: { readonly persistent?: boolean } = {}): Promise<TestRedis> {
  const port = await freePort();
  const directory = mkdtempSync(join(tmpdir(), 'metarl-redis-'));
  let server: ChildProcess | undefined;
  const start = () =>
    new Promise<void>((resolveStart, reject) => {
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', directory, '--save', ''];
      args.push(
        ...(options.persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
      );
      const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      server = child;
      let output = '';
      const onData = (data: Buffer) => {
        output += data.toString();
        if (output.includes('Ready to accept connections')) {
          child.stdout?.off('data', onData);
          child.stdout?.resume();
          resolveStart();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.resume();
      child.once('exit', (code) =>
        reject(new Error(`redis-server exited (${code}) before it was ready: ${output}`)),
      );
    });
  const stop = async () => {
    const child = server;
    server = undefined;
    if (child === undefined || child.exitCode !== null) return;
    const exited = new Promise((resolveExit) => child.once('exit', resolveExit));
    child.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    stop,
    start,
    async dispose() {
      await stop();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** A worker process (with its sandboxed children in one process group). */
export interface TestWorker {
  readonly pid: number;
  /** Kills the whole process group at once (a machine dying). */
  kill(): void;
  /** Asks it to finish and waits for it to exit. */
  close(): Promise<void>;
}

/** Starts a process running the built `runBullmqWorker` on `queue`, with short locks so that a dead worker's job returns fast. */
export async function startWorkerProcess(redis: string, queue: string): Promise<TestWorker> {
  // A script file, not \`node -e\`: BullMQ forks its sandboxed processes with this process's execArgv.
  const script = `
    import { runBullmqWorker } from ${JSON.stringify(pathToFileURL(join(packageDirectory, 'dist', 'node.js')).href)};
    const worker = await runBullmqWorker({ redis: ${JSON.stringify(redis)}, queue: ${JSON.stringify(queue)},
      name: 'worker-' + process.pid, concurrency: 1, lockDurationMs: 1000, stalledIntervalMs: 300, onError: () => {} });
    process.on('SIGTERM', async () => { await worker.close(); process.exit(0); });
    console.log('ready');
  `;
  const scriptFile = join(mkdtempSync(join(tmpdir(), 'metarl-worker-')), 'worker.mjs');
  writeFileSync(scriptFile, script);
  const child = spawn(process.execPath, [scriptFile], {
    cwd: packageDirectory,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let errors = '';
  child.stderr?.on('data', (data: Buffer) => {
    errors += data.toString();
  });
  await new Promise<void>((resolveReady, reject) => {
    child.stdout?.on('data', (data: Buffer) => {
      if (data.toString().includes('ready')) resolveReady();
    });
    child.once('exit', (code) =>
      reject(new Error(`worker process exited (${code}) before it was ready: ${errors}`)),
    );
  });
  const pid = child.pid!;
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  const kill = () => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  };
  return {
    pid,
    kill,
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(kill, 5000);
        await exited;
        clearTimeout(timer);
      }
      kill(); // its sandboxed children go with it
      rmSync(dirname(scriptFile), { recursive: true, force: true });
    },
  };
}
