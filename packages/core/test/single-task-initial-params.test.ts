import { makeTaskDistribution } from '@metarl/envs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createGaussianMlpPolicy,
  createMlpValueFunction,
  createRng,
  disposeParams,
  flattenParams,
  type ParamTree,
  tf,
  trainPpo,
  trainTrpo,
  useBackend,
} from '../src/index';

const distribution = makeTaskDistribution('Navigation2D-v1');
const policy = createGaussianMlpPolicy({ observationSize: 2, actionSize: 2, hiddenSizes: [8] });
const base = { distribution, task: distribution.defaultTask(), policy, environments: 4, seed: 3 };

describe('trainPpo and trainTrpo from given parameters', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('start from a copy of initialParams (iteration 0) and leave the given tree alone', () => {
    const given = policy.init(createRng(99));
    const expected = flattenParams(given);
    const trpo = trainTrpo({ ...base, iterations: 0, initialParams: given });
    expect(flattenParams(trpo.params)).toEqual(expected);
    expect(trpo.params.mean).not.toBe(given.mean);
    const ppo = trainPpo({
      ...base,
      iterations: 0,
      initialParams: given,
      valueFunction: createMlpValueFunction({ observationSize: 2, hiddenSizes: [8] }),
    });
    expect(flattenParams(ppo.params.policy as ParamTree)).toEqual(expected);
    // Two iterations move the copy, never the given tree, and do not dispose it.
    const trained = trainTrpo({ ...base, iterations: 2, initialParams: given });
    expect(flattenParams(trained.params)).not.toEqual(expected);
    expect(flattenParams(given)).toEqual(expected);
    for (const tree of [trpo.params, ppo.params, trained.params, given]) disposeParams(tree);
  });

  it("initialParams equal to the seed's own initialisation reproduce the run from scratch", () => {
    const scratch = trainTrpo({ ...base, iterations: 2 });
    const given = policy.init(createRng(base.seed));
    const resumed = trainTrpo({ ...base, iterations: 2, initialParams: given });
    expect(resumed.history).toEqual(scratch.history);
    expect(flattenParams(resumed.params)).toEqual(flattenParams(scratch.params));
    // Different parameters change the first iteration's return: the option is used.
    const other = policy.init(createRng(7));
    const moved = trainTrpo({ ...base, iterations: 1, initialParams: other });
    expect(moved.history[0]!.meanReturn).not.toBe(scratch.history[0]!.meanReturn);
    for (const tree of [scratch.params, given, resumed.params, other, moved.params]) disposeParams(tree);
  });

  it('reject a tree that does not fit the policy, naming the leaf and both shapes, without leaking', () => {
    const before = tf.memory().numTensors;
    const wide = createGaussianMlpPolicy({ observationSize: 3, actionSize: 2, hiddenSizes: [8] }).init(
      createRng(0),
    );
    expect(() => trainTrpo({ ...base, iterations: 1, initialParams: wide })).toThrow(
      "trainTrpo: initialParams 'mean/hidden0/weight' has shape [3, 8], the policy expects [2, 8]",
    );
    const { logStd: _dropped, ...withoutLogStd } = policy.init(createRng(0));
    expect(() =>
      trainPpo({
        ...base,
        iterations: 1,
        initialParams: withoutLogStd,
        valueFunction: createMlpValueFunction({ observationSize: 2, hiddenSizes: [8] }),
      }),
    ).toThrow(
      "trainPpo: initialParams has no 'logStd' (the policy's tree has logStd, mean/hidden0/bias, mean/hidden0/weight, mean/output/bias, mean/output/weight)",
    );
    disposeParams(wide);
    disposeParams(withoutLogStd);
    tf.dispose(_dropped as tf.Tensor);
    expect(tf.memory().numTensors).toBe(before);
  });
});
