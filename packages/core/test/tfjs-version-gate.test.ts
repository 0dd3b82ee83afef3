import type { Scalar, Tensor } from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it, vi } from 'vitest';

// This file's process plays an unverified tfjs-core: the same engine and kernels, another
// `version_core` (tfjs's own packages, loaded outside vitest's module graph, keep the real one).
vi.mock('@tensorflow/tfjs-core', async (importOriginal) => ({
  ...(await importOriginal<typeof import('@tensorflow/tfjs-core')>()),
  version_core: '4.23.0',
}));

const { gradients, tf, useBackend, VERIFIED_TFJS_VERSION } = await import('../src/index');
const { decideTfjsVersions, describeUnverifiedTfjs } = await import(
  '../src/tfjs-internals/tfjs-version-gate'
);
const { canFuseGruSequence } = await import('../src/nn/fused-gru-sequence');

describe('the tfjs version decision (a function of version strings)', () => {
  it('is verified only when every package is exactly the verified release', () => {
    expect(VERIFIED_TFJS_VERSION).toBe('4.22.0');
    const verified = decideTfjsVersions({
      '@tensorflow/tfjs-core': '4.22.0',
      '@tensorflow/tfjs-backend-wasm': '4.22.0',
    });
    expect(verified).toEqual({
      installed: { '@tensorflow/tfjs-core': '4.22.0', '@tensorflow/tfjs-backend-wasm': '4.22.0' },
      verifiedVersion: '4.22.0',
      verified: true,
    });
    for (const [core, wasm] of [
      ['4.23.0', '4.23.0'],
      ['4.22.0', '4.22.1'],
      ['4.22.1', '4.22.0'],
      ['5.0.0', '4.22.0'],
      ['4.22.0-rc.1', '4.22.0'],
    ])
      expect(
        decideTfjsVersions({ '@tensorflow/tfjs-core': core!, '@tensorflow/tfjs-backend-wasm': wasm! })
          .verified,
      ).toBe(false);
    expect(decideTfjsVersions({}).verified).toBe(false);
    expect(decideTfjsVersions({ '@tensorflow/tfjs-core': '4.23.0' }, '4.23.0').verified).toBe(true);
  });

  it('warns in one line naming the installed and the verified versions', () => {
    const line = describeUnverifiedTfjs(
      decideTfjsVersions({ '@tensorflow/tfjs-core': '4.23.0', '@tensorflow/tfjs-backend-cpu': '4.22.0' }),
    );
    expect(line).not.toContain('\n');
    expect(line).toMatch(/^metarl: @tensorflow\/tfjs-core 4\.23\.0 is not the verified 4\.22\.0; /);
    expect(line).not.toContain('tfjs-backend-cpu'); // only what differs
    expect(line).toContain('exact higher-order gradients are unverified');
  });
});

describe('on an unverified tfjs-core (4.23.0 here) the patches step aside', () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  afterAll(() => warn.mockRestore());

  it('useBackend warns once, reports the guarantee unverified, and keeps tfjs-backend-wasm as it is', async () => {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const tfjsKernels = ['BatchMatMul', 'Tanh', 'Identity', 'Slice'].map(
      (name) => tf.getKernel(name, 'wasm')!.kernelFunc,
    );
    const info = await useBackend('wasm', { threads: 2 });
    expect(info.exactGradients).toBe('unverified');
    expect(info.tfjs).toEqual({
      installed: { '@tensorflow/tfjs-core': '4.23.0', '@tensorflow/tfjs-backend-wasm': wasm.version_wasm },
      verifiedVersion: '4.22.0',
      verified: false,
    });
    expect(info.threads).toBe(1); // no thread bridge: tfjs's own one thread in Node
    expect(
      ['BatchMatMul', 'Tanh', 'Identity', 'Slice'].map((name) => tf.getKernel(name, 'wasm')!.kernelFunc),
    ).toEqual(tfjsKernels);
    expect((await useBackend('cpu')).exactGradients).toBe('unverified');
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(
      /^metarl: @tensorflow\/tfjs-core 4\.23\.0 is not the verified 4\.22\.0; [^\n]*$/,
    );
  });

  it('runs the GRU sequence op by op and still differentiates exactly (recomputing from inputs)', async () => {
    await useBackend('cpu');
    let fused: boolean | undefined;
    const xs = [-1.3, 0.4, 1.7];
    const second = gradients(
      (p) => {
        fused = canFuseGruSequence();
        const first = gradients((q) => tf.sum(tf.tanh(q.x as Tensor)) as Scalar, p);
        return tf.sum(first.x as Tensor) as Scalar;
      },
      { x: tf.tensor1d(xs) },
    );
    expect(fused).toBe(false);
    const values = (second.x as Tensor).dataSync();
    xs.forEach((x, i) => {
      const t = Math.tanh(x);
      expect(Math.abs(values[i]! - -2 * t * (1 - t * t))).toBeLessThan(1e-6);
    });
  });
});
