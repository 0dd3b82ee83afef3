import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { runApp as runAppIn } from '../../../test-support/run-app';

/** Runs the app with `args`, as `pnpm reptile-sinusoid -- ...` would. */
const runApp = (...args: string[]) => runAppIn(join(__dirname, '..'), args);
/** Options of a tiny run: a few meta-steps, a small final test. */
const tiny = ['--iterations', '6', '--evaluate-every', '3', '--test-tasks', '20', '--backend', 'wasm'];
/** The first bytes of every PNG file. */
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

let output = '';
beforeEach(() => {
  output = mkdtempSync(join(tmpdir(), 'reptile-sinusoid-'));
});
afterEach(() => rmSync(output, { recursive: true, force: true }));

it('--help lists every option with its default and an example, and no --resume', async () => {
  const run = await runApp('--help');
  expect(run.status).toBe(0);
  for (const option of [
    /--iterations <n> .*\(default:\s+10000\)/s,
    /--evaluate-every <n> .*\(default:\s+500\)/s,
    /--test-tasks <n> .*\(default:\s+1000\)/s,
    /--seed <n> .*\(default:\s+1\)/s,
    /--output <folder> .*\(default:\s+"reptile-sinusoid-report"\)/s,
    /--backend <name> .*\(default:\s+"auto"\)/s,
    /--overwrite /,
    /An existing report in --output is kept: pass --overwrite to use the folder again\./,
    /Examples:\n {2}npx -y pnpm@10\.34\.9 reptile-sinusoid -- --iterations 2000/,
  ])
    expect(run.stdout).toMatch(option);
  expect(run.stdout).not.toMatch(/--resume/);
});

it('a bad option value ends with one line naming the option, the value and the form, exit code 2', async () => {
  for (const [args, message] of [
    [
      ['--iterations', '0'],
      "error: option '--iterations <n>' argument '0' is invalid. Expected an integer >= 1.\n",
    ],
    [
      ['--', '--evaluate-every', 'x'],
      "error: option '--evaluate-every <n>' argument 'x' is invalid. Expected an integer >= 1.\n",
    ],
    [['--resume'], "error: unknown option '--resume'\n"],
    [['--test-task', '3'], "error: unknown option '--test-task' (Did you mean --test-tasks?)\n"],
  ] as const) {
    const run = await runApp(...args);
    expect(run.stderr).toBe(message);
    expect(run.status).toBe(2);
  }
});

it('an output folder that cannot be written fails at once, before training', async () => {
  const run = await runApp('--output', '/proc/x');
  expect(run.status).toBe(2);
  expect(run.stderr).toBe(
    "error: option '--output <folder>' argument '/proc/x' is invalid. Expected a folder that can be created and written to: cannot create /proc/x (ENOENT).\n",
  );
  expect(run.stdout).toBe('');
});

it('keeps an existing report unless told to --overwrite, naming only that flag', async () => {
  writeFileSync(join(output, 'summary.json'), '{"kept":true}\n');
  const run = await runApp('--output', output, ...tiny);
  expect(run.status).toBe(2);
  expect(run.stderr).toBe(
    `error: ${output} already holds a report (summary.json); pass --overwrite to replace it, or choose another --output\n`,
  );
  expect(run.stdout).toBe('');
  expect(readdirSync(output)).toEqual(['summary.json']);
  expect(readFileSync(join(output, 'summary.json'), 'utf8')).toBe('{"kept":true}\n');
});

it('--overwrite: a tiny run replaces the report, writes every file and keeps the folder’s other files', async () => {
  writeFileSync(join(output, 'summary.json'), '{"kept":true}\n');
  writeFileSync(join(output, 'adaptation.png'), 'stale');
  writeFileSync(join(output, 'notes.txt'), 'mine');
  const run = await runApp('--output', output, '--overwrite', '--seed', '3', ...tiny);
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  expect(run.stdout).toMatch(/^Reptile on sine waves \(wasm backend\): 6 meta-steps of one task each/);
  expect(run.stdout).toMatch(
    /meta-trained: (\d+\.\d{3} \/ ){3}\d+\.\d{3}\n {2}untrained: {4}(\d+\.\d{3} \/ ){3}\d+\.\d{3}\n/,
  );
  expect(readdirSync(output).sort()).toEqual([
    'adaptation.png',
    'learning-curve.png',
    'notes.txt',
    'summary.json',
  ]);
  expect(readFileSync(join(output, 'notes.txt'), 'utf8')).toBe('mine');
  for (const picture of ['adaptation.png', 'learning-curve.png']) {
    const bytes = readFileSync(join(output, picture));
    expect([...bytes.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    expect(bytes.length).toBeGreaterThan(20_000);
  }

  const summary = JSON.parse(readFileSync(join(output, 'summary.json'), 'utf8'));
  expect(summary).toMatchObject({ iterations: 6, seed: 3, backend: 'wasm', test: { tasks: 20 } });
  expect(summary.trainSeconds).toBeGreaterThanOrEqual(0);
  for (const errors of [summary.test.meanSquaredError, summary.test.untrained]) {
    expect(Object.keys(errors)).toEqual(['after0', 'after1', 'after8', 'after32']);
    for (const { mean, halfWidth95 } of Object.values(errors) as { mean: number; halfWidth95: number }[]) {
      expect(mean).toBeGreaterThan(0);
      expect(halfWidth95).toBeGreaterThan(0);
    }
  }
  // Six meta-steps with a step size of at most 0.1 barely move the network: before adaptation,
  // the trained and the untrained network err alike on the same tasks.
  expect(summary.test.meanSquaredError.after0.mean).toBeCloseTo(summary.test.untrained.after0.mean, 0);
  expect(summary.learningCurve.points.map((point: { metaStep: number }) => point.metaStep)).toEqual([
    0, 3, 6,
  ]);
}, 60_000);
