import { beforeAll, describe, expect, it } from 'vitest';
import { registerExactGradients, tf, useBackend } from '../src/index';
import { checkMamlMetaGradient, formatConformanceReport, runConformanceSuite } from '../src/testing/index';

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`conformance on ${backend}`, () => {
    beforeAll(async () => {
      await useBackend(backend);
    });

    it('every op, the MAML meta-gradient and the Hessian-vector product match float64 finite differences', async () => {
      const report = await runConformanceSuite();
      console.log(formatConformanceReport(report));
      expect(report.backend).toBe(backend);
      const failures = report.results.filter((r) => !r.passed);
      expect(failures).toEqual([]);
      const maml = report.results.find((r) => r.name.startsWith('MAML'))!;
      expect(maml.relativeError).toBeLessThan(1e-4);
    }, 120_000);
  });
}

describe('the conformance checks can fail', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it("detects tfjs's output-reusing tanh gradient in the MAML meta-gradient (the 4.22 bug)", async () => {
    // tfjs 4.22's definition: save the op's output y and return dy * (1 - y^2).
    tf.registerGradient({
      kernelName: 'Tanh',
      outputsToSave: [true],
      gradFunc: (dy, saved) => {
        const [y] = saved as [tf.Tensor];
        return { x: () => tf.mul(dy as tf.Tensor, tf.sub(tf.scalar(1), tf.square(y))) };
      },
    });
    try {
      const broken = await checkMamlMetaGradient();
      expect(broken.passed).toBe(false);
      expect(broken.relativeError).toBeGreaterThan(1e-2);
    } finally {
      registerExactGradients();
    }
    expect((await checkMamlMetaGradient()).passed).toBe(true);
  });
});
