// Plain-node check of the built ESM entry points (run by scripts/check-built-packages.mjs).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createRng,
  createSyntheticFewShotDataset,
  makeTaskDistribution,
  sampleFewShotEpisodes,
} from '@metarl/envs';
import { loadImageFolderDataset } from '@metarl/envs/node';
import { checkTaskDistribution } from '@metarl/envs/testing';

const navigation = makeTaskDistribution('Navigation2D-v1');
const env = navigation.makeVectorEnv(navigation.sampleTasks(8, { seed: 1 }));
env.reset({ seed: 0 });
const { rewards } = env.step(new Float32Array(16).fill(0.05));
if (rewards.length !== 8 || !rewards.every((r) => r < 0))
  throw new Error('esm: unexpected Navigation2D rewards');
const passed = checkTaskDistribution(makeTaskDistribution('CartPole-v1'));
const dataset = createSyntheticFewShotDataset({ classCount: 20, inputSize: 8, seed: 1 });
const episodes = sampleFewShotEpisodes(dataset, { episodes: 2, ways: 5, shots: 1, queries: 1 }, createRng(0));
if (episodes.supportInputs.length !== 2 * 5 * 8) throw new Error('esm: unexpected episode shape');
const empty = mkdtempSync(join(tmpdir(), 'metarl-smoke-'));
try {
  loadImageFolderDataset(empty);
  throw new Error('esm: loadImageFolderDataset accepted a folder without images');
} catch (error) {
  if (!String(error.message).includes('no classes under')) throw error;
} finally {
  rmSync(empty, { recursive: true, force: true });
}
console.log(
  `@metarl/envs ESM: Navigation2D steps; CartPole-v1 passed ${passed.length} checks; few-shot episodes and the node entry load`,
);
