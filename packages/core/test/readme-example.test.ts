import { join } from 'node:path';
import { expect, it } from 'vitest';
import { meaningfulStderr, runReadmeExample } from '../../../test-support/examples';

it('the README example runs against the built package and prints a gradient tree', () => {
  const run = runReadmeExample(join(__dirname, '..'));
  expect(meaningfulStderr(run)).toBe('');
  expect(run.status).toBe(0);
  expect(run.stdout).toMatch(/weight/);
  expect(run.stdout).toMatch(/bias/);
}, 60_000);
