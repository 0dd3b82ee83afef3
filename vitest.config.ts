import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'benchmarks/test/**/*.test.ts'],
    pool: 'forks',
    setupFiles: ['./vitest.setup.ts'],
    testTimeout: 60_000,
  },
});
