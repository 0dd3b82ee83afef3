import { join } from 'node:path';
import { expect, it } from 'vitest';
import { meaningfulStderr, runReadmeExample } from '../../../test-support/examples';

it('the README example runs against the built package', () => {
  const run = runReadmeExample(join(__dirname, '..'));
  expect(meaningfulStderr(run)).toBe('');
  expect(run.status).toBe(0);
  expect(run.stdout.trim()).toBe('64 1');
}, 60_000);
