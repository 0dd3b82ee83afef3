// CartPole-v1 family: a hand-made balancing rule on Gymnasium's pole and on a longer, heavier one.
import { cartPoleDistribution } from '@metarl/envs';

const cartPoles = cartPoleDistribution();
for (const task of [cartPoles.defaultTask(), { poleLength: 1.0, poleMass: 0.5, cartMass: 1.0 }]) {
  const env = cartPoles.makeEnv(task);
  let { observation } = env.reset({ seed: 0 });
  let steps = 0;
  for (;;) {
    const result = env.step(observation[2]! + 0.5 * observation[3]! > 0 ? 1 : 0);
    steps += 1;
    observation = result.observation;
    if (result.terminated || result.truncated) break;
  }
  console.log(`pole half-length ${task.poleLength}, mass ${task.poleMass}: balanced for ${steps} steps`);
}
