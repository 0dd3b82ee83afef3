// The shared meta-learning loop: train the reference (pretrain + fine-tune) learner on
// Navigation2D, write metrics and a checkpoint (Node: @metarl/core/node), then evaluate
// before/after adaptation on 10 new tasks. Charts of the metrics: @metarl/plot.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGaussianMlpPolicy, evaluateMetaLearner, useBackend } from '@metarl/core';
import { trainMetaLearnerInDirectory } from '@metarl/core/node';
import { createFineTuningLearner } from '@metarl/core/testing';
import { navigation2dDistribution } from '@metarl/envs';

await useBackend('wasm');
const navigation = navigation2dDistribution();
const learner = createFineTuningLearner({
  distribution: navigation,
  policy: createGaussianMlpPolicy({ observationSize: 2, actionSize: 2, hiddenSizes: [32, 32] }),
  seed: 0,
  episodesPerTask: 5,
});
const outputDirectory = mkdtempSync(join(tmpdir(), 'metarl-example-'));
await trainMetaLearnerInDirectory(learner, navigation, {
  iterations: 5,
  metaBatchSize: 10,
  seed: 0,
  outputDirectory,
  progress: 'none',
});
const report = evaluateMetaLearner(learner, navigation, { tasks: 10, episodesPerTask: 5, seed: 1 });
console.log(`wrote metrics.jsonl, metrics.csv and checkpoint/ to ${outputDirectory}`);
for (const step of report.steps) {
  console.log(
    `after ${step.adaptationStep} adaptation step(s): ${step.meanReturn.toFixed(1)} ± ${step.halfWidth95.toFixed(1)}`,
  );
}
learner.dispose();
