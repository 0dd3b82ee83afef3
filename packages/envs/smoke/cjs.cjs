// Plain-node check of the built CommonJS entry points (run by scripts/check-built-packages.mjs).
const { banditDistribution, createUcb1BanditAgent, playBanditTrials, summarise } = require('@metarl/envs');
const { checkEnv } = require('@metarl/envs/testing');
const { loadImageFolderDataset } = require('@metarl/envs/node');
const {
  createRng,
  createSyntheticFewShotDataset,
  nearestNeighbourAccuracy,
  sampleFewShotEpisodes,
  sampleSinusoidTasks,
} = require('@metarl/envs');

const bandits = banditDistribution({ arms: 5 });
const tasks = bandits.sampleTasks(200, { seed: 3 });
const { mean } = summarise(playBanditTrials(createUcb1BanditAgent(), tasks, { pulls: 10, seed: 1 }));
if (!(mean > 5.5)) throw new Error(`cjs: UCB1 scored ${mean}`);
checkEnv(() => bandits.makeEnv(tasks[0]));
const episodes = sampleFewShotEpisodes(
  createSyntheticFewShotDataset({ classCount: 50, inputSize: 50, seed: 1 }),
  { episodes: 20, ways: 5, shots: 1, queries: 1 },
  createRng(0),
);
const accuracy = nearestNeighbourAccuracy(episodes);
if (!(accuracy > 0.5)) throw new Error(`cjs: 1-NN accuracy ${accuracy}`);
if (typeof loadImageFolderDataset !== 'function')
  throw new Error('cjs: @metarl/envs/node lacks loadImageFolderDataset');
if (sampleSinusoidTasks(1, { seed: 7 })[0].amplitude !== 1.5820864554525487)
  throw new Error('cjs: sinusoid draws changed');
console.log(
  `@metarl/envs CJS: UCB1 on 200 bandit trials scores ${mean.toFixed(2)}; checkEnv passed; 1-NN on 5-way 1-shot ${accuracy.toFixed(2)}`,
);
