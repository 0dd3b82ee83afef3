#!/usr/bin/env node
// Type-checks every README example (the root README and packages/*/README.md: each ```ts block
// not marked `<!-- fragment -->` on the line before it) and every file of packages/*/examples/
// against the BUILT packages, under the strictest settings users have: strict,
// noUncheckedIndexedAccess, exactOptionalPropertyTypes, NodeNext resolution and no skipLibCheck
// (tfjs's own declarations included). Run `pnpm build` first. Exit code 1 lists the errors.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = join(root, 'node_modules', '.bin', 'tsc');

/** The compiler options the examples must pass: a user's strictest project. */
export const strictestOptions = {
  target: 'ES2022',
  lib: ['ES2022', 'DOM'],
  module: 'NodeNext',
  moduleResolution: 'NodeNext',
  types: ['node'],
  strict: true,
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  noImplicitOverride: true,
  noFallthroughCasesInSwitch: true,
  skipLibCheck: false,
  noEmit: true,
};

/**
 * Where the strictest options cannot hold for a dependency's own declarations, with the reason
 * (stated in the package's README too): those packages are checked with skipLibCheck.
 */
const libraryExceptions = {
  plot: "vega-lite 5.23's declarations fail exactOptionalPropertyTypes (Axis.title vs Guide.title)",
};

/**
 * tfjs-core 4.22's declarations use the global `Long` of its dependency @types/long: npm hoists
 * it where TypeScript finds it; pnpm does not (its users add @types/long or skipLibCheck). The
 * check sees it as an npm user would: from pnpm's hoisted store.
 */
const typeRoots = [
  join(root, 'node_modules', '@types'),
  join(root, 'node_modules', '.pnpm', 'node_modules', '@types'),
];

/** The ```ts blocks of `readme` that are whole programs (not preceded by `<!-- fragment -->`). */
export function readmeExamples(readme) {
  const blocks = [];
  for (const match of readme.matchAll(/(^|\n)([^\n]*)\n```ts\n([\s\S]*?)```/g)) {
    if (match[2].trim() !== '<!-- fragment -->') blocks.push(match[3]);
  }
  return blocks;
}

const directories = [
  root,
  ...readdirSync(join(root, 'packages')).map((name) => join(root, 'packages', name)),
];
let failed = false;
let checked = 0;
for (const directory of directories) {
  const readmePath = join(directory, 'README.md');
  const blocks = existsSync(readmePath) ? readmeExamples(readFileSync(readmePath, 'utf8')) : [];
  const exampleDirectory = join(directory, 'examples');
  const exampleFiles =
    directory !== root && existsSync(exampleDirectory)
      ? readdirSync(exampleDirectory)
          .filter((file) => file.endsWith('.ts'))
          .map((file) => join(exampleDirectory, file))
      : [];
  if (blocks.length === 0 && exampleFiles.length === 0) continue;
  // The root's README examples are checked from packages/core, where every package resolves.
  const exception = libraryExceptions[relative(join(root, 'packages'), directory)];
  if (exception !== undefined)
    console.log(`${relative(root, directory)}: skipLibCheck, because ${exception}`);
  const home = directory === root ? join(root, 'packages', 'core') : directory;
  const work = join(home, directory === root ? '.root-readme-examples' : '.readme-examples');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work);
  const files = blocks.map((block, i) => {
    const file = join(work, `readme-${i + 1}.mts`);
    writeFileSync(file, block);
    return file;
  });
  files.push(...exampleFiles);
  writeFileSync(
    join(work, 'tsconfig.json'),
    JSON.stringify(
      {
        compilerOptions: {
          ...strictestOptions,
          types: ['node', 'long'],
          typeRoots,
          ...(exception === undefined ? {} : { skipLibCheck: true }),
        },
        files,
      },
      null,
      2,
    ),
  );
  const run = spawnSync(tsc, ['-p', join(work, 'tsconfig.json')], { encoding: 'utf8', cwd: home });
  rmSync(work, { recursive: true, force: true });
  checked += files.length;
  const label = relative(root, readmePath) || 'README.md';
  if (run.status !== 0) {
    failed = true;
    console.error(`${label} and its examples/ (${files.length} files):\n${run.stdout}${run.stderr}`);
    // Show the blocks' text for line numbers in readme-N.mts.
  } else {
    console.log(`ok ${label}: ${blocks.length} README example(s), ${exampleFiles.length} examples/ file(s)`);
  }
}
console.log(
  `${checked} files type-checked with ${JSON.stringify(strictestOptions)} (types node and long; plot with skipLibCheck)`,
);
process.exit(failed ? 1 : 0);
