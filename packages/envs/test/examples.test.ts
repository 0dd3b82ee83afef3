import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { meaningfulStderr, runExample } from '../../../test-support/examples';

const packageDirectory = join(__dirname, '..');
const expected: Record<string, RegExp> = {
  'bandit.ts': /UCB1 \(c = 0\.2\): 6\.\d\d ± 0\.\d\d per trial of 10 pulls/,
  'tabular-mdp.ts': /episode over after 10 steps[\s\S]*value-iteration oracle: \d+\.\d per trial/,
  'navigation-2d.ts': /reached goal \(.*\) in \d+ steps/,
  'cart-pole.ts': /pole half-length 0\.5, mass 0\.1: balanced for 500 steps/,
  'pendulum.ts': /returns of 8 damped pendulums over 200 steps: -\d+/,
};

describe('every example runs against the built package', () => {
  for (const file of readdirSync(join(packageDirectory, 'examples'))) {
    it(file, () => {
      const run = runExample(packageDirectory, join('examples', file));
      expect(meaningfulStderr(run)).toBe('');
      expect(run.status).toBe(0);
      expect(run.stdout).toMatch(expected[file] ?? /^$/);
    }, 60_000);
  }
});
