/**
 * Proximal policy optimisation (Schulman et al. 2017), the one implementation every algorithm
 * uses: single-task training (`ppoUpdate`), MAML's outer loop and RL²'s update over whole trials.
 *
 * - `ppoLossTerms`: the loss from per-step tensors the caller computed with its own model (an
 *   MLP on flat samples, a GRU unrolled over padded trials, a MAML adaptation): the clipped
 *   surrogate (or the plain importance-weighted one, TRPO's), a value regression (optionally in
 *   the units of a PopArt-style value scale) and an entropy bonus, as means over every step or,
 *   with a mask, over the real steps of padded sequences.
 * - `runPpoEpochs`: epochs of gradient steps over minibatches of `units` (samples or whole
 *   trials), shuffled each epoch, with optional clipping of the gradient's global norm.
 * - `defaultPpoSettings` / `resolvePpoSettings`: the one set of defaults and their checks.
 */
import type { Rng } from '@metarl/envs';
import * as tf from '@tensorflow/tfjs-core';
import { valueAndGradients } from '../autodiff/differentiate';
import { createConfigValidator } from '../config/validate-config';
import { clipByGlobalNorm } from '../optim/clip-by-global-norm';
import { disposeOptimizerState, type Optimizer, type OptimizerState } from '../optim/optimizer';
import { disposeParams, listLeaves, type ParamTree } from '../params/param-tree';

/** The numeric settings of PPO (see `defaultPpoSettings`); the learning rate belongs to the caller's optimiser. */
export interface PpoSettings {
  /** epsilon of the clipped probability ratio; default 0.2. */
  readonly clipRange?: number;
  /** Passes over the batch per update; default 10. */
  readonly epochs?: number;
  /** Units (samples) per minibatch, the remainder of an epoch dropped; default 64 unless `minibatches` is given. */
  readonly minibatchSize?: number;
  /** Minibatches per epoch instead of a size (unit boundaries floor(m n / count)); e.g. RL²'s minibatches of whole trials. */
  readonly minibatches?: number;
  /** Weight of the value loss; default 0.5. */
  readonly valueCoefficient?: number;
  /** Weight of the entropy bonus; default 0. */
  readonly entropyCoefficient?: number;
  /** Global gradient-norm clip; default 0.5. */
  readonly maxGradientNorm?: number;
}

/** `PpoSettings` with every field decided: exactly one of `minibatches` and `minibatchSize` is set. */
export interface ResolvedPpoSettings {
  /** epsilon of the clipped ratio. */
  readonly clipRange: number;
  /** Passes over the batch. */
  readonly epochs: number;
  /** Units per minibatch (when minibatches are given by size). */
  readonly minibatchSize?: number;
  /** Minibatches per epoch (when given by count). */
  readonly minibatches?: number;
  /** Weight of the value loss. */
  readonly valueCoefficient: number;
  /** Weight of the entropy bonus. */
  readonly entropyCoefficient: number;
  /** Global gradient-norm clip. */
  readonly maxGradientNorm: number;
}

/**
 * The one set of PPO defaults (CleanRL's continuous-control PPO, `ppo_continuous_action.py`):
 * clip 0.2, 10 epochs of 64-sample minibatches, value weight 0.5, no entropy bonus, gradients
 * clipped to global norm 0.5. An algorithm that needs another value overrides that field in its
 * own documented config, with the reason beside it (e.g. RL²: 4 epochs of 4 minibatches of
 * whole trials, entropy 0.01, norm 1; `trainPpo`: 4 epochs of 256 samples).
 */
export const defaultPpoSettings: Readonly<Required<Omit<PpoSettings, 'minibatches'>>> = Object.freeze({
  clipRange: 0.2,
  epochs: 10,
  minibatchSize: 64,
  valueCoefficient: 0.5,
  entropyCoefficient: 0,
  maxGradientNorm: 0.5,
});

/**
 * `settings` over `defaultPpoSettings` (an undefined field takes the default), checked: errors
 * name `owner` and the field as `${prefix}epochs` (e.g. `createRl2: ppo.epochs must be an
 * integer >= 1, got 0`). Giving both `minibatches` and `minibatchSize` is an error.
 */
export function resolvePpoSettings(
  owner: string,
  settings: PpoSettings = {},
  prefix = 'ppo.',
): ResolvedPpoSettings {
  const check = createConfigValidator(owner);
  if (settings.minibatches !== undefined && settings.minibatchSize !== undefined)
    check.fail(
      `give ${prefix}minibatches or ${prefix}minibatchSize, not both (got ${settings.minibatches} and ${settings.minibatchSize})`,
    );
  const partition =
    settings.minibatches !== undefined
      ? { minibatches: settings.minibatches }
      : { minibatchSize: settings.minibatchSize ?? defaultPpoSettings.minibatchSize };
  const resolved: ResolvedPpoSettings = {
    clipRange: settings.clipRange ?? defaultPpoSettings.clipRange,
    epochs: settings.epochs ?? defaultPpoSettings.epochs,
    ...partition,
    valueCoefficient: settings.valueCoefficient ?? defaultPpoSettings.valueCoefficient,
    entropyCoefficient: settings.entropyCoefficient ?? defaultPpoSettings.entropyCoefficient,
    maxGradientNorm: settings.maxGradientNorm ?? defaultPpoSettings.maxGradientNorm,
  };
  check.number(`${prefix}clipRange`, resolved.clipRange, { above: 0 });
  check.integer(`${prefix}epochs`, resolved.epochs);
  if (resolved.minibatches !== undefined) check.integer(`${prefix}minibatches`, resolved.minibatches);
  else check.integer(`${prefix}minibatchSize`, resolved.minibatchSize);
  check.number(`${prefix}valueCoefficient`, resolved.valueCoefficient, { min: 0 });
  check.number(`${prefix}entropyCoefficient`, resolved.entropyCoefficient, { min: 0 });
  check.number(`${prefix}maxGradientNorm`, resolved.maxGradientNorm, { above: 0 });
  return resolved;
}

/**
 * PPO's clipped surrogate per step: min(r A, clip(r, 1 - epsilon, 1 + epsilon) A) with the
 * probability ratio r = exp(logProb - oldLogProb). Callers average it (over valid steps) and negate.
 */
export function clippedSurrogate(
  logProb: tf.Tensor,
  oldLogProb: tf.Tensor,
  advantages: tf.Tensor,
  clipRange: number,
): { surrogate: tf.Tensor; ratio: tf.Tensor } {
  if (!(clipRange > 0)) throw new RangeError(`clippedSurrogate: clipRange must be > 0, got ${clipRange}`);
  return tf.tidy(() => {
    const ratio = tf.exp(tf.sub(logProb, oldLogProb));
    const unclipped = tf.mul(ratio, advantages);
    const clipped = tf.mul(tf.clipByValue(ratio, 1 - clipRange, 1 + clipRange), advantages);
    return { surrogate: tf.minimum(unclipped, clipped), ratio };
  });
}

/** Per-step tensors of one (mini)batch, all of the same shape (`[S]` flat samples or `[B, L]` padded trials). */
export interface PpoLossInputs {
  /** log pi(a|s) under the parameters being optimised (differentiable). */
  readonly logProb: tf.Tensor;
  /** log-probabilities under the sampling policy (constants). */
  readonly oldLogProb: tf.Tensor;
  /** Advantages (constants, already normalised if wanted). */
  readonly advantages: tf.Tensor;
  /** Entropy of each step's action distribution; without it the entropy term is 0. */
  readonly entropy?: tf.Tensor;
  /** Predicted values; without them the value loss is 0. */
  readonly values?: tf.Tensor;
  /** Value targets (required with `values`). */
  readonly returns?: tf.Tensor;
  /**
   * A value scale s (a std, broadcast against `values`): the value loss becomes
   * 0.5 mean(((V - target) / s)^2), the regression in the value head's normalised units
   * (PopArt, see `updateValueScale`), so that it weighs alike whatever the returns' scale.
   */
  readonly valueScale?: tf.Tensor;
  /** 1 on real steps, 0 on padding: every mean is then over the real steps only. */
  readonly mask?: tf.Tensor;
}

/** Weights of `ppoLossTerms`. */
export interface PpoLossSettings {
  /** epsilon of the clipped ratio; undefined: the unclipped r A (TRPO's surrogate) and a clip fraction of 0. */
  readonly clipRange: number | undefined;
  /** Weight of the value loss; default 0.5. */
  readonly valueCoefficient?: number;
  /** Weight of the entropy bonus; default 0. */
  readonly entropyCoefficient?: number;
}

/** The scalars of a PPO loss (new tensors: the caller disposes them). */
export interface PpoLossTerms {
  /** policyLoss - entropyCoefficient * entropy + valueCoefficient * valueLoss: what is minimised. */
  readonly loss: tf.Scalar;
  /** -mean clipped surrogate (or -mean r A when unclipped). */
  readonly policyLoss: tf.Scalar;
  /** 0.5 mean (V - target)^2, in the value scale's units when given; 0 without values. */
  readonly valueLoss: tf.Scalar;
  /** Mean entropy; 0 when not given. */
  readonly entropy: tf.Scalar;
  /** Fraction of steps whose ratio left [1 - epsilon, 1 + epsilon]; 0 when unclipped. */
  readonly clipFraction: tf.Scalar;
}

/** The PPO loss of a (mini)batch from its per-step tensors (see `PpoLossInputs`). */
export function ppoLossTerms(inputs: PpoLossInputs, settings: PpoLossSettings): PpoLossTerms {
  const { clipRange, valueCoefficient = 0.5, entropyCoefficient = 0 } = settings;
  if (inputs.values !== undefined && inputs.returns === undefined)
    throw new RangeError('ppoLossTerms: inputs.returns is required with inputs.values');
  return tf.tidy(() => {
    const { mask } = inputs;
    const count = mask === undefined ? undefined : tf.sum(mask);
    const mean = (t: tf.Tensor): tf.Scalar =>
      (mask === undefined ? tf.mean(t) : tf.div(tf.sum(tf.mul(t, mask)), count!)) as tf.Scalar;
    let surrogate: tf.Tensor;
    let clipFraction: tf.Scalar;
    if (clipRange === undefined) {
      surrogate = tf.mul(tf.exp(tf.sub(inputs.logProb, inputs.oldLogProb)), inputs.advantages);
      clipFraction = tf.scalar(0);
    } else {
      const terms = clippedSurrogate(inputs.logProb, inputs.oldLogProb, inputs.advantages, clipRange);
      surrogate = terms.surrogate;
      clipFraction = mean(tf.cast(tf.greater(tf.abs(tf.sub(terms.ratio, 1)), clipRange), 'float32'));
    }
    const policyLoss = tf.neg(mean(surrogate)) as tf.Scalar;
    let valueLoss: tf.Scalar = tf.scalar(0);
    if (inputs.values !== undefined) {
      const error = tf.sub(inputs.values, inputs.returns!);
      const scaled = inputs.valueScale === undefined ? error : tf.div(error, inputs.valueScale);
      valueLoss = tf.mul(0.5, mean(tf.square(scaled))) as tf.Scalar;
    }
    const entropy = inputs.entropy === undefined ? tf.scalar(0) : mean(inputs.entropy);
    const loss = tf.add(
      tf.sub(policyLoss, tf.mul(entropyCoefficient, entropy)),
      tf.mul(valueCoefficient, valueLoss),
    ) as tf.Scalar;
    return { loss, policyLoss, valueLoss, entropy, clipFraction };
  });
}

/** What a `runPpoEpochs` loss returns: the scalar to minimise and, optionally, diagnostics to average. */
export interface PpoObjective {
  /** The scalar to minimise. */
  readonly loss: tf.Scalar;
  /** Reported as the mean `policyLoss` when given. */
  readonly policyLoss?: tf.Scalar;
  /** Reported as the mean `valueLoss` when given. */
  readonly valueLoss?: tf.Scalar;
  /** Reported as the mean `entropy` when given. */
  readonly entropy?: tf.Scalar;
  /** Reported as the mean `clipFraction` when given. */
  readonly clipFraction?: tf.Scalar;
}

/** Options of `runPpoEpochs`. */
export interface PpoEpochsOptions {
  /** The parameters to start from (the caller's: never disposed). */
  readonly params: ParamTree;
  /** The optimiser (e.g. Adam). */
  readonly optimizer: Optimizer;
  /** Its state for `params` (the caller's: never disposed). */
  readonly state: OptimizerState;
  /** Units to partition: samples (flat steps) or whole trials. */
  readonly units: number;
  /** Passes over the units. */
  readonly epochs: number;
  /** Minibatches per epoch, unit boundaries floor(m n / count) (at most `units`). Give this or `minibatchSize`. */
  readonly minibatches?: number;
  /** Units per minibatch, an epoch's remainder dropped (at most `units`). Give this or `minibatches`. */
  readonly minibatchSize?: number;
  /**
   * Shuffles the units before every epoch (Fisher-Yates: for i from n-1 down to 1, swap i with
   * rng.nextInt(i + 1)), also when one minibatch covers them all. Without an rng the units keep
   * their order and nothing random is drawn: full-batch epochs (MAML's outer PPO); then only one
   * minibatch is allowed (the same split every epoch would bias the update).
   */
  readonly rng?: Rng;
  /** Clip the gradient's global norm to this; undefined: no clipping. */
  readonly maxGradientNorm?: number;
  /** The objective on the units `indices` at `params` (called inside the gradient; intermediates are freed). */
  readonly loss: (params: ParamTree, indices: Int32Array) => PpoObjective;
}

/** Means over the updates of `runPpoEpochs` (diagnostics only when the loss returned them). */
export interface PpoEpochsMetrics {
  /** Gradient steps taken. */
  readonly updates: number;
  /** The loss of the first minibatch before any step (the full-batch loss before the update with one minibatch). */
  readonly initialLoss: number;
  /** The loss of the last minibatch, before its step. */
  readonly lastLoss: number;
  /** Mean loss. */
  readonly loss: number;
  /** Mean global gradient norm (before clipping). */
  readonly gradientNorm: number;
  /** Mean policy loss. */
  readonly policyLoss?: number;
  /** Mean value loss. */
  readonly valueLoss?: number;
  /** Mean entropy. */
  readonly entropy?: number;
  /** Mean clip fraction. */
  readonly clipFraction?: number;
}

const DIAGNOSTICS = ['policyLoss', 'valueLoss', 'entropy', 'clipFraction'] as const;

function globalNorm(gradients: ParamTree): number {
  const norm = tf.tidy(() =>
    tf.sqrt(tf.addN(listLeaves(gradients).map((leaf) => tf.sum(tf.square(leaf.tensor))))),
  );
  const value = norm.dataSync()[0]!;
  norm.dispose();
  return value;
}

/** The minibatches of one epoch: `[from, to)` ranges over the (shuffled) order. */
function minibatchRanges(units: number, options: PpoEpochsOptions): [number, number][] {
  const ranges: [number, number][] = [];
  if (options.minibatches !== undefined) {
    const count = Math.min(options.minibatches, units);
    for (let m = 0; m < count; m += 1)
      ranges.push([Math.floor((m * units) / count), Math.floor(((m + 1) * units) / count)]);
  } else {
    const size = Math.min(options.minibatchSize!, units);
    for (let start = 0; start + size <= units; start += size) ranges.push([start, start + size]);
  }
  return ranges;
}

/**
 * Epochs of PPO gradient steps over minibatches of `units`; returns the new params and optimiser
 * state (new tensors; the inputs are left untouched) and the mean diagnostics.
 *
 * @example
 * const result = runPpoEpochs({
 *   params, optimizer, state, rng, units: steps, epochs: 4, minibatchSize: 64, maxGradientNorm: 0.5,
 *   loss: (p, indices) => ppoLossTerms(inputsOf(p, indices), { clipRange: 0.2 }),
 * });
 */
export function runPpoEpochs(options: PpoEpochsOptions): {
  params: ParamTree;
  state: OptimizerState;
  metrics: PpoEpochsMetrics;
} {
  const { units, epochs, rng, optimizer, maxGradientNorm } = options;
  const check = createConfigValidator('runPpoEpochs');
  check.integer('units', units);
  check.integer('epochs', epochs);
  if ((options.minibatches === undefined) === (options.minibatchSize === undefined))
    check.fail(
      `give minibatches or minibatchSize (exactly one), got ${String(options.minibatches)} and ${String(options.minibatchSize)}`,
    );
  if (options.minibatches !== undefined) check.integer('minibatches', options.minibatches);
  else check.integer('minibatchSize', options.minibatchSize);
  if (maxGradientNorm !== undefined) check.number('maxGradientNorm', maxGradientNorm, { above: 0 });
  const ranges = minibatchRanges(units, options);
  if (rng === undefined && ranges.length > 1)
    check.fail(
      `without an rng the units are not shuffled, so only one minibatch is allowed; got ${ranges.length} minibatches of ${units} units`,
    );

  const totals: Record<string, number> = { loss: 0, gradientNorm: 0 };
  let initialLoss = Number.NaN;
  let lastLoss = Number.NaN;
  let updates = 0;
  let params = options.params;
  let state = options.state;
  const order = Int32Array.from({ length: units }, (_v, i) => i);
  for (let epoch = 0; epoch < epochs; epoch += 1) {
    if (rng !== undefined) {
      for (let i = units - 1; i > 0; i -= 1) {
        const j = rng.nextInt(i + 1);
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
    }
    for (const [from, to] of ranges) {
      let objective: PpoObjective | undefined;
      const { value, gradients } = valueAndGradients((p) => {
        objective = options.loss(p, order.slice(from, to));
        // The diagnostics outlive the gradient scope, which frees everything f does not return.
        for (const name of DIAGNOSTICS) if (objective[name] !== undefined) tf.keep(objective[name]);
        return objective.loss;
      }, params);
      let stepGradients = gradients;
      let norm: number;
      if (maxGradientNorm === undefined) norm = globalNorm(gradients);
      else {
        const clipped = clipByGlobalNorm(gradients, maxGradientNorm);
        stepGradients = clipped.gradients;
        norm = clipped.norm;
      }
      const next = optimizer.step(params, stepGradients, state);
      if (params !== options.params) disposeParams(params);
      if (state !== options.state) disposeOptimizerState(state);
      params = next.params;
      state = next.state;
      const lossValue = value.dataSync()[0]!;
      if (updates === 0) initialLoss = lossValue;
      lastLoss = lossValue;
      totals.loss! += lossValue;
      for (const name of DIAGNOSTICS) {
        const term = objective![name];
        if (term === undefined) continue;
        totals[name] = (totals[name] ?? 0) + term.dataSync()[0]!;
        term.dispose();
      }
      totals.gradientNorm! += norm;
      updates += 1;
      value.dispose();
      disposeParams(gradients);
      if (stepGradients !== gradients) disposeParams(stepGradients);
    }
  }
  const means: Record<string, number> = {};
  for (const [key, total] of Object.entries(totals)) means[key] = total / updates;
  return {
    params,
    state,
    metrics: {
      ...(means as Omit<PpoEpochsMetrics, 'updates' | 'initialLoss' | 'lastLoss'>),
      updates,
      initialLoss,
      lastLoss,
    },
  };
}
