/**
 * Test helpers shared by the packages: run a README's first TypeScript block, or a file of a
 * package's examples/ folder, against the built package (as a user would, through its exports).
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const tsx = join(__dirname, '..', 'node_modules', '.bin', 'tsx');

/** What a finished example printed and how it exited. */
export interface ExampleRun {
  /** Its standard output. */
  readonly stdout: string;
  /** Its standard error. */
  readonly stderr: string;
  /** Its exit code (null when a signal ended it). */
  readonly status: number | null;
}

/**
 * Runs `file` (relative to the package directory) with tsx from the package directory. The test
 * waits without blocking its worker (a synchronous child of a minute or more would time out the
 * test runner's messages to its worker).
 */
export function runExample(packageDirectory: string, file: string): Promise<ExampleRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(tsx, [file], { cwd: packageDirectory });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ stdout, stderr, status }));
  });
}

/** Runs the `index`-th (default first) ```ts block of the package's README.md. */
export async function runReadmeExample(packageDirectory: string, index = 0): Promise<ExampleRun> {
  const readme = readFileSync(join(packageDirectory, 'README.md'), 'utf8');
  const example = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)][index]?.[1];
  if (example === undefined)
    throw new Error(`${packageDirectory}/README.md has no \`\`\`ts block number ${index + 1}`);
  const file = join(packageDirectory, '.readme-example.mts');
  writeFileSync(file, example);
  try {
    return await runExample(packageDirectory, file);
  } finally {
    rmSync(file, { force: true });
  }
}

/** stderr without tfjs's one-time "install the node backend" banner. */
export function meaningfulStderr(run: ExampleRun): string {
  return run.stderr.replace(/=+\nHi, looks like[^\n]*\n=+\n/g, '').trim();
}

/**
 * Registers one test per file in the package's examples/ folder: it must run cleanly and print
 * output matching `expected[file]` (a file missing from `expected` fails).
 */
export async function describeExamples(
  packageDirectory: string,
  expected: Readonly<Record<string, RegExp>>,
): Promise<void> {
  const { readdirSync } = await import('node:fs');
  const { describe, expect, it } = await import('vitest');
  describe('every example runs against the built package', () => {
    for (const file of readdirSync(join(packageDirectory, 'examples'))) {
      it(file, async () => {
        const run = await runExample(packageDirectory, join('examples', file));
        expect(meaningfulStderr(run)).toBe('');
        expect(run.status).toBe(0);
        expect(expected[file], `no expected output listed for ${file}`).toBeDefined();
        expect(run.stdout).toMatch(expected[file]!);
      }, 120_000);
    }
  });
}
