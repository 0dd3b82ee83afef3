// Plain-node check of the built ESM entry points (run by scripts/check-built-packages.mjs).
import { makeTaskDistribution } from '@metarl/envs';
import { checkTaskDistribution } from '@metarl/envs/testing';

const navigation = makeTaskDistribution('Navigation2D-v1');
const env = navigation.makeVectorEnv(navigation.sampleTasks(8, { seed: 1 }));
env.reset({ seed: 0 });
const { rewards } = env.step(new Float32Array(16).fill(0.05));
if (rewards.length !== 8 || !rewards.every((r) => r < 0))
  throw new Error('esm: unexpected Navigation2D rewards');
const passed = checkTaskDistribution(makeTaskDistribution('CartPole-v1'));
console.log(`@metarl/envs ESM: Navigation2D steps; CartPole-v1 passed ${passed.length} checks`);
