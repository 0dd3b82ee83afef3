// pnpm start / pnpm rl2-bandits / pnpm reptile-sinusoid [-- options]: builds what the app needs
// (quietly; its output is shown only when the build fails), then runs apps/<name>/src/main.ts with
// the options, so that the user sees the app's own output and its exit code, nothing else.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const [name, ...options] = process.argv.slice(2);
const main = join(root, 'apps', name ?? '', 'src', 'main.ts');
if (name === undefined || !existsSync(main)) {
  console.error(`usage: node scripts/run-app.mjs <app> [options]; no app '${name ?? ''}' in apps/`);
  process.exit(2);
}
const bin = (tool) => join(root, 'node_modules', '.bin', tool);
const build = spawnSync(
  bin('turbo'),
  ['run', 'build', `--filter=@metarl/${name}...`, '--output-logs=errors-only'],
  { cwd: root, encoding: 'utf8' },
);
if (build.status !== 0) {
  process.stderr.write(`${build.stdout ?? ''}${build.stderr ?? ''}`);
  console.error(`error: building @metarl/${name} and its packages failed (turbo exit code ${build.status})`);
  process.exit(1);
}
const run = spawnSync(bin('tsx'), [main, ...options], { stdio: 'inherit' });
process.exit(run.status ?? 1);
