// Dry run of the next release: `changeset version` in a scratch copy of the working tree (the
// checkout itself is untouched), then checks the versions it would write against the versioning
// policy (CONTRIBUTING.md, "Changesets and versions"):
//   - no published package leaves 0.x (1.0.0 is a decision, taken by changing this check);
//   - every internal range (`workspace:...` in dependencies and peerDependencies) admits the new
//     version of the package it names, as `pnpm publish` will write it.
// Prints each published package's current and next version.
//   node scripts/check-changeset-version.mjs [--keep]   (--keep leaves the scratch copy in place)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const changesetCli = realpathSync(join(root, 'node_modules', '@changesets', 'cli', 'package.json'));
// semver as @changesets/cli resolves it (a dependency of the CLI, no extra install).
const semver = createRequire(changesetCli)('semver');
const changeset = join(root, 'node_modules', '.bin', 'changeset');

/** name -> `{ folder, manifest }` for every workspace package under `base` (packages, apps, benchmarks). */
function readWorkspace(base) {
  const folders = [
    ...['packages', 'apps']
      .filter((group) => existsSync(join(base, group)))
      .flatMap((group) => readdirSync(join(base, group)).map((name) => join(group, name))),
    'benchmarks',
  ];
  const packages = new Map();
  for (const folder of folders) {
    const file = join(base, folder, 'package.json');
    if (!existsSync(file)) continue;
    const manifest = JSON.parse(readFileSync(file, 'utf8'));
    packages.set(manifest.name, { folder, manifest });
  }
  return packages;
}

/** The range `pnpm publish` writes for a `workspace:` specifier, given the named package's version. */
function publishedRange(specifier, version) {
  const range = specifier.replace(/^workspace:/, '');
  if (range === '*') return version;
  if (range === '^' || range === '~') return `${range}${version}`;
  return range;
}

const scratch = mkdtempSync(join(tmpdir(), 'metarl-changeset-version-'));
const failures = [];
try {
  // The working tree as git sees it (tracked and untracked, not ignored), without node_modules.
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: root })
    .toString()
    .split('\0')
    .filter((file) => file !== '' && existsSync(join(root, file)));
  execFileSync('sh', ['-c', `tar -cf - --null -T - | tar -xf - -C '${scratch}'`], {
    cwd: root,
    input: files.join('\0'),
  });
  const pending = readdirSync(join(scratch, '.changeset')).filter(
    (file) => file.endsWith('.md') && file !== 'README.md',
  );
  execFileSync(changeset, ['version'], { cwd: scratch, stdio: ['ignore', 'ignore', 'inherit'] });

  const before = readWorkspace(root);
  const after = readWorkspace(scratch);
  console.log(`changeset version would consume ${pending.length} changesets and write:`);
  for (const [name, { manifest }] of after) {
    if (manifest.private) continue;
    const previous = before.get(name)?.manifest.version;
    const change = previous === manifest.version ? 'unchanged' : `${previous} -> ${manifest.version}`;
    console.log(`  ${name}: ${change}`);
    if (previous && semver.lt(previous, '1.0.0') && semver.gte(manifest.version, '1.0.0'))
      failures.push(
        `${name} would leave 0.x (${previous} -> ${manifest.version}); in 0.x a breaking change is a minor bump`,
      );
  }
  for (const [name, { manifest }] of after) {
    for (const field of ['dependencies', 'peerDependencies']) {
      for (const [dependency, specifier] of Object.entries(manifest[field] ?? {})) {
        const target = after.get(dependency);
        if (!target || !specifier.startsWith('workspace:')) continue;
        const range = publishedRange(specifier, target.manifest.version);
        if (!semver.satisfies(target.manifest.version, range))
          failures.push(
            `${name} ${field}: '${specifier}' (published as '${range}') excludes ${dependency}'s next version ${target.manifest.version}`,
          );
      }
    }
  }
} catch (error) {
  failures.push(error.stack ?? String(error));
} finally {
  if (process.argv.includes('--keep')) console.log(`scratch copy kept: ${scratch}`);
  else rmSync(scratch, { recursive: true, force: true });
}
for (const failure of failures) console.error(`FAIL ${failure}`);
console.log(`changeset version dry run: ${failures.length === 0 ? 'ok' : `${failures.length} failed`}`);
process.exit(failures.length === 0 ? 0 : 1);
