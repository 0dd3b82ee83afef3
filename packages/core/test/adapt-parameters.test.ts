import { beforeAll, describe, expect, it } from 'vitest';
import {
  adaptationStep,
  adaptParameters,
  averageOptimizerState,
  broadcastOptimizerState,
  createAdam,
  createSgd,
  disposeOptimizerState,
  disposeParams,
  initAdaptationState,
  mergeParams,
  type ParamTree,
  partitionParams,
  tf,
  useBackend,
} from '../src/index';

/** Two tasks' parameters: w [2, 2] (task-batched [2]) and b [2, 1]. */
function taskParams(): ParamTree {
  return {
    layer: {
      w: tf.tensor2d([
        [1, 2],
        [3, 4],
      ]),
      b: tf.tensor2d([[0.5], [-0.5]]),
    },
  };
}

/** Sum over the two tasks of sum((w - target_t)^2) + b^2: gradient 2 (w - target_t) and 2 b. */
let targets: tf.Tensor2D;
const loss = (params: ParamTree) =>
  tf.tidy(() => {
    const layer = params.layer as ParamTree;
    return tf.add(
      tf.sum(tf.square(tf.sub(layer.w as tf.Tensor, targets))),
      tf.sum(tf.square(layer.b as tf.Tensor)),
    ) as tf.Scalar;
  });

describe('task-batched adaptation (adaptParameters)', () => {
  beforeAll(async () => {
    await useBackend('cpu');
    targets = tf.tensor2d([
      [0, 1],
      [1, 1],
    ]);
  });

  it('partitions and merges parameter trees by path', () => {
    const params = taskParams();
    const { selected, rest } = partitionParams(params, (path) => path === 'layer/w');
    expect(Object.keys(selected.layer as ParamTree)).toEqual(['w']);
    expect(Object.keys(rest.layer as ParamTree)).toEqual(['b']);
    const merged = mergeParams(selected, rest);
    expect((merged.layer as ParamTree).w).toBe((params.layer as ParamTree).w);
    expect((merged.layer as ParamTree).b).toBe((params.layer as ParamTree).b);
    expect(partitionParams(params, () => false).selected).toEqual({});
    expect(() => mergeParams(params, params)).toThrow(/both trees hold 'w'/);
    disposeParams(params);
  });

  it('takes every task its own SGD steps; frozen parameters stay and report their summed gradients', () => {
    const params = taskParams();
    const optimizer = createSgd({ learningRate: 0.25, checkFinite: false });
    const options = { optimizer, adapts: (path: string) => path === 'layer/w', frozenGradients: true };
    const state = initAdaptationState(params, options);
    const before = tf.memory().numTensors;
    const result = adaptParameters((p) => loss(p), params, state, 2, options);
    const layer = result.params.layer as ParamTree;
    // w <- w - 0.25 * 2 (w - target) = (w + target) / 2, twice.
    const w0 = [1, 2, 3, 4];
    const t = [0, 1, 1, 1];
    const w2 = w0.map((v, i) => ((v + t[i]!) / 2 + t[i]!) / 2);
    expect(Array.from((layer.w as tf.Tensor).dataSync())).toEqual(w2);
    expect(Array.from((layer.b as tf.Tensor).dataSync())).toEqual([0.5, -0.5]);
    expect(Array.from(((result.frozenGradients!.layer as ParamTree).b as tf.Tensor).dataSync())).toEqual([
      2, -2,
    ]);
    // The caller's tensors are untouched.
    expect(Array.from(((params.layer as ParamTree).w as tf.Tensor).dataSync())).toEqual(w0);
    disposeParams(result.params);
    disposeParams(result.frozenGradients!);
    disposeOptimizerState(result.state);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => adaptationStep(loss, params, state, { optimizer, adapts: () => false })).toThrow(
      /adapts selects none of the parameters \(layer\/b, layer\/w\)/,
    );
    disposeParams(params);
    disposeOptimizerState(state);
  });

  it("broadcasts one model's optimiser state to the tasks and averages it back", () => {
    const adam = createAdam({ beta1: 0, checkFinite: false });
    const one = { w: tf.tensor1d([1, 2]) };
    const state = adam.init(one);
    const params = {
      w: tf.tensor2d([
        [1, 2],
        [5, 6],
      ]),
    };
    const wide = broadcastOptimizerState(state, 2);
    expect((wide.slots.secondMoment!.w as tf.Tensor).shape).toEqual([2, 2]);
    const next = adaptationStep(
      (p) => tf.tidy(() => tf.sum(tf.square(p.w as tf.Tensor)) as tf.Scalar),
      params,
      wide,
      { optimizer: adam },
    );
    const mean = averageOptimizerState(next.state);
    // v = 0.001 g^2 with g = 2 w, averaged over the two tasks.
    const expected = [0, 1].map((j) => (0.001 * ((2 * [1, 2][j]!) ** 2 + (2 * [5, 6][j]!) ** 2)) / 2);
    const v = Array.from((mean.slots.secondMoment!.w as tf.Tensor).dataSync());
    v.forEach((value, j) => {
      expect(value).toBeCloseTo(expected[j]!, 6);
    });
    expect(mean.step).toBe(1);
    for (const s of [state, wide, next.state, mean]) disposeOptimizerState(s);
    disposeParams(next.params);
    disposeParams(params);
    disposeParams(one);
  });
});
