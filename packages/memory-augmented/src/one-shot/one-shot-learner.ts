/**
 * Supervised meta-training of a MANN (or its ablations) on one-shot episodes, as Santoro et al.
 * 2016 section 4: the loss is the cross-entropy of the true label at every step of every
 * episode (mean over B·T), minimised by Adam on the whole episode's backpropagation through time;
 * the state starts empty at each episode. Accuracy is reported by instance index: entry k is the
 * accuracy at the (k+1)-th presentation of a class (entry 0: the first sight, chance 1/C).
 */
import {
  createAdam,
  createRng,
  disposeOptimizerState,
  disposeParams,
  logSoftmax,
  type OptimizerState,
  type ParamTree,
  selectLastAxis,
  tf,
  valueAndGradients,
} from '@metarl/core';
import type { MannNetwork } from '../mann/mann-network';
import type { OneShotBatch } from './one-shot-batch';

/** Options of `createOneShotLearner`. */
export interface OneShotLearnerOptions {
  /** The classifier (from `createMannNetwork`; `memory: 'none'` for the LSTM baseline). */
  readonly model: MannNetwork;
  /** Adam's learning rate; default 1e-3 (the paper's). */
  readonly learningRate?: number;
  /** Seed of the initial params; default 0. */
  readonly seed?: number;
}

/** A one-shot learner holding its params and Adam state (free them with `dispose`). */
export interface OneShotLearner {
  /** The classifier. */
  readonly model: MannNetwork;
  /** Updates applied so far. */
  readonly steps: number;
  /** The current params (owned by the learner: clone them to keep them past the next step). */
  params(): ParamTree;
  /** One Adam step on the batch's mean cross-entropy; returns that loss (before the step). */
  trainStep(batch: OneShotBatch): number;
  /** Accuracy (argmax of the logits) by instance index [instancesPerClass], with no update. */
  evaluate(batch: OneShotBatch): Float64Array;
  /** Frees params and optimiser state. */
  dispose(): void;
}

function batchTensors(model: MannNetwork, batch: OneShotBatch): { inputs: tf.Tensor; labels: tf.Tensor } {
  if (batch.inputSize !== model.options.inputSize)
    throw new RangeError(
      `one-shot learner: the batch has ${batch.inputSize} inputs per step, the model expects inputSize ${model.options.inputSize}`,
    );
  if (batch.classes > model.options.outputSize)
    throw new RangeError(
      `one-shot learner: the batch has ${batch.classes} classes, the model has outputSize ${model.options.outputSize}`,
    );
  return {
    inputs: tf.tensor3d(batch.inputs, [batch.batchSize, batch.steps, batch.inputSize]),
    labels: tf.tensor2d(batch.labels, [batch.batchSize, batch.steps], 'int32'),
  };
}

/** Mean cross-entropy of `labels` [B, T] under `logits` [B, T, O]. */
export function crossEntropy(logits: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(selectLastAxis(logSoftmax(logits, -1), labels))) as tf.Scalar);
}

/**
 * Accuracy (argmax of the logits) of `model` with `params` by instance index [instancesPerClass]:
 * a learner's `evaluate`, for any params (e.g. a trained MANN's read through its ablation).
 */
export function evaluateAccuracyByInstance(
  model: MannNetwork,
  params: ParamTree,
  batch: OneShotBatch,
): Float64Array {
  const { inputs, labels } = batchTensors(model, batch);
  const predicted = tf.tidy(() => tf.argMax(model.logits(params, inputs), -1));
  const guesses = predicted.dataSync();
  tf.dispose([inputs, labels, predicted]);
  const correct = new Float64Array(batch.instancesPerClass);
  const counts = new Float64Array(batch.instancesPerClass);
  for (let i = 0; i < batch.labels.length; i += 1) {
    const k = batch.instances[i]!;
    counts[k]! += 1;
    if (guesses[i] === batch.labels[i]) correct[k]! += 1;
  }
  return correct.map((c, k) => c / counts[k]!);
}

/** Creates a learner with fresh params drawn from `seed`. */
export function createOneShotLearner(options: OneShotLearnerOptions): OneShotLearner {
  const { model } = options;
  const learningRate = options.learningRate ?? 1e-3;
  if (!(Number.isFinite(learningRate) && learningRate > 0))
    throw new RangeError(
      `createOneShotLearner: learningRate must be a finite number > 0, got ${String(options.learningRate)}`,
    );
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0)
    throw new RangeError(`createOneShotLearner: seed must be an integer >= 0, got ${String(options.seed)}`);
  const optimizer = createAdam({ learningRate });
  let params = model.init(createRng(seed));
  let optimizerState: OptimizerState = optimizer.init(params);
  let steps = 0;
  return {
    model,
    get steps() {
      return steps;
    },
    params: () => params,
    trainStep(batch) {
      const { inputs, labels } = batchTensors(model, batch);
      const { value, gradients } = valueAndGradients(
        (p) => crossEntropy(model.logits(p, inputs), labels),
        params,
      );
      const next = optimizer.step(params, gradients, optimizerState);
      const loss = value.dataSync()[0]!;
      tf.dispose([inputs, labels, value]);
      disposeParams(gradients);
      disposeParams(params);
      disposeOptimizerState(optimizerState);
      params = next.params;
      optimizerState = next.state;
      steps += 1;
      return loss;
    },
    evaluate: (batch) => evaluateAccuracyByInstance(model, params, batch),
    dispose() {
      disposeParams(params);
      disposeOptimizerState(optimizerState);
    },
  };
}
