// Pendulum-v1 family: 8 pendulums of different mass, length and gravity stepped as one VectorEnv.
import { pendulumDistribution } from '@metarl/envs';

const pendulums = pendulumDistribution();
const tasks = pendulums.sampleTasks(8, { seed: 0 });
const env = pendulums.makeVectorEnv(tasks);
env.reset({ seed: 0 });
const returns = new Float64Array(8);
const torques = new Float32Array(8);
for (let t = 0; t < 200; t += 1) {
  const { observations, rewards } = env.step(torques);
  for (let i = 0; i < 8; i += 1) {
    returns[i]! += rewards[i]!;
    torques[i] = Math.max(-2, Math.min(2, -2 * observations[3 * i + 2]!)); // damp the swing
  }
}
console.log(
  `returns of 8 damped pendulums over 200 steps: ${Array.from(returns, (r) => r.toFixed(0)).join(', ')}`,
);
