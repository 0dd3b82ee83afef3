// Builds the addon from source into prebuilds/<platform>-<arch>/, where node-gyp-build finds it
// (the monorepo's build step; also how a platform without a shipped binary gets one). Needs a C
// compiler, make, python3 and Node's headers; without them it prints one line and exits 0, and
// metarl runs on the plain wasm backend. Never run at install time: the package ships binaries.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const require = createRequire(import.meta.url);
const target = `${platform()}-${arch()}`;

function skip(reason) {
  console.log(`@metarl/native: ${reason}; skipped the native build (metarl runs on the plain wasm backend)`);
  process.exit(0);
}

function works(command, args) {
  const result = spawnSync(command, args, { stdio: 'ignore' });
  return result.status === 0;
}

if (process.env.METARL_NATIVE_BUILD === '0') skip('METARL_NATIVE_BUILD=0');
// Node's headers: npm's nodedir setting, else the installed Node's own include folder.
const nodeDirectories = [process.env.npm_config_nodedir, resolve(dirname(process.execPath), '..')];
const nodeDirectory = nodeDirectories.find(
  (directory) => directory && existsSync(join(directory, 'include', 'node', 'node_api.h')),
);
const compiler = process.env.CC ?? 'cc';
const missing = [
  ...(works(compiler, ['--version']) ? [] : [`a C compiler (${compiler})`]),
  ...(works('make', ['--version']) ? [] : ['make']),
  ...(works('python3', ['--version']) ? [] : ['python3']),
  ...(nodeDirectory ? [] : ["Node's headers (include/node/node_api.h; set npm_config_nodedir)"]),
];
if (missing.length > 0) skip(`no ${missing.join(', ')} found`);

let nodeGyp;
try {
  nodeGyp = require.resolve('node-gyp/bin/node-gyp.js');
} catch {
  // Outside this repository (the published package has no dev dependencies).
  console.error(
    '@metarl/native: node-gyp is not installed here: npm i -D node-gyp@11, then run this script again',
  );
  process.exit(1);
}
try {
  execFileSync(process.execPath, [nodeGyp, 'rebuild', `--nodedir=${nodeDirectory}`, '--directory=gyp'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_nodedir: nodeDirectory },
  });
} catch (error) {
  const output = `${error.stdout ?? ''}${error.stderr ?? ''}`;
  console.error(output.split('\n').slice(-30).join('\n'));
  console.error('@metarl/native: the build from source failed (output above)');
  process.exit(1);
}
const built = join(root, 'gyp', 'build', 'Release', 'metarl_native.node');
const folder = join(root, 'prebuilds', target);
mkdirSync(folder, { recursive: true });
// The name carries node-gyp-build's tags: Node-API (any Node version), glibc.
const libc = platform() === 'linux' ? (existsSync('/etc/alpine-release') ? '.musl' : '.glibc') : '';
const destination = join(folder, `metarl-native.napi${libc}.node`);
const partial = `${destination}.partial`;
copyFileSync(built, partial);
if (platform() === 'linux' && works('strip', ['--version']))
  execFileSync('strip', ['--strip-unneeded', partial]);
renameSync(partial, destination);
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
const addon = require(destination);
if (addon.version !== version) {
  console.error(`@metarl/native: the built binary says version ${addon.version}, package.json ${version}`);
  process.exit(1);
}
console.log(`@metarl/native: built ${target} (${addon.supportedIsas().join(', ')}) into prebuilds/${target}`);
