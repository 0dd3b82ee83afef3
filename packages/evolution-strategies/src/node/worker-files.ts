/**
 * Where the built worker files are: next to this module in `dist/` (the ESM build loads `.js`,
 * the CJS build `.cjs`). From the TypeScript sources (tests) the built ones in `dist/` are used.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The environment variable that carries a BullMQ worker's backend name to its sandboxed processes. */
export const BACKEND_VARIABLE = 'METARL_ES_BACKEND';

/** The built worker files of this package. */
export type WorkerFileName = 'fitness-thread-worker' | 'bullmq-fitness-processor';

/** The path of the built worker file `name`, or an error saying how to get it. */
export function resolveWorkerFile(name: WorkerFileName, neededBy: string): string {
  const here = fileURLToPath(import.meta.url);
  const directory = dirname(here);
  const extension = here.endsWith('.cjs') ? '.cjs' : '.js';
  const candidates = [
    resolve(directory, `${name}${extension}`),
    // From src/node/*.ts (tests run on the sources): the package's built dist/.
    resolve(directory, '..', '..', 'dist', `${name}.js`),
  ];
  const found = candidates.find((path) => existsSync(path));
  if (found === undefined)
    throw new Error(
      `${neededBy}: the worker file '${name}' was not found (looked at ${candidates.join(', ')}); build @metarl/evolution-strategies first (pnpm build)`,
    );
  return found;
}
