/**
 * Test helpers shared by the packages: run a README's first TypeScript block, or a file of a
 * package's examples/ folder, against the built package (as a user would, through its exports).
 */
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const tsx = join(__dirname, '..', 'node_modules', '.bin', 'tsx');

/** Runs `file` (relative to the package directory) with tsx from the package directory. */
export function runExample(packageDirectory: string, file: string): SpawnSyncReturns<string> {
  return spawnSync(tsx, [file], { cwd: packageDirectory, encoding: 'utf8' });
}

/** Runs the `index`-th (default first) ```ts block of the package's README.md. */
export function runReadmeExample(packageDirectory: string, index = 0): SpawnSyncReturns<string> {
  const readme = readFileSync(join(packageDirectory, 'README.md'), 'utf8');
  const example = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)][index]?.[1];
  if (example === undefined)
    throw new Error(`${packageDirectory}/README.md has no \`\`\`ts block number ${index + 1}`);
  const file = join(packageDirectory, '.readme-example.mts');
  writeFileSync(file, example);
  try {
    return runExample(packageDirectory, file);
  } finally {
    rmSync(file, { force: true });
  }
}

/** stderr without tfjs's one-time "install the node backend" banner. */
export function meaningfulStderr(run: SpawnSyncReturns<string>): string {
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
      it(file, () => {
        const run = runExample(packageDirectory, join('examples', file));
        expect(meaningfulStderr(run)).toBe('');
        expect(run.status).toBe(0);
        expect(expected[file], `no expected output listed for ${file}`).toBeDefined();
        expect(run.stdout).toMatch(expected[file]!);
      }, 120_000);
    }
  });
}
