/**
 * The one check of the installed tfjs versions that every file in this folder obeys.
 *
 * This folder holds all of metarl's code that reaches into tfjs: exact gradients registered over
 * tfjs's own (`exact-gradients.ts`), the engine members it reads (`tfjs-engine.ts`: the tape, the
 * gradient depth, `runKernelFunc` for the fused GRU sequence), the replaced wasm kernels that
 * write on the wasm heap (`wasm-kernels.ts`, `slice-kernels.ts`; `native-kernels.ts` for those of
 * @metarl/native) and the bridge to the wasm backend's threaded build (`wasm-threads.ts`). Each
 * was verified, by the conformance suite, against one tfjs release. On any other release the parts
 * that rely on tfjs's private members step aside (tfjs's own wasm kernels, no native kernels, one
 * wasm thread in Node, the GRU sequence op by op, gradients always recomputed from their inputs,
 * no tape check), one line says so once per process, and `useBackend` reports the exactness
 * guarantee as `'unverified'` (`BackendInfo.exactGradients`). Versions are read from the packages'
 * exported `version_*` constants, never from files, so the check works in browsers too.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The tfjs release whose internals every patch here was verified against (all packages). */
export const VERIFIED_TFJS_VERSION = '4.22.0';

/** The version constant each tfjs backend package exports, and the package it names. */
const versionExports: readonly (readonly [exportName: string, packageName: string])[] = [
  ['version_cpu', '@tensorflow/tfjs-backend-cpu'],
  ['version_wasm', '@tensorflow/tfjs-backend-wasm'],
  ['version_webgpu', '@tensorflow/tfjs-backend-webgpu'],
  ['version_webgl', '@tensorflow/tfjs-backend-webgl'],
];

/** The installed tfjs versions and whether metarl's patches are verified for them. */
export interface TfjsVersionCheck {
  /** Installed version of each tfjs package that was read, by package name. */
  readonly installed: Readonly<Record<string, string>>;
  /** The release metarl's patches and its exactness guarantee were verified against. */
  readonly verifiedVersion: string;
  /** True when every installed package is `verifiedVersion`: the patches are active. */
  readonly verified: boolean;
}

/**
 * Decides from version strings alone (a pure function): verified when there is at least one
 * version and every one equals `verifiedVersion` exactly (a patch release may change internals).
 */
export function decideTfjsVersions(
  installed: Readonly<Record<string, string>>,
  verifiedVersion: string = VERIFIED_TFJS_VERSION,
): TfjsVersionCheck {
  const versions = Object.values(installed);
  return {
    installed: { ...installed },
    verifiedVersion,
    verified: versions.length > 0 && versions.every((version) => version === verifiedVersion),
  };
}

/** The one-line warning for an unverified check (names each package that differs and the verified version). */
export function describeUnverifiedTfjs(check: TfjsVersionCheck): string {
  const differing = Object.entries(check.installed)
    .filter(([, version]) => version !== check.verifiedVersion)
    .map(([name, version]) => `${name} ${version}`);
  return `metarl: ${differing.join(', ') || 'no tfjs version found'} ${differing.length > 1 ? 'are' : 'is'} not the verified ${check.verifiedVersion}; metarl's patches that rely on tfjs internals step aside (see 'tfjs versions' in the @metarl/core README) and exact higher-order gradients are unverified: run runConformanceSuite() from @metarl/core/testing, or install ${check.verifiedVersion}`;
}

/** The `version_*` constants found on loaded tfjs package modules (ES namespaces or CommonJS exports). */
function readTfjsVersions(modules: readonly unknown[]): Record<string, string> {
  const installed: Record<string, string> = { '@tensorflow/tfjs-core': tf.version_core };
  for (const module of modules) {
    for (const candidate of [module, (module as { default?: unknown } | null)?.default]) {
      if (candidate === null || typeof candidate !== 'object') continue;
      for (const [exportName, packageName] of versionExports) {
        if (!(exportName in candidate)) continue;
        const version = (candidate as Record<string, unknown>)[exportName];
        if (typeof version === 'string') installed[packageName] ??= version;
      }
    }
  }
  return installed;
}

let warned = false;

/**
 * Reads the installed versions of @tensorflow/tfjs-core and of the given loaded backend package
 * modules (their `version_cpu`, `version_wasm`, ... exports), decides whether they are verified,
 * and warns when they are not: one line, the first time only in a process.
 */
export function checkTfjsVersions(backendModules: readonly unknown[] = []): TfjsVersionCheck {
  const check = decideTfjsVersions(readTfjsVersions(backendModules));
  if (!check.verified && !warned) {
    warned = true;
    console.warn(describeUnverifiedTfjs(check));
  }
  return check;
}

let coreVerified: boolean | undefined;

/** Whether the installed tfjs-core is verified (decided once per process): gates the engine members. */
export function isTfjsCoreVerified(): boolean {
  coreVerified ??= checkTfjsVersions().verified;
  return coreVerified;
}
