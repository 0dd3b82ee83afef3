import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { runApp as runAppIn } from '../../../test-support/run-app';

/** Runs the app with `args`, as `pnpm rl2-bandits -- ...` would. */
const runApp = (...args: string[]) => runAppIn(join(__dirname, '..'), args);
/** Options of a small training run. */
const small = ['--trials', '50', '--hidden', '16', '--backend', 'cpu'];

let scratch = '';
beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'rl2-bandits-'));
});
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

it('trains briefly and writes the report: arm choices, best-arm rate, learning curve, summary', async () => {
  const output = join(scratch, 'report');
  const run = await runApp('--iterations', '2', '--output', output, ...small);
  expect(run.stderr).not.toMatch(/Error/);
  expect(run.status).toBe(0);
  for (const file of [
    'arm-choices.png',
    'best-arm-rate.png',
    'learning-curve.png',
    'metrics.jsonl',
    'summary.json',
    'checkpoint/state.json',
  ])
    expect(existsSync(join(output, file))).toBe(true);
  const summary = JSON.parse(readFileSync(join(output, 'summary.json'), 'utf8'));
  expect(Object.keys(summary.meanTotalRewardPerTrial)).toEqual(['RL²', 'UCB1', 'Thompson']);
  // UCB1 on 1000 five-armed tasks of 10 pulls: the paper's 6.7 within the interval's reach.
  expect(summary.meanTotalRewardPerTrial.UCB1.mean).toBeGreaterThan(6.2);
  expect(run.stdout).toMatch(/RL² +\d+\.\d\d ± \d+\.\d\d/);
}, 120_000);

it('--help lists every option with its default; a bad option is one line and exit code 2', async () => {
  const help = await runApp('--help');
  expect(help.status).toBe(0);
  for (const option of [
    /--arms <k> .*\(default: 5\)/,
    /--pulls <n> .*\(default: 10\)/,
    /--iterations <n> .*\(default: 80\)/s,
    /--trials <n> .*\(default: 500\)/,
    /--hidden <size> .*\(default: 128\)/,
    /--output <folder> .*\(default:\s+"rl2-bandits-report"\)/s,
    /--resume /,
    /--overwrite /,
    /Examples:\n {2}npx -y pnpm@10\.34\.9 rl2-bandits -- /,
  ])
    expect(help.stdout).toMatch(option);
  const run = await runApp('--arms', '1');
  expect(run.status).toBe(2);
  expect(run.stderr).toBe("error: option '--arms <k>' argument '1' is invalid. Expected an integer >= 2.\n");
  const proc = await runApp('--output', '/proc/x');
  expect(proc.status).toBe(2);
  expect(proc.stderr).toMatch(
    /^error: option '--output <folder>' argument '\/proc\/x' is invalid\. [^\n]*\n$/,
  );
});

it('--resume continues from the checkpoint to the result of an uninterrupted run', async () => {
  const straight = join(scratch, 'straight');
  const split = join(scratch, 'split');
  expect((await runApp('--iterations', '3', '--output', straight, ...small)).status).toBe(0);
  expect((await runApp('--iterations', '2', '--output', split, ...small)).status).toBe(0);
  // A second run into the same folder is refused and leaves the report as it was.
  const summaryBefore = readFileSync(join(split, 'summary.json'), 'utf8');
  const again = await runApp('--iterations', '3', '--output', split, ...small);
  expect(again.status).toBe(2);
  expect(again.stderr).toMatch(/already holds a report .*; pass --resume .* or --overwrite /);
  expect(readFileSync(join(split, 'summary.json'), 'utf8')).toBe(summaryBefore);
  const resumed = await runApp('--iterations', '3', '--output', split, '--resume', ...small);
  expect(resumed.stderr).not.toMatch(/error/i);
  expect(resumed.status).toBe(0);
  /** The report without its timings. */
  const read = (output: string) => ({
    summary: { ...JSON.parse(readFileSync(join(output, 'summary.json'), 'utf8')), trainingSeconds: 0 },
    metrics: readFileSync(join(output, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) =>
        Object.fromEntries(Object.entries(JSON.parse(line)).filter(([key]) => !key.startsWith('time/'))),
      ),
  });
  const expected = read(straight);
  expect(expected.metrics).toHaveLength(3);
  expect(read(split)).toEqual(expected);
  // Resuming to no more iterations than the checkpoint holds is refused, the report kept.
  const nothing = await runApp('--iterations', '3', '--output', split, '--resume', ...small);
  expect(nothing.status).toBe(2);
  // (tfjs's own banner about tfjs-node may precede it: the backend has started by then.)
  expect(nothing.stderr).toMatch(/\n$/);
  expect(nothing.stderr.trimEnd().split('\n').at(-1)).toBe(
    `error: option '--iterations <n>' argument '3' is invalid. Expected more than the 3 PPO updates of the checkpoint in ${split}.`,
  );
  expect(nothing.stderr).not.toMatch(/^\s+at /m);
  expect(read(split)).toEqual(expected);
  // --overwrite replaces the report (here with a shorter run): nothing of the old one stays.
  writeFileSync(join(split, 'notes.txt'), 'mine');
  expect((await runApp('--iterations', '1', '--output', split, '--overwrite', ...small)).status).toBe(0);
  expect(read(split).metrics).toHaveLength(1);
  expect(readFileSync(join(split, 'notes.txt'), 'utf8')).toBe('mine');
}, 300_000);
