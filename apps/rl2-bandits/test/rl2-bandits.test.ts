import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const tsx = join(__dirname, '..', '..', '..', 'node_modules', '.bin', 'tsx');

it('trains briefly and writes the report: arm choices, best-arm rate, learning curve, summary', () => {
  const output = mkdtempSync(join(tmpdir(), 'rl2-bandits-'));
  try {
    const run = spawnSync(
      tsx,
      [
        'src/main.ts',
        '--iterations',
        '2',
        '--trials',
        '50',
        '--hidden',
        '16',
        '--output',
        output,
        '--backend',
        'cpu',
      ],
      { cwd: join(__dirname, '..'), encoding: 'utf8' },
    );
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.status).toBe(0);
    for (const file of [
      'arm-choices.png',
      'best-arm-rate.png',
      'learning-curve.png',
      'metrics.jsonl',
      'summary.json',
    ])
      expect(existsSync(join(output, file))).toBe(true);
    const summary = JSON.parse(readFileSync(join(output, 'summary.json'), 'utf8'));
    expect(Object.keys(summary.meanTotalRewardPerTrial)).toEqual(['RL²', 'UCB1', 'Thompson']);
    // UCB1 on 1000 five-armed tasks of 10 pulls: the paper's 6.7 within the interval's reach.
    expect(summary.meanTotalRewardPerTrial.UCB1.mean).toBeGreaterThan(6.2);
    expect(run.stdout).toMatch(/RL² +\d+\.\d\d ± \d+\.\d\d/);
  } finally {
    rmSync(output, { recursive: true, force: true });
  }
}, 120_000);

it('rejects a bad option with a clear error', () => {
  const run = spawnSync(tsx, ['src/main.ts', '--arms', '1'], {
    cwd: join(__dirname, '..'),
    encoding: 'utf8',
  });
  expect(run.status).not.toBe(0);
  expect(run.stderr).toMatch(/--arms must be an integer >= 2, got '1'/);
});
