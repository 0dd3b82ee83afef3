import { beforeAll, describe, expect, it } from 'vitest';
import {
  createAdam,
  createMlp,
  createRng,
  DiagonalGaussian,
  disposeParams,
  gradients,
  type OptimizerState,
  type ParamTree,
  scaleParams,
  subtractParams,
  tf,
  useBackend,
  valueAndGradients,
} from '../src/index';
import { measureTensorGrowth } from '../src/testing/index';

for (const backend of ['cpu', 'wasm']) {
  describe(`memory on ${backend}`, () => {
    beforeAll(async () => {
      await useBackend(backend);
    });

    it('a training loop (MLP, Adam, second-order MAML-style step) keeps the live tensor count flat', async () => {
      const rng = createRng(0);
      const network = createMlp({ inputSize: 2, hiddenSizes: [16, 16], outputSize: 2 });
      let params: ParamTree = { policy: network.init(rng), logStd: tf.zeros([2]) };
      const adam = createAdam({ learningRate: 1e-2 });
      let state: OptimizerState = adam.init(params);
      const observations = tf.tensor(rng.normal(64 * 2), [64, 2]);
      const actions = tf.tensor(rng.normal(64 * 2), [64, 2]);
      const advantages = tf.tensor(rng.normal(64), [64]);
      const loss = (p: ParamTree) =>
        tf.tidy(() => {
          const mean = network.apply(p.policy as ParamTree, observations);
          const logProb = new DiagonalGaussian(mean, p.logStd as tf.Tensor).logProb(actions);
          return tf.neg(tf.mean(tf.mul(logProb, advantages))) as tf.Scalar;
        });
      const metaLoss = (p: ParamTree) => {
        const inner = gradients(loss, p);
        const step = scaleParams(inner, 0.1);
        const adapted = subtractParams(p, step);
        const value = loss(adapted);
        for (const tree of [inner, step, adapted]) disposeParams(tree);
        return value;
      };
      const growth = await measureTensorGrowth(
        () => {
          const { value, gradients: grads } = valueAndGradients(metaLoss, params);
          const next = adam.step(params, grads, state);
          value.dispose();
          disposeParams(grads);
          disposeParams(params);
          disposeParams(state.slots.firstMoment!);
          disposeParams(state.slots.secondMoment!);
          params = next.params;
          state = next.state;
        },
        { iterations: 50 },
      );
      expect(growth.perIteration).toBe(0);
      expect(growth.after).toBe(growth.before);
    });
  });
}
