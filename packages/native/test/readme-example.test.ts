import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { meaningfulStderr, runReadmeExample } from '../../../test-support/examples';
import { loadNativeKernelsForTests } from './load-native-kernels-for-tests';

const available = loadNativeKernelsForTests() !== undefined;

it.skipIf(!available)(
  'the README example runs against the built package',
  async () => {
    const direct = await runReadmeExample(join(__dirname, '..'), 0);
    expect(meaningfulStderr(direct)).toBe('');
    expect(direct.status).toBe(0);
    expect(direct.stdout).toMatch(/^@metarl\/native \d+\.\d+\.\d+: (avx512|avx2|portable) \(this CPU runs /);
    expect(direct.stdout).toContain('[ 4, 5, 10, 11 ]');
    expect(direct.stdout).toContain(
      'tanh: x reaches elements 12 to 19, outside the heap of 16 float elements',
    );
  },
  120_000,
);

// The prebuilt binary must load on distributions older than the build machine's glibc: no symbol
// may require a glibc newer than 2.17 (pthread_create is pinned below its 2.34 version).
it.skipIf(!available)('the binary needs no glibc symbol newer than 2.17', () => {
  const folder = join(__dirname, '..', 'prebuilds', 'linux-x64');
  let table: string;
  try {
    const binary = readdirSync(folder).find((file) => file.endsWith('.node'))!;
    table = execFileSync('objdump', ['-T', join(folder, binary)], { encoding: 'utf8' });
  } catch (error) {
    if (process.env.METARL_REQUIRE_NATIVE === '1') throw error;
    console.warn(`skipping the glibc check: ${(error as Error).message.split('\n')[0]}`);
    return;
  }
  const versions = [...table.matchAll(/GLIBC_(\d+)\.(\d+)/g)].map(([, major, minor]) => [
    Number(major),
    Number(minor),
  ]);
  expect(versions.length).toBeGreaterThan(0);
  const newest = versions.reduce((a, b) => (a[0]! * 1000 + a[1]! >= b[0]! * 1000 + b[1]! ? a : b));
  expect(newest[0]! * 1000 + newest[1]!, `newest glibc symbol ${newest.join('.')}`).toBeLessThanOrEqual(2017);
});
