/**
 * One gradient case per tfjs kernel (and per composite) that metarl differentiates. Each case
 * is an op in tfjs and the same op in float64 (`reference-array.ts`), checked to first and
 * second order through the scalar loss sum(w * y + y^2 / 2), whose Hessian is nonzero even for
 * linear ops, so every gradient function is itself differentiated.
 */

import { createRng, type Rng } from '@metarl/envs';
import * as tf from '@tensorflow/tfjs-core';
import { Categorical } from '../distributions/categorical';
import { DiagonalGaussian } from '../distributions/diagonal-gaussian';
import { applyGruSequence, createGru } from '../nn/gru';
import { createMlp } from '../nn/mlp';
import { logSoftmax, logSumExp, selectLastAxis } from '../ops/ops';
import { listLeaves, rebuildTree } from '../params/param-tree';
import type { GradientCheckCase } from './gradient-check';
import * as R from './reference-array';

/** How to draw one input. */
interface InputSpec {
  readonly shape: readonly number[];
  readonly low?: number;
  readonly high?: number;
  /** Keep every entry at least 0.15 away from these points (kinks of the op). */
  readonly awayFrom?: readonly number[];
  /** Keep every entry at least 0.15 away from the same entry of this earlier input. */
  readonly awayFromInput?: number;
  /** Keep all entries at least 0.15 apart from each other (for max/min ties). */
  readonly distinct?: boolean;
}

/** An op in tfjs and in float64. */
export interface OpCase {
  /** Name shown in reports. */
  readonly name: string;
  /** The differentiated inputs. */
  readonly inputs: readonly InputSpec[];
  /** The tfjs computation. */
  apply(inputs: tf.Tensor[]): tf.Tensor;
  /** The float64 reference. */
  reference(inputs: R.ReferenceArray[]): R.ReferenceArray;
}

const GAP = 0.15;

function draw(spec: InputSpec, rng: Rng, earlier: readonly Float64Array[]): Float64Array {
  const low = spec.low ?? -2;
  const high = spec.high ?? 2;
  const values = new Float64Array(R.size(spec.shape));
  for (let i = 0; i < values.length; i += 1) {
    for (let attempt = 0; ; attempt += 1) {
      if (attempt > 10000)
        throw new Error(`op case input ${JSON.stringify(spec)}: cannot satisfy its constraints`);
      const v = Math.fround(low + (high - low) * rng.next());
      if (spec.awayFrom?.some((point) => Math.abs(v - point) < GAP)) continue;
      if (spec.awayFromInput !== undefined && Math.abs(v - earlier[spec.awayFromInput]![i]!) < GAP) continue;
      if (spec.distinct && values.subarray(0, i).some((u) => Math.abs(u - v) < GAP)) continue;
      values[i] = v;
      break;
    }
  }
  return values;
}

/** The gradient-check case of an op case, drawn with `rng`. */
export function toGradientCase(op: OpCase, rng: Rng): GradientCheckCase {
  const drawn: Float64Array[] = [];
  for (const spec of op.inputs) drawn.push(draw(spec, rng, drawn));
  const outputShape = op.reference(drawn.map((values, i) => R.array(values, op.inputs[i]!.shape))).shape;
  const weights = Float64Array.from(rng.normal(R.size(outputShape)), (v) => Math.fround(v));
  return {
    name: op.name,
    inputs: drawn.map((values, i) => ({ values, shape: op.inputs[i]!.shape })),
    compute(inputs) {
      const y = op.apply(inputs);
      const w = tf.tensor(Float32Array.from(weights), y.shape);
      return tf.sum(tf.add(tf.mul(w, y), tf.mul(tf.scalar(0.5), tf.square(y)))) as tf.Scalar;
    },
    reference(inputs) {
      const y = op.reference(inputs.map((values, i) => R.array(values, op.inputs[i]!.shape)));
      let total = 0;
      for (let i = 0; i < y.data.length; i += 1)
        total += weights[i]! * y.data[i]! + 0.5 * y.data[i]! * y.data[i]!;
      return total;
    },
  };
}

const M = [3, 4];
const unary = (
  name: string,
  apply: (x: tf.Tensor) => tf.Tensor,
  fn: (x: number) => number,
  spec: Partial<InputSpec> = {},
): OpCase => ({
  name,
  inputs: [{ shape: M, ...spec }],
  apply: ([x]) => apply(x!),
  reference: ([x]) => R.map(x!, fn),
});
const binary = (
  name: string,
  apply: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor,
  fn: (a: number, b: number) => number,
  specA: Partial<InputSpec> = {},
  specB: Partial<InputSpec> = { shape: [4] },
): OpCase => ({
  name,
  inputs: [
    { shape: M, ...specA },
    { shape: M, ...specB },
  ],
  apply: ([a, b]) => apply(a!, b!),
  reference: ([a, b]) => R.zip(a!, b!, fn),
});

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const fixedIndices = [2, 0, 3];
const mask = [true, false, true, true, false, false, true, false, false, true, true, false];

function paramsFromInputs(template: ReturnType<ReturnType<typeof createMlp>['init']>, inputs: tf.Tensor[]) {
  return rebuildTree(template, inputs);
}

/** A tiny MLP and GRU whose params are the differentiated inputs. */
function moduleCases(): OpCase[] {
  const mlp = createMlp({ inputSize: 3, hiddenSizes: [4], outputSize: 2, activation: 'tanh' });
  const template = mlp.init(createRng(1));
  const mlpShapes = listLeaves(template).map((leaf) => leaf.tensor.shape);
  const observations = [0.3, -0.7, 1.1, -0.2, 0.5, 0.9];
  const mlpReference = (inputs: R.ReferenceArray[]) => {
    // sorted leaves: hidden0/bias, hidden0/weight, output/bias, output/weight
    const [b0, w0, b1, w1] = inputs as [
      R.ReferenceArray,
      R.ReferenceArray,
      R.ReferenceArray,
      R.ReferenceArray,
    ];
    const x = R.array(observations, [2, 3]);
    const h = R.map(
      R.zip(R.matMul(x, w0), b0, (a, b) => a + b),
      Math.tanh,
    );
    return R.zip(R.matMul(h, w1), b1, (a, b) => a + b);
  };
  const gru = createGru({ inputSize: 2, hiddenSize: 3 });
  const gruTemplate = gru.init(createRng(2));
  const gruShapes = listLeaves(gruTemplate).map((leaf) => leaf.tensor.shape);
  const gruInput = [0.4, -1.2, 0.8, 0.1];
  const gruHidden = [0.2, -0.5, 0.7, -0.1, 0.3, 0.6];
  const gruReference = (inputs: R.ReferenceArray[]) => {
    // sorted leaves: hiddenBias, hiddenWeight, inputBias, inputWeight
    const [hiddenBias, hiddenWeight, inputBias, inputWeight] = inputs as R.ReferenceArray[];
    const x = R.array(gruInput, [2, 2]);
    const h = R.array(gruHidden, [2, 3]);
    const gx = R.zip(R.matMul(x, inputWeight!), inputBias!, (a, b) => a + b);
    const gh = R.zip(R.matMul(h, hiddenWeight!), hiddenBias!, (a, b) => a + b);
    const part = (a: R.ReferenceArray, k: number) => R.slice(a, [0, 3 * k], [2, 3]);
    const reset = R.map(
      R.zip(part(gx, 0), part(gh, 0), (a, b) => a + b),
      sigmoid,
    );
    const update = R.map(
      R.zip(part(gx, 1), part(gh, 1), (a, b) => a + b),
      sigmoid,
    );
    const candidate = R.map(
      R.zip(
        part(gx, 2),
        R.zip(reset, part(gh, 2), (a, b) => a * b),
        (a, b) => a + b,
      ),
      Math.tanh,
    );
    return R.zip3(update, candidate, h, (z, n, hh) => (1 - z) * n + z * hh);
  };
  // A sequence: B 2, T 3, in 2, H 3; the second row's state is reset before its last step.
  const sequenceResets = [0, 0, 0, 0, 0, 1];
  const gruSequenceReference = (all: R.ReferenceArray[]) => {
    const [x, h0, hiddenBias, hiddenWeight, inputBias, inputWeight] = all as R.ReferenceArray[];
    const out = new Float64Array(2 * 3 * 3);
    for (let b = 0; b < 2; b += 1) {
      let h = Array.from(h0!.data.subarray(3 * b, 3 * b + 3));
      for (let t = 0; t < 3; t += 1) {
        if (sequenceResets[b * 3 + t] === 1) h = [0, 0, 0];
        const input = Array.from(x!.data.subarray((b * 3 + t) * 2, (b * 3 + t) * 2 + 2));
        const gate = (k: number, j: number, fromHidden: boolean) => {
          let v = fromHidden ? hiddenBias!.data[3 * k + j]! : inputBias!.data[3 * k + j]!;
          if (fromHidden) for (let i = 0; i < 3; i += 1) v += h[i]! * hiddenWeight!.data[i * 9 + 3 * k + j]!;
          else for (let i = 0; i < 2; i += 1) v += input[i]! * inputWeight!.data[i * 9 + 3 * k + j]!;
          return v;
        };
        h = h.map((hj, j) => {
          const reset = sigmoid(gate(0, j, false) + gate(0, j, true));
          const update = sigmoid(gate(1, j, false) + gate(1, j, true));
          const candidate = Math.tanh(gate(2, j, false) + reset * gate(2, j, true));
          return (1 - update) * candidate + update * hj;
        });
        out.set(h, (b * 3 + t) * 3);
      }
    }
    return R.array(out, [2, 3, 3]);
  };
  return [
    {
      name: 'mlp (tanh) forward',
      inputs: mlpShapes.map((shape) => ({ shape, low: -1, high: 1 })),
      apply: (inputs) => mlp.apply(paramsFromInputs(template, inputs), tf.tensor(observations, [2, 3])),
      reference: mlpReference,
    },
    {
      name: 'gru step',
      inputs: gruShapes.map((shape) => ({ shape, low: -1, high: 1 })),
      apply: (inputs) =>
        gru.apply(rebuildTree(gruTemplate, inputs), {
          input: tf.tensor(gruInput, [2, 2]),
          hidden: tf.tensor(gruHidden, [2, 3]),
        }),
      reference: gruReference,
    },
    {
      name: 'gru sequence (with a reset)',
      inputs: [
        { shape: [2, 3, 2], low: -1, high: 1 },
        { shape: [2, 3], low: -1, high: 1 },
        ...gruShapes.map((shape) => ({ shape, low: -1, high: 1 })),
      ],
      apply: ([x, h0, ...params]) =>
        applyGruSequence(rebuildTree(gruTemplate, params), x!, h0!, tf.tensor(sequenceResets, [2, 3])).states,
      reference: gruSequenceReference,
    },
  ];
}

function distributionCases(): OpCase[] {
  const actions = [0.5, -0.3, 1.2, 0.1, -0.8, 0.4];
  const gaussianLogProb = (mean: R.ReferenceArray, logStd: R.ReferenceArray) => {
    const z = R.zip3(R.array(actions, [3, 2]), mean, logStd, (a, m, s) => {
      const u = (a - m) / Math.exp(s);
      return -0.5 * u * u - s - 0.5 * Math.log(2 * Math.PI);
    });
    return R.sum(z, [1]);
  };
  const chosen = [1, 0, 2];
  return [
    {
      name: 'DiagonalGaussian.logProb',
      inputs: [{ shape: [3, 2] }, { shape: [2], low: -1, high: 0.5 }],
      apply: ([mean, logStd]) => new DiagonalGaussian(mean!, logStd!).logProb(tf.tensor(actions, [3, 2])),
      reference: ([mean, logStd]) => gaussianLogProb(mean!, logStd!),
    },
    {
      name: 'DiagonalGaussian.kl',
      inputs: [
        { shape: [3, 2] },
        { shape: [2], low: -1, high: 0.5 },
        { shape: [3, 2] },
        { shape: [2], low: -1, high: 0.5 },
      ],
      apply: ([m1, s1, m2, s2]) => new DiagonalGaussian(m1!, s1!).kl(new DiagonalGaussian(m2!, s2!)),
      reference: ([m1, s1, m2, s2]) => {
        const data = Array.from({ length: 6 }, (_v, i) => {
          const d = i % 2;
          const mu1 = m1!.data[i]!;
          const mu2 = m2!.data[i]!;
          const ls1 = s1!.data[d]!;
          const ls2 = s2!.data[d]!;
          return ls2 - ls1 + (Math.exp(2 * ls1) + (mu1 - mu2) ** 2) / (2 * Math.exp(2 * ls2)) - 0.5;
        });
        return R.sum(R.array(data, [3, 2]), [1]);
      },
    },
    {
      name: 'DiagonalGaussian.entropy',
      inputs: [{ shape: [3, 2] }, { shape: [2], low: -1, high: 0.5 }],
      apply: ([mean, logStd]) => new DiagonalGaussian(mean!, logStd!).entropy(),
      reference: ([mean, logStd]) =>
        R.sum(
          R.zip(mean!, logStd!, (_m, s) => s + 0.5 + 0.5 * Math.log(2 * Math.PI)),
          [1],
        ),
    },
    {
      name: 'Categorical.logProb',
      inputs: [{ shape: [3, 4] }],
      apply: ([logits]) => new Categorical(logits!).logProb(tf.tensor(chosen, [3], 'int32')),
      reference: ([logits]) => {
        const logP = R.mapRows(logits!, R.logSoftmaxRow);
        return R.array(
          chosen.map((c, row) => logP.data[row * 4 + c]!),
          [3],
        );
      },
    },
    {
      name: 'Categorical.entropy',
      inputs: [{ shape: [3, 4] }],
      apply: ([logits]) => new Categorical(logits!).entropy(),
      reference: ([logits]) => {
        const logP = R.mapRows(logits!, R.logSoftmaxRow);
        return R.map(
          R.sum(
            R.map(logP, (l) => -Math.exp(l) * l),
            [1],
            false,
          ),
          (v) => v,
        );
      },
    },
    {
      name: 'Categorical.kl',
      inputs: [{ shape: [3, 4] }, { shape: [3, 4] }],
      apply: ([p, q]) => new Categorical(p!).kl(new Categorical(q!)),
      reference: ([p, q]) => {
        const logP = R.mapRows(p!, R.logSoftmaxRow);
        const logQ = R.mapRows(q!, R.logSoftmaxRow);
        return R.sum(
          R.zip(logP, logQ, (a, b) => Math.exp(a) * (a - b)),
          [1],
        );
      },
    },
  ];
}

/** Every op case, in report order. */
export function listOpCases(): OpCase[] {
  return [
    // elementwise unary
    unary('neg', tf.neg, (x) => -x),
    unary('square', tf.square, (x) => x * x),
    unary('sqrt', tf.sqrt, Math.sqrt, { low: 0.5, high: 2 }),
    unary('rsqrt', tf.rsqrt, (x) => 1 / Math.sqrt(x), { low: 0.5, high: 2 }),
    unary('reciprocal', tf.reciprocal, (x) => 1 / x, { low: 0.5, high: 2 }),
    unary('exp', tf.exp, Math.exp),
    unary('expm1', tf.expm1, Math.expm1),
    unary('log', tf.log, Math.log, { low: 0.5, high: 3 }),
    unary('log1p', tf.log1p, Math.log1p, { low: -0.5, high: 2 }),
    unary('tanh', tf.tanh, Math.tanh),
    unary('sigmoid', tf.sigmoid, sigmoid),
    unary('softplus', tf.softplus, (x) => Math.log1p(Math.exp(x))),
    unary('relu', tf.relu, (x) => Math.max(x, 0), { awayFrom: [0] }),
    unary('relu6', tf.relu6, (x) => Math.min(Math.max(x, 0), 6), { low: -2, high: 8, awayFrom: [0, 6] }),
    unary('elu', tf.elu, (x) => (x > 0 ? x : Math.expm1(x)), { awayFrom: [0] }),
    unary(
      'leakyRelu',
      (x) => tf.leakyRelu(x, 0.2),
      (x) => (x > 0 ? x : Math.fround(0.2) * x),
      { awayFrom: [0] },
    ),
    unary('abs', tf.abs, Math.abs, { awayFrom: [0] }),
    unary('sin', tf.sin, Math.sin),
    unary('cos', tf.cos, Math.cos),
    unary(
      'clipByValue',
      (x) => tf.clipByValue(x, -1, 1),
      (x) => Math.min(Math.max(x, -1), 1),
      { awayFrom: [-1, 1] },
    ),
    unary(
      'step-masked product',
      (x) => tf.mul(x, tf.step(x)),
      (x) => Math.max(x, 0),
      { awayFrom: [0] },
    ),
    unary(
      'identity (clone)',
      (x) => tf.mul(tf.clone(x), x),
      (x) => x * x,
    ),
    unary(
      'cast float32',
      (x) => tf.mul(tf.cast(x, 'float32'), x),
      (x) => x * x,
    ),
    // elementwise binary with broadcasting
    binary('add (broadcast)', tf.add, (a, b) => a + b),
    binary('sub (broadcast)', tf.sub, (a, b) => a - b),
    binary('mul (broadcast)', tf.mul, (a, b) => a * b),
    binary('div (broadcast)', tf.div, (a, b) => a / b, {}, { shape: [4], low: 0.5, high: 2 }),
    binary('squaredDifference', tf.squaredDifference, (a, b) => (a - b) ** 2),
    binary('maximum', tf.maximum, Math.max, {}, { shape: M, awayFromInput: 0 }),
    binary('minimum', tf.minimum, Math.min, {}, { shape: M, awayFromInput: 0 }),
    binary('pow', tf.pow, (a, b) => a ** b, { low: 0.5, high: 2 }, { shape: M, low: -1.5, high: 1.5 }),
    {
      name: 'where',
      inputs: [{ shape: M }, { shape: M }],
      apply: ([a, b]) => tf.where(tf.tensor(mask, M, 'bool'), a!, b!),
      reference: ([a, b]) =>
        R.array(
          a!.data.map((v, i) => (mask[i] ? v : b!.data[i]!)),
          M,
        ),
    },
    {
      name: 'where (greater mask)',
      inputs: [{ shape: M, awayFrom: [0] }],
      apply: ([x]) => tf.where(tf.greater(x!, 0), tf.mul(x!, x!), tf.neg(x!)),
      reference: ([x]) => R.map(x!, (v) => (v > 0 ? v * v : -v)),
    },
    {
      name: 'addN',
      inputs: [{ shape: M }, { shape: M }, { shape: M }],
      apply: ([a, b, c]) => tf.addN([tf.mul(a!, b!), c!, a!]),
      reference: ([a, b, c]) => R.zip3(a!, b!, c!, (x, y, z) => x * y + z + x),
    },
    // reductions
    {
      name: 'sum (axis 1)',
      inputs: [{ shape: M }],
      apply: ([x]) => tf.sum(x!, 1),
      reference: ([x]) => R.sum(x!, [1]),
    },
    {
      name: 'sum (all, keepDims)',
      inputs: [{ shape: M }],
      apply: ([x]) => tf.sum(tf.square(x!), undefined, true),
      reference: ([x]) =>
        R.sum(
          R.map(x!, (v) => v * v),
          [0, 1],
          true,
        ),
    },
    {
      name: 'mean (axis 0)',
      inputs: [{ shape: M }],
      apply: ([x]) => tf.mean(x!, 0),
      reference: ([x]) => R.reduce(x!, [0], (v) => R.sumOf(v) / v.length),
    },
    {
      name: 'max (axis 1)',
      inputs: [{ shape: M, distinct: true, low: -3, high: 3 }],
      apply: ([x]) => tf.max(x!, 1),
      reference: ([x]) => R.reduce(x!, [1], (v) => Math.max(...v)),
    },
    {
      name: 'min (axis 0)',
      inputs: [{ shape: M, distinct: true, low: -3, high: 3 }],
      apply: ([x]) => tf.min(x!, 0),
      reference: ([x]) => R.reduce(x!, [0], (v) => Math.min(...v)),
    },
    {
      name: 'softmax',
      inputs: [{ shape: M }],
      apply: ([x]) => tf.softmax(x!),
      reference: ([x]) => R.mapRows(x!, R.softmaxRow),
    },
    {
      name: 'logSoftmax (core)',
      inputs: [{ shape: M }],
      apply: ([x]) => logSoftmax(x!),
      reference: ([x]) => R.mapRows(x!, R.logSoftmaxRow),
    },
    {
      name: 'logSumExp (core)',
      inputs: [{ shape: M }],
      apply: ([x]) => logSumExp(x!, -1),
      reference: ([x]) => R.reduce(x!, [1], (v) => Math.log(v.reduce((p, u) => p + Math.exp(u), 0))),
    },
    {
      name: 'selectLastAxis (one-hot)',
      inputs: [{ shape: [3, 4] }],
      apply: ([x]) => selectLastAxis(x!, tf.tensor(fixedIndices, [3], 'int32')),
      reference: ([x]) =>
        R.array(
          fixedIndices.map((c, row) => x!.data[row * 4 + c]!),
          [3],
        ),
    },
    {
      name: 'gather (axis 1)',
      inputs: [{ shape: [3, 4] }],
      apply: ([x]) => tf.gather(x!, tf.tensor([3, 1, 1], [3], 'int32'), 1),
      reference: ([x]) =>
        R.array(
          [0, 1, 2].flatMap((row) => [3, 1, 1].map((c) => x!.data[row * 4 + c]!)),
          [3, 3],
        ),
    },
    {
      name: 'cumsum',
      inputs: [{ shape: M }],
      apply: ([x]) => tf.cumsum(x!, 1),
      reference: ([x]) =>
        R.mapRows(x!, (row) => {
          let total = 0;
          return row.map((v) => {
            total += v;
            return total;
          });
        }),
    },
    {
      name: 'cumsum (exclusive, reverse)',
      inputs: [{ shape: M }],
      apply: ([x]) => tf.cumsum(x!, 1, true, true),
      reference: ([x]) =>
        R.mapRows(x!, (row) => {
          const out = new Float64Array(row.length);
          let total = 0;
          for (let i = row.length - 1; i >= 0; i -= 1) {
            out[i] = total;
            total += row[i]!;
          }
          return out;
        }),
    },
    // linear algebra
    ...(
      [
        [false, false],
        [false, true],
        [true, false],
        [true, true],
      ] as const
    ).map(
      ([ta, tb]): OpCase => ({
        name: `matMul (transposeA ${ta}, transposeB ${tb})`,
        inputs: [{ shape: ta ? [4, 3] : [3, 4] }, { shape: tb ? [5, 4] : [4, 5] }],
        apply: ([a, b]) => tf.matMul(a!, b!, ta, tb),
        reference: ([a, b]) => R.matMul(a!, b!, ta, tb),
      }),
    ),
    {
      name: 'matMul (task-batched)',
      inputs: [{ shape: [2, 3, 4] }, { shape: [2, 4, 5] }],
      apply: ([a, b]) => tf.matMul(a!, b!),
      reference: ([a, b]) => R.matMul(a!, b!),
    },
    // shape
    {
      name: 'reshape',
      inputs: [{ shape: M }],
      apply: ([x]) => tf.mul(tf.reshape(x!, [2, 6]), tf.reshape(x!, [2, 6])),
      reference: ([x]) =>
        R.reshape(
          R.map(x!, (v) => v * v),
          [2, 6],
        ),
    },
    {
      name: 'transpose',
      inputs: [{ shape: [2, 3, 4] }],
      apply: ([x]) => tf.transpose(x!, [2, 0, 1]),
      reference: ([x]) => R.transpose(x!, [2, 0, 1]),
    },
    {
      name: 'expandDims + squeeze',
      inputs: [{ shape: M }],
      apply: ([x]) => tf.squeeze(tf.mul(tf.expandDims(x!, 1), tf.expandDims(x!, 1)), [1]),
      reference: ([x]) => R.map(x!, (v) => v * v),
    },
    {
      name: 'tile',
      inputs: [{ shape: [2, 3] }],
      apply: ([x]) => tf.tile(x!, [2, 2]),
      reference: ([x]) => {
        const row = (r: number) => R.slice(x!, [r, 0], [1, 3]);
        const wide = (r: number) => R.concat([row(r), row(r)], 1);
        return R.concat([wide(0), wide(1), wide(0), wide(1)], 0);
      },
    },
    {
      name: 'broadcastTo',
      inputs: [{ shape: [1, 4] }],
      apply: ([x]) => tf.broadcastTo(x!, [3, 4]),
      reference: ([x]) => R.concat([x!, x!, x!], 0),
    },
    {
      name: 'concat',
      inputs: [{ shape: [3, 2] }, { shape: [3, 4] }],
      apply: ([a, b]) => tf.concat([a!, b!], 1),
      reference: ([a, b]) => R.concat([a!, b!], 1),
    },
    {
      name: 'stack + unstack',
      inputs: [{ shape: [3] }, { shape: [3] }],
      apply: ([a, b]) => {
        const [u, v] = tf.unstack(tf.stack([a!, b!], 1), 0) as [tf.Tensor, tf.Tensor];
        return tf.concat([tf.mul(u, v), u], 0);
      },
      reference: ([a, b]) => {
        const u = [a!.data[0]!, b!.data[0]!];
        const v = [a!.data[1]!, b!.data[1]!];
        return R.array([u[0]! * v[0]!, u[1]! * v[1]!, u[0]!, u[1]!], [4]);
      },
    },
    {
      name: 'split',
      inputs: [{ shape: [3, 6] }],
      apply: ([x]) => {
        const [a, b] = tf.split(x!, [2, 4], 1) as [tf.Tensor, tf.Tensor];
        return tf.mul(tf.sum(a, 1), tf.sum(b, 1));
      },
      reference: ([x]) => {
        const a = R.sum(R.slice(x!, [0, 0], [3, 2]), [1]);
        const b = R.sum(R.slice(x!, [0, 2], [3, 4]), [1]);
        return R.zip(a, b, (u, v) => u * v);
      },
    },
    {
      // One output: tfjs hands the gradient function a single tensor rather than a list.
      name: 'unstack and split into one part',
      inputs: [{ shape: [1, 3] }],
      apply: ([x]) => {
        const [u] = tf.unstack(x!, 0) as [tf.Tensor];
        const [w] = tf.split(x!, [3], 1) as [tf.Tensor];
        return tf.add(tf.mul(u, u), tf.reshape(w, [3]));
      },
      reference: ([x]) => {
        const u = R.reshape(x!, [3]);
        return R.zip(
          R.map(u, (v) => v * v),
          u,
          (a, b) => a + b,
        );
      },
    },
    {
      name: 'slice',
      inputs: [{ shape: [3, 5] }],
      apply: ([x]) => tf.slice(x!, [1, 1], [2, 3]),
      reference: ([x]) => R.slice(x!, [1, 1], [2, 3]),
    },
    {
      name: 'pad',
      inputs: [{ shape: [2, 3] }],
      apply: ([x]) =>
        tf.pad(x!, [
          [1, 0],
          [0, 2],
        ]),
      reference: ([x]) => {
        const data = new Float64Array(15);
        for (let r = 0; r < 2; r += 1)
          for (let c = 0; c < 3; c += 1) data[(r + 1) * 5 + c] = x!.data[r * 3 + c]!;
        return R.array(data, [3, 5]);
      },
    },
    {
      name: 'reverse',
      inputs: [{ shape: M }],
      apply: ([x]) => tf.mul(tf.reverse(x!, 1), x!),
      reference: ([x]) => R.mapRows(x!, (row) => row.map((v, i) => v * row[row.length - 1 - i]!)),
    },
    // composites that algorithms differentiate
    ...distributionCases(),
    ...moduleCases(),
  ];
}
