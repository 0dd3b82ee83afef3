/**
 * First- and second-order gradient checks of tfjs computations against float64 central finite
 * differences of an independent reference implementation.
 */

import type { Rng } from '@metarl/envs';
import * as tf from '@tensorflow/tfjs-core';
import { ensureExactGradients } from '../tfjs-internals/exact-gradients';

/** A scalar function of several float inputs, in tfjs and in a float64 reference. */
export interface GradientCheckCase {
  /** Shown in reports. */
  readonly name: string;
  /** The point of evaluation: values (float32-representable) and shapes of each input. */
  readonly inputs: readonly { readonly values: Float64Array; readonly shape: readonly number[] }[];
  /** The tfjs computation (run inside a gradient scope). */
  compute(inputs: tf.Tensor[]): tf.Scalar;
  /** The same function in float64. */
  reference(inputs: Float64Array[]): number;
  /** Largest relative error accepted at each order; default 1e-5 at both orders. */
  readonly tolerance?: { readonly first?: number; readonly second?: number };
  /** Finite-difference step for the first order (default 1e-5) and second order (default 1e-4). */
  readonly steps?: { readonly first?: number; readonly second?: number };
}

/** One check's measurement. */
export interface GradientCheckResult {
  /** Case name. */
  readonly name: string;
  /** 1: gradient; 2: Hessian-vector product. */
  readonly order: 1 | 2;
  /** ||autodiff - finite differences|| / max(||finite differences||, 1e-6). */
  readonly relativeError: number;
  /** The bound it was held to. */
  readonly tolerance: number;
  /** relativeError <= tolerance (and finite). */
  readonly passed: boolean;
}

function norm(values: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < values.length; i += 1) total += values[i]! * values[i]!;
  return Math.sqrt(total);
}

/** ||actual - expected|| / max(||expected||, 1e-6). */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  const difference = new Float64Array(expected.length);
  for (let i = 0; i < expected.length; i += 1) difference[i] = actual[i]! - expected[i]!;
  return norm(difference) / Math.max(norm(expected), 1e-6);
}

function concatenate(parts: readonly ArrayLike<number>[]): Float64Array {
  const out = new Float64Array(parts.reduce((p, part) => p + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(Array.from(part), offset);
    offset += part.length;
  }
  return out;
}

function splitLike(flat: Float64Array, like: readonly { readonly values: Float64Array }[]): Float64Array[] {
  let offset = 0;
  return like.map(({ values }) => {
    const part = flat.slice(offset, offset + values.length);
    offset += values.length;
    return part;
  });
}

/** A random direction of unit scale per entry, float32-representable. */
function direction(rng: Rng, count: number): Float64Array {
  return Float64Array.from(rng.normal(count), (v) => Math.fround(v));
}

/** Central-difference gradient of `f` at `x0` with step `h`, in float64. */
export function numericGradient(f: (x: Float64Array) => number, x0: Float64Array, h: number): Float64Array {
  const out = new Float64Array(x0.length);
  const point = Float64Array.from(x0);
  for (let i = 0; i < x0.length; i += 1) {
    point[i] = x0[i]! + h;
    const up = f(point);
    point[i] = x0[i]! - h;
    const down = f(point);
    point[i] = x0[i]!;
    out[i] = (up - down) / (2 * h);
  }
  return out;
}

/**
 * H v of `f` at `x0` in float64: the central-difference gradient of the central-difference
 * directional derivative along `v` (four evaluations per coordinate).
 */
export function numericHessianVectorProduct(
  f: (x: Float64Array) => number,
  x0: Float64Array,
  v: Float64Array,
  h: number,
): Float64Array {
  const directional = (at: Float64Array) => {
    const plus = at.map((value, j) => value + h * v[j]!);
    const minus = at.map((value, j) => value - h * v[j]!);
    return (f(plus) - f(minus)) / (2 * h);
  };
  return numericGradient(directional, x0, h);
}

/** Autodiff gradient and Hessian-vector product (exact, via nested gradients) in tfjs. */
async function autodiff(
  testCase: GradientCheckCase,
  vector: Float64Array,
): Promise<{ gradient: Float64Array; hvp: Float64Array }> {
  ensureExactGradients();
  const { gradient, hvp } = tf.tidy(() => {
    const xs = testCase.inputs.map((input) =>
      tf.tensor(Float32Array.from(input.values), input.shape as number[]),
    );
    const vs = splitLike(vector, testCase.inputs).map((v, i) =>
      tf.tensor(Float32Array.from(v), testCase.inputs[i]!.shape as number[]),
    );
    const gradientOf = tf.grads((...inputs: tf.Tensor[]) => testCase.compute(inputs));
    const first = gradientOf(xs).map((g) => tf.reshape(g, [-1]));
    const product = tf.grads((...inputs: tf.Tensor[]) => {
      const g = gradientOf(inputs);
      return tf.addN(g.map((gi, i) => tf.sum(tf.mul(gi, vs[i]!)))) as tf.Scalar;
    })(xs);
    return { gradient: tf.concat(first), hvp: tf.concat(product.map((h) => tf.reshape(h, [-1]))) };
  });
  // Asynchronous reads: GPU backends (WebGPU) cannot read synchronously.
  const [g, h] = await Promise.all([gradient.data(), hvp.data()]);
  gradient.dispose();
  hvp.dispose();
  return { gradient: Float64Array.from(g), hvp: Float64Array.from(h) };
}

/**
 * Checks `testCase`'s gradient (order 1) and Hessian-vector product along a random direction
 * (order 2) against float64 central differences of its reference.
 */
export async function checkGradientCase(
  testCase: GradientCheckCase,
  rng: Rng,
): Promise<[GradientCheckResult, GradientCheckResult]> {
  const x0 = concatenate(testCase.inputs.map((input) => input.values));
  const vector = direction(rng, x0.length);
  const f = (flat: Float64Array) => testCase.reference(splitLike(flat, testCase.inputs));
  const h1 = testCase.steps?.first ?? 1e-5;
  const h2 = testCase.steps?.second ?? 1e-4;

  const numeric = numericGradient(f, x0, h1);
  const numericProduct = numericHessianVectorProduct(f, x0, vector, h2);
  const { gradient, hvp } = await autodiff(testCase, vector);
  const first = relativeError(gradient, numeric);
  const second = relativeError(hvp, numericProduct);
  const firstTolerance = testCase.tolerance?.first ?? 1e-5;
  const secondTolerance = testCase.tolerance?.second ?? 1e-5;
  return [
    {
      name: testCase.name,
      order: 1,
      relativeError: first,
      tolerance: firstTolerance,
      passed: first <= firstTolerance,
    },
    {
      name: testCase.name,
      order: 2,
      relativeError: second,
      tolerance: secondTolerance,
      passed: second <= secondTolerance,
    },
  ];
}
