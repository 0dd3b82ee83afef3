import { join } from 'node:path';
import { expect, it } from 'vitest';
import { meaningfulStderr, runReadmeExample } from '../../../test-support/examples';

it('the README example runs against the built package', async () => {
  const run = await runReadmeExample(join(__dirname, '..'));
  expect(meaningfulStderr(run)).toBe('');
  expect(run.status).toBe(0);
  expect(run.stdout).toMatch(/^learning curve \d+ bytes, bar chart \d+ bytes \(PNG\)\n$/);
}, 60_000);
