import { join } from 'node:path';
import { expect, it } from 'vitest';
import { meaningfulStderr, runReadmeExample } from '../../../test-support/examples';

it('the README example computes a meta-gradient whose step lowers the loss after adaptation', async () => {
  const run = await runReadmeExample(join(__dirname, '..'));
  expect(meaningfulStderr(run)).toBe('');
  expect(run.status).toBe(0);
  expect(run.stdout).toMatch(/\[ 'hidden0', 'hidden1', 'output' \]/);
  const match = /query loss after adaptation: (\d+\.\d+) before the meta-step, (\d+\.\d+) after\n/.exec(
    run.stdout,
  );
  expect(match, run.stdout).not.toBeNull();
  const [before, after] = [Number(match![1]), Number(match![2])];
  // Printed on wasm: 1.454 before, 1.074 after (one meta-step of size 0.05).
  expect(after).toBeLessThan(0.9 * before);
}, 60_000);

it('the README example of the native kernels runs both ways (native where @metarl/native loads)', async () => {
  const run = await runReadmeExample(join(__dirname, '..'), 1);
  expect(meaningfulStderr(run)).toBe('');
  expect(run.status).toBe(0);
  expect(run.stdout).toMatch(/^plain wasm \(native: 'off'\): \d+\.\d ms\n/);
  // The second line: native where the binary loads, else plain wasm with the reason.
  expect(run.stdout).toMatch(/\n(native (avx512|avx2|portable)|plain wasm \(.+\)): \d+\.\d ms\n$/);
}, 60_000);
