// Plain-node check of the built CommonJS entry point (run by scripts/check-built-packages.mjs).
const { createRng, trialReturns, useBackend } = require('@metarl/core');
const { tabularMdpDistribution } = require('@metarl/envs');
const { createMann } = require('@metarl/memory-augmented');

(async () => {
  await useBackend('wasm');
  const distribution = tabularMdpDistribution();
  const mann = createMann({
    distribution,
    episodesPerTrial: 2,
    controllerSize: 8,
    memorySlots: 4,
    memoryWidth: 4,
    heads: 1,
    outerOptimizer: 'trpo',
  });
  await mann.metaTrainStep(distribution.sampleTasks(4, { seed: 1 }), createRng(0));
  const { perTrial } = trialReturns(
    mann.playTrials(distribution.sampleTasks(4, { seed: 2 }), { seed: 3 }),
    2,
  );
  if (!Number.isFinite(perTrial)) throw new Error('cjs: bad MANN trials');
  mann.dispose();
  console.log(
    `@metarl/memory-augmented CJS: one TRPO update of MANN on tabular MDP trials (return per trial ${perTrial.toFixed(1)})`,
  );
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
