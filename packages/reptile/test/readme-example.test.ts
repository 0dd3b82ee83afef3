import { join } from 'node:path';
import { expect, it } from 'vitest';
import { meaningfulStderr, runReadmeExample } from '../../../test-support/examples';

it('the README example runs against the built package and shows adaptation helping', async () => {
  const run = await runReadmeExample(join(__dirname, '..'), 0);
  expect(meaningfulStderr(run)).toBe('');
  expect(run.status).toBe(0);
  const match = /untrained (\d+\.\d\d), meta-trained (\d+\.\d\d)\n/.exec(run.stdout);
  expect(match, run.stdout).not.toBeNull();
  const [untrained, trained] = [Number(match![1]), Number(match![2])];
  // Printed on wasm: untrained 4.40, meta-trained 0.18.
  expect(trained).toBeLessThan(0.2 * untrained);
}, 180_000);
