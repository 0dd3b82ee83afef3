// Plain-node check of the built CommonJS entry points (run by scripts/check-built-packages.mjs).
const { banditDistribution, createUcb1BanditAgent, playBanditTrials, summarise } = require('@metarl/envs');
const { checkEnv } = require('@metarl/envs/testing');

const bandits = banditDistribution({ arms: 5 });
const tasks = bandits.sampleTasks(200, { seed: 3 });
const { mean } = summarise(playBanditTrials(createUcb1BanditAgent(), tasks, { pulls: 10, seed: 1 }));
if (!(mean > 5.5)) throw new Error(`cjs: UCB1 scored ${mean}`);
checkEnv(() => bandits.makeEnv(tasks[0]));
console.log(`@metarl/envs CJS: UCB1 on 200 bandit trials scores ${mean.toFixed(2)}; checkEnv passed`);
