import {
  createGaussianMlpPolicy,
  flattenParams,
  type ParamTree,
  trainMetaLearner,
  trainTrpo,
  useBackend,
} from '@metarl/core';
import { makeTaskDistribution } from '@metarl/envs';
import { beforeAll, expect, it } from 'vitest';
import { createMaml } from '../src/index';

beforeAll(async () => {
  await useBackend('cpu');
});

it("core's trainTrpo fine-tunes a MAML-learned initialisation on one task, starting from it", async () => {
  const distribution = makeTaskDistribution('Navigation2D-v1');
  const policy = createGaussianMlpPolicy({ observationSize: 2, actionSize: 2, hiddenSizes: [8] });
  const maml = createMaml({ distribution, policy, episodesPerTask: 2, seed: 1 });
  await trainMetaLearner(maml, distribution, { iterations: 1, metaBatchSize: 2, seed: 2, progress: 'none' });
  const learned = maml.parameters().policy as ParamTree;
  const initialisation = flattenParams(learned);
  const task = distribution.sampleTasks(1, { seed: 5 })[0]!;
  const options = { distribution, task, policy, environments: 4, seed: 6, initialParams: learned };
  const start = trainTrpo({ ...options, iterations: 0 });
  expect(flattenParams(start.params)).toEqual(initialisation);
  const tuned = trainTrpo({ ...options, iterations: 2 });
  expect(tuned.history).toHaveLength(2);
  expect(flattenParams(tuned.params)).not.toEqual(initialisation);
  // The learner still owns its parameters, unchanged.
  expect(flattenParams(maml.parameters().policy as ParamTree)).toEqual(initialisation);
  maml.dispose();
}, 120_000);
