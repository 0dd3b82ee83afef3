import type { Options } from 'tsup';

/**
 * The one build preset every published package uses: ESM + CJS + d.ts, one file per entry,
 * dependencies and peers left external (tfjs must stay a singleton across packages).
 */
export function createTsupConfig(entry: Record<string, string>, overrides: Options = {}): Options {
  return {
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    splitting: true,
    treeshake: true,
    target: 'node20',
    platform: 'node',
    ...overrides,
  };
}
