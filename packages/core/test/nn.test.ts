import { beforeAll, describe, expect, it } from 'vitest';
import {
  applyGruSequence,
  broadcastParams,
  createGru,
  createLinear,
  createMlp,
  createRng,
  disposeParams,
  type ParamTree,
  stackParams,
  tf,
  useBackend,
} from '../src/index';

function close(a: ArrayLike<number>, b: ArrayLike<number>, tolerance = 1e-5) {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i += 1) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(tolerance);
}

for (const backend of ['cpu', 'wasm']) {
  describe(`modules on ${backend}`, () => {
    beforeAll(async () => {
      await useBackend(backend);
    });

    it('Linear computes x W + b', () => {
      const linear = createLinear({ inputSize: 2, outputSize: 3 });
      const params: ParamTree = {
        weight: tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]),
        bias: tf.tensor1d([0.5, 0, -0.5]),
      };
      const y = linear.apply(params, tf.tensor2d([1, -1], [1, 2]));
      close(y.dataSync(), [1 - 4 + 0.5, 2 - 5, 3 - 6 - 0.5]);
    });

    it('MLP initialises deterministically (same on every backend) with Glorot limits and zero biases', () => {
      const mlp = createMlp({ inputSize: 2, hiddenSizes: [64, 64], outputSize: 2 });
      const a = mlp.init(createRng(7));
      const b = mlp.init(createRng(7));
      const weight = (a.hidden1 as ParamTree).weight as tf.Tensor;
      expect(weight.shape).toEqual([64, 64]);
      const values = weight.dataSync();
      const limit = Math.sqrt(6 / 128);
      expect(Math.max(...values)).toBeLessThanOrEqual(limit);
      expect(Math.min(...values)).toBeGreaterThanOrEqual(-limit);
      expect(Array.from(((b.hidden1 as ParamTree).weight as tf.Tensor).dataSync())).toEqual(
        Array.from(values),
      );
      expect(Array.from(((a.output as ParamTree).bias as tf.Tensor).dataSync())).toEqual([0, 0]);
      disposeParams(a);
      disposeParams(b);
    });

    it("'fan-in-uniform' draws weights and biases from U(+-1/sqrt(in)) (PyTorch's nn.Linear default)", () => {
      const mlp = createMlp({
        inputSize: 4,
        hiddenSizes: [64],
        outputSize: 9,
        activation: 'tanh',
        initialisation: 'fan-in-uniform',
      });
      const params = mlp.init(createRng(3));
      for (const [layer, inputSize] of [
        ['hidden0', 4],
        ['output', 64],
      ] as const) {
        const limit = 1 / Math.sqrt(inputSize);
        for (const name of ['weight', 'bias']) {
          const values = ((params[layer] as ParamTree)[name] as tf.Tensor).dataSync();
          expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(limit);
          // Uniform on [-limit, limit]: the largest magnitude comes close to the limit.
          expect(Math.max(...values.map(Math.abs))).toBeGreaterThan(0.7 * limit);
        }
      }
      expect(((params.hidden0 as ParamTree).bias as tf.Tensor).dataSync().every((v) => v !== 0)).toBe(true);
      // The other schemes keep zero biases.
      const glorot = createMlp({ inputSize: 4, hiddenSizes: [64], outputSize: 9, activation: 'tanh' }).init(
        createRng(3),
      );
      expect(Array.from(((glorot.hidden0 as ParamTree).bias as tf.Tensor).dataSync())).toEqual(
        new Array(64).fill(0),
      );
      disposeParams(params);
      disposeParams(glorot);
    });

    it('task-batched params run T tasks in one pass, equal to T separate passes', () => {
      const mlp = createMlp({ inputSize: 3, hiddenSizes: [5], outputSize: 2, activation: 'relu' });
      const perTask = [mlp.init(createRng(1)), mlp.init(createRng(2)), mlp.init(createRng(3))];
      const batched = stackParams(perTask);
      const input = tf.tensor(createRng(4).normal(3 * 4 * 3), [3, 4, 3]);
      const together = mlp.apply(batched, input);
      expect(together.shape).toEqual([3, 4, 2]);
      const inputs = tf.unstack(input);
      perTask.forEach((params, t) => {
        const alone = mlp.apply(params, inputs[t]!);
        close(tf.unstack(together)[t]!.dataSync(), alone.dataSync());
      });
      // shared params over a [T, B, in] input
      const shared = mlp.apply(perTask[0]!, input);
      close(tf.unstack(shared)[0]!.dataSync(), mlp.apply(perTask[0]!, inputs[0]!).dataSync());
      const broadcast = broadcastParams(perTask[0]!, 3);
      close(mlp.apply(broadcast, input).dataSync(), shared.dataSync());
    });

    it('GRU matches a hand computation and carries its state', () => {
      const gru = createGru({ inputSize: 1, hiddenSize: 1 });
      // gates r, z, n with input weights [0.5, -0.5, 1], hidden weights [1, 1, 2], biases 0
      const params: ParamTree = {
        inputWeight: tf.tensor2d([0.5, -0.5, 1], [1, 3]),
        inputBias: tf.zeros([3]),
        hiddenWeight: tf.tensor2d([1, 1, 2], [1, 3]),
        hiddenBias: tf.zeros([3]),
      };
      const x = 0.8;
      const h = 0.3;
      const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
      const r = sigmoid(0.5 * x + h);
      const z = sigmoid(-0.5 * x + h);
      const n = Math.tanh(x + r * 2 * h);
      const expected = (1 - z) * n + z * h;
      const out = gru.apply(params, { input: tf.tensor2d([x], [1, 1]), hidden: tf.tensor2d([h], [1, 1]) });
      close(out.dataSync(), [expected]);
    });

    it('rejects bad configuration and mismatched inputs with clear errors', () => {
      expect(() => createMlp({ inputSize: 2, hiddenSizes: [0], outputSize: 1 })).toThrow(
        'createMlp: hiddenSizes[0] must be a positive integer, got 0',
      );
      expect(() => createLinear({ inputSize: 2.5, outputSize: 1 })).toThrow(
        /inputSize must be a positive integer, got 2.5/,
      );
      const mlp = createMlp({ inputSize: 2, hiddenSizes: [4], outputSize: 1 });
      const params = mlp.init(createRng(0));
      expect(() => mlp.apply(params, tf.zeros([5, 3]))).toThrow(
        /mlp hidden0: input has 3 features .* expects 2/,
      );
      disposeParams(params);
      const gruParams = createGru({ inputSize: 2, hiddenSize: 3 }).init(createRng(0));
      expect(() => applyGruSequence(gruParams, tf.zeros([4, 5, 3]), tf.zeros([4, 3]))).toThrow(
        "applyGruSequence: inputs must end in 2 features (the GRU's inputWeight is [2, 9]), got shape [4, 5, 3]",
      );
      expect(() =>
        applyGruSequence(gruParams, tf.zeros([4, 5, 2]), tf.zeros([4, 3]), tf.zeros([4, 6])),
      ).toThrow('applyGruSequence: resets must be [4, 5], got shape [4, 6]');
      expect(() => applyGruSequence(gruParams, tf.zeros([4, 5, 2]), tf.zeros([4, 2]))).toThrow(
        'gru: hidden state must end in 3, got shape [4, 2]',
      );
      disposeParams(gruParams);
    });
  });
}
