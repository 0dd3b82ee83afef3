import { describe, expect, it } from 'vitest';
import {
  BackendUnavailableError,
  currentBackend,
  GradientError,
  gradients,
  listBackends,
  listExactGradientKernels,
  registerBackend,
  tf,
  useBackend,
} from '../src/index';

describe('backend registry', () => {
  it('lists the built-in backends by priority', () => {
    expect(listBackends().map((b) => b.name)).toEqual([
      'tensorflow-gpu',
      'tensorflow',
      'webgpu',
      'wasm',
      'cpu',
    ]);
  });

  it("'auto' picks the best backend that loads here and says what it skipped", async () => {
    const info = await useBackend('auto');
    // @tensorflow/tfjs-node(-gpu) are optional peers not installed in this workspace.
    expect(info.name).toBe('wasm');
    expect(info.skipped.map((s) => s.name)).toEqual(['tensorflow-gpu', 'tensorflow', 'webgpu']);
    expect(info.skipped[0]!.reason).toMatch(
      /needs @tensorflow\/tfjs-node-gpu: npm i @tensorflow\/tfjs-node-gpu@4\.22\.0/,
    );
    expect(currentBackend()?.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    // The tfjs versions installed here are the verified ones (tfjs-version-gate.test.ts plays another).
    expect(info.exactGradients).toBe('verified');
    expect(info.tfjs).toEqual({
      installed: { '@tensorflow/tfjs-core': '4.22.0', '@tensorflow/tfjs-backend-wasm': '4.22.0' },
      verifiedVersion: '4.22.0',
      verified: true,
    });
  });

  it('names the package to install for a missing optional backend', async () => {
    await expect(useBackend('tensorflow-gpu')).rejects.toThrow(
      "backend 'tensorflow-gpu' needs @tensorflow/tfjs-node-gpu: npm i @tensorflow/tfjs-node-gpu@4.22.0",
    );
    await expect(useBackend('tensorflow')).rejects.toThrow(BackendUnavailableError);
  });

  it('rejects an unknown backend name, listing the known ones', async () => {
    await expect(useBackend('cuda')).rejects.toThrow(
      "useBackend: unknown backend 'cuda'; known backends: tensorflow-gpu, tensorflow, webgpu, wasm, cpu or 'auto'",
    );
  });

  it('accepts new registrations and validates them', async () => {
    registerBackend({
      name: 'cpu-alias',
      tfjsName: 'cpu',
      priority: 1,
      packages: ['@tensorflow/tfjs-backend-cpu'],
      install: 'npm i @tensorflow/tfjs-backend-cpu@4.22.0',
      description: 'the cpu backend under another name',
      capabilities: { floatPrecision: 32, secondOrderVerified: true, gpu: false },
      load: async () => {
        await import('@tensorflow/tfjs-backend-cpu');
      },
    });
    expect((await useBackend('cpu-alias')).tfjsName).toBe('cpu');
    expect(() => registerBackend({ ...listBackends()[0]!, name: '' })).toThrow(
      /name must be a non-empty string/,
    );
  });

  it('explains a kernel without an exact gradient instead of failing deep inside tfjs', async () => {
    await useBackend('cpu');
    expect(listExactGradientKernels()).toContain('Tanh');
    const params = { x: tf.tensor1d([0.5, 1]) };
    expect(() =>
      gradients((p) => tf.sum(tf.atan2(p.x as tf.Tensor, tf.onesLike(p.x as tf.Tensor))), params),
    ).toThrow(GradientError);
    expect(() =>
      gradients((p) => tf.sum(tf.atan2(p.x as tf.Tensor, tf.onesLike(p.x as tf.Tensor))), params),
    ).toThrow(/no exact gradient for the tfjs kernel 'Atan2'/);
  });
});
