// TabularMDP-v0: one episode by hand, then PSRL against the oracle over trials of 10 episodes.
import {
  createOracleMdpAgent,
  createPsrlMdpAgent,
  playMdpTrials,
  summarise,
  tabularMdpDistribution,
} from '@metarl/envs';

const mdps = tabularMdpDistribution();
const [task] = mdps.sampleTasks(1, { seed: 0 });
const env = mdps.makeEnv(task!);
let { observation } = env.reset({ seed: 0 });
let total = 0;
for (let step = 0; step < 10; step += 1) {
  const result = env.step(step % 5);
  total += result.reward;
  observation = result.observation;
  if (result.truncated)
    console.log(
      `episode over after ${step + 1} steps in state ${observation.indexOf(1)}: return ${total.toFixed(2)}`,
    );
}
const tasks = mdps.sampleTasks(200, { seed: 1 });
for (const agent of [createPsrlMdpAgent(), createOracleMdpAgent()]) {
  console.log(
    `${agent.name}: ${summarise(playMdpTrials(agent, tasks, { episodes: 10, seed: 2 })).mean.toFixed(1)} per trial`,
  );
}
