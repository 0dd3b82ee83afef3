import { trainMetaLearner, trialReturns, useBackend } from '@metarl/core';
import { banditDistribution, createRandomBanditAgent, playBanditTrials, summarise } from '@metarl/envs';
import { createRl2 } from '@metarl/rl2';

await useBackend();
const distribution = banditDistribution({ arms: 5 });
const rl2 = createRl2({ distribution, episodesPerTrial: 10, hiddenSize: 64 });
await trainMetaLearner(rl2, distribution, { iterations: 25, metaBatchSize: 300, seed: 1, progress: 'none' });

// New tasks: one trial of 10 pulls each, the policy learning each bandit in its hidden state.
const tasks = distribution.sampleTasks(500, { seed: 7 });
const learned = summarise(trialReturns(rl2.playTrials(tasks, { seed: 1 }), 10).totals);
const random = summarise(playBanditTrials(createRandomBanditAgent(), tasks, { pulls: 10, seed: 1 }));
console.log(
  `RL² ${learned.mean.toFixed(2)} ± ${learned.halfWidth95.toFixed(2)} per trial (random ${random.mean.toFixed(2)})`,
);
rl2.dispose();
