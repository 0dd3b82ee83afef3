/**
 * Multithreaded matrix products for the `wasm` backend in Node.
 *
 * tfjs-backend-wasm ships a threaded build (XNNPACK on a pool of pthreads, i.e. Web Workers) but
 * turns it off in Node (tensorflow/tfjs#3830): it hands the workers their scripts as Blob URLs,
 * which Node's worker_threads cannot load, and it caps the thread count at half the logical
 * cores (one thread on a 2-core machine). On the verified tfjs (`tfjs-version-gate.ts`) we bridge
 * both while the backend initialises: the two scripts become files (named by content, written atomically,
 * shared by every process), their URLs become those paths, and the core count is reported so
 * that the requested number of threads is granted. The pool's workers are then unreferenced so
 * that they do not keep the process alive. Matrix products run on all threads (2x on 2 cores
 * for a [1024, 1024] product, 1.25-1.6x for [40000, 64] x [64, 64]); elementwise kernels stay
 * on one. Results are unchanged: XNNPACK splits products by output tiles, so every sum is taken
 * in the same order. On an unverified tfjs the bridge steps aside: tfjs's own initialisation, one
 * thread in Node.
 */
import * as tf from '@tensorflow/tfjs-core';
import { VERIFIED_TFJS_VERSION } from './tfjs-version-gate';
/** The threaded build pre-creates this many workers; more threads are not granted. */
export const MAXIMUM_WASM_THREADS = 8;

interface WasmPackage {
  setThreadsCount(count: number): void;
  getThreadsCount(): number;
}

interface EmscriptenWorker {
  unref(): void;
}

interface ThreadedModule {
  PThread?: { runningWorkers: EmscriptenWorker[]; unusedWorkers: EmscriptenWorker[] };
}

const isNode = typeof process === 'object' && typeof process.versions?.node === 'string';

/**
 * The default thread count: 1. Measured on 2 cores (MAML-TRPO on Navigation2D): 2 threads make
 * the large batched products of a Fisher-vector product 1.25x faster but per-step sampling (many
 * small products, each now dispatched to the pool) 2x slower, for no net gain per iteration.
 */
export const DEFAULT_WASM_THREADS = 1;

let grantedThreads: number | undefined;

/** The wasm backend's thread count once it has initialised in this process. */
export function wasmThreads(): number | undefined {
  return grantedThreads;
}

/** Checks a requested thread count (`useBackend`'s `threads`). */
export function assertThreadCount(threads: unknown): asserts threads is number {
  if (!Number.isInteger(threads) || (threads as number) < 1 || (threads as number) > MAXIMUM_WASM_THREADS)
    throw new RangeError(
      `useBackend: threads must be an integer from 1 to ${MAXIMUM_WASM_THREADS}, got ${String(threads)}`,
    );
}

/**
 * Imports a Node built-in by a computed name. Only reached in Node; a browser bundler leaves it
 * alone, whereas a literal `import('node:fs')` would fail the bundle (core's main entry must
 * bundle for the browser without Node built-ins: test/browser-bundle.test.ts in @metarl/rl2).
 */
function importNodeBuiltin<Module>(name: 'fs' | 'os' | 'path'): Promise<{ default: Module }> {
  const specifier = `node:${name}`;
  return import(/* @vite-ignore */ specifier);
}

/** Writes `text` to `file` unless the file already holds it, atomically (write, then rename). */
function writeFileOnce(fs: typeof import('node:fs'), file: string, text: string): void {
  if (fs.existsSync(file) && fs.readFileSync(file, 'utf8') === text) return;
  const partial = `${file}.${process.pid}.${Date.now()}.partial`;
  fs.writeFileSync(partial, text);
  fs.renameSync(partial, file);
}

function hashOf(text: string): string {
  // FNV-1a, 32 bits: names files by content; collisions only cost a rewrite (contents are compared).
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}

/**
 * Initialises tfjs's wasm backend with `requested` threads (default `DEFAULT_WASM_THREADS`; see
 * the module comment) and returns whether it initialised. Outside Node, with one thread, or when
 * `bridge` is false (an unverified tfjs: one thread in Node), this is `tf.setBackend('wasm')`. Once
 * initialised, the count is fixed for the process: asking for another one is an error, asking for
 * none reuses it.
 */
export async function initialiseWasmBackend(
  requested: number | undefined,
  bridge: boolean,
): Promise<boolean> {
  if (!isNode) return initialise(requested, bridge);
  // Emscripten's runtime adds process listeners that rethrow every uncaught error from inside
  // the module, so Node would print a line of minified tfjs code instead of the error's own
  // place; they do nothing else for a library, so they are removed again.
  const events: string[] = ['uncaughtException', 'unhandledRejection'];
  const listeners = (event: string) => process.listeners(event as 'uncaughtException') as unknown[];
  const before = events.map(listeners);
  try {
    return await initialise(requested, bridge);
  } finally {
    events.forEach((event, i) => {
      for (const listener of listeners(event))
        if (!before[i]!.includes(listener))
          process.removeListener(event as 'uncaughtException', listener as NodeJS.UncaughtExceptionListener);
    });
  }
}

async function initialise(requested: number | undefined, bridge: boolean): Promise<boolean> {
  const wasm = (await import('@tensorflow/tfjs-backend-wasm')) as unknown as WasmPackage;
  const alreadyInitialised = tf.engine().registry.wasm !== undefined;
  if (alreadyInitialised) {
    const running = wasm.getThreadsCount();
    if (requested !== undefined && running !== requested)
      throw new RangeError(
        `useBackend: the wasm backend already runs ${running} thread(s) in this process and cannot change to ${requested} (threads is fixed when it first initialises)`,
      );
    return tf.setBackend('wasm');
  }
  const threads = requested ?? DEFAULT_WASM_THREADS;
  if (threads === 1 || !isNode || !bridge) {
    // Browsers: tfjs grants threads where it can. Node without the bridge: tfjs runs one.
    if (threads !== 1 && !isNode) wasm.setThreadsCount(threads);
    const ok = await tf.setBackend('wasm');
    if (ok) grantedThreads = wasm.getThreadsCount();
    return ok;
  }
  // The modules' own objects (not namespaces): tfjs reads os.cpus from the same object.
  const os = (await importNodeBuiltin<typeof import('node:os')>('os')).default;
  const path = (await importNodeBuiltin<typeof import('node:path')>('path')).default;
  const fs = (await importNodeBuiltin<typeof import('node:fs')>('fs')).default;
  const directory = path.join(os.tmpdir(), `metarl-tfjs-wasm-${VERIFIED_TFJS_VERSION}`);
  fs.mkdirSync(directory, { recursive: true });

  // The worker script runs the main script with a global eval; give it the module names the
  // bundle's factory refers to, and resolve its Blob URL to the main script's file. Both files are
  // written synchronously: workers load them during initialisation.
  let mainScript: string | undefined;
  const RealBlob = globalThis.Blob;
  const realCreateObjectUrl = URL.createObjectURL;
  const realCpus = os.cpus;
  class FileBlob extends RealBlob {
    /** The file holding this blob's text (set for the two scripts tfjs creates). */
    file: string | undefined;
    constructor(
      parts: ConstructorParameters<typeof Blob>[0],
      options?: ConstructorParameters<typeof Blob>[1],
    ) {
      super(parts, options);
      const text = parts?.every((p) => typeof p === 'string') ? parts.join('') : '';
      if (text.startsWith('var WasmBackendModuleThreadedSimd')) {
        this.file = path.join(directory, `main-${hashOf(text)}.js`);
        mainScript = this.file;
        writeFileOnce(fs, this.file, text);
      } else if (text.startsWith('"use strict";var Module={}')) {
        if (mainScript === undefined)
          throw new Error('wasm threads: the worker script came before the main script');
        const prelude = [
          "globalThis.require$$0=require('fs');",
          "globalThis.require$$1=require('path');",
          "globalThis.require$$3=require('perf_hooks');",
          "globalThis.require$$4=require('os');",
          'globalThis.commonjsGlobal=globalThis;',
          `globalThis._scriptDir=${JSON.stringify(mainScript)};`,
          `URL.createObjectURL=()=>${JSON.stringify(mainScript)};`,
          'URL.revokeObjectURL=()=>{};\n',
        ].join('');
        const worker = prelude + text;
        this.file = path.join(directory, `worker-${hashOf(worker)}.js`);
        writeFileOnce(fs, this.file, worker);
      }
    }
  }
  // tfjs halves the logical core count (assuming two hyperthreads per core) and caps at that.
  const fakeCpus = () => {
    const cpus = realCpus();
    return Array.from({ length: 2 * threads }, (_, i) => cpus[i % cpus.length]!);
  };
  const tfEnvironment = tf.env();
  globalThis.Blob = FileBlob as typeof Blob;
  URL.createObjectURL = (blob: Parameters<typeof URL.createObjectURL>[0]) =>
    blob instanceof FileBlob && blob.file !== undefined ? blob.file : realCreateObjectUrl(blob);
  os.cpus = fakeCpus;
  tfEnvironment.set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  wasm.setThreadsCount(threads);
  let ok: boolean;
  try {
    ok = await tf.setBackend('wasm');
  } finally {
    globalThis.Blob = RealBlob;
    URL.createObjectURL = realCreateObjectUrl;
    os.cpus = realCpus;
  }
  if (!ok) return false;
  const module = (tf.backend() as unknown as { wasm: ThreadedModule }).wasm;
  for (const worker of [...(module.PThread?.runningWorkers ?? []), ...(module.PThread?.unusedWorkers ?? [])])
    worker.unref();
  const granted = wasm.getThreadsCount();
  grantedThreads = granted;
  if (granted !== threads)
    throw new RangeError(`useBackend: asked the wasm backend for ${threads} threads, it runs ${granted}`);
  return true;
}
