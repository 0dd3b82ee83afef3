import { beforeAll, describe, expect, it } from 'vitest';
import {
  applyGruSequence,
  createGru,
  createRng,
  disposeParams,
  hessianVectorProduct,
  type ParamTree,
  tf,
  useBackend,
  valueAndGradients,
} from '../src/index';

const [BATCH, STEPS, INPUTS, SIZE] = [4, 7, 3, 5];

/** The sequence one `gru.apply` at a time (op by op), zeroing the state where `resets` is 1. */
function stepByStep(params: ParamTree, inputs: tf.Tensor, hidden: tf.Tensor, resets: number[]): tf.Tensor {
  const gru = createGru({ inputSize: INPUTS, hiddenSize: SIZE });
  const states: tf.Tensor[] = [];
  let current = hidden;
  for (let t = 0; t < STEPS; t += 1) {
    const keep = tf.tensor2d(
      Array.from({ length: BATCH }, (_v, b) => 1 - resets[b * STEPS + t]!),
      [BATCH, 1],
    );
    const input = tf.reshape(tf.slice(inputs, [0, t, 0], [BATCH, 1, INPUTS]), [BATCH, INPUTS]);
    current = gru.apply(params, { input, hidden: tf.mul(current, keep) });
    states.push(current);
  }
  return tf.stack(states, 1);
}

function close(a: ArrayLike<number>, b: ArrayLike<number>, tolerance: number) {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i += 1)
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / (1 + Math.abs(b[i]!)));
  expect(worst).toBeLessThan(tolerance);
}

for (const backend of ['cpu', 'wasm']) {
  describe(`applyGruSequence on ${backend}`, () => {
    beforeAll(async () => {
      await useBackend(backend);
    });

    const rng = createRng(3);
    const draw = (shape: number[]) =>
      tf.tensor(
        Array.from({ length: shape.reduce((p, s) => p * s, 1) }, () => 2 * rng.next() - 1),
        shape,
      );
    const resets = Array.from({ length: BATCH * STEPS }, (_v, i) => (i % 5 === 3 ? 1 : 0));

    it('gives the states and first-order gradients of the step-by-step GRU (resets included)', () => {
      const params = createGru({ inputSize: INPUTS, hiddenSize: SIZE }).init(createRng(1));
      const inputs = draw([BATCH, STEPS, INPUTS]);
      const hidden = draw([BATCH, SIZE]);
      const weights = draw([BATCH, STEPS, SIZE]);
      const resetTensor = tf.tensor2d(resets, [BATCH, STEPS]);
      const loss = (states: tf.Tensor) =>
        tf.sum(tf.mul(tf.add(states, tf.square(states)), weights)) as tf.Scalar;
      const all = { params, inputs, hidden };
      const fused = valueAndGradients(
        (p) =>
          loss(
            applyGruSequence(p.params as ParamTree, p.inputs as tf.Tensor, p.hidden as tf.Tensor, resetTensor)
              .states,
          ),
        all,
      );
      const reference = valueAndGradients(
        (p) => loss(stepByStep(p.params as ParamTree, p.inputs as tf.Tensor, p.hidden as tf.Tensor, resets)),
        all,
      );
      close(fused.value.dataSync(), reference.value.dataSync(), 1e-5);
      for (const path of ['inputs', 'hidden']) {
        close(
          ((fused.gradients as Record<string, tf.Tensor>)[path] as tf.Tensor).dataSync(),
          ((reference.gradients as Record<string, tf.Tensor>)[path] as tf.Tensor).dataSync(),
          1e-5,
        );
      }
      for (const name of ['inputWeight', 'inputBias', 'hiddenWeight', 'hiddenBias']) {
        close(
          ((fused.gradients.params as ParamTree)[name] as tf.Tensor).dataSync(),
          ((reference.gradients.params as ParamTree)[name] as tf.Tensor).dataSync(),
          1e-5,
        );
      }
      // The last state is the last step's.
      const { states, hidden: last } = applyGruSequence(params, inputs, hidden, resetTensor);
      expect(Array.from(last.dataSync())).toEqual(
        Array.from(tf.slice(states, [0, STEPS - 1, 0], [BATCH, 1, SIZE]).dataSync()),
      );
      tf.dispose([fused.value, reference.value, states, last, inputs, hidden, weights, resetTensor]);
      disposeParams(fused.gradients);
      disposeParams(reference.gradients);
      disposeParams(params);
    });

    it('is differentiated twice op by op (a Hessian-vector product equals the step-by-step one)', () => {
      const params = createGru({ inputSize: INPUTS, hiddenSize: SIZE }).init(createRng(2));
      const inputs = draw([BATCH, STEPS, INPUTS]);
      const hidden = draw([BATCH, SIZE]);
      const resetTensor = tf.tensor2d(resets, [BATCH, STEPS]);
      const tangent = createGru({ inputSize: INPUTS, hiddenSize: SIZE }).init(createRng(9));
      const fused = hessianVectorProduct(
        (p) => tf.sum(tf.square(applyGruSequence(p, inputs, hidden, resetTensor).states)) as tf.Scalar,
        params,
        tangent,
      );
      const reference = hessianVectorProduct(
        (p) => tf.sum(tf.square(stepByStep(p, inputs, hidden, resets))) as tf.Scalar,
        params,
        tangent,
      );
      for (const name of ['inputWeight', 'inputBias', 'hiddenWeight', 'hiddenBias'])
        close((fused[name] as tf.Tensor).dataSync(), (reference[name] as tf.Tensor).dataSync(), 1e-5);
      for (const tree of [fused, reference, tangent, params]) disposeParams(tree);
      tf.dispose([inputs, hidden, resetTensor]);
    });

    it('leaves no tensors behind over many gradient steps', () => {
      const params = createGru({ inputSize: INPUTS, hiddenSize: SIZE }).init(createRng(4));
      const inputs = draw([BATCH, STEPS, INPUTS]);
      const resetTensor = tf.tensor2d(resets, [BATCH, STEPS]);
      const step = () => {
        const { value, gradients } = valueAndGradients(
          (p) =>
            tf.sum(applyGruSequence(p, inputs, tf.zeros([BATCH, SIZE]), resetTensor).states) as tf.Scalar,
          params,
        );
        value.dispose();
        disposeParams(gradients);
      };
      step();
      const before = tf.memory().numTensors;
      for (let i = 0; i < 20; i += 1) step();
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([inputs, resetTensor]);
      disposeParams(params);
    });
  });
}
