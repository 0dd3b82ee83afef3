import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const packageDirectory = join(__dirname, '..');

it('the README example runs against the built package', () => {
  const readme = readFileSync(join(packageDirectory, 'README.md'), 'utf8');
  const example = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(example).toBeDefined();
  const file = join(packageDirectory, '.readme-example.mts');
  writeFileSync(file, example!);
  try {
    const tsx = join(packageDirectory, '..', '..', 'node_modules', '.bin', 'tsx');
    const run = spawnSync(tsx, [file], { cwd: packageDirectory, encoding: 'utf8' });
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/0 steps: \d+\.\d\d\n1 steps: \d+\.\d\d\n10 steps: \d+\.\d\d/);
  } finally {
    rmSync(file, { force: true });
  }
}, 120_000);
