import * as tf from '@tensorflow/tfjs-core';
import {
  defaultNativeMode,
  loadNativeKernels,
  type NativeKernelsLike,
} from '../tfjs-internals/native-kernels';
import { selectWasmKernels } from '../tfjs-internals/wasm-kernels';
import { initialiseWasmBackend, wasmThreads } from '../tfjs-internals/wasm-threads';
import type { BackendCapabilities, BackendRegistration } from './backend-registry';
import { BackendUnavailableError } from './backend-unavailable-error';

/**
 * The install advice for an optional peer: npm's command, pnpm's (a bare `npm i` fails inside a
 * pnpm workspace) and pnpm 10's rule that a dependency's build script runs only when allowed.
 */
export function installAdvice(specifier: string, packageName: string): string {
  return (
    `npm i ${specifier}; in a pnpm workspace: pnpm add ${specifier} --filter <your-package> ` +
    `(or -w at the root); pnpm 10 skips ${packageName}'s build script unless allowed: run ` +
    `pnpm approve-builds, or list ${packageName} under onlyBuiltDependencies in pnpm-workspace.yaml, then reinstall`
  );
}

/** Imports an optional peer by name (kept out of type checking and bundling). */
function importOptional(name: string): Promise<unknown> {
  return import(/* @vite-ignore */ name);
}

const verified: BackendCapabilities = { floatPrecision: 32, secondOrderVerified: true, gpu: false };

/** The native kernels under the wasm backend since the last `useBackend('wasm')`, or why there are none. */
let native: { kernels?: NativeKernelsLike; unavailable?: string } = {};

/** The native kernels when the active backend is wasm and runs on them; undefined otherwise. */
export function activeNativeKernels(): NativeKernelsLike | undefined {
  return tf.getBackend() === 'wasm' ? native.kernels : undefined;
}

/**
 * WebAssembly with SIMD: the embedded default, several times faster than `cpu` from batch 32 up;
 * in Node with @metarl/native installed, its hot kernels run natively (`native` option).
 */
export const wasmBackend: BackendRegistration = {
  name: 'wasm',
  tfjsName: 'wasm',
  priority: 200,
  packages: ['@tensorflow/tfjs-backend-wasm'],
  install: 'npm i @tensorflow/tfjs-backend-wasm@4.22.0',
  description: 'WebAssembly (SIMD) kernels; shipped with @metarl/core; native kernels with @metarl/native',
  capabilities: verified,
  load: () => import('@tensorflow/tfjs-backend-wasm'),
  // On an unverified tfjs the thread bridge, the native kernels and the replaced kernels step
  // aside (tfjs-version-gate.ts). With native kernels, `threads` is theirs and wasm runs one.
  async initialise(options, tfjs) {
    const mode = options.native ?? defaultNativeMode();
    const optimised = options.optimisedKernels ?? true;
    native = optimised
      ? await loadNativeKernels(mode, tfjs.verified)
      : { unavailable: "optimisedKernels: false keeps tfjs's own kernels" };
    if (mode === 'on' && native.kernels === undefined)
      throw new BackendUnavailableError(`useBackend('wasm', { native: 'on' }): ${native.unavailable}`);
    const ok = await initialiseWasmBackend(native.kernels ? undefined : options.threads, tfjs.verified);
    native.kernels?.setThreads(options.threads ?? 1);
    return ok;
  },
  afterInitialise: (options, tfjs) =>
    selectWasmKernels((options.optimisedKernels ?? true) && tfjs.verified, native.kernels),
  threads: () => native.kernels?.threads() ?? wasmThreads() ?? 1,
  native: () =>
    native.kernels
      ? {
          info: {
            isa: native.kernels.isa(),
            threads: native.kernels.threads(),
            version: native.kernels.version,
          },
        }
      : { unavailable: native.unavailable },
};

/** Plain JavaScript kernels: every kernel exists here; the reference for exactness and determinism. */
export const cpuBackend: BackendRegistration = {
  name: 'cpu',
  tfjsName: 'cpu',
  priority: 100,
  packages: ['@tensorflow/tfjs-backend-cpu'],
  install: 'npm i @tensorflow/tfjs-backend-cpu@4.22.0',
  description: 'JavaScript kernels; shipped with @metarl/core; the reference backend',
  capabilities: verified,
  load: () => import('@tensorflow/tfjs-backend-cpu'),
};

/** Native libtensorflow on the CPU (optional peer). */
export const tensorflowBackend: BackendRegistration = {
  name: 'tensorflow',
  tfjsName: 'tensorflow',
  priority: 400,
  packages: ['@tensorflow/tfjs-node'],
  install: installAdvice('@tensorflow/tfjs-node@4.22.0', '@tensorflow/tfjs-node'),
  description: 'native libtensorflow (CPU); optional peer @tensorflow/tfjs-node',
  capabilities: { floatPrecision: 32, secondOrderVerified: false, gpu: false },
  load: () => importOptional('@tensorflow/tfjs-node'),
};

/** Native libtensorflow with CUDA (optional peer): the GPU path in Node. */
export const tensorflowGpuBackend: BackendRegistration = {
  name: 'tensorflow-gpu',
  tfjsName: 'tensorflow',
  priority: 500,
  packages: ['@tensorflow/tfjs-node-gpu'],
  install: `${installAdvice('@tensorflow/tfjs-node-gpu@4.22.0', '@tensorflow/tfjs-node-gpu')} (it needs CUDA; see the @metarl/core README)`,
  description: 'native libtensorflow with CUDA; optional peer @tensorflow/tfjs-node-gpu',
  capabilities: { floatPrecision: 32, secondOrderVerified: false, gpu: true },
  load: () => importOptional('@tensorflow/tfjs-node-gpu'),
};

interface NavigatorWithGpu {
  gpu?: unknown;
}

function navigatorGpu(): unknown {
  return (globalThis as { navigator?: NavigatorWithGpu }).navigator?.gpu;
}

/**
 * WebGPU (optional peer). In a browser it uses `navigator.gpu`; in Node, install the `webgpu`
 * package (Dawn) and it is wired in here. Not picked by `auto` unless `navigator.gpu` exists.
 * Second order is verified in CI on Mesa's lavapipe (scripts/conformance-webgpu.sh). Read
 * results with `await tensor.data()`: this backend cannot read synchronously in Node.
 */
export const webgpuBackend: BackendRegistration = {
  name: 'webgpu',
  tfjsName: 'webgpu',
  priority: 300,
  packages: ['@tensorflow/tfjs-backend-webgpu', 'webgpu'],
  install: 'npm i @tensorflow/tfjs-backend-webgpu@4.22.0 webgpu (in Node; in a browser only the first)',
  description: 'WebGPU; optional peers @tensorflow/tfjs-backend-webgpu (+ webgpu in Node)',
  capabilities: { floatPrecision: 32, secondOrderVerified: true, gpu: true },
  isCandidateForAuto: () => navigatorGpu() !== undefined,
  async load() {
    if (navigatorGpu() === undefined) {
      const dawn = (await importOptional('webgpu')) as {
        create(options: string[]): unknown;
        globals?: Record<string, unknown>;
      };
      if (dawn.globals) Object.assign(globalThis, dawn.globals);
      const holder = globalThis as { navigator?: NavigatorWithGpu };
      if (holder.navigator === undefined) {
        Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
      }
      (holder.navigator as NavigatorWithGpu).gpu = dawn.create([]);
    }
    return importOptional('@tensorflow/tfjs-backend-webgpu');
  },
};

/** The built-in registrations, in the order `listBackends` shows them. */
export const builtinBackends: readonly BackendRegistration[] = [
  tensorflowGpuBackend,
  tensorflowBackend,
  webgpuBackend,
  wasmBackend,
  cpuBackend,
];
