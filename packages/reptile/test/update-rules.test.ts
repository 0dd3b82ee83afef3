/**
 * The exact update rules on 2-parameter quadratics, against float64 arithmetic written out by
 * hand: Reptile with SGD is theta + eps (phi_k - theta); with k = 1 it is eps times one
 * joint-training SGD step; first-order MAML is eps times the query gradient at phi_k; Adam
 * outer and inner rules, annealing and frozen parameters.
 *
 * Each task i is the least-squares problem of two examples x1 = (s1, 0), x2 = (0, s2) with
 * targets y_i: its loss L_i(w) = ((s1 w1 - y_i1)^2 + (s2 w2 - y_i2)^2) / 2 is a quadratic in w.
 */
import { createSgd, type Module, tf, useBackend } from '@metarl/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSupervisedReptile, type SupervisedReptileConfig, type TaskExamples } from '../src/index';

const SCALES = [1.5, 0.5] as const;
const START = [0.3, -0.7] as const;

/** w (and an optional bias b) applied to inputs [T, N, 2]: x . w + b. Initial w = START, b = 0.2. */
const linearModel: Module<tf.Tensor, tf.Tensor> = {
  init: (_rng) => ({ w: tf.tensor2d([[START[0]], [START[1]]]), b: tf.tensor1d([0.2]) }),
  apply: (params, inputs) =>
    tf.tidy(() => {
      const w = params.w as tf.Tensor;
      const b = params.b as tf.Tensor;
      const out = w.rank === 3 ? tf.matMul(inputs, w) : tf.matMul(inputs, tf.expandDims(w, 0));
      return tf.add(out, b.rank === 2 ? tf.expandDims(b, 1) : b);
    }),
};

/** Examples of the tasks with targets `targets[i] = [y_i1, y_i2]`. */
function examples(targets: readonly (readonly [number, number])[]): TaskExamples {
  const inputs = targets.flatMap(() => [
    [SCALES[0], 0],
    [0, SCALES[1]],
  ]);
  return {
    inputs: tf.tensor3d(inputs.flat(), [targets.length, 2, 2]),
    targets: tf.tensor3d(targets.flat(), [targets.length, 2, 1]),
  };
}

/**
 * The gradient of the MSE over the two examples (mean over examples: (1/2) sum) at (w, b):
 * d/dw_j = s_j r_j, d/db = (r_1 + r_2) / 2 ... with r_j = s_j w_j + b - y_j, scaled by 2/2.
 */
function gradient(w: readonly number[], b: number, y: readonly number[]): { w: number[]; b: number } {
  const r = [SCALES[0] * w[0]! + b - y[0]!, SCALES[1] * w[1]! + b - y[1]!];
  // MSE = mean_j r_j^2 = (r_1^2 + r_2^2) / 2, so dMSE/dw_j = r_j s_j and dMSE/db = r_1 + r_2.
  return { w: [r[0]! * SCALES[0], r[1]! * SCALES[1]], b: r[0]! + r[1]! };
}

function sgdSteps(
  w: number[],
  b: number,
  y: readonly number[],
  steps: number,
  rate: number,
  adaptBias = true,
) {
  let [cw, cb] = [[...w], b];
  for (let s = 0; s < steps; s += 1) {
    const g = gradient(cw, cb, y);
    cw = cw.map((v, j) => v - rate * g.w[j]!);
    if (adaptBias) cb -= rate * g.b;
  }
  return { w: cw, b: cb };
}

function run(
  config: Partial<SupervisedReptileConfig>,
  targets: readonly (readonly [number, number])[],
  query?: readonly (readonly [number, number])[],
) {
  const learner = createSupervisedReptile({ model: linearModel, loss: 'mean-squared-error', ...config });
  const steps = learner.config.innerSteps;
  const batch = examples(targets);
  const queryBatch = query === undefined ? undefined : examples(query);
  learner.metaTrainStep({
    innerBatches: Array.from({ length: steps }, () => batch),
    ...(queryBatch === undefined ? {} : { query: queryBatch }),
  });
  const params = learner.parameters();
  const result = {
    w: Array.from((params.w as tf.Tensor).dataSync()),
    b: (params.b as tf.Tensor).dataSync()[0]!,
    learner,
  };
  tf.dispose([batch.inputs, batch.targets]);
  if (queryBatch !== undefined) tf.dispose([queryBatch.inputs, queryBatch.targets]);
  return result;
}

const TARGETS = [
  [1, 2],
  [-0.5, 0.25],
  [2, -1],
] as const;
const close = (actual: readonly number[], expected: readonly number[]) =>
  actual.forEach((v, i) => {
    expect(Math.abs(v - expected[i]!)).toBeLessThan(1e-6);
  });

describe('exact update rules on quadratics', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('Reptile with SGD: theta + eps (mean phi_k - theta), for k = 3 and 3 tasks', () => {
    const { w, b, learner } = run(
      { innerOptimizer: 'sgd', innerStepSize: 0.1, innerSteps: 3, metaStepSize: 0.25 },
      TARGETS,
    );
    const phis = TARGETS.map((y) => sgdSteps([...START], 0.2, y, 3, 0.1));
    const meanW = [0, 1].map((j) => phis.reduce((s, p) => s + p.w[j]!, 0) / phis.length);
    const meanB = phis.reduce((s, p) => s + p.b, 0) / phis.length;
    close(
      w,
      [0, 1].map((j) => START[j]! + 0.25 * (meanW[j]! - START[j]!)),
    );
    close([b], [0.2 + 0.25 * (meanB - 0.2)]);
    learner.dispose();
  });

  it('Reptile with k = 1 is eps times one joint-training SGD step', () => {
    const { w, b, learner } = run(
      { innerOptimizer: 'sgd', innerStepSize: 0.1, innerSteps: 1, metaStepSize: 0.5 },
      TARGETS,
    );
    const grads = TARGETS.map((y) => gradient([...START], 0.2, y));
    const jointW = [0, 1].map((j) => grads.reduce((s, g) => s + g.w[j]!, 0) / grads.length);
    const jointB = grads.reduce((s, g) => s + g.b, 0) / grads.length;
    close(
      w,
      [0, 1].map((j) => START[j]! - 0.5 * 0.1 * jointW[j]!),
    );
    close([b], [0.2 - 0.5 * 0.1 * jointB]);
    learner.dispose();
  });

  it('first-order MAML: theta - eps times the mean query gradient at phi_k', () => {
    const query = [
      [0.5, 0.5],
      [1, -2],
      [0, 1],
    ] as const;
    const { w, b, learner } = run(
      {
        algorithm: 'first-order-maml',
        innerOptimizer: 'sgd',
        innerStepSize: 0.1,
        innerSteps: 2,
        metaStepSize: 0.3,
      },
      TARGETS,
      query,
    );
    const grads = TARGETS.map((y, i) => {
      const phi = sgdSteps([...START], 0.2, y, 2, 0.1);
      return gradient(phi.w, phi.b, query[i]!);
    });
    const meanW = [0, 1].map((j) => grads.reduce((s, g) => s + g.w[j]!, 0) / grads.length);
    const meanB = grads.reduce((s, g) => s + g.b, 0) / grads.length;
    close(
      w,
      [0, 1].map((j) => START[j]! - 0.3 * meanW[j]!),
    );
    close([b], [0.2 - 0.3 * meanB]);
    learner.dispose();
  });

  it('Adam outer: the first step moves every parameter by the step size against the sign of theta - mean phi', () => {
    const { w, learner } = run(
      { innerOptimizer: 'sgd', innerStepSize: 0.1, innerSteps: 2, metaOptimizer: 'adam', metaStepSize: 0.01 },
      TARGETS,
    );
    const phis = TARGETS.map((y) => sgdSteps([...START], 0.2, y, 2, 0.1));
    const g = [0, 1].map((j) => START[j]! - phis.reduce((s, p) => s + p.w[j]!, 0) / phis.length);
    // Adam's first step: m-hat = g, v-hat = g^2, so the step is lr * g / (|g| + eps).
    close(
      w,
      [0, 1].map((j) => START[j]! - (0.01 * g[j]!) / (Math.abs(g[j]!) + 1e-8)),
    );
    learner.dispose();
  });

  it('inner Adam (beta1 = 0) keeps its state across meta-steps, as one sequential run with one task per meta-step', () => {
    const learner = createSupervisedReptile({
      model: linearModel,
      loss: 'mean-squared-error',
      innerOptimizer: 'adam',
      innerStepSize: 0.05,
      innerSteps: 2,
      metaStepSize: 0.5,
    });
    // Hand-written: Adam with beta1 = 0: v <- 0.999 v + 0.001 g^2; step = lr sqrt(1 - 0.999^t) g / (sqrt(v) + eps sqrt(1 - 0.999^t)).
    let theta = { w: [...START] as number[], b: 0.2 };
    let v = { w: [0, 0], b: 0 };
    let t = 0;
    const tasks = [TARGETS[0], TARGETS[2]];
    for (const y of tasks) {
      let phi = { w: [...theta.w], b: theta.b };
      for (let s = 0; s < 2; s += 1) {
        t += 1;
        const g = gradient(phi.w, phi.b, y);
        const c = Math.sqrt(1 - 0.999 ** t);
        v = { w: v.w.map((vj, j) => 0.999 * vj + 0.001 * g.w[j]! ** 2), b: 0.999 * v.b + 0.001 * g.b ** 2 };
        phi = {
          w: phi.w.map((p, j) => p - (0.05 * c * g.w[j]!) / (Math.sqrt(v.w[j]!) + 1e-8 * c)),
          b: phi.b - (0.05 * c * g.b) / (Math.sqrt(v.b) + 1e-8 * c),
        };
      }
      theta = { w: theta.w.map((p, j) => p + 0.5 * (phi.w[j]! - p)), b: theta.b + 0.5 * (phi.b - theta.b) };
      const batch = examples([y]);
      learner.metaTrainStep({ innerBatches: [batch, batch] });
      tf.dispose([batch.inputs, batch.targets]);
    }
    close(Array.from((learner.parameters().w as tf.Tensor).dataSync()), theta.w);
    close([(learner.parameters().b as tf.Tensor).dataSync()[0]!], [theta.b]);
    learner.dispose();
  });

  it('anneals eps linearly from metaStepSize to metaStepSizeFinal over annealSteps', () => {
    const learner = createSupervisedReptile({
      model: linearModel,
      loss: 'mean-squared-error',
      innerOptimizer: 'sgd',
      innerStepSize: 0.1,
      innerSteps: 1,
      metaStepSize: 0.1,
      metaStepSizeFinal: 0,
      annealSteps: 4,
    });
    const batch = examples([TARGETS[0]]);
    const sizes = Array.from(
      { length: 6 },
      () => learner.metaTrainStep({ innerBatches: [batch] }).metaStepSize,
    );
    close(sizes, [0.1, 0.075, 0.05, 0.025, 0, 0]);
    tf.dispose([batch.inputs, batch.targets]);
    learner.dispose();
  });

  it('adaptedParameters: only w adapts; b moves by eps alpha times the sum of its inner gradients', () => {
    const { w, b, learner } = run(
      {
        innerOptimizer: 'sgd',
        innerStepSize: 0.1,
        innerSteps: 3,
        metaStepSize: 0.25,
        adaptedParameters: ['w'],
      },
      TARGETS,
    );
    // The inner loop moves w only (b stays 0.2); b's meta-gradient is alpha times the sum of its gradients on the way.
    const paths = TARGETS.map((y) => {
      let cw = [...START] as number[];
      let sumB = 0;
      for (let s = 0; s < 3; s += 1) {
        const g = gradient(cw, 0.2, y);
        sumB += g.b;
        cw = cw.map((v, j) => v - 0.1 * g.w[j]!);
      }
      return { w: cw, sumB };
    });
    const meanW = [0, 1].map((j) => paths.reduce((s, p) => s + p.w[j]!, 0) / paths.length);
    const meanSumB = paths.reduce((s, p) => s + p.sumB, 0) / paths.length;
    close(
      w,
      [0, 1].map((j) => START[j]! + 0.25 * (meanW[j]! - START[j]!)),
    );
    close([b], [0.2 - 0.25 * 0.1 * meanSumB]);
    // And adapt() leaves b at theta's value in every task.
    const support = examples(TARGETS);
    const phi = learner.adapt(support, { steps: 2, optimizer: createSgd({ learningRate: 0.1 }) });
    expect(Array.from((phi.b as tf.Tensor).dataSync())).toEqual([b, b, b].map((v) => Math.fround(v)));
    tf.dispose([support.inputs, support.targets]);
    tf.dispose(Object.values(phi as Record<string, tf.Tensor>));
    learner.dispose();
  });

  it('rejects bad configurations and batches with messages naming the field and the value', () => {
    const base = { model: linearModel, loss: 'mean-squared-error' } as const;
    expect(() => createSupervisedReptile({ ...base, innerSteps: 0 })).toThrow(
      /createSupervisedReptile: innerSteps must be an integer >= 1, got 0/,
    );
    expect(() => createSupervisedReptile({ ...base, metaStepSizeFinal: 0 })).toThrow(
      /annealSteps must be a positive integer/,
    );
    expect(() => createSupervisedReptile({ ...base, innerOptimizer: 'rmsprop' as 'sgd' })).toThrow(
      /innerOptimizer must be one of 'sgd', 'adam', got 'rmsprop'/,
    );
    expect(() => createSupervisedReptile({ ...base, adaptedParameters: ['head'] })).toThrow(
      /adaptedParameters names 'head', which is no parameter or group of the model \(its parameters: b, w\)/,
    );
    const learner = createSupervisedReptile({ ...base, innerSteps: 2 });
    const batch = examples([TARGETS[0]]);
    expect(() => learner.metaTrainStep({ innerBatches: [batch] })).toThrow(
      /holds 1 mini-batches but innerSteps is 2/,
    );
    const fomaml = createSupervisedReptile({ ...base, innerSteps: 1, algorithm: 'first-order-maml' });
    expect(() => fomaml.metaTrainStep({ innerBatches: [batch] })).toThrow(/needs batch.query/);
    tf.dispose([batch.inputs, batch.targets]);
    learner.dispose();
    fomaml.dispose();
  });
});
