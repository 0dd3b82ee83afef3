import { join } from 'node:path';
import { expect, it } from 'vitest';
import { meaningfulStderr, runReadmeExample } from '../../../test-support/examples';

it('the README example runs against the built package', () => {
  const run = runReadmeExample(join(__dirname, '..'), 0);
  expect(meaningfulStderr(run)).toBe('');
  expect(run.status).toBe(0);
  expect(run.stdout).toMatch(/RL² \d+\.\d\d ± \d+\.\d\d per trial \(random \d+\.\d\d\)\n/);
}, 180_000);
