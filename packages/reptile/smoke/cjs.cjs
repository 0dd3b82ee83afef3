// Plain-node check of the built CommonJS entry point (run by scripts/check-built-packages.mjs).
const { createGaussianMlpPolicy, createRng, useBackend } = require('@metarl/core');
const { makeTaskDistribution } = require('@metarl/envs');
const { createReptile } = require('@metarl/reptile');

(async () => {
  await useBackend('wasm');
  const distribution = makeTaskDistribution('Navigation2D-v1');
  const policy = createGaussianMlpPolicy({ observationSize: 2, actionSize: 2, hiddenSizes: [8] });
  const reptile = createReptile({ distribution, policy, episodesPerTask: 2, innerSteps: 2 });
  const metrics = await reptile.metaTrainStep(distribution.sampleTasks(3, { seed: 1 }), createRng(0));
  if (!Number.isFinite(metrics['metaTrain/returnBefore'])) throw new Error('cjs: bad Reptile metrics');
  reptile.dispose();
  console.log(
    `@metarl/reptile CJS: one RL Reptile step on Navigation2D (return ${metrics['metaTrain/returnBefore'].toFixed(1)})`,
  );
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
