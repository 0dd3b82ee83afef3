/**
 * Trust-region policy optimisation (Schulman et al. 2015) for any differentiable objective:
 * the natural-gradient direction from conjugate gradient on exact Fisher-vector products
 * (Hessian-vector products of the KL, second-order autodiff, no finite differences), scaled to
 * the KL bound, then a backtracking line search that accepts the first step that both improves
 * the loss and keeps the KL under the bound. MAML plugs in its post-adaptation surrogate and KL.
 */
import * as tf from '@tensorflow/tfjs-core';
import { hessianVectorProduct, valueAndGradients } from '../autodiff/differentiate';
import { createConfigValidator } from '../config/validate-config';
import {
  disposeParams,
  flattenParams,
  type ParamTree,
  unflattenParams,
  zipParams,
} from '../params/param-tree';

/** The numeric settings of `trpoStep` (defaults as pytorch-maml-rl's MAML-TRPO). */
export interface TrpoSettings {
  /** KL bound delta; default 0.01. */
  readonly maxKl?: number;
  /** Damping added to the Fisher-vector product (F + damping I); default 1e-5. */
  readonly damping?: number;
  /** Conjugate-gradient iterations; default 10. */
  readonly conjugateGradientIterations?: number;
  /** Line-search halvings at most; default 15. */
  readonly lineSearchSteps?: number;
  /** Step shrink factor per line-search step; default 0.8. */
  readonly backtrackRatio?: number;
}

/**
 * The one set of TRPO defaults every algorithm starts from (pytorch-maml-rl's MAML-TRPO, which
 * follows Schulman et al. 2015): max KL 0.01, damping 1e-5, 10 conjugate-gradient iterations,
 * 15 line-search steps shrinking by 0.8. An algorithm that needs another value overrides that
 * field in its own documented config, with the reason beside it.
 */
export const defaultTrpoSettings: Required<TrpoSettings> = Object.freeze({
  maxKl: 0.01,
  damping: 1e-5,
  conjugateGradientIterations: 10,
  lineSearchSteps: 15,
  backtrackRatio: 0.8,
});

/**
 * `settings` over `defaultTrpoSettings` (an undefined field takes the default), checked: errors name `owner` and the field as
 * `${prefix}maxKl` (e.g. `createMaml: trpo.maxKl must be a finite number > 0, got 0`).
 */
export function resolveTrpoSettings(
  owner: string,
  settings: TrpoSettings = {},
  prefix = 'trpo.',
): Required<TrpoSettings> {
  const resolved: Required<TrpoSettings> = {
    maxKl: settings.maxKl ?? defaultTrpoSettings.maxKl,
    damping: settings.damping ?? defaultTrpoSettings.damping,
    conjugateGradientIterations:
      settings.conjugateGradientIterations ?? defaultTrpoSettings.conjugateGradientIterations,
    lineSearchSteps: settings.lineSearchSteps ?? defaultTrpoSettings.lineSearchSteps,
    backtrackRatio: settings.backtrackRatio ?? defaultTrpoSettings.backtrackRatio,
  };
  const check = createConfigValidator(owner);
  check.number(`${prefix}maxKl`, resolved.maxKl, { above: 0 });
  check.number(`${prefix}damping`, resolved.damping, { min: 0 });
  check.integer(`${prefix}conjugateGradientIterations`, resolved.conjugateGradientIterations);
  check.integer(`${prefix}lineSearchSteps`, resolved.lineSearchSteps);
  check.number(`${prefix}backtrackRatio`, resolved.backtrackRatio, { above: 0, below: 1 });
  return resolved;
}

/** Options of `trpoStep`: its settings and, optionally, faster ways to compute its parts. */
export interface TrpoOptions extends TrpoSettings {
  /**
   * F v at `params` without damping, when the caller has a faster way than the default exact
   * Hessian-vector product of `kl` (e.g. MAML's J^T F J v); it must equal that product.
   */
  readonly fisherVectorProduct?: (params: ParamTree, vector: ParamTree) => ParamTree;
  /** `[loss(p), kl(p)]` in one pass, when they share work (e.g. MAML's adaptation); used by the line search. */
  readonly lossAndKl?: (params: ParamTree) => [tf.Scalar, tf.Scalar];
  /** `loss(p)` and its gradient, when the caller has a faster way than differentiating `loss`; it must equal them. */
  readonly lossAndGradient?: (params: ParamTree) => { value: tf.Scalar; gradients: ParamTree };
}

/** Conjugate gradient for A x = b with A given as a product; returns x after `iterations`. */
export function conjugateGradient(
  product: (v: Float64Array) => Float64Array,
  b: Float64Array,
  iterations: number,
  residualTolerance = 1e-10,
): Float64Array {
  const x = new Float64Array(b.length);
  const r = Float64Array.from(b);
  const p = Float64Array.from(b);
  let rr = r.reduce((s, v) => s + v * v, 0);
  for (let i = 0; i < iterations && rr > residualTolerance; i += 1) {
    const ap = product(p);
    const alpha = rr / p.reduce((s, v, j) => s + v * ap[j]!, 0);
    for (let j = 0; j < x.length; j += 1) {
      x[j] = x[j]! + alpha * p[j]!;
      r[j] = r[j]! - alpha * ap[j]!;
    }
    const next = r.reduce((s, v) => s + v * v, 0);
    const beta = next / rr;
    for (let j = 0; j < p.length; j += 1) p[j] = r[j]! + beta * p[j]!;
    rr = next;
  }
  return x;
}

/** What `trpoStep` did. */
export interface TrpoResult {
  /** The new parameters (new tensors; equal to a copy of the old ones if no step was accepted). */
  readonly params: ParamTree;
  /** Diagnostics: loss before/after, KL, accepted step fraction, line-search steps, and the seconds spent in the gradient, the Fisher-vector products and the line search. */
  readonly metrics: Readonly<Record<string, number>>;
}

function readScalar(tensor: tf.Scalar): number {
  const value = tensor.dataSync()[0]!;
  tensor.dispose();
  return value;
}

/**
 * One TRPO update of `params` minimising `loss` under mean-KL `kl` (KL(old || new), zero at
 * `params`). The Fisher-vector products are exact Hessian-vector products of `kl`.
 */
export function trpoStep(
  params: ParamTree,
  loss: (params: ParamTree) => tf.Scalar,
  kl: (params: ParamTree) => tf.Scalar,
  options: TrpoOptions = {},
): TrpoResult {
  const {
    maxKl,
    damping,
    conjugateGradientIterations: iterations,
    lineSearchSteps: steps,
    backtrackRatio: ratio,
  } = resolveTrpoSettings('trpoStep', options, '');

  const clock = { start: performance.now(), fisher: 0, products: 0 };
  const { value: lossValue, gradients: gradientTree } =
    options.lossAndGradient?.(params) ?? valueAndGradients(loss, params);
  const lossBefore = readScalar(lossValue);
  const gradient = Float64Array.from(flattenParams(gradientTree));
  disposeParams(gradientTree);

  const gradientSeconds = (performance.now() - clock.start) / 1000;
  const fisherProduct = (v: Float64Array): Float64Array => {
    const productStart = performance.now();
    const vector = unflattenParams(params, Float32Array.from(v));
    const product = options.fisherVectorProduct?.(params, vector) ?? hessianVectorProduct(kl, params, vector);
    const flat = flattenParams(product);
    disposeParams(vector);
    disposeParams(product);
    clock.fisher += performance.now() - productStart;
    clock.products += 1;
    return Float64Array.from(flat, (value, i) => value + damping * v[i]!);
  };
  const direction = conjugateGradient(fisherProduct, gradient, iterations);
  const directionProduct = fisherProduct(direction);
  const curvature = direction.reduce((s, v, i) => s + v * directionProduct[i]!, 0);
  const scale = curvature > 0 ? Math.sqrt((2 * maxKl) / curvature) : 0;
  const fullStep = unflattenParams(
    params,
    Float32Array.from(direction, (v) => v * scale),
  );

  let accepted: ParamTree | undefined;
  let metrics: Record<string, number> = {
    'trpo/lossBefore': lossBefore,
    'trpo/lossAfter': lossBefore,
    'trpo/kl': 0,
    'trpo/stepFraction': 0,
  };
  let fraction = 1;
  const searchStart = performance.now();
  for (let k = 0; k < steps && scale > 0; k += 1) {
    const candidate = zipParams(
      [params, fullStep],
      ([p, s]) => tf.tidy(() => tf.sub(p!, tf.mul(s!, tf.scalar(fraction)))),
      'trpoStep',
    );
    const [lossTensor, klTensor] = options.lossAndKl?.(candidate) ?? [loss(candidate), kl(candidate)];
    const lossAfter = readScalar(lossTensor);
    const klAfter = readScalar(klTensor);
    if (lossAfter < lossBefore && klAfter <= maxKl) {
      accepted = candidate;
      metrics = {
        'trpo/lossBefore': lossBefore,
        'trpo/lossAfter': lossAfter,
        'trpo/kl': klAfter,
        'trpo/stepFraction': fraction,
        'trpo/lineSearchSteps': k,
      };
      break;
    }
    disposeParams(candidate);
    fraction *= ratio;
  }
  disposeParams(fullStep);
  const timing = {
    'trpo/secondsGradient': gradientSeconds,
    'trpo/secondsFisherProducts': clock.fisher / 1000,
    'trpo/fisherProducts': clock.products,
    'trpo/secondsLineSearch': (performance.now() - searchStart) / 1000,
  };
  return {
    params: accepted ?? zipParams([params], ([p]) => tf.clone(p!), 'trpoStep'),
    // curvature = x' F x of the natural-gradient direction; <= 0 means the KL's Hessian is not a
    // Fisher matrix (e.g. an old policy that shares tensors with the params) and no step is taken.
    metrics: {
      ...metrics,
      ...timing,
      'trpo/curvature': curvature,
      'trpo/accepted': accepted === undefined ? 0 : 1,
    },
  };
}
