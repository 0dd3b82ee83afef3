import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { runApp as runAppIn } from '../../../test-support/run-app';

/** Runs the app with `args`, as `pnpm start -- ...` would. */
const runApp = (...args: string[]) => runAppIn(join(__dirname, '..'), args);
/** Options of the smallest training run. */
const tiny = ['--meta-batch', '1', '--episodes', '1', '--backend', 'cpu'];

let output = '';
beforeEach(() => {
  output = mkdtempSync(join(tmpdir(), 'maml-navigation-'));
});
afterEach(() => rmSync(output, { recursive: true, force: true }));

it('--help lists every option with its default and an example', async () => {
  const run = await runApp('--help');
  expect(run.status).toBe(0);
  for (const option of [
    /--iterations <n> .*\(default: 25\)/s,
    /--meta-batch <tasks> .*\(default: 10\)/s,
    /--episodes <n> .*\(default: 10\)/s,
    /--seed <n> .*\(default: 1\)/s,
    /--output <folder> .*\(default:\s+"maml-navigation-report"\)/s,
    /--backend <name> .*\(default:\s+"auto"\)/s,
    /--resume /,
    /--overwrite /,
    /Examples:\n {2}npx -y pnpm@10\.34\.9 start -- --iterations 10/,
  ])
    expect(run.stdout).toMatch(option);
});

it('a bad option value ends with one line naming the option, the value and the form, exit code 2', async () => {
  for (const [args, message] of [
    [
      ['--iterations', '-1'],
      "error: option '--iterations <n>' argument '-1' is invalid. Expected an integer >= 1.\n",
    ],
    [
      ['--', '--seed', 'x'],
      "error: option '--seed <n>' argument 'x' is invalid. Expected an integer >= 0.\n",
    ],
    [['--iteration', '3'], "error: unknown option '--iteration' (Did you mean --iterations?)\n"],
  ] as const) {
    const run = await runApp(...args);
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(message);
  }
});

it('an output folder that cannot be written fails at once, before training', async () => {
  const started = performance.now();
  const run = await runApp('--output', '/proc/x');
  expect(run.status).toBe(2);
  expect(run.stderr).toBe(
    "error: option '--output <folder>' argument '/proc/x' is invalid. Expected a folder that can be created and written to: cannot create /proc/x (ENOENT).\n",
  );
  expect(run.stdout).toBe('');
  expect(performance.now() - started).toBeLessThan(20_000);
});

it('keeps an existing report unless told to --resume or --overwrite', async () => {
  writeFileSync(join(output, 'summary.json'), '{"kept":true}\n');
  const run = await runApp('--output', output, ...tiny);
  expect(run.status).toBe(2);
  expect(run.stderr).toBe(
    `error: ${output} already holds a report (summary.json); pass --resume to continue its training or --overwrite to replace it, or choose another --output\n`,
  );
  expect(readFileSync(join(output, 'summary.json'), 'utf8')).toBe('{"kept":true}\n');
  const resume = await runApp('--output', output, '--resume', ...tiny);
  expect(resume.status).toBe(2);
  expect(resume.stderr).toMatch(/^error: --resume: .* holds no checkpoint to resume from/);
});

it('trains, then --resume continues from the checkpoint', async () => {
  const first = await runApp('--iterations', '1', '--output', output, ...tiny);
  expect(first.stderr).not.toMatch(/error/i);
  expect(first.status).toBe(0);
  const resumed = await runApp('--iterations', '2', '--output', output, '--resume', ...tiny);
  expect(resumed.stderr).not.toMatch(/error/i);
  expect(resumed.status).toBe(0);
  expect(resumed.stdout).toMatch(/resumed from its checkpoint/);
  // The metrics continue: iteration 1 from the first run, 2 from the resumed one.
  const iterations = readFileSync(join(output, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line).iteration);
  expect(iterations).toEqual([1, 2]);
  expect(JSON.parse(readFileSync(join(output, 'summary.json'), 'utf8')).iterations).toBe(2);
}, 240_000);
