import { join } from 'node:path';
import { expect, it } from 'vitest';
import { meaningfulStderr, runReadmeExample } from '../../../test-support/examples';

it('the README example runs against the built package', async () => {
  const run = await runReadmeExample(join(__dirname, '..'), 0);
  expect(meaningfulStderr(run)).toBe('');
  expect(run.status).toBe(0);
  const match = /RL² (\d+\.\d\d) ± (\d+\.\d\d) per trial \(random (\d+\.\d\d)\)\n/.exec(run.stdout);
  expect(match, run.stdout).not.toBeNull();
  const [learned, halfWidth, random] = [Number(match![1]), Number(match![2]), Number(match![3])];
  // Printed on wasm: 5.88 ± 0.23 against random 5.15: the learned policy beats random clearly.
  expect(learned - halfWidth).toBeGreaterThan(random + 0.2);
}, 180_000);
