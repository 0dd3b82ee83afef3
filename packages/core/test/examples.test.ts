import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { meaningfulStderr, runExample } from '../../../test-support/examples';

const packageDirectory = join(__dirname, '..');
const expected: Record<string, RegExp> = {
  'ppo-cartpole.ts': /PPO CartPole-v1: mean return (19[5-9]|[2-9]\d\d) after \d+ environment steps/,
  'meta-training.ts':
    /learning-curve\.png[\s\S]*after 0 adaptation step\(s\): -\d+\.\d ± \d+\.\d[\s\S]*after 1 adaptation step\(s\)/,
};

describe('every example runs against the built package', () => {
  for (const file of readdirSync(join(packageDirectory, 'examples'))) {
    it(file, () => {
      const run = runExample(packageDirectory, join('examples', file));
      expect(meaningfulStderr(run)).toBe('');
      expect(run.status).toBe(0);
      expect(run.stdout).toMatch(expected[file] ?? /^$/);
    }, 120_000);
  }
});
