// Imports every built package with plain node, as ESM and as CommonJS, through its published
// `exports` map (each package's smoke/ files import it by its own name), and runs a computation.
// vitest passing does not prove that the built files work; this does.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
let failures = 0;
let checked = 0;
for (const name of readdirSync(join(root, 'packages'))) {
  const directory = join(root, 'packages', name);
  for (const file of ['smoke/esm.mjs', 'smoke/cjs.cjs']) {
    const path = join(directory, file);
    if (!existsSync(path)) {
      console.error(
        `packages/${name}: missing ${file} (every published package has an ESM and a CJS smoke check)`,
      );
      failures += 1;
      continue;
    }
    try {
      const output = execFileSync(process.execPath, [file], {
        cwd: directory,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      process.stdout.write(output);
      checked += 1;
    } catch (error) {
      console.error(
        `packages/${name}/${file} failed:\n${error.stdout ?? ''}${error.stderr ?? error.message}`,
      );
      failures += 1;
    }
  }
}
console.log(`built-package checks: ${checked} passed, ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
