// Plain-node check of the built CommonJS entry points (run by scripts/check-built-packages.mjs).
const { gradients, tf, useBackend } = require('@metarl/core');
const { MetricsLog, readMetrics } = require('@metarl/core/node');
const { checkMamlMetaGradient } = require('@metarl/core/testing');
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

(async () => {
  for (const backend of ['cpu', 'wasm']) {
    await useBackend(backend);
    const params = { x: tf.tensor1d([0.3, -0.7]) };
    const g = gradients((p) => tf.sum(tf.sigmoid(p.x)), params).x.dataSync();
    const s = (v) => 1 / (1 + Math.exp(-v));
    [0.3, -0.7].forEach((v, i) => {
      if (Math.abs(g[i] - s(v) * (1 - s(v))) > 1e-6)
        throw new Error(`cjs ${backend}: wrong gradient ${g[i]}`);
    });
    const maml = await checkMamlMetaGradient();
    if (!maml.passed)
      throw new Error(`cjs ${backend}: MAML meta-gradient relative error ${maml.relativeError}`);
    console.log(
      `@metarl/core CJS on ${backend}: gradient exact; MAML meta-gradient relative error ${maml.relativeError.toExponential(2)}`,
    );
  }
  const directory = mkdtempSync(join(tmpdir(), 'metarl-smoke-'));
  try {
    new MetricsLog(join(directory, 'm.jsonl'), join(directory, 'm.csv')).append({
      iteration: 1,
      loss: Number.NaN,
    });
    const [record] = readMetrics(join(directory, 'm.jsonl'));
    if (record.iteration !== 1 || !Number.isNaN(record.loss))
      throw new Error('cjs: metrics did not round-trip through @metarl/core/node');
    console.log('@metarl/core/node CJS: metrics written and read back');
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
