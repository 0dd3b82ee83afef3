// Plain-node check of the built ESM entry point (run by scripts/check-built-packages.mjs).
import { createRng, useBackend } from '@metarl/core';
import { banditDistribution } from '@metarl/envs';
import { createRl2 } from '@metarl/rl2';

await useBackend('cpu');
const distribution = banditDistribution({ arms: 3 });
const rl2 = createRl2({ distribution, episodesPerTrial: 4, hiddenSize: 8 });
const metrics = await rl2.metaTrainStep(distribution.sampleTasks(8, { seed: 1 }), createRng(0));
if (!Number.isFinite(metrics['metaTrain/returnPerTrial']) || !Number.isFinite(metrics['ppo/policyLoss']))
  throw new Error('esm: non-finite RL² metrics');
rl2.dispose();
console.log(
  `@metarl/rl2 ESM: one PPO update on 8 trials of 4 pulls (return per trial ${metrics['metaTrain/returnPerTrial'].toFixed(2)})`,
);
