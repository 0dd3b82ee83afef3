import { join } from 'node:path';
import { expect, it } from 'vitest';
import { meaningfulStderr, runReadmeExample } from '../../../test-support/examples';

it('the README reinforcement-learning example runs against the built package', async () => {
  const run = await runReadmeExample(join(__dirname, '..'), 0);
  expect(meaningfulStderr(run)).toBe('');
  expect(run.status).toBe(0);
  const match = /before adaptation (-?\d+\.\d), after one step (-?\d+\.\d)\n/.exec(run.stdout);
  expect(match, run.stdout).not.toBeNull();
  const [before, after] = [Number(match![1]), Number(match![2])];
  // Printed on wasm: -41.0 before, -22.8 after one step; adaptation must help clearly.
  expect(after).toBeGreaterThan(before + 10);
}, 180_000);

it('the README supervised example runs against the built package', async () => {
  const run = await runReadmeExample(join(__dirname, '..'), 1);
  expect(meaningfulStderr(run)).toBe('');
  expect(run.status).toBe(0);
  const match = /0 steps: (\d+\.\d\d)\n1 steps: (\d+\.\d\d)\n10 steps: (\d+\.\d\d)/.exec(run.stdout);
  expect(match, run.stdout).not.toBeNull();
  const [none, one, ten] = [Number(match![1]), Number(match![2]), Number(match![3])];
  // Printed on wasm: 2.81, 1.79, 1.76: one step on 5 examples cuts the error by a third.
  expect(one).toBeLessThan(0.8 * none);
  expect(ten).toBeLessThan(none);
}, 120_000);
