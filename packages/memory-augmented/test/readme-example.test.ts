import { join } from 'node:path';
import { expect, it } from 'vitest';
import { meaningfulStderr, runReadmeExample } from '../../../test-support/examples';

it('the README SNAIL example runs against the built package and beats random', async () => {
  const run = await runReadmeExample(join(__dirname, '..'), 0);
  expect(meaningfulStderr(run)).toBe('');
  expect(run.status).toBe(0);
  const match = /SNAIL (\d+\.\d\d) ± (\d+\.\d\d) per trial \(random (\d+\.\d\d)\)\n/.exec(run.stdout);
  expect(match, run.stdout).not.toBeNull();
  const [learned, halfWidth, random] = [Number(match![1]), Number(match![2]), Number(match![3])];
  expect(learned - halfWidth).toBeGreaterThan(random + 0.2);
}, 240_000);

it('the README MANN example runs against the built package and recognises seen classes', async () => {
  const run = await runReadmeExample(join(__dirname, '..'), 1);
  expect(meaningfulStderr(run)).toBe('');
  expect(run.status).toBe(0);
  const match = /accuracy by instance: (\d+)% (\d+)% (\d+)% (\d+)% (\d+)%\n/.exec(run.stdout);
  expect(match, run.stdout).not.toBeNull();
  const accuracy = match!.slice(1).map(Number);
  // Chance is 33%; a learner that only avoids labels already used in the episode gets ~50% on
  // the 2nd and later instances; above that it recognises the classes it has seen.
  expect(accuracy[4]).toBeGreaterThan(55);
}, 240_000);
