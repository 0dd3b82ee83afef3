import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { runApp as runAppIn } from '../../../test-support/run-app';

/** Runs the app with `args`, as `pnpm memory-augmented -- ...` would. */
const runApp = (...args: string[]) => runAppIn(join(__dirname, '..'), args);
/** Options of a tiny run of both sections (wasm: SNAIL's many small kernels are slow on cpu). */
const tiny = [
  ...['--pulls', '3', '--updates', '2', '--trials', '10', '--evaluate-every', '1', '--test-tasks', '50'],
  ...['--features', '8', '--hidden', '8'],
  ...['--steps', '20', '--curve-every', '10', '--test-episodes', '20', '--batch', '4'],
  ...['--classes', '3', '--instances', '5', '--dimension', '20', '--controller', '16'],
  ...['--memory-slots', '16', '--memory-width', '8', '--heads', '2'],
  ...['--backend', 'wasm'],
];

let scratch = '';
beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'memory-augmented-'));
});
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

it('trains both sections briefly and writes the report: three charts and the summary', async () => {
  const output = join(scratch, 'report');
  const run = await runApp('--output', output, ...tiny);
  expect(run.stderr).not.toMatch(/Error/);
  expect(run.status).toBe(0);
  for (const file of [
    'snail-vs-rl2.png',
    'mann-accuracy-by-instance.png',
    'mann-learning-curve.png',
    'summary.json',
  ])
    expect(existsSync(join(output, file))).toBe(true);
  const summary = JSON.parse(readFileSync(join(output, 'summary.json'), 'utf8'));
  expect(Object.keys(summary.snailVsRl2.meanTotalRewardPerTrial)).toEqual([
    'SNAIL',
    'RL²',
    'UCB1',
    'Thompson sampling',
  ]);
  // The curve: before training, then after each of the 2 updates.
  expect(summary.snailVsRl2.learners.SNAIL.curve.map((point: { update: number }) => point.update)).toEqual([
    0, 1, 2,
  ]);
  expect(summary.snailVsRl2.learners['RL²'].trainingSeconds).toBeGreaterThan(0);
  // MANN and the LSTM: accuracy at each of the 5 instances, within [0, 1]; chance 1/3.
  expect(summary.mannVsLstm.chance).toBe(0.333);
  for (const model of ['MANN', 'LSTM']) {
    const accuracy: number[] = summary.mannVsLstm.accuracyByInstance[model];
    expect(accuracy).toHaveLength(5);
    for (const value of accuracy) expect(value >= 0 && value <= 1).toBe(true);
    expect(summary.mannVsLstm.models[model].curve).toHaveLength(3);
  }
  expect(summary.mannVsLstm.models.MANN.parameterCount).toBeGreaterThan(
    summary.mannVsLstm.models.LSTM.parameterCount,
  );
  expect(run.stdout).toMatch(/SNAIL +\d+\.\d\d ± \d+\.\d\d/);
  expect(run.stdout).toMatch(/MANN +(\d\.\d\d ){4}\d\.\d\d/);
}, 60_000);

it('--section mann writes only its charts; a second run into the folder is refused', async () => {
  const output = join(scratch, 'mann');
  const run = await runApp('--section', 'mann', '--output', output, ...tiny);
  expect(run.status).toBe(0);
  expect(existsSync(join(output, 'mann-learning-curve.png'))).toBe(true);
  expect(existsSync(join(output, 'snail-vs-rl2.png'))).toBe(false);
  const summary = JSON.parse(readFileSync(join(output, 'summary.json'), 'utf8'));
  expect(summary.section).toBe('mann');
  expect(summary.snailVsRl2).toBeUndefined();
  const again = await runApp('--section', 'mann', '--output', output, ...tiny);
  expect(again.status).toBe(2);
  expect(again.stderr).toMatch(/already holds a report .*; pass --overwrite /);
}, 60_000);

it('--help lists every option with its default; a bad option is one line and exit code 2', async () => {
  const help = await runApp('--help');
  expect(help.status).toBe(0);
  // Each option's own default: the first "(default: ...)" after it (help lines wrap anywhere).
  const defaults: [string, string][] = [
    ['--section <name>', '"both"'],
    ['--arms <k>', '5'],
    ['--pulls <n>', '10'],
    ['--updates <n>', '25'],
    ['--trials <n>', '500'],
    ['--evaluate-every <n>', '5'],
    ['--test-tasks <n>', '1000'],
    ['--features <F>', '32'],
    ['--hidden <size>', '128'],
    ['--classes <C>', '5'],
    ['--instances <K>', '10'],
    ['--dimension <d>', '400'],
    ['--sigma <s>', '1'],
    ['--controller <units>', '200'],
    ['--memory-slots <N>', '128'],
    ['--memory-width <M>', '40'],
    ['--heads <h>', '4'],
    ['--write-vector <kind>', '"add"'],
    ['--batch <episodes>', '4'],
    ['--learning-rate <lr>', '0.003'],
    ['--steps <n>', '1500'],
    ['--curve-every <n>', '250'],
    ['--test-episodes <n>', '500'],
    ['--seed <n>', '1'],
    ['--output <folder>', '"memory-augmented-report"'],
  ];
  for (const [option, value] of defaults) {
    const own = help.stdout.slice(help.stdout.indexOf(`  ${option} `)).match(/default:\s+([^)]*)\)/);
    expect([option, own?.[1]]).toEqual([option, value]);
  }
  expect(help.stdout).toMatch(/--overwrite /);
  expect(help.stdout).toMatch(/Examples:\n {2}npx -y pnpm@10\.34\.9 memory-augmented -- /);
  expect(help.stdout).not.toMatch(/--resume/);
  const cases: [string[], string][] = [
    [
      ['--classes', '1'],
      "error: option '--classes <C>' argument '1' is invalid. Expected an integer >= 2.\n",
    ],
    [['--sigma', 'x'], "error: option '--sigma <s>' argument 'x' is invalid. Expected a number >= 0.\n"],
    [
      ['--write-vector', 'value'],
      "error: option '--write-vector <kind>' argument 'value' is invalid. Allowed choices are key, add.\n",
    ],
    [
      ['--section', 'maml'],
      "error: option '--section <name>' argument 'maml' is invalid. Allowed choices are snail, mann, both.\n",
    ],
  ];
  for (const [args, message] of cases) {
    const run = await runApp(...args);
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(message);
  }
});
