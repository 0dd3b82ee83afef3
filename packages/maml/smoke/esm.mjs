// Plain-node check of the built ESM entry point (run by scripts/check-built-packages.mjs).
import { createRng, useBackend } from '@metarl/core';
import { createSupervisedMaml } from '@metarl/maml';

await useBackend('cpu');
const maml = createSupervisedMaml({ metaBatchSize: 4, shots: 5 });
const { lossBefore, lossAfter } = maml.metaTrainStep(createRng(0));
if (!Number.isFinite(lossBefore) || !Number.isFinite(lossAfter))
  throw new Error('esm: non-finite MAML losses');
maml.dispose();
console.log(
  `@metarl/maml ESM: one second-order meta-step, query loss ${lossBefore.toFixed(2)} -> ${lossAfter.toFixed(2)} after adaptation`,
);
