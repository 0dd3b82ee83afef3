// Single-task RL with core's pieces: PPO solves CartPole-v1 (mean return >= 195) in a few seconds.

import {
  createCategoricalMlpPolicy,
  createMlpValueFunction,
  disposeParams,
  trainPpo,
  useBackend,
} from '@metarl/core';
import { cartPoleDistribution } from '@metarl/envs';

await useBackend('wasm');
const cartPoles = cartPoleDistribution();
const { params, history } = trainPpo({
  distribution: cartPoles,
  task: cartPoles.defaultTask(),
  policy: createCategoricalMlpPolicy({ observationSize: 4, actions: 2 }),
  valueFunction: createMlpValueFunction({ observationSize: 4 }),
  environments: 8,
  iterations: 60,
  seed: 1,
  stopAt: { meanReturn: 195, window: 3 },
});
const last = history.at(-1)!;
console.log(
  `PPO CartPole-v1: mean return ${last.meanReturn.toFixed(0)} after ${last.environmentSteps} environment steps`,
);
disposeParams(params);
