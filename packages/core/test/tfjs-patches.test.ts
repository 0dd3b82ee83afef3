// Other tfjs code in the same process as metarl: @tensorflow/tfjs (the union package, and so
// tfjs-layers' users) registers tfjs's gradients for every kernel exactly like this import does.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { describe, expect, it } from 'vitest';
import { GradientError, gradients, hessianVectorProduct, type ParamTree, tf, useBackend } from '../src/index';

const [ROWS, INPUTS, OUTPUTS] = [8, 3, 4];
const inputs = Array.from({ length: ROWS * INPUTS }, (_v, i) => Math.sin(1.7 * i + 0.3));
const teacher = Array.from({ length: INPUTS * OUTPUTS }, (_v, i) => Math.cos(0.9 * i));
const startWeight = Array.from({ length: INPUTS * OUTPUTS }, (_v, i) => 0.3 * Math.sin(2.3 * i + 1));
const startSlope = [0.1, 0.2, -0.1, 0.05];

/** z = x W, p = prelu(z, slope), q = atan2(p, 1) (kernels metarl has no gradient for), in float64. */
function forward(weight: readonly number[], slope: readonly number[]) {
  const z = Array.from({ length: ROWS * OUTPUTS }, (_v, k) => {
    const [i, j] = [Math.floor(k / OUTPUTS), k % OUTPUTS];
    let sum = 0;
    for (let m = 0; m < INPUTS; m += 1) sum += inputs[i * INPUTS + m]! * weight[m * OUTPUTS + j]!;
    return sum;
  });
  const p = z.map((v, k) => (v > 0 ? v : slope[k % OUTPUTS]! * v));
  return { z, p, q: p.map(Math.atan) };
}

const targets = forward(teacher, [0.25, 0.25, 0.25, 0.25]).q;

/** The loss mean((q - target)²) and its gradient in closed form, in float64. */
function closedForm(weight: readonly number[], slope: readonly number[]) {
  const { z, p, q } = forward(weight, slope);
  const count = ROWS * OUTPUTS;
  const dq = q.map((v, k) => (2 * (v - targets[k]!)) / count);
  const dp = dq.map((v, k) => v / (1 + p[k]! * p[k]!));
  const dz = dp.map((v, k) => (z[k]! > 0 ? v : slope[k % OUTPUTS]! * v));
  const dWeight = weight.map((_w, index) => {
    const [m, j] = [Math.floor(index / OUTPUTS), index % OUTPUTS];
    let sum = 0;
    for (let i = 0; i < ROWS; i += 1) sum += inputs[i * INPUTS + m]! * dz[i * OUTPUTS + j]!;
    return sum;
  });
  const dSlope = slope.map((_s, j) => {
    let sum = 0;
    for (let i = 0; i < ROWS; i += 1)
      if (z[i * OUTPUTS + j]! <= 0) sum += dp[i * OUTPUTS + j]! * z[i * OUTPUTS + j]!;
    return sum;
  });
  return { loss: q.reduce((s, v, k) => s + (v - targets[k]!) ** 2, 0) / count, dWeight, dSlope };
}

function expectClose(actual: ArrayLike<number>, expected: readonly number[], tolerance: number) {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i += 1)
    expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThan(tolerance * (1 + Math.abs(expected[i]!)));
}

for (const backend of ['wasm', 'cpu']) {
  describe(`tfjs's own training API after useBackend('${backend}')`, () => {
    it("keeps tfjs's gradients of kernels metarl does not define: tf.variableGrads and an optimiser train a prelu-atan2 model", async () => {
      await useBackend(backend);
      expect(tf.getGradient('Prelu')).toBeDefined();
      expect(tf.getGradient('Atan2')).toBeDefined();
      const x = tf.tensor2d(inputs, [ROWS, INPUTS]);
      const y = tf.tensor2d(targets, [ROWS, OUTPUTS]);
      const weight = tf.variable(tf.tensor2d(startWeight, [INPUTS, OUTPUTS]));
      const slope = tf.variable(tf.tensor1d(startSlope));
      const loss = () =>
        tf.mean(
          tf.square(tf.sub(tf.atan2(tf.prelu(tf.matMul(x, weight), slope), tf.onesLike(y)), y)),
        ) as tf.Scalar;

      const { value, grads } = tf.variableGrads(loss);
      const expected = closedForm(startWeight, startSlope);
      expectClose(value.dataSync(), [expected.loss], 1e-6);
      expectClose(grads[weight.name]!.dataSync(), expected.dWeight, 1e-5);
      expectClose(grads[slope.name]!.dataSync(), expected.dSlope, 1e-5);
      tf.dispose([value, ...Object.values(grads)]);

      const optimiser = tf.train.sgd(1);
      for (let step = 0; step < 50; step += 1) optimiser.minimize(loss)?.dispose();
      const trained = closedForm(Array.from(weight.dataSync()), Array.from(slope.dataSync()));
      expect(trained.loss).toBeLessThan(0.2 * expected.loss);
      optimiser.dispose();
      tf.dispose([x, y, weight, slope]);
    });

    it("refuses those kernels inside metarl's own gradients, whatever tfjs registered", async () => {
      await useBackend(backend);
      const params: ParamTree = { x: tf.tensor1d([0.5, -1]) };
      const usesAtan2AndPrelu = (p: ParamTree) =>
        tf.sum(tf.atan2(tf.prelu(p.x as tf.Tensor, tf.scalar(0.1)), tf.scalar(1))) as tf.Scalar;
      expect(() => gradients(usesAtan2AndPrelu, params)).toThrow(GradientError);
      expect(() => gradients(usesAtan2AndPrelu, params)).toThrow(
        /no exact gradient for the tfjs kernels 'Atan2', 'Prelu'/,
      );
      expect(() => hessianVectorProduct(usesAtan2AndPrelu, params, { x: tf.tensor1d([1, 1]) })).toThrow(
        /no exact gradient for the tfjs kernels 'Atan2', 'Prelu'/,
      );
      // Off the path from the params to the value they are fine, and so are custom-gradient ops.
      const constant = tf.atan2(tf.tensor1d([1, 2]), tf.scalar(1));
      const double = tf.customGrad(((input: tf.Tensor) => ({
        value: tf.mul(input, 2),
        gradFunc: (dy: tf.Tensor) => tf.mul(dy, 2),
      })) as unknown as Parameters<typeof tf.customGrad>[0]);
      const grads = gradients((p) => tf.sum(tf.mul(double(p.x as tf.Tensor), constant)) as tf.Scalar, params);
      expectClose((grads.x as tf.Tensor).dataSync(), [2 * Math.atan(1), 2 * Math.atan(2)], 1e-6);
    });
  });
}
