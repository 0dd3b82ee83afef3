import { beforeAll, describe, expect, it } from 'vitest';
import {
  applyLstmSequence,
  createLstm,
  createRng,
  disposeParams,
  type LstmState,
  type ParamTree,
  tf,
  useBackend,
} from '../src/index';
import { checkGradientCase, countLiveTensors } from '../src/testing/index';

const [BATCH, STEPS, INPUTS, SIZE] = [2, 3, 2, 3];

/** The same LSTM in float64: weights row-major [in, 4H], [H, 4H], gate order i, f, g, o. */
function referenceLstm(
  inputWeight: Float64Array,
  hiddenWeight: Float64Array,
  bias: Float64Array,
  inputs: Float64Array,
): Float64Array {
  const outputs = new Float64Array(BATCH * STEPS * SIZE);
  const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
  for (let b = 0; b < BATCH; b += 1) {
    let hidden = new Float64Array(SIZE);
    let cell = new Float64Array(SIZE);
    for (let t = 0; t < STEPS; t += 1) {
      const pre = Float64Array.from(bias);
      for (let k = 0; k < 4 * SIZE; k += 1) {
        for (let i = 0; i < INPUTS; i += 1)
          pre[k] = pre[k]! + inputs[(b * STEPS + t) * INPUTS + i]! * inputWeight[i * 4 * SIZE + k]!;
        for (let j = 0; j < SIZE; j += 1) pre[k] = pre[k]! + hidden[j]! * hiddenWeight[j * 4 * SIZE + k]!;
      }
      const nextHidden = new Float64Array(SIZE);
      const nextCell = new Float64Array(SIZE);
      for (let j = 0; j < SIZE; j += 1) {
        const gateI = sigmoid(pre[j]!);
        const gateF = sigmoid(pre[SIZE + j]!);
        const candidate = Math.tanh(pre[2 * SIZE + j]!);
        const gateO = sigmoid(pre[3 * SIZE + j]!);
        nextCell[j] = gateF * cell[j]! + gateI * candidate;
        nextHidden[j] = gateO * Math.tanh(nextCell[j]!);
        outputs[(b * STEPS + t) * SIZE + j] = nextHidden[j]!;
      }
      hidden = nextHidden;
      cell = nextCell;
    }
  }
  return outputs;
}

describe('createLstm / applyLstmSequence', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('initialises Glorot weights and a forget-gate bias of 1', () => {
    const params = createLstm({ inputSize: INPUTS, hiddenSize: SIZE }).init(createRng(1));
    expect((params.inputWeight as tf.Tensor).shape).toEqual([INPUTS, 4 * SIZE]);
    expect((params.hiddenWeight as tf.Tensor).shape).toEqual([SIZE, 4 * SIZE]);
    expect(Array.from((params.bias as tf.Tensor).dataSync())).toEqual([0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
    disposeParams(params);
  });

  it('agrees with float64 finite differences to first and second order', async () => {
    const rng = createRng(7);
    const draw = (count: number) =>
      Float64Array.from({ length: count }, () => Math.fround(rng.next() * 1.6 - 0.8));
    const weights = draw(BATCH * STEPS * SIZE);
    const inputs = [
      { values: draw(INPUTS * 4 * SIZE), shape: [INPUTS, 4 * SIZE] },
      { values: draw(SIZE * 4 * SIZE), shape: [SIZE, 4 * SIZE] },
      { values: draw(4 * SIZE), shape: [4 * SIZE] },
      { values: draw(BATCH * STEPS * INPUTS), shape: [BATCH, STEPS, INPUTS] },
    ];
    const results = await checkGradientCase(
      {
        name: 'lstm sequence',
        inputs,
        compute: ([inputWeight, hiddenWeight, bias, x]) => {
          const { outputs } = applyLstmSequence(
            { inputWeight: inputWeight!, hiddenWeight: hiddenWeight!, bias: bias! },
            x!,
          );
          const w = tf.tensor(Float32Array.from(weights), [BATCH, STEPS, SIZE]);
          return tf.add(tf.sum(tf.mul(w, outputs)), tf.mul(0.5, tf.sum(tf.square(outputs)))) as tf.Scalar;
        },
        reference: ([inputWeight, hiddenWeight, bias, x]) => {
          const outputs = referenceLstm(inputWeight!, hiddenWeight!, bias!, x!);
          let total = 0;
          for (let i = 0; i < outputs.length; i += 1)
            total += weights[i]! * outputs[i]! + 0.5 * outputs[i]! ** 2;
          return total;
        },
        tolerance: { first: 1e-4, second: 1e-3 },
      },
      createRng(11),
    );
    for (const result of results)
      expect(result.relativeError, `order ${result.order}`).toBeLessThan(result.tolerance);
  });

  it('steps one at a time exactly as the sequence runs, without leaking tensors', () => {
    const lstm = createLstm({ inputSize: INPUTS, hiddenSize: SIZE });
    const params: ParamTree = lstm.init(createRng(2));
    const rng = createRng(5);
    const inputs = tf.tensor3d(
      Float32Array.from({ length: BATCH * STEPS * INPUTS }, () => 2 * rng.next() - 1),
      [BATCH, STEPS, INPUTS],
    );
    const start: LstmState = { hidden: tf.fill([BATCH, SIZE], 0.3), cell: tf.fill([BATCH, SIZE], -0.2) };
    const before = countLiveTensors();
    const sequence = applyLstmSequence(params, inputs, start);
    const stepped = tf.tidy(() => {
      let state = start;
      const outputs: tf.Tensor[] = [];
      for (let t = 0; t < STEPS; t += 1) {
        const input = tf.reshape(tf.slice(inputs, [0, t, 0], [BATCH, 1, INPUTS]), [BATCH, INPUTS]);
        state = lstm.apply(params, { input, ...state });
        outputs.push(state.hidden);
      }
      return { outputs: tf.stack(outputs, 1), cell: state.cell };
    });
    const a = sequence.outputs.dataSync();
    const b = stepped.outputs.dataSync();
    for (let i = 0; i < a.length; i += 1) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(1e-6);
    const c = sequence.state.cell.dataSync();
    const d = stepped.cell.dataSync();
    for (let i = 0; i < c.length; i += 1) expect(Math.abs(c[i]! - d[i]!)).toBeLessThan(1e-6);
    tf.dispose([sequence.outputs, sequence.state.hidden, sequence.state.cell, stepped.outputs, stepped.cell]);
    expect(countLiveTensors()).toBe(before);
    tf.dispose([inputs, start.hidden, start.cell]);
    disposeParams(params);
  });

  it('rejects a state of the wrong size with the expected shape', () => {
    const lstm = createLstm({ inputSize: INPUTS, hiddenSize: SIZE });
    const params = lstm.init(createRng(2));
    const bad = { hidden: tf.zeros([BATCH, SIZE + 1]), cell: tf.zeros([BATCH, SIZE]) };
    expect(() => applyLstmSequence(params, tf.zeros([BATCH, STEPS, INPUTS]), bad)).toThrow(
      /hidden state must end in 3/,
    );
    expect(() => createLstm({ inputSize: 0, hiddenSize: 3 })).toThrow(
      /inputSize must be a positive integer, got 0/,
    );
    disposeParams(params);
  });
});
