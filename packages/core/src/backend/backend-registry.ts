import * as tf from '@tensorflow/tfjs-core';
import { registerExactGradients } from '../tfjs-internals/exact-gradients';
import { assertNativeMode, type NativeInfo, type NativeMode } from '../tfjs-internals/native-kernels';
import { checkTfjsVersions, type TfjsVersionCheck } from '../tfjs-internals/tfjs-version-gate';
import { assertThreadCount } from '../tfjs-internals/wasm-threads';
import { BackendUnavailableError } from './backend-unavailable-error';
import { builtinBackends } from './builtin-backends';

/** What a backend promises; declared by its registration, never discovered by crashing. */
export interface BackendCapabilities {
  /** Bits of floating-point precision its kernels compute in. */
  readonly floatPrecision: 16 | 32;
  /** The conformance suite (`@metarl/core/testing`) runs on it in CI, second order included. */
  readonly secondOrderVerified: boolean;
  /** It computes on a GPU. */
  readonly gpu: boolean;
}

/** A named, prioritised way to run tensors; `useBackend('auto')` picks the best available one. */
export interface BackendRegistration {
  /** The metarl name, e.g. `wasm`. */
  readonly name: string;
  /** The name the backend registers with tfjs, e.g. `wasm` or `tensorflow`. */
  readonly tfjsName: string;
  /** Higher is preferred by `useBackend('auto')`. */
  readonly priority: number;
  /** The npm packages it needs, named in the error when one is missing. */
  readonly packages: readonly string[];
  /** The command that installs them, quoted in that error (e.g. `npm i @tensorflow/tfjs-node@4.22.0`). */
  readonly install: string;
  /** One line for `listBackends()` and error messages. */
  readonly description: string;
  /** Declared capabilities. */
  readonly capabilities: BackendCapabilities;
  /**
   * Loads the packages and registers the tfjs backend; rejects when they are missing. May resolve
   * with the backend package's module, whose `version_*` export the tfjs version check reads.
   */
  load(): Promise<unknown>;
  /** Whether `auto` may consider it in this process (e.g. WebGPU needs `navigator.gpu`). */
  isCandidateForAuto?(): boolean;
  /**
   * Initialises the tfjs backend itself and returns whether it did (default: `tf.setBackend(tfjsName)`);
   * `tfjs` says whether the installed tfjs versions are verified for metarl's patches.
   */
  initialise?(options: UseBackendOptions, tfjs: TfjsVersionCheck): Promise<boolean>;
  /** Runs once the tfjs backend is initialised (e.g. to register faster kernels, on a verified `tfjs` only). */
  afterInitialise?(options: UseBackendOptions, tfjs: TfjsVersionCheck): void;
  /** The threads its kernels run on, where it reports them (wasm). */
  threads?(): number;
  /** The native kernels it runs on, or why none (wasm). */
  native?(): { readonly info?: NativeInfo; readonly unavailable?: string | undefined };
}

/** Options of `useBackend`. */
export interface UseBackendOptions {
  /**
   * Use metarl's faster kernels where it has them (today: the wasm matrix product, 10x faster
   * for transposed and batched operands); default true. False keeps the backend's own.
   */
  readonly optimisedKernels?: boolean;
  /**
   * Threads for the wasm backend's matrix products (1 to 8); default 1. More threads speed up
   * large products (2x for [1024, 1024] on 2 cores) but slow down many small ones (per-step
   * rollouts), so measure your workload; on a shared or busy machine keep 1 (two threads were
   * 4.9-11x slower than one on a busy 2-core machine). Fixed when the wasm backend first initialises in a
   * process; other backends manage their own threads and ignore it.
   */
  readonly threads?: number;
  /**
   * The wasm backend's native kernels (@metarl/native, an optional peer, Node on linux-x64):
   * `'auto'` (default) uses them when the package is installed, its binary loads and tfjs is the
   * verified release, and otherwise keeps plain wasm (`BackendInfo.nativeUnavailable` says why);
   * `'on'` fails with that reason instead; `'off'` never loads them. In Node the environment
   * variable METARL_NATIVE sets the default (e.g. to run a test suite both ways). With native kernels,
   * `threads` sets the threads of their matrix products and wasm runs one.
   */
  readonly native?: NativeMode;
}

/** The backend in use, as reported by `useBackend` and `currentBackend`. */
export interface BackendInfo {
  /** The metarl name. */
  readonly name: string;
  /** The tfjs backend name. */
  readonly tfjsName: string;
  /** Declared capabilities. */
  readonly capabilities: BackendCapabilities;
  /** For `auto`: each backend tried before this one and why it was passed over. */
  readonly skipped: readonly {
    readonly name: string;
    readonly reason: string;
    readonly installed?: boolean;
  }[];
  /** The threads its kernels run on, where the backend reports them (wasm); undefined otherwise. */
  readonly threads: number | undefined;
  /** The native kernels under the wasm backend (@metarl/native): instruction set, threads, version. */
  readonly native?: NativeInfo;
  /** Why the wasm backend runs without native kernels (e.g. `@metarl/native is not installed`). */
  readonly nativeUnavailable?: string;
  /**
   * Whether exact higher-order gradients are verified here: `'verified'` when the backend declares
   * `secondOrderVerified` and the installed tfjs is the release metarl was verified against;
   * `'unverified'` otherwise (run the conformance suite of `@metarl/core/testing` to check).
   */
  readonly exactGradients: 'verified' | 'unverified';
  /** The installed tfjs versions and whether metarl's tfjs patches are active for them. */
  readonly tfjs: TfjsVersionCheck;
  /**
   * For `auto` when it passed over a native backend (`tensorflow-gpu`, `tensorflow`): one line
   * saying which and why (not installed, or installed but failed); undefined otherwise.
   */
  readonly fallbackReason?: string;
}

export { BackendUnavailableError };

const registry = new Map<string, BackendRegistration>(
  builtinBackends.map((backend) => [backend.name, backend]),
);
let active: BackendInfo | undefined;

/** Adds (or replaces) a backend under `registration.name`. */
export function registerBackend(registration: BackendRegistration): void {
  if (
    typeof registration?.name !== 'string' ||
    registration.name.length === 0 ||
    registration.name === 'auto'
  ) {
    throw new TypeError(
      `registerBackend: name must be a non-empty string other than 'auto', got ${String(registration?.name)}`,
    );
  }
  if (!Number.isFinite(registration.priority)) {
    throw new TypeError(
      `registerBackend('${registration.name}'): priority must be a finite number, got ${registration.priority}`,
    );
  }
  registry.set(registration.name, registration);
}

/** Every registered backend, highest priority first. */
export function listBackends(): readonly BackendRegistration[] {
  return [...registry.values()].sort((a, b) => b.priority - a.priority);
}

function isMissingModule(error: unknown, packages: readonly string[]): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return true;
  const message = error instanceof Error ? error.message : String(error);
  return (
    /cannot find (module|package)|could not resolve|failed to resolve/i.test(message) &&
    packages.some((p) => message.includes(p))
  );
}

/**
 * Whether the package itself is absent (the error names it bare), as opposed to a file inside an
 * installed package (e.g. tfjs-node's native binding, missing when its build script never ran).
 */
function isAbsentPackage(error: unknown, packages: readonly string[]): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return packages.some((p) => message.includes(`'${p}'`) || message.includes(`"${p}"`));
}

/** Whether `activate` failed because the package is not installed at all (its error or its cause says so). */
function isAbsent(error: unknown, packages: readonly string[]): boolean {
  const cause = error instanceof BackendUnavailableError ? error.cause : error;
  return isMissingModule(cause, packages) && isAbsentPackage(cause, packages);
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0]! : String(error);
}

async function activate(registration: BackendRegistration, options: UseBackendOptions): Promise<BackendInfo> {
  let loaded: unknown;
  try {
    loaded = await registration.load();
  } catch (error) {
    if (isMissingModule(error, registration.packages) && !isAbsentPackage(error, registration.packages)) {
      throw new BackendUnavailableError(
        `backend '${registration.name}' is installed but incomplete (${describeError(error)}): its ` +
          `build script did not run (pnpm 10 skips dependencies' build scripts unless allowed: run ` +
          `pnpm approve-builds, or list ${registration.packages.join(' and ')} under onlyBuiltDependencies ` +
          `in pnpm-workspace.yaml, then reinstall); to install: ${registration.install}`,
        { cause: error },
      );
    }
    if (isMissingModule(error, registration.packages)) {
      throw new BackendUnavailableError(
        `backend '${registration.name}' needs ${registration.packages.join(' and ')}: ${registration.install}`,
        { cause: error },
      );
    }
    throw new BackendUnavailableError(
      `backend '${registration.name}' failed to load (${describeError(error)}); check that ${registration.packages.join(
        ' and ',
      )} installed completely`,
      { cause: error },
    );
  }
  const tfjs = checkTfjsVersions([loaded]);
  let ok = false;
  try {
    ok = registration.initialise
      ? await registration.initialise(options, tfjs)
      : await tf.setBackend(registration.tfjsName);
    await tf.ready();
  } catch (error) {
    throw new BackendUnavailableError(
      `backend '${registration.name}' could not initialise: ${describeError(error)}`,
      { cause: error },
    );
  }
  if (!ok || tf.getBackend() !== registration.tfjsName) {
    throw new BackendUnavailableError(
      `backend '${registration.name}' could not initialise in this environment`,
    );
  }
  registration.afterInitialise?.(options, tfjs);
  // After loading: a backend package may bring tfjs bundles that register their own gradients.
  registerExactGradients();
  const native = registration.native?.();
  return {
    ...(native?.info ? { native: native.info } : {}),
    ...(native?.unavailable ? { nativeUnavailable: native.unavailable } : {}),
    name: registration.name,
    tfjsName: registration.tfjsName,
    capabilities: registration.capabilities,
    skipped: [],
    threads: registration.threads?.(),
    exactGradients:
      registration.capabilities.secondOrderVerified && tfjs.verified ? 'verified' : 'unverified',
    tfjs,
  };
}

/** A backend `auto` passed over; `installed` is false when its package is simply absent. */
interface SkippedBackend {
  readonly name: string;
  readonly reason: string;
  readonly installed: boolean;
}

/** The native backends, whose absence `auto` reports as a fallback. */
const NATIVE_BACKENDS: readonly string[] = ['tensorflow-gpu', 'tensorflow'];
let fallbackWarned = false;

/**
 * The one-line reason `auto` fell back from a native backend to `chosen`, or undefined when it
 * skipped none. Warns on the console once per process when a native backend is installed but
 * failed (a surprise); a native backend that is simply not installed is the normal case and
 * only reported in `fallbackReason`.
 */
function describeFallback(skipped: readonly SkippedBackend[], chosen: string): string | undefined {
  const native = skipped.filter((s) => NATIVE_BACKENDS.includes(s.name));
  if (native.length === 0) return undefined;
  const reason = `useBackend('auto') fell back to '${chosen}': ${native
    .map((s) => `${s.name}: ${s.reason}`)
    .join('; ')}`;
  if (native.some((s) => s.installed) && !fallbackWarned) {
    fallbackWarned = true;
    console.warn(`metarl: ${reason}`);
  }
  return reason;
}

/**
 * Throws a `BackendUnavailableError` that says what to call when no tensor backend can run
 * (tfjs alone would say "No backend found in registry."); `before` names the caller's action.
 * Core's entry points that create tensors call it first (parameter initialisation, the training
 * loops); call it in your own entry points too.
 */
export function requireBackend(before: string): void {
  if (active !== undefined && tf.getBackend() === active.tfjsName) return;
  try {
    void tf.engine().backend;
  } catch (error) {
    if (/no backend found in registry|could not initialize any backends/i.test(describeError(error))) {
      throw new BackendUnavailableError(
        `no tensor backend is active: call await useBackend('cpu' | 'wasm' | 'auto') before ${before}`,
        { cause: error },
      );
    }
    throw error;
  }
}

/**
 * Selects the tensor backend for everything that follows and registers metarl's exact
 * gradients. `'auto'` (the default) picks the highest-priority backend that loads here:
 * tensorflow-gpu, tensorflow, webgpu (where `navigator.gpu` exists), wasm, cpu. On a tfjs release
 * other than the verified one, metarl's tfjs patches step aside with a one-line warning and
 * `exactGradients` is `'unverified'`.
 *
 * @example
 * const info = await useBackend();        // e.g. { name: 'wasm', ... }
 * await useBackend('cpu');                // the reference backend
 * await useBackend('tensorflow-gpu');     // needs @tensorflow/tfjs-node-gpu and CUDA
 */
export async function useBackend(name = 'auto', options: UseBackendOptions = {}): Promise<BackendInfo> {
  if (options.threads !== undefined) assertThreadCount(options.threads);
  if (options.native !== undefined) assertNativeMode(options.native);
  if (name === 'auto') {
    const skipped: SkippedBackend[] = [];
    for (const registration of listBackends()) {
      if (registration.isCandidateForAuto && !registration.isCandidateForAuto()) {
        skipped.push({
          name: registration.name,
          reason: 'not available in this environment',
          installed: false,
        });
        continue;
      }
      try {
        const info = await activate(registration, options);
        const fallbackReason = describeFallback(skipped, registration.name);
        active = { ...info, skipped, ...(fallbackReason === undefined ? {} : { fallbackReason }) };
        return active;
      } catch (error) {
        skipped.push({
          name: registration.name,
          reason: describeError(error),
          installed: !isAbsent(error, registration.packages),
        });
      }
    }
    throw new BackendUnavailableError(
      `useBackend('auto'): no backend could be loaded: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`,
    );
  }
  const registration = registry.get(name);
  if (registration === undefined) {
    throw new BackendUnavailableError(
      `useBackend: unknown backend '${name}'; known backends: ${listBackends()
        .map((b) => b.name)
        .join(', ')} or 'auto' (add others with registerBackend)`,
    );
  }
  active = await activate(registration, options);
  return active;
}

/** The backend selected by the last `useBackend`, or undefined before the first call. */
export function currentBackend(): BackendInfo | undefined {
  if (active !== undefined && tf.getBackend() !== active.tfjsName) return undefined;
  return active;
}
