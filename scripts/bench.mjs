// pnpm bench <name> [-- flags]: builds what the benchmark needs, then runs benchmarks/src/<name>.ts.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2).filter((arg) => arg !== '--');
const [name, ...flags] = args;
const available = readdirSync(join(root, 'benchmarks', 'src'))
  .filter((file) => file.endsWith('.ts') && !file.startsWith('shared'))
  .map((file) => file.replace(/\.ts$/, ''));
if (name === undefined || !available.includes(name)) {
  console.error(`usage: pnpm bench <name> [-- --out <file> ...]; benchmarks: ${available.join(', ')}`);
  process.exit(2);
}
const bin = (tool) => join(root, 'node_modules', '.bin', tool);
const build = spawnSync(
  bin('turbo'),
  ['run', 'build', '--filter=@metarl/benchmarks...', '--output-logs=errors-only'],
  {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  },
);
if (build.status !== 0) process.exit(build.status ?? 1);
const script = join(root, 'benchmarks', 'src', `${name}.ts`);
if (!existsSync(script)) process.exit(2);
const run = spawnSync(bin('tsx'), [script, ...flags], { cwd: join(root, 'benchmarks'), stdio: 'inherit' });
process.exit(run.status ?? 1);
