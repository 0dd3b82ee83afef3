// Plain-node check of the built CommonJS entry points (run by scripts/check-built-packages.mjs).
const { gradients, tf, useBackend } = require('@metarl/core');
const { checkMamlMetaGradient } = require('@metarl/core/testing');

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
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
