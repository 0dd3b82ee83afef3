// Plain-node check of the built CommonJS entry point (run by scripts/check-built-packages.mjs).
const { createRng, useBackend } = require('@metarl/core');
const { tabularMdpDistribution } = require('@metarl/envs');
const { createRl2, trialReturns } = require('@metarl/rl2');

(async () => {
  await useBackend('wasm');
  const distribution = tabularMdpDistribution();
  const rl2 = createRl2({ distribution, episodesPerTrial: 2, hiddenSize: 8, outerOptimizer: 'trpo' });
  await rl2.metaTrainStep(distribution.sampleTasks(4, { seed: 1 }), createRng(0));
  const { perTrial } = trialReturns(rl2.playTrials(distribution.sampleTasks(4, { seed: 2 }), { seed: 3 }), 2);
  if (!Number.isFinite(perTrial)) throw new Error('cjs: bad RL² trials');
  rl2.dispose();
  console.log(
    `@metarl/rl2 CJS: one TRPO update on tabular MDP trials (return per trial ${perTrial.toFixed(1)})`,
  );
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
