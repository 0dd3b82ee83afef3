import { join } from 'node:path';
import { expect, it } from 'vitest';
import { meaningfulStderr, runReadmeExample } from '../../../test-support/examples';

it('the README reinforcement-learning example runs against the built package', () => {
  const run = runReadmeExample(join(__dirname, '..'), 0);
  expect(meaningfulStderr(run)).toBe('');
  expect(run.status).toBe(0);
  expect(run.stdout).toMatch(/before adaptation -?\d+\.\d, after one step -?\d+\.\d\n/);
}, 180_000);

it('the README supervised example runs against the built package', () => {
  const run = runReadmeExample(join(__dirname, '..'), 1);
  expect(meaningfulStderr(run)).toBe('');
  expect(run.status).toBe(0);
  expect(run.stdout).toMatch(/0 steps: \d+\.\d\d\n1 steps: \d+\.\d\d\n10 steps: \d+\.\d\d/);
}, 120_000);
