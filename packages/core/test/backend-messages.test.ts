// The messages of item "backends that explain themselves": each test fails if its message changes
// or disappears. The first tests run before any backend is selected in this process (vitest runs
// a file's tests in order, each file in its own process).
import { makeTaskDistribution } from '@metarl/envs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { installAdvice, tensorflowBackend } from '../src/backend/builtin-backends';
import {
  BackendUnavailableError,
  createGaussianMlpPolicy,
  createRng,
  registerBackend,
  requireBackend,
  tf,
  trainTrpo,
  useBackend,
} from '../src/index';

const NO_BACKEND = "no tensor backend is active: call await useBackend('cpu' | 'wasm' | 'auto') before";

describe('before any useBackend', () => {
  it('tfjs alone would say "No backend found in registry."', () => {
    expect(() => tf.zeros([1])).toThrow('No backend found in registry.');
  });

  it('parameter initialisation says what to call', () => {
    const policy = createGaussianMlpPolicy({ observationSize: 2, actionSize: 2, hiddenSizes: [4] });
    expect(() => policy.init(createRng(0))).toThrow(BackendUnavailableError);
    expect(() => policy.init(createRng(0))).toThrow(
      `${NO_BACKEND} creating parameters (e.g. policy.init or creating a learner)`,
    );
  });

  it('the single-task loops say what to call', () => {
    const policy = createGaussianMlpPolicy({ observationSize: 2, actionSize: 2, hiddenSizes: [4] });
    const distribution = makeTaskDistribution('Navigation2D-v1');
    const options = {
      distribution,
      task: distribution.defaultTask(),
      policy,
      environments: 1,
      iterations: 1,
      seed: 0,
    };
    expect(() => trainTrpo(options)).toThrow(`${NO_BACKEND} trainTrpo`);
  });

  it('requireBackend names the caller given', () => {
    expect(() => requireBackend('my-entry-point')).toThrow(`${NO_BACKEND} my-entry-point`);
  });
});

describe('native backends', () => {
  afterEach(() => {
    registerBackend(tensorflowBackend);
    vi.restoreAllMocks();
  });

  it('the install advice works in a pnpm workspace and names pnpm 10 build approval', () => {
    expect(installAdvice('@tensorflow/tfjs-node@4.22.0', '@tensorflow/tfjs-node')).toBe(
      "npm i @tensorflow/tfjs-node@4.22.0; in a pnpm workspace: pnpm add @tensorflow/tfjs-node@4.22.0 --filter <your-package> (or -w at the root); pnpm 10 skips @tensorflow/tfjs-node's build script unless allowed: run pnpm approve-builds, or list @tensorflow/tfjs-node under onlyBuiltDependencies in pnpm-workspace.yaml, then reinstall",
    );
  });

  it('a missing native package gives the npm and the pnpm commands', async () => {
    await expect(useBackend('tensorflow')).rejects.toThrow(
      "backend 'tensorflow' needs @tensorflow/tfjs-node: npm i @tensorflow/tfjs-node@4.22.0; in a pnpm workspace: pnpm add @tensorflow/tfjs-node@4.22.0 --filter <your-package> (or -w at the root); pnpm 10 skips",
    );
    await expect(useBackend('tensorflow-gpu')).rejects.toThrow(
      /pnpm add @tensorflow\/tfjs-node-gpu@4\.22\.0 --filter <your-package>.*pnpm approve-builds.*onlyBuiltDependencies.*\(it needs CUDA/,
    );
  });

  it("'auto' without native packages reports the fallback in fallbackReason, without a warning", async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const info = await useBackend('auto');
    expect(info.name).toBe('wasm');
    expect(info.fallbackReason).toMatch(
      /^useBackend\('auto'\) fell back to 'wasm': tensorflow-gpu: backend 'tensorflow-gpu' needs @tensorflow\/tfjs-node-gpu: .*; tensorflow: backend 'tensorflow' needs @tensorflow\/tfjs-node: /,
    );
    expect(info.skipped.map((s) => s.installed)).toEqual([false, false, false]);
    expect(warn).not.toHaveBeenCalled();
  });

  it('an installed native backend whose build script never ran says so, and auto warns once', async () => {
    const binding = '/app/node_modules/@tensorflow/tfjs-node/lib/napi-v8/tfjs_binding.node';
    registerBackend({
      ...tensorflowBackend,
      load: () =>
        Promise.reject(
          Object.assign(new Error(`Cannot find module '${binding}'`), { code: 'MODULE_NOT_FOUND' }),
        ),
    });
    await expect(useBackend('tensorflow')).rejects.toThrow(
      `backend 'tensorflow' is installed but incomplete (Cannot find module '${binding}'): its build script did not run (pnpm 10 skips dependencies' build scripts unless allowed: run pnpm approve-builds, or list @tensorflow/tfjs-node under onlyBuiltDependencies in pnpm-workspace.yaml, then reinstall); to install: npm i @tensorflow/tfjs-node@4.22.0;`,
    );
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const first = await useBackend('auto');
    const second = await useBackend('auto');
    expect(first.skipped.find((s) => s.name === 'tensorflow')?.installed).toBe(true);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![0]).toBe(`metarl: ${first.fallbackReason}`);
    expect(first.fallbackReason).toMatch(
      /fell back to 'wasm': .*tensorflow: backend 'tensorflow' is installed but incomplete/,
    );
    expect(second.fallbackReason).toBe(first.fallbackReason);
  });
});
