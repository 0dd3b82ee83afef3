/**
 * The two checks that matter most for meta-RL, against float64 finite differences:
 * a full MAML meta-gradient (Gaussian MLP policy, one inner policy-gradient step, outer
 * policy-gradient loss, differentiated through the inner step) and a Hessian-vector product.
 */

import { createRng, type Rng } from '@metarl/envs';
import * as tf from '@tensorflow/tfjs-core';
import { gradients, hessianVectorProduct } from '../autodiff/differentiate';
import { DiagonalGaussian } from '../distributions/diagonal-gaussian';
import { createMlp } from '../nn/mlp';
import {
  disposeParams,
  type ParamTree,
  readParams,
  scaleParams,
  subtractParams,
  unflattenParams,
} from '../params/param-tree';
import {
  type GradientCheckResult,
  numericGradient,
  numericHessianVectorProduct,
  relativeError,
} from './gradient-check';
import * as R from './reference-array';

const OBSERVATION_SIZE = 2;
const ACTION_SIZE = 2;
const HIDDEN = [8, 8];
const BATCH = 10;
const INNER_STEP = 0.1;

interface Batch {
  observations: number[];
  actions: number[];
  advantages: number[];
}

function drawBatch(rng: Rng): Batch {
  const fround = (v: number) => Math.fround(v);
  return {
    observations: Array.from(rng.normal(BATCH * OBSERVATION_SIZE), fround),
    actions: Array.from(rng.normal(BATCH * ACTION_SIZE), fround),
    advantages: Array.from(rng.normal(BATCH), fround),
  };
}

const policyNetwork = createMlp({
  inputSize: OBSERVATION_SIZE,
  hiddenSizes: HIDDEN,
  outputSize: ACTION_SIZE,
});

/** The policy-gradient surrogate -mean(log pi(a|s) * A) in tfjs. */
function surrogate(params: ParamTree, batch: Batch): tf.Scalar {
  return tf.tidy(() => {
    const mean = policyNetwork.apply(
      params.policy as ParamTree,
      tf.tensor(batch.observations, [BATCH, OBSERVATION_SIZE]),
    );
    const logProb = new DiagonalGaussian(mean, params.logStd as tf.Tensor).logProb(
      tf.tensor(batch.actions, [BATCH, ACTION_SIZE]),
    );
    return tf.neg(tf.mean(tf.mul(logProb, tf.tensor(batch.advantages, [BATCH])))) as tf.Scalar;
  });
}

/** The same surrogate in float64 over the flat parameter vector (sorted leaf order). */
function surrogateReference(flat: Float64Array, batch: Batch): number {
  // sorted leaves: logStd [2], policy/hidden0/{bias [8], weight [2,8]}, policy/hidden1/{bias, weight [8,8]},
  // policy/output/{bias [2], weight [8,2]}
  const sizes: [string, number[]][] = [
    ['logStd', [ACTION_SIZE]],
    ['b0', [HIDDEN[0]!]],
    ['w0', [OBSERVATION_SIZE, HIDDEN[0]!]],
    ['b1', [HIDDEN[1]!]],
    ['w1', [HIDDEN[0]!, HIDDEN[1]!]],
    ['b2', [ACTION_SIZE]],
    ['w2', [HIDDEN[1]!, ACTION_SIZE]],
  ];
  const parts: Record<string, R.ReferenceArray> = {};
  let offset = 0;
  for (const [name, shape] of sizes) {
    const count = R.size(shape);
    parts[name] = R.array(flat.subarray(offset, offset + count), shape);
    offset += count;
  }
  const add = (a: R.ReferenceArray, b: R.ReferenceArray) => R.zip(a, b, (x, y) => x + y);
  const x = R.array(batch.observations, [BATCH, OBSERVATION_SIZE]);
  const h0 = R.map(add(R.matMul(x, parts.w0!), parts.b0!), Math.tanh);
  const h1 = R.map(add(R.matMul(h0, parts.w1!), parts.b1!), Math.tanh);
  const mean = add(R.matMul(h1, parts.w2!), parts.b2!);
  let total = 0;
  for (let i = 0; i < BATCH; i += 1) {
    let logProb = 0;
    for (let d = 0; d < ACTION_SIZE; d += 1) {
      const logStd = parts.logStd!.data[d]!;
      const u = (batch.actions[i * ACTION_SIZE + d]! - mean.data[i * ACTION_SIZE + d]!) / Math.exp(logStd);
      logProb += -0.5 * u * u - logStd - 0.5 * Math.log(2 * Math.PI);
    }
    total += logProb * batch.advantages[i]!;
  }
  return -total / BATCH;
}

function initialParams(rng: Rng): ParamTree {
  const policy = policyNetwork.init(rng);
  return { policy, logStd: tf.tensor1d([-0.5, -0.3]) };
}

/** Everything the checks below share: the point, the data, and flat float64 views. */
async function setUp(seed: number) {
  const rng = createRng(seed);
  const params = initialParams(rng);
  const inner = drawBatch(rng);
  const outer = drawBatch(rng);
  const flat = Float64Array.from(await readParams(params));
  return { rng, params, inner, outer, flat };
}

/**
 * MAML meta-gradient d/dθ L_out(θ - α ∇L_in(θ)) by exact second-order autodiff, against
 * float64 finite differences of a reference whose inner gradient is itself a finite difference.
 */
export async function checkMamlMetaGradient(seed = 11, tolerance = 1e-4): Promise<GradientCheckResult> {
  const { params, inner, outer, flat } = await setUp(seed);
  const metaObjective = (theta: ParamTree): tf.Scalar => {
    const innerGradients = gradients((p) => surrogate(p, inner), theta);
    const step = scaleParams(innerGradients, INNER_STEP);
    const adapted = subtractParams(theta, step);
    const loss = surrogate(adapted, outer);
    disposeParams(innerGradients);
    disposeParams(step);
    disposeParams(adapted);
    return loss;
  };
  const metaGradient = gradients(metaObjective, params);
  const autodiff = await readParams(metaGradient);
  disposeParams(metaGradient);
  disposeParams(params);

  const referenceMeta = (theta: Float64Array) => {
    const innerGradient = numericGradient((p) => surrogateReference(p, inner), theta, 1e-6);
    const adapted = theta.map((v, i) => v - INNER_STEP * innerGradient[i]!);
    return surrogateReference(adapted, outer);
  };
  const numeric = numericGradient(referenceMeta, flat, 1e-4);
  const error = relativeError(autodiff, numeric);
  return {
    name: 'MAML meta-gradient (MLP 2-8-8-2 tanh Gaussian policy, 1 inner step, second order)',
    order: 2,
    relativeError: error,
    tolerance,
    passed: error <= tolerance,
  };
}

/** Hessian-vector product of the policy-gradient surrogate (`hessianVectorProduct`). */
export async function checkHessianVectorProduct(seed = 12, tolerance = 1e-4): Promise<GradientCheckResult> {
  const { rng, params, outer, flat } = await setUp(seed);
  const direction = Float32Array.from(rng.normal(flat.length));
  const vector = unflattenParams(params, direction);
  const product = hessianVectorProduct((p) => surrogate(p, outer), params, vector);
  const autodiff = await readParams(product);
  disposeParams(product);
  disposeParams(vector);
  disposeParams(params);
  const numeric = numericHessianVectorProduct(
    (p) => surrogateReference(p, outer),
    flat,
    Float64Array.from(direction),
    1e-4,
  );
  const error = relativeError(autodiff, numeric);
  return {
    name: 'Hessian-vector product (policy-gradient surrogate, MLP 2-8-8-2)',
    order: 2,
    relativeError: error,
    tolerance,
    passed: error <= tolerance,
  };
}
