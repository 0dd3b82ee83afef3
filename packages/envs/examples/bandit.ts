// Bandit-v0: UCB1 against random on 1000 new 5-armed bandits, 10 pulls each (Duan et al. 2016).
import {
  banditDistribution,
  createRandomBanditAgent,
  createUcb1BanditAgent,
  playBanditTrials,
  summarise,
} from '@metarl/envs';

const bandits = banditDistribution({ arms: 5 });
const tasks = bandits.sampleTasks(1000, { seed: 0 });
for (const agent of [createRandomBanditAgent(), createUcb1BanditAgent()]) {
  const { mean, halfWidth95 } = summarise(playBanditTrials(agent, tasks, { pulls: 10, seed: 1 }));
  console.log(`${agent.name}: ${mean.toFixed(2)} ± ${halfWidth95.toFixed(2)} per trial of 10 pulls`);
}
