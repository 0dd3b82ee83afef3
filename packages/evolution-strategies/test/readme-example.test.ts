import { join } from 'node:path';
import { expect, it } from 'vitest';
import { meaningfulStderr, runReadmeExample } from '../../../test-support/examples';

it('the README example runs against the built package: CMA-ES solves Rosenbrock, OpenAI-ES learns CartPole', async () => {
  const run = await runReadmeExample(join(__dirname, '..'), 0);
  expect(meaningfulStderr(run)).toBe('');
  expect(run.status).toBe(0);
  const cma = /CMA-ES: f = (\S+) after (\d+) evaluations\n/.exec(run.stdout);
  expect(cma, run.stdout).not.toBeNull();
  expect(Number(cma![1])).toBeLessThanOrEqual(1e-8);
  // pycma needs about 4,850 evaluations on this problem (median of 11 seeds).
  expect(Number(cma![2])).toBeLessThan(7000);
  const es = /OpenAI-ES on CartPole-v1: mean policy (\d+\.\d) -> (\d+\.\d) after 30 generations\n/.exec(
    run.stdout,
  );
  expect(es, run.stdout).not.toBeNull();
  const [before, after] = [Number(es![1]), Number(es![2])];
  // Printed on wasm: 32.9 -> 500.0; learning must at least triple the untrained policy's return.
  expect(after).toBeGreaterThan(3 * before);
}, 180_000);
