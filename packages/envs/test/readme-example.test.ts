import { join } from 'node:path';
import { expect, it } from 'vitest';
import { meaningfulStderr, runReadmeExample } from '../../../test-support/examples';

it('the README example runs against the built package', async () => {
  const run = await runReadmeExample(join(__dirname, '..'));
  expect(meaningfulStderr(run)).toBe('');
  expect(run.status).toBe(0);
  expect(run.stdout.trim()).toBe('64 1');
}, 60_000);

it('the README example of supervised few-shot data runs against the built package', async () => {
  const run = await runReadmeExample(join(__dirname, '..'), 3);
  expect(meaningfulStderr(run)).toBe('');
  expect(run.status).toBe(0);
  expect(run.stdout.trim().split('\n')).toEqual([
    '50000 125',
    '1-NN on held-out 5-way 1-shot: 0.48 (chance 0.20)',
    '40 40 200',
  ]);
}, 60_000);
