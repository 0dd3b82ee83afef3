// Plain-node check of the built CommonJS entry point (run by scripts/check-built-packages.mjs).
const { createRng, useBackend } = require('@metarl/core');
const { createSupervisedMaml, sampleSinusoidTasks } = require('@metarl/maml');

(async () => {
  await useBackend('wasm');
  const maml = createSupervisedMaml({ metaBatchSize: 4, shots: 5, learnInnerStepSizes: true });
  maml.metaTrainStep(createRng(0));
  const [result] = maml.evaluate(sampleSinusoidTasks(10, { seed: 1 }), {
    shots: 5,
    reportSteps: [1],
    seed: 2,
  });
  if (!(result.meanSquaredError > 0)) throw new Error('cjs: bad evaluation');
  maml.dispose();
  console.log(`@metarl/maml CJS: Meta-SGD step and evaluation (MSE ${result.meanSquaredError.toFixed(2)})`);
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
