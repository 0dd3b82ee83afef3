// Packs every published package (packages/*, not private) with `pnpm pack`, which rewrites the
// `workspace:` ranges to real ones, into one folder as `metarl-<folder>.tgz` (no version in the
// name, so install commands stay the same from release to release). Build first (`pnpm build`).
//   node scripts/pack-packages.mjs [destination]   (default: packed/)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = new URL('..', import.meta.url).pathname;
const pnpm = join(root, 'node_modules', '.bin', 'pnpm');

/** The published packages: `{ name, folder, directory, manifest }` for each non-private packages/* entry. */
export function listPublishedPackages() {
  return readdirSync(join(root, 'packages'))
    .map((folder) => ({ folder, directory: join(root, 'packages', folder) }))
    .filter(({ directory }) => existsSync(join(directory, 'package.json')))
    .map((entry) => ({
      ...entry,
      manifest: JSON.parse(readFileSync(join(entry.directory, 'package.json'), 'utf8')),
    }))
    .filter(({ manifest }) => !manifest.private)
    .map(({ folder, directory, manifest }) => ({ name: manifest.name, folder, directory, manifest }));
}

/**
 * Packs every published package into `destination`; returns `{ name, folder, manifest, tarball }`
 * per package, `tarball` the absolute path of `metarl-<folder>.tgz`.
 */
export function packPackages(destination) {
  mkdirSync(destination, { recursive: true });
  return listPublishedPackages().map(({ name, folder, directory, manifest }) => {
    if (!existsSync(join(directory, 'dist')))
      throw new Error(`${name}: no dist/ in ${directory}; run \`pnpm build\` before packing`);
    // A package that ships prebuilt binaries is not packed without them (they are built by
    // `pnpm build` where a C compiler is present).
    if (manifest.files?.includes('prebuilds') && !existsSync(join(directory, 'prebuilds')))
      throw new Error(
        `${name}: no prebuilds/ in ${directory}; build it where a C compiler, make, python3 and Node's headers are present (\`pnpm build\` printed why it skipped)`,
      );
    const tarball = join(destination, `metarl-${folder}.tgz`);
    execFileSync(pnpm, ['pack', '--out', tarball], {
      cwd: directory,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    return { name, folder, manifest, tarball };
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const destination = resolve(process.argv[2] ?? join(root, 'packed'));
  for (const { name, manifest, tarball } of packPackages(destination)) {
    const kilobytes = (statSync(tarball).size / 1024).toFixed(0);
    console.log(`${name}@${manifest.version} -> ${tarball} (${kilobytes} kB)`);
  }
}
