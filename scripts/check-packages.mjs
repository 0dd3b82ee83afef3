// Release checks of every published package: publint --strict and @arethetypeswrong/cli.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const bin = (name) => join(root, 'node_modules', '.bin', name);
let failures = 0;
for (const name of readdirSync(join(root, 'packages'))) {
  const directory = join(root, 'packages', name);
  const manifest = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8'));
  if (manifest.private) continue;
  for (const [tool, args] of [
    ['publint', ['--strict', directory]],
    ['attw', ['--pack', directory, '--profile', 'node16', '--format', 'table-flipped']],
  ]) {
    try {
      const output = execFileSync(bin(tool), args, {
        cwd: root,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      console.log(`${manifest.name} ${tool}: ok`);
      if (process.argv.includes('--verbose')) process.stdout.write(output);
    } catch (error) {
      console.error(`${manifest.name} ${tool} failed:\n${error.stdout ?? ''}${error.stderr ?? ''}`);
      failures += 1;
    }
  }
}
process.exit(failures === 0 ? 0 : 1);
