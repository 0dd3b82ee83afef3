// pnpm start / pnpm rl2-bandits / pnpm memory-augmented / ... [-- options]: builds what the app needs
// (quietly; its output is shown only when the build fails), then runs apps/<name>/src/main.ts with
// the options, so that the user sees the app's own output and its exit code, nothing else.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const [name, ...options] = process.argv.slice(2);
const main = join(root, 'apps', name ?? '', 'src', 'main.ts');
if (name === undefined || !existsSync(main)) {
  console.error(`usage: node scripts/run-app.mjs <app> [options]; no app '${name ?? ''}' in apps/`);
  process.exit(2);
}
// The app's package name (usually @metarl/<app>; an app named after a library package, such as
// apps/memory-augmented beside packages/memory-augmented, has its own).
const packageName = JSON.parse(readFileSync(join(root, 'apps', name, 'package.json'), 'utf8')).name;
const bin = (tool) => join(root, 'node_modules', '.bin', tool);
const build = spawnSync(
  bin('turbo'),
  ['run', 'build', `--filter=${packageName}...`, '--output-logs=errors-only'],
  { cwd: root, encoding: 'utf8' },
);
if (build.status !== 0) {
  process.stderr.write(`${build.stdout ?? ''}${build.stderr ?? ''}`);
  console.error(`error: building ${packageName} and its packages failed (turbo exit code ${build.status})`);
  process.exit(1);
}
const run = spawnSync(bin('tsx'), [main, ...options], { stdio: 'inherit' });
process.exit(run.status ?? 1);
