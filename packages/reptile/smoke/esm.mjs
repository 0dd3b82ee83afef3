// Plain-node check of the built ESM entry point (run by scripts/check-built-packages.mjs).
import { createMlp, createRng, useBackend } from '@metarl/core';
import { createInnerBatches, createSupervisedReptile, disposeTaskExamples } from '@metarl/reptile';

await useBackend('cpu');
const model = createMlp({ inputSize: 1, hiddenSizes: [8], outputSize: 1, activation: 'tanh' });
const reptile = createSupervisedReptile({
  model,
  loss: 'mean-squared-error',
  innerOptimizer: 'sgd',
  innerStepSize: 0.02,
  innerSteps: 2,
});
const before = Array.from(reptile.parameters().output.bias.dataSync());
const inputs = Float32Array.from({ length: 20 }, (_v, i) => i / 4 - 2.5);
const targets = inputs.map((x) => Math.sin(x));
const innerBatches = createInnerBatches(
  { tasks: 2, inputs, targets, inputSize: 1 },
  { batchSize: 5, steps: 2 },
  createRng(0),
);
const { step } = reptile.metaTrainStep({ innerBatches });
disposeTaskExamples(innerBatches);
const after = Array.from(reptile.parameters().output.bias.dataSync());
if (step !== 1 || after.every((v, i) => v === before[i]))
  throw new Error('esm: the Reptile step changed nothing');
reptile.dispose();
console.log('@metarl/reptile ESM: one supervised Reptile step on 2 sine tasks moved the initialisation');
