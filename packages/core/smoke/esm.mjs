// Plain-node check of the built ESM entry points (run by scripts/check-built-packages.mjs).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMlp, createRng, gradients, hessianVectorProduct, tf, useBackend } from '@metarl/core';
import { loadCheckpoint, saveCheckpoint } from '@metarl/core/node';
import { runConformanceSuite } from '@metarl/core/testing';

for (const backend of ['cpu', 'wasm']) {
  await useBackend(backend);
  const params = { x: tf.tensor1d([0.3, -0.7]) };
  const f = (p) => tf.sum(tf.tanh(p.x));
  const g = gradients(f, params).x.dataSync();
  const expected = [0.3, -0.7].map((v) => 1 - Math.tanh(v) ** 2);
  const h = hessianVectorProduct(f, params, { x: tf.ones([2]) }).x.dataSync();
  const expectedH = [0.3, -0.7].map((v) => -2 * Math.tanh(v) * (1 - Math.tanh(v) ** 2));
  for (let i = 0; i < 2; i += 1) {
    if (Math.abs(g[i] - expected[i]) > 1e-6 || Math.abs(h[i] - expectedH[i]) > 1e-6) {
      throw new Error(`esm ${backend}: wrong derivative ${g[i]}, ${h[i]}`);
    }
  }
  const mlp = createMlp({ inputSize: 2, hiddenSizes: [8], outputSize: 1 });
  mlp.init(createRng(0));
  const report = await runConformanceSuite({ filter: 'tanh' });
  if (!report.passed || report.results.length === 0)
    throw new Error(`esm ${backend}: conformance subset failed`);
  console.log(`@metarl/core ESM on ${backend}: gradient and Hessian-vector product of tanh exact`);
}

const directory = mkdtempSync(join(tmpdir(), 'metarl-smoke-'));
try {
  const params = { w: tf.tensor1d([1.5, -2]) };
  await saveCheckpoint(join(directory, 'checkpoint'), {
    kind: 'smoke',
    version: 1,
    config: null,
    params,
    rng: {},
    step: 3,
  });
  const loaded = await loadCheckpoint(join(directory, 'checkpoint'), 'smoke');
  if (loaded.step !== 3 || loaded.params.w.dataSync().join() !== '1.5,-2')
    throw new Error('esm: the checkpoint did not round-trip through @metarl/core/node');
  console.log('@metarl/core/node ESM: checkpoint saved and loaded');
} finally {
  rmSync(directory, { recursive: true, force: true });
}
