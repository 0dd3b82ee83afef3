/**
 * Test helper shared by the apps: run an app's src/main.ts with tsx, as `pnpm start -- ...`
 * would, asynchronously so that a long training run does not block the test worker.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const tsx = join(__dirname, '..', 'node_modules', '.bin', 'tsx');

/** What an app run printed and how it ended. */
export interface AppRun {
  /** The exit code (null when killed by a signal). */
  readonly status: number | null;
  /** Everything written to stdout. */
  readonly stdout: string;
  /** Everything written to stderr. */
  readonly stderr: string;
}

/** Runs `<appDirectory>/src/main.ts` with `args` from `appDirectory`. */
export function runApp(appDirectory: string, args: readonly string[]): Promise<AppRun> {
  return new Promise((done, fail) => {
    const child = spawn(tsx, ['src/main.ts', ...args], { cwd: appDirectory });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', fail);
    child.on('close', (status) => done({ status, stdout, stderr }));
  });
}
