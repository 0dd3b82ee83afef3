// Plain-node check of the built ESM entry point (run by scripts/check-built-packages.mjs).
import { createRng, useBackend } from '@metarl/core';
import { banditDistribution } from '@metarl/envs';
import {
  createMannNetwork,
  createOneShotLearner,
  createSnail,
  sampleSyntheticEpisodes,
} from '@metarl/memory-augmented';

await useBackend('cpu');
const distribution = banditDistribution({ arms: 3 });
const snail = createSnail({ distribution, episodesPerTrial: 4, featureSize: 4 });
const metrics = await snail.metaTrainStep(distribution.sampleTasks(8, { seed: 1 }), createRng(0));
if (!Number.isFinite(metrics['metaTrain/returnPerTrial']) || !Number.isFinite(metrics['ppo/policyLoss']))
  throw new Error('esm: non-finite SNAIL metrics');
snail.dispose();
const model = createMannNetwork({
  inputSize: 7,
  outputSize: 2,
  controllerSize: 4,
  memorySlots: 4,
  memoryWidth: 3,
  heads: 1,
});
const learner = createOneShotLearner({ model });
const episodes = { classes: 2, instancesPerClass: 2, dimension: 5, sigma: 0.5 };
const loss = learner.trainStep(sampleSyntheticEpisodes(2, createRng(1), episodes));
if (!Number.isFinite(loss)) throw new Error('esm: non-finite MANN loss');
learner.dispose();
console.log(
  `@metarl/memory-augmented ESM: one SNAIL PPO update on 8 trials (return per trial ${metrics['metaTrain/returnPerTrial'].toFixed(2)}), one MANN one-shot step (loss ${loss.toFixed(3)})`,
);
