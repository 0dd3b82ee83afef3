// pnpm conformance [-- --backend <name>]: runs @metarl/core's conformance suite (every op to
// first and second order, a MAML meta-gradient and a Hessian-vector product against float64
// finite differences) on one backend with plain node, and prints the table. Exit 1 on failure.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const index = process.argv.indexOf('--backend');
const backend = index === -1 ? 'wasm' : process.argv[index + 1];
const build = spawnSync(
  join(root, 'node_modules', '.bin', 'turbo'),
  ['run', 'build', '--filter=@metarl/core', '--output-logs=errors-only'],
  {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  },
);
if (build.status !== 0) process.exit(build.status ?? 1);
const program = `
import { useBackend } from '@metarl/core';
import { formatConformanceReport, runConformanceSuite } from '@metarl/core/testing';
await useBackend(${JSON.stringify(backend)});
const report = await runConformanceSuite();
console.log(formatConformanceReport(report));
process.exit(report.passed ? 0 : 1);
`;
const run = spawnSync(process.execPath, ['--input-type=module', '-e', program], {
  cwd: join(root, 'packages', 'core'),
  stdio: 'inherit',
});
process.exit(run.status ?? 1);
