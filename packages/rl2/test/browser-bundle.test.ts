/**
 * The browser promise of the README: `@metarl/core` (main entry), `@metarl/envs` and
 * `@metarl/rl2` bundle for the browser from their built `dist/`, resolved through their published
 * `exports`, without a single Node built-in. File I/O lives in `@metarl/core/node` (and the
 * Node-only `@metarl/core/testing`); code that needs Node at run time (the wasm backend's thread
 * bridge, optional native backends) imports it by a computed name behind a runtime check, which a
 * bundler leaves alone. Nothing is marked external here: a literal import of a Node built-in,
 * static or dynamic, fails this test.
 */
import { existsSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { build, type Message, type Metafile, type Plugin } from 'esbuild';
import { describe, expect, it } from 'vitest';

const packages = join(__dirname, '..', '..');
const nodeBuiltins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
const INNER = 'refuse-node-builtins: inner resolve';

/** One import of a Node built-in that would end up in the bundle. */
interface Violation {
  /** The specifier, e.g. 'node:fs'. */
  readonly path: string;
  /** The importing file, relative to packages/. */
  readonly importer: string;
  /** 'import-statement', 'require-call', 'dynamic-import', ... */
  readonly kind: string;
}

/**
 * Reports every import of a Node built-in, unless the importing package's `browser` field maps
 * it away (tfjs does that for the Node code paths of its own bundles: `"fs": false`). A built-in
 * name that resolves to an installed polyfill package counts too.
 */
function refuseNodeBuiltins(violations: Violation[]): Plugin {
  return {
    name: 'refuse-node-builtins',
    setup(builder) {
      builder.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData === INNER || !nodeBuiltins.has(args.path)) return undefined;
        const resolved = await builder.resolve(args.path, {
          kind: args.kind,
          importer: args.importer,
          resolveDir: args.resolveDir,
          pluginData: INNER,
        });
        // Disabled by a `browser` field: no error, and no file behind it.
        if (resolved.errors.length === 0 && resolved.namespace !== 'file') return undefined;
        violations.push({
          path: args.path,
          importer: args.importer.replace(`${packages}/`, ''),
          kind: args.kind,
        });
        return { errors: [{ text: `Node built-in '${args.path}' imported by ${args.importer}` }] };
      });
    },
  };
}

/** Bundles `contents` (an ES module resolved from `resolveDir`) for the browser. */
async function bundleForBrowser(contents: string, resolveDir: string) {
  const violations: Violation[] = [];
  const result = await build({
    stdin: { contents, resolveDir, sourcefile: 'browser-entry.js', loader: 'js' },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    write: false,
    metafile: true,
    logLevel: 'silent',
    plugins: [refuseNodeBuiltins(violations)],
  }).catch((failure: { errors: Message[] }) => ({
    errors: failure.errors,
    outputFiles: [],
    metafile: undefined,
  }));
  return {
    violations,
    errors: result.errors.map((e) => `${e.text} (${e.location?.file ?? '?'}:${e.location?.line ?? '?'})`),
    inputs: Object.keys((result.metafile as Metafile | undefined)?.inputs ?? {}),
    bytes: result.outputFiles?.[0]?.contents.length ?? 0,
  };
}

describe('browser bundle', () => {
  it('@metarl/core, @metarl/envs and @metarl/rl2 bundle for the browser without Node built-ins', async () => {
    for (const name of ['core', 'envs', 'rl2'])
      expect(existsSync(join(packages, name, 'dist', 'index.js')), `build @metarl/${name} first`).toBe(true);
    const bundle = await bundleForBrowser(
      ["export * from '@metarl/core';", "export * from '@metarl/envs';", "export * from '@metarl/rl2';"].join(
        '\n',
      ),
      join(__dirname, '..'),
    );
    expect(bundle.violations).toEqual([]);
    expect(bundle.errors).toEqual([]);
    // The built files, reached through each package's exports map (not the sources).
    for (const name of ['core', 'envs', 'rl2'])
      expect(bundle.inputs).toContain(`packages/${name}/dist/index.js`);
    expect(bundle.inputs.filter((input) => /(^|\/)packages\/\w+\/src\//.test(input))).toEqual([]);
    expect(bundle.bytes).toBeGreaterThan(100_000);
  }, 60_000);

  it('the check catches a Node built-in, imported statically or by a literal dynamic import', async () => {
    const bundle = await bundleForBrowser(
      [
        "import { readFileSync } from 'node:fs';",
        "export const read = () => readFileSync('x');",
        "export const later = () => import('worker_threads');",
        "export { createRng } from '@metarl/envs';",
      ].join('\n'),
      join(__dirname, '..'),
    );
    expect(bundle.violations.map((v) => `${v.path} ${v.kind}`)).toEqual([
      'node:fs import-statement',
      'worker_threads dynamic-import',
    ]);
    expect(bundle.errors).toHaveLength(2);
  }, 60_000);
});
