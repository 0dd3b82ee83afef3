import { createRng, useBackend } from '@metarl/core';
import { createSupervisedMaml, sampleSinusoidTasks } from '@metarl/maml';

await useBackend();
const maml = createSupervisedMaml({ shots: 5, metaBatchSize: 10, outerLearningRate: 0.005 });
const rng = createRng(1);
for (let iteration = 0; iteration < 300; iteration += 1) maml.metaTrainStep(rng);

// Mean squared error on 100 new sinusoids after 0, 1 and 10 gradient steps on 5 examples each.
const report = maml.evaluate(sampleSinusoidTasks(100, { seed: 7 }), { shots: 5, reportSteps: [0, 1, 10], seed: 8 });
for (const { steps, meanSquaredError } of report) console.log(`${steps} steps: ${meanSquaredError.toFixed(2)}`);
maml.dispose();
