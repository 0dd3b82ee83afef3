// Installs the packed packages as a user would and runs their README examples. For every published
// package: `pnpm pack` (workspace: ranges rewritten), then in an empty npm project `npm i` of its
// tarball, the tarballs of its metarl peers and dependencies, and its other required peers at the
// version the repository tests (@tensorflow/tfjs-core@4.22.0): nothing else. In that project it
// runs the package's smoke checks (ESM and CJS) and its README's examples (the ```ts blocks listed
// below, run with tsx), which import the installed tarballs, never the workspace. Also checks each
// tarball (no `workspace:` range left, the LICENSE inside, metarl ranges that admit the versions
// packed beside them) and that each README shows the install line used. Build first (`pnpm build`).
//   node scripts/check-packed-install.mjs [--keep]   (--keep leaves the scratch folder in place)
import { execFileSync, spawn } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packPackages } from './pack-packages.mjs';

const root = new URL('..', import.meta.url).pathname;
const tsx = join(root, 'node_modules', '.bin', 'tsx');
// semver as @changesets/cli resolves it (a dependency of the CLI, no extra install).
const semver = createRequire(realpathSync(join(root, 'node_modules', '@changesets', 'cli', 'package.json')))(
  'semver',
);

/** README ```ts blocks (0-based) run per package folder, with what their output must match. */
const readmeExamples = {
  core: [
    {
      block: 0,
      expected: [
        /\[ 'hidden0', 'hidden1', 'output' \]/,
        /query loss after adaptation: \d+\.\d+ before the meta-step, \d+\.\d+ after\n/,
      ],
    },
  ],
  envs: [{ block: 0, expected: [/^64 1\n$/] }],
  maml: [
    { block: 0, expected: [/before adaptation -?\d+\.\d, after one step -?\d+\.\d\n/] },
    { block: 1, expected: [/0 steps: \d+\.\d\d\n1 steps: \d+\.\d\d\n10 steps: \d+\.\d\d/] },
  ],
  rl2: [{ block: 0, expected: [/RL² \d+\.\d\d ± \d+\.\d\d per trial \(random \d+\.\d\d\)\n/] }],
  'memory-augmented': [
    { block: 0, expected: [/SNAIL \d+\.\d\d ± \d+\.\d\d per trial \(random \d+\.\d\d\)\n/] },
    { block: 1, expected: [/accuracy by instance: (\d+% ){4}\d+%\n/] },
  ],
  native: [
    {
      block: 0,
      expected: [
        /^@metarl\/native \d+\.\d+\.\d+: (avx512|avx2|portable) \(this CPU runs /,
        /\[ 4, 5, 10, 11 \]\n/,
        /tanh: x reaches elements 12 to 19, outside the heap of 16 float elements\n/,
      ],
    },
  ],
  reptile: [
    {
      block: 0,
      expected: [/MSE after 8 steps on a new sine wave: untrained \d+\.\d\d, meta-trained \d+\.\d\d\n/],
    },
  ],
  'evolution-strategies': [
    {
      block: 0,
      expected: [
        /CMA-ES: f = \d\.\de-\d+ after \d+ evaluations\n/,
        /OpenAI-ES on CartPole-v1: mean policy \d+\.\d -> \d+\.\d after 30 generations\n/,
      ],
    },
  ],
  plot: [{ block: 0, expected: [/^learning curve \d+ bytes, bar chart \d+ bytes \(PNG\)\n$/] }],
};

const started = performance.now();
const seconds = (since) => ((performance.now() - since) / 1000).toFixed(1);
const scratch = mkdtempSync(join(tmpdir(), 'metarl-packed-install-'));
const failures = [];
const fail = (message) => {
  failures.push(message);
  console.error(`FAIL ${message}`);
};

/** Runs a command; resolves to `{ status, stdout, stderr, seconds }` (never rejects). */
function run(command, args, options) {
  return new Promise((resolve) => {
    const since = performance.now();
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutSeconds * 1000);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status: signal ? `killed (${signal})` : status, stdout, stderr, seconds: seconds(since) });
    });
  });
}

/** Output on one line, at most 160 characters. */
const oneLine = (text) => {
  const line = text
    .trim()
    .replace(/\s*\n\s*/g, ' | ')
    .replace(/\s+/g, ' ');
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
};

/** stderr without tfjs's one-time "install the node backend" banner. */
const meaningfulStderr = (stderr) => stderr.replace(/=+\nHi, looks like[^\n]*\n=+\n/g, '').trim();

/** The packed package.json of a tarball. */
const readPackedFile = (tarball, file) =>
  execFileSync('tar', ['-xzOf', tarball, `package/${file}`], { encoding: 'utf8' });

try {
  // 1. Pack, and check what went into each tarball.
  let since = performance.now();
  const packed = packPackages(join(scratch, 'packed'));
  console.log(`packed ${packed.map(({ name }) => name).join(', ')} in ${seconds(since)} s`);
  const packedByName = new Map(packed.map((entry) => [entry.name, entry]));
  const license = readFileSync(join(root, 'LICENSE'), 'utf8');
  for (const entry of packed) {
    entry.packedManifest = JSON.parse(readPackedFile(entry.tarball, 'package.json'));
    const ranges = { ...entry.packedManifest.dependencies, ...entry.packedManifest.peerDependencies };
    for (const [dependency, range] of Object.entries(ranges)) {
      if (range.startsWith('workspace:'))
        fail(
          `${entry.name}: packed range of ${dependency} is '${range}' (npm cannot install workspace: ranges)`,
        );
      const sibling = packedByName.get(dependency);
      if (sibling && !semver.satisfies(sibling.manifest.version, range))
        fail(`${entry.name}: packed range of ${dependency} '${range}' excludes ${sibling.manifest.version}`);
    }
    let packedLicense = '';
    try {
      packedLicense = readPackedFile(entry.tarball, 'LICENSE');
    } catch {}
    if (packedLicense !== license)
      fail(`${entry.name}: the tarball's LICENSE is missing or differs from the repository's LICENSE`);
  }

  // 2. One empty npm project per package: its tarball, its metarl peers and dependencies (their
  // tarballs, transitively), its other required peers at the version the repository tests.
  const installSpecs = (entry, seen = new Set()) => {
    if (seen.has(entry.name)) return [];
    seen.add(entry.name);
    const { dependencies = {}, peerDependencies = {}, peerDependenciesMeta = {} } = entry.packedManifest;
    const specs = [entry.tarball];
    for (const name of Object.keys({ ...dependencies, ...peerDependencies })) {
      const sibling = packedByName.get(name);
      // An optional peer (@metarl/native for core) is the user's choice: not installed here, so
      // each package is also checked without it.
      if (sibling && !peerDependenciesMeta[name]?.optional) specs.push(...installSpecs(sibling, seen));
      else if (name in peerDependencies && !peerDependenciesMeta[name]?.optional && !seen.has(name)) {
        seen.add(name);
        specs.push(`${name}@${entry.manifest.devDependencies?.[name] ?? peerDependencies[name]}`);
      }
    }
    return specs;
  };
  since = performance.now();
  const installs = await Promise.all(
    packed.map(async (entry) => {
      const project = join(scratch, entry.folder);
      mkdirSync(project);
      execFileSync('npm', ['init', '-y'], { cwd: project, stdio: 'ignore' });
      const specs = installSpecs(entry);
      const install = await run('npm', ['i', '--no-audit', '--no-fund', ...specs], {
        cwd: project,
        timeoutSeconds: 300,
      });
      // The README documents this very command (tarballs in a clone's packed/ folder).
      const command = `npm i ${specs.map((spec) => spec.replace(`${scratch}/packed/`, '<clone>/packed/')).join(' ')}`;
      const readme = readFileSync(join(root, 'packages', entry.folder, 'README.md'), 'utf8');
      if (!readme.includes(`${command}\n`))
        fail(`${entry.name}: packages/${entry.folder}/README.md does not show the install line '${command}'`);
      const summary = install.stdout.trim().split('\n').at(-1);
      if (install.status === 0) console.log(`${entry.name}: ${command}: ${summary} (${install.seconds} s)`);
      else fail(`${entry.name}: ${command} exited ${install.status}:\n${install.stderr}`);
      return { entry, project, installed: install.status === 0 };
    }),
  );
  console.log(`installed ${packed.length} projects in ${seconds(since)} s`);

  // 3. In each project: the smoke checks, then the README examples.
  for (const { entry, project, installed } of installs) {
    if (!installed) continue;
    const directory = join(root, 'packages', entry.folder);
    for (const file of ['esm.mjs', 'cjs.cjs']) {
      copyFileSync(join(directory, 'smoke', file), join(project, `smoke-${file}`));
      const smoke = await run(process.execPath, [`smoke-${file}`], { cwd: project, timeoutSeconds: 120 });
      if (smoke.status === 0)
        console.log(`${entry.name} smoke ${file}: ${oneLine(smoke.stdout)} (${smoke.seconds} s)`);
      else fail(`${entry.name} smoke ${file} exited ${smoke.status}:\n${smoke.stdout}${smoke.stderr}`);
    }
    const examples = readmeExamples[entry.folder];
    if (!examples) {
      fail(`${entry.name}: no README example listed in scripts/check-packed-install.mjs`);
      continue;
    }
    const readme = readFileSync(join(directory, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]);
    for (const { block, expected } of examples) {
      const label = `${entry.name} README example ${block + 1}`;
      if (blocks[block] === undefined) {
        fail(`${label}: packages/${entry.folder}/README.md has no \`\`\`ts block number ${block + 1}`);
        continue;
      }
      const file = `readme-${block + 1}.mts`;
      writeFileSync(join(project, file), blocks[block]);
      const example = await run(tsx, [file], { cwd: project, timeoutSeconds: 180 });
      const stderr = meaningfulStderr(example.stderr);
      const mismatch = expected.find((pattern) => !pattern.test(example.stdout));
      if (example.status !== 0 || stderr !== '' || mismatch)
        fail(
          `${label} (exit ${example.status}${mismatch ? `, output does not match ${mismatch}` : ''}):\n${example.stdout}${stderr}`,
        );
      else console.log(`${label}: ${oneLine(example.stdout)} (${example.seconds} s)`);
    }
  }
} catch (error) {
  fail(error.stack ?? String(error));
} finally {
  if (process.argv.includes('--keep')) console.log(`scratch folder kept: ${scratch}`);
  else rmSync(scratch, { recursive: true, force: true });
}
console.log(
  `packed-install checks: ${failures.length === 0 ? 'all passed' : `${failures.length} failed`} in ${seconds(started)} s`,
);
process.exit(failures.length === 0 ? 0 : 1);
