import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  addParams,
  assertFiniteParams,
  broadcastParams,
  concatenateParams,
  countParams,
  disposeParams,
  flattenParams,
  listLeaves,
  mapParams,
  type ParamTree,
  scaleParams,
  splitParams,
  stackParams,
  subtractParams,
  tf,
  unflattenParams,
  unstackParams,
  useBackend,
  zipParams,
} from '../src/index';

const tree = (): ParamTree => ({
  layer: { weight: tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]), bias: tf.tensor1d([7, 8, 9]) },
  logStd: tf.tensor1d([-1, -2]),
});

describe('ParamTree', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });
  let before = 0;
  afterEach(() => {
    expect(tf.memory().numTensors).toBe(before);
  });

  it('visits leaves in sorted path order and counts them', () => {
    before = tf.memory().numTensors;
    const p = tree();
    expect(listLeaves(p).map((l) => l.path)).toEqual(['layer/bias', 'layer/weight', 'logStd']);
    expect(countParams(p)).toBe(11);
    expect(Array.from(flattenParams(p))).toEqual([7, 8, 9, 1, 2, 3, 4, 5, 6, -1, -2]);
    disposeParams(p);
  });

  it('flatten and unflatten round-trip; concatenate and split round-trip', () => {
    before = tf.memory().numTensors;
    const p = tree();
    const values = Float32Array.from({ length: 11 }, (_v, i) => i * 0.5);
    const q = unflattenParams(p, values);
    expect(Array.from(flattenParams(q))).toEqual(Array.from(values));
    expect((q.layer as ParamTree).weight!.shape).toEqual([2, 3]);
    const vector = concatenateParams(q);
    const r = splitParams(p, vector);
    expect(Array.from(flattenParams(r))).toEqual(Array.from(values));
    vector.dispose();
    for (const t of [p, q, r]) disposeParams(t);
  });

  it('adds, subtracts, scales and maps leaf by leaf without touching the inputs', () => {
    before = tf.memory().numTensors;
    const a = tree();
    const b = mapParams(a, (x) => tf.onesLike(x));
    const sum = addParams(a, b);
    const difference = subtractParams(sum, a);
    const scaled = scaleParams(a, 2);
    expect(Array.from(flattenParams(difference))).toEqual(new Array(11).fill(1));
    expect(Array.from(flattenParams(scaled))).toEqual(Array.from(flattenParams(a)).map((v) => 2 * v));
    expect(Array.from(flattenParams(a))).toEqual([7, 8, 9, 1, 2, 3, 4, 5, 6, -1, -2]);
    for (const t of [a, b, sum, difference, scaled]) disposeParams(t);
  });

  it('stacks into a task axis and back, and broadcasts to T tasks', () => {
    before = tf.memory().numTensors;
    const a = tree();
    const b = scaleParams(a, -1);
    const stacked = stackParams([a, b]);
    expect((stacked.layer as ParamTree).weight!.shape).toEqual([2, 2, 3]);
    const [a2, b2] = unstackParams(stacked) as [ParamTree, ParamTree];
    expect(Array.from(flattenParams(b2))).toEqual(Array.from(flattenParams(b)));
    const broadcast = broadcastParams(a, 3);
    expect((broadcast.logStd as tf.Tensor).shape).toEqual([3, 2]);
    expect(Array.from((broadcast.logStd as tf.Tensor).dataSync())).toEqual([-1, -2, -1, -2, -1, -2]);
    for (const t of [a, b, stacked, a2, b2, broadcast]) disposeParams(t);
  });

  it('names the path and both shapes on a shape mismatch', () => {
    before = tf.memory().numTensors;
    const a = tree();
    const b: ParamTree = { layer: { weight: tf.zeros([3, 2]), bias: tf.zeros([3]) }, logStd: tf.zeros([2]) };
    expect(() => addParams(a, b)).toThrow(
      "addParams: shape mismatch at 'layer/weight': tree 0 has [2, 3], tree 1 has [3, 2]",
    );
    const c: ParamTree = { layer: { weight: tf.zeros([2, 3]) }, logStd: tf.zeros([2]) };
    expect(() => zipParams([a, c], ([x]) => tf.clone(x!))).toThrow(/missing: layer\/bias/);
    expect(() => unflattenParams(a, new Float32Array(3))).toThrow(/Float32Array of length 11.*got length 3/);
    for (const t of [a, b, c]) disposeParams(t);
  });

  it('rejects NaN and Infinity, naming the leaf and position', () => {
    before = tf.memory().numTensors;
    const bad: ParamTree = { ok: tf.ones([2]), policy: { weight: tf.tensor1d([1, Number.NaN, 3]) } };
    expect(() => assertFiniteParams(bad, 'train step')).toThrow(
      "train step: 'policy/weight' (shape [3]) holds NaN at flat index 1; every value must be finite",
    );
    const inf: ParamTree = { w: tf.tensor1d([Number.POSITIVE_INFINITY]) };
    expect(() => assertFiniteParams(inf)).toThrow(/'w' \(shape \[1\]\) holds Infinity/);
    disposeParams(bad);
    disposeParams(inf);
  });
});
