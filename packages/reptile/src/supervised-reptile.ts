/**
 * Reptile (Nichol, Achiam & Schulman 2018, Algorithm 2, the batched version) and first-order
 * MAML for supervised few-shot learning, on any model and task family. One meta-step, for T
 * tasks:
 *
 * 1. inner loop: phi_i = k steps of the inner rule (SGD, or Adam with beta1 = 0) from theta on
 *    task i's mini-batches, for all T tasks at once with core's task-batched `adaptParameters`;
 * 2. meta-gradient: Reptile g = theta - mean_i phi_i; first-order MAML g = mean_i of the query
 *    loss's gradient at phi_i (supervised-reptile's `--foml` with a separate query set);
 * 3. outer step: theta <- theta - eps g (SGD: for Reptile exactly theta + eps (mean phi - theta),
 *    eps annealed linearly if asked), or Adam on g.
 *
 * How it differs from openai/supervised-reptile: the T tasks of a meta-batch adapt in parallel
 * (the reference adapts them one after another); the inner Adam's state, which the reference
 * carries from task to task, starts every task of a meta-batch from the kept state, and the mean
 * of their final states is kept (identical to the reference when the meta-batch holds one task).
 * With `adaptedParameters`, parameters that do not adapt get, under Reptile, the inner step size
 * times the sum of their inner-loop gradients as meta-gradient (what theta - phi would be had
 * they taken SGD steps), and under first-order MAML their query gradient.
 */
import {
  adaptParameters,
  type ConfigValidator,
  cloneParams,
  createConfigValidator,
  disposeOptimizerState,
  disposeParams,
  gradients,
  logSoftmax,
  type Module,
  mapParams,
  mergeParams,
  type Optimizer,
  type OptimizerState,
  type ParamTree,
  partitionParams,
  selectLastAxis,
  stackParams,
  tf,
} from '@metarl/core';
import { createRng, summarise } from '@metarl/envs';
import {
  adaptsUnder,
  checkAdaptedParameters,
  createInnerOptimizer,
  createInnerStateKeeper,
  createOuterLoop,
  createRunLayout,
  metaStepSizeAt,
  type ReptileRuleOptions,
  type ReptileRuleSettings,
  reptileMetaGradient,
  resolveRuleSettings,
} from './reptile-rules';

/** Examples of T tasks at once, task-major. */
export interface TaskExamples {
  /** `[T, N, ...]` float32 inputs. */
  readonly inputs: tf.Tensor;
  /** `[T, N, outputs]` float32 (regression) or `[T, N]` int32 class labels (classification). */
  readonly targets: tf.Tensor;
}

/** One meta-batch of T tasks. */
export interface SupervisedMetaBatch {
  /** The inner loop's mini-batches of every task, one per inner step, in order (`createInnerBatches` makes them as the reference does). */
  readonly innerBatches: readonly TaskExamples[];
  /** First-order MAML: the query examples its meta-gradient is computed on (required there, unused by Reptile). */
  readonly query?: TaskExamples;
}

/** The per-task loss: 'mean-squared-error' (regression) or 'cross-entropy' (classification on logits). */
export type SupervisedLoss = 'mean-squared-error' | 'cross-entropy';

/** Configuration of `createSupervisedReptile` (defaults: openai/supervised-reptile's command-line defaults). */
export interface SupervisedReptileConfig extends ReptileRuleOptions {
  /** The model: takes `[T, N, ...]` inputs with task-batched parameters (every core module does, e.g. `createMlp`). */
  readonly model: Module<tf.Tensor, tf.Tensor>;
  /** The per-task loss. */
  readonly loss: SupervisedLoss;
  /** Seed of the initial parameters; default 0. */
  readonly seed?: number;
  /**
   * Independent training runs side by side in one batched computation (e.g. several seeds at the
   * cost of little more than one); default 1. Run r starts from the initial parameters of seed
   * `seed + r`, theta carries a leading run axis, and every batch given to the learner holds
   * runs x T tasks, run-major (tasks r T ... r T + T - 1 are run r's). Each run's update is
   * exactly what a learner of its own would do.
   */
  readonly runs?: number;
}

/** The settings of a supervised learner, defaults filled in (without the model). */
export type SupervisedReptileSettings = ReptileRuleSettings & {
  readonly loss: SupervisedLoss;
  readonly seed: number;
  readonly runs: number;
};

/** Loss (and accuracy, for classification) after k adaptation steps, over the evaluated tasks. */
export interface SupervisedEvaluation {
  /** Adaptation steps taken. */
  readonly steps: number;
  /** Mean over tasks of the per-task query loss (MSE or cross-entropy). */
  readonly loss: number;
  /** Half-width of its 95% confidence interval across tasks. */
  readonly lossHalfWidth95: number;
  /** Classification: mean query accuracy over tasks. */
  readonly accuracy?: number;
  /** Classification: half-width of the accuracy's 95% interval. */
  readonly accuracyHalfWidth95?: number;
  /** With several runs: the mean query loss of each run's tasks. */
  readonly lossPerRun?: readonly number[];
  /** With several runs, classification: the mean accuracy of each run's tasks. */
  readonly accuracyPerRun?: readonly number[];
}

/** A supervised Reptile or first-order MAML learner. */
export interface SupervisedReptile {
  /** The settings, defaults filled in. */
  readonly config: SupervisedReptileSettings;
  /** One meta-step on `batch`; returns the outer step size used (`metaStepSize`) and meta-steps done (`step`). */
  metaTrainStep(batch: SupervisedMetaBatch): { metaStepSize: number; step: number };
  /**
   * Task-batched parameters after `steps` full-batch steps on each task's `support` examples,
   * from the meta-parameters; by default with the inner rule (and the kept inner state), or with
   * `options.optimizer` (e.g. `createSgd({ learningRate: 0.02 })` for a fixed test protocol).
   * Never changes the learner; the caller disposes the result.
   */
  adapt(
    support: TaskExamples,
    options: { readonly steps: number; readonly optimizer?: Optimizer },
  ): ParamTree;
  /** The model's outputs for `inputs` `[T, N, ...]` under task-batched `params` (the caller disposes them). */
  predict(params: ParamTree, inputs: tf.Tensor): tf.Tensor;
  /** Query loss (and accuracy) after each number of adaptation steps in `reportSteps`, adapting on `support` as `adapt` does. */
  evaluate(
    support: TaskExamples,
    query: TaskExamples,
    options: { readonly reportSteps: readonly number[]; readonly optimizer?: Optimizer },
  ): SupervisedEvaluation[];
  /** The meta-parameters theta (with a leading run axis when `runs` > 1); owned by the learner, replaced by every meta-step. */
  parameters(): ParamTree;
  /** Replaces the meta-parameters with a copy of `params` (same structure), e.g. to compare from one initialisation. */
  setParameters(params: ParamTree): void;
  /** Frees the learner's tensors. */
  dispose(): void;
}

const OWNER = 'createSupervisedReptile';

/** The mean of each run's block of `values` (run-major). */
function meanPerRun(values: ArrayLike<number>, runs: number): number[] {
  const per = values.length / runs;
  return Array.from({ length: runs }, (_v, r) => {
    let sum = 0;
    for (let i = r * per; i < (r + 1) * per; i += 1) sum += values[i]!;
    return sum / per;
  });
}

/** Every task's loss `[T]` under task-batched `params`. */
function taskLosses(
  model: Module<tf.Tensor, tf.Tensor>,
  loss: SupervisedLoss,
  params: ParamTree,
  examples: TaskExamples,
) {
  return tf.tidy(() => {
    const outputs = model.apply(params, examples.inputs);
    if (loss === 'cross-entropy') {
      const picked = selectLastAxis(logSoftmax(outputs), examples.targets);
      return tf.neg(
        tf.mean(
          picked,
          Array.from({ length: picked.rank - 1 }, (_v, i) => i + 1),
        ),
      );
    }
    if (outputs.shape.join() !== examples.targets.shape.join()) {
      throw new RangeError(
        `supervisedReptile: the model's outputs [${outputs.shape.join(', ')}] and the targets [${examples.targets.shape.join(', ')}] differ in shape`,
      );
    }
    const squared = tf.square(tf.sub(outputs, examples.targets));
    return tf.mean(
      squared,
      Array.from({ length: squared.rank - 1 }, (_v, i) => i + 1),
    );
  });
}

/** Checks that `examples` holds `[T, N, ...]` inputs and matching targets; returns T. */
function taskCount(examples: TaskExamples, what: string, loss: SupervisedLoss): number {
  const { inputs, targets } = examples;
  if (!(inputs instanceof tf.Tensor) || !(targets instanceof tf.Tensor) || inputs.rank < 3) {
    throw new TypeError(
      `supervisedReptile: ${what} must hold inputs [T, N, ...] and targets as tensors, got inputs ${inputs instanceof tf.Tensor ? `[${inputs.shape.join(', ')}]` : String(inputs)}`,
    );
  }
  const [tasks, points] = inputs.shape;
  if (targets.shape[0] !== tasks || targets.shape[1] !== points) {
    throw new RangeError(
      `supervisedReptile: ${what}'s targets [${targets.shape.join(', ')}] do not match its inputs [${inputs.shape.join(', ')}] (both start with [tasks, examples])`,
    );
  }
  if (loss === 'cross-entropy' && (targets.dtype !== 'int32' || targets.rank !== 2))
    throw new TypeError(
      `supervisedReptile: with loss 'cross-entropy' ${what}'s targets must be int32 class labels [T, N], got ${targets.dtype} [${targets.shape.join(', ')}]`,
    );
  return tasks!;
}

/**
 * Creates the learner (see the module comment).
 *
 * @example
 * const model = createMlp({ inputSize: 1, hiddenSizes: [64, 64], outputSize: 1, activation: 'tanh' });
 * const reptile = createSupervisedReptile({
 *   model, loss: 'mean-squared-error', innerOptimizer: 'sgd', innerStepSize: 0.02, innerSteps: 5,
 *   metaStepSize: 0.1, metaStepSizeFinal: 0, annealSteps: 30000,
 * });
 */
export function createSupervisedReptile(config: SupervisedReptileConfig): SupervisedReptile {
  const check: ConfigValidator = createConfigValidator(OWNER);
  if (config === null || typeof config !== 'object' || typeof config.model?.apply !== 'function')
    check.fail(
      `model must be a module with init(rng) and apply(params, inputs), got ${String(config?.model)}`,
    );
  const rules = resolveRuleSettings(
    config,
    {
      algorithm: 'reptile',
      innerSteps: 5,
      innerStepSize: 0.001,
      innerOptimizer: 'adam',
      metaOptimizer: 'sgd',
      metaStepSize: 0.1,
    },
    check,
  );
  check.oneOf('loss', config.loss, ['mean-squared-error', 'cross-entropy']);
  const seed = config.seed ?? 0;
  check.seed('seed', seed);
  const runs = config.runs ?? 1;
  check.integer('runs', runs, { min: 1 });
  const settings: SupervisedReptileSettings = { ...rules, loss: config.loss, seed, runs };
  const { model } = config;
  const layout = createRunLayout(runs);
  let theta =
    runs === 1
      ? model.init(createRng(seed))
      : (() => {
          const inits = Array.from({ length: runs }, (_v, r) => model.init(createRng(seed + r)));
          const stacked = stackParams(inits);
          for (const init of inits) disposeParams(init);
          return stacked;
        })();
  checkAdaptedParameters(OWNER, theta, settings.adaptedParameters);
  const adapts = adaptsUnder(settings.adaptedParameters);
  const innerOptimizer = createInnerOptimizer(settings);
  const inner = createInnerStateKeeper(settings, innerOptimizer, layout);
  const outer = createOuterLoop(settings);
  let outerState: OptimizerState | undefined = outer.init(theta);
  let step = 0;
  const options = { optimizer: innerOptimizer, ...(adapts === undefined ? {} : { adapts }) };
  const summedLoss = (params: ParamTree, examples: TaskExamples) =>
    tf.tidy(() => tf.sum(taskLosses(model, settings.loss, params, examples)) as tf.Scalar);
  /** The adapted part of `params` (all of it without `adaptedParameters`). */
  const adaptedPart = (params: ParamTree) =>
    adapts === undefined ? params : partitionParams(params, adapts).selected;

  /** Task-batched parameters after full-batch steps on `support` with `optimizer` (or the inner rule and kept state). */
  const adaptOn = (
    support: TaskExamples,
    steps: number,
    optimizer: Optimizer | undefined,
    onStep?: (k: number, phi: ParamTree) => void,
  ) => {
    const tasks = taskCount(support, 'support', settings.loss);
    let phi = layout.expand(theta, tasks);
    const rule = optimizer ?? innerOptimizer;
    let state: OptimizerState =
      optimizer === undefined ? inner.start(adaptedPart(phi), tasks) : rule.init(adaptedPart(phi));
    onStep?.(0, phi);
    for (let k = 1; k <= steps; k += 1) {
      const next = adaptParameters((p) => summedLoss(p, support), phi, state, 1, {
        ...options,
        optimizer: rule,
      });
      disposeParams(phi);
      disposeOptimizerState(state);
      phi = next.params;
      state = next.state;
      onStep?.(k, phi);
    }
    disposeOptimizerState(state);
    return phi;
  };

  return {
    config: settings,

    metaTrainStep(batch) {
      if (
        batch === null ||
        typeof batch !== 'object' ||
        !Array.isArray(batch.innerBatches) ||
        batch.innerBatches.length === 0
      )
        throw new TypeError(
          'supervisedReptile.metaTrainStep: batch.innerBatches must be a non-empty array of TaskExamples',
        );
      if (batch.innerBatches.length !== settings.innerSteps)
        throw new RangeError(
          `supervisedReptile.metaTrainStep: batch.innerBatches holds ${batch.innerBatches.length} mini-batches but innerSteps is ${settings.innerSteps} (one per inner step)`,
        );
      const tasks = taskCount(batch.innerBatches[0]!, 'innerBatches[0]', settings.loss);
      batch.innerBatches.forEach((examples, i) => {
        if (taskCount(examples, `innerBatches[${i}]`, settings.loss) !== tasks)
          throw new RangeError(
            `supervisedReptile.metaTrainStep: innerBatches[${i}] holds a different number of tasks than innerBatches[0] (${tasks})`,
          );
      });
      if (settings.algorithm === 'first-order-maml') {
        if (batch.query === undefined)
          throw new TypeError(
            "supervisedReptile.metaTrainStep: algorithm 'first-order-maml' needs batch.query (the examples of its meta-gradient)",
          );
        if (taskCount(batch.query, 'query', settings.loss) !== tasks)
          throw new RangeError(
            `supervisedReptile.metaTrainStep: query holds a different number of tasks than innerBatches (${tasks})`,
          );
      }
      const metaStepSize = metaStepSizeAt(settings, step);
      const start = layout.expand(theta, tasks);
      const startState = inner.start(adaptedPart(start), tasks);
      const adapted = adaptParameters(
        (p, s) => summedLoss(p, batch.innerBatches[s]!),
        start,
        startState,
        settings.innerSteps,
        { ...options, frozenGradients: adapts !== undefined && settings.algorithm === 'reptile' },
      );
      disposeParams(start);
      disposeOptimizerState(startState);
      let metaGradient: ParamTree;
      if (settings.algorithm === 'reptile') {
        metaGradient = reptileMetaGradient(theta, adapted.params, layout);
        if (adapted.frozenGradients !== undefined) {
          // Parameters that do not adapt: alpha times the sum of their inner gradients, averaged over tasks.
          const mean = layout.average(adapted.frozenGradients);
          const frozen = mapParams(mean, (g) => tf.mul(g, settings.innerStepSize));
          disposeParams(mean);
          const adaptedGradient = partitionParams(metaGradient, adapts!);
          disposeParams(adaptedGradient.rest);
          metaGradient = mergeParams(adaptedGradient.selected, frozen);
          disposeParams(adapted.frozenGradients);
        }
      } else {
        // First-order MAML: the mean over tasks of the query loss's gradient at phi_i.
        const perTask = gradients((p) => summedLoss(p, batch.query!), adapted.params);
        metaGradient = layout.average(perTask);
        disposeParams(perTask);
      }
      disposeParams(adapted.params);
      inner.finish(adapted.state);
      const next = outer.step(theta, metaGradient, outerState, step);
      disposeParams(metaGradient);
      disposeParams(theta);
      if (outerState !== undefined && next.state !== outerState) disposeOptimizerState(outerState);
      theta = next.params;
      outerState = next.state;
      step += 1;
      return { metaStepSize, step };
    },

    adapt(support, adaptOptions) {
      if (!Number.isInteger(adaptOptions?.steps) || adaptOptions.steps < 0)
        throw new RangeError(
          `supervisedReptile.adapt: steps must be a non-negative integer, got ${adaptOptions?.steps}`,
        );
      return adaptOn(support, adaptOptions.steps, adaptOptions.optimizer);
    },

    predict: (params, inputs) => model.apply(params, inputs),

    evaluate(support, query, evaluateOptions) {
      const reportSteps = evaluateOptions?.reportSteps;
      if (
        !Array.isArray(reportSteps) ||
        reportSteps.length === 0 ||
        reportSteps.some((k) => !Number.isInteger(k) || k < 0)
      )
        throw new RangeError(
          `supervisedReptile.evaluate: reportSteps must be a non-empty array of non-negative integers, got ${String(reportSteps)}`,
        );
      const tasks = taskCount(support, 'support', settings.loss);
      if (taskCount(query, 'query', settings.loss) !== tasks)
        throw new RangeError(
          `supervisedReptile.evaluate: query holds a different number of tasks than support (${tasks})`,
        );
      const results: SupervisedEvaluation[] = [];
      const phi = adaptOn(support, Math.max(...reportSteps), evaluateOptions.optimizer, (k, params) => {
        if (!reportSteps.includes(k)) return;
        const losses = taskLosses(model, settings.loss, params, query);
        const lossValues = losses.dataSync();
        losses.dispose();
        const lossSummary = summarise(lossValues);
        let accuracyValues: Float32Array | undefined;
        if (settings.loss === 'cross-entropy') {
          const perTask = tf.tidy(() =>
            tf.mean(
              tf.cast(tf.equal(tf.argMax(model.apply(params, query.inputs), -1), query.targets), 'float32'),
              1,
            ),
          );
          accuracyValues = perTask.dataSync() as Float32Array;
          perTask.dispose();
        }
        const accuracy = accuracyValues === undefined ? undefined : summarise(accuracyValues);
        results.push({
          steps: k,
          loss: lossSummary.mean,
          lossHalfWidth95: lossSummary.halfWidth95,
          ...(accuracy === undefined
            ? {}
            : { accuracy: accuracy.mean, accuracyHalfWidth95: accuracy.halfWidth95 }),
          ...(runs === 1
            ? {}
            : {
                lossPerRun: meanPerRun(lossValues, runs),
                ...(accuracyValues === undefined ? {} : { accuracyPerRun: meanPerRun(accuracyValues, runs) }),
              }),
        });
      });
      disposeParams(phi);
      return results.sort((a, b) => a.steps - b.steps);
    },

    parameters: () => theta,

    setParameters(params) {
      const copy = cloneParams(params);
      disposeParams(theta);
      theta = copy;
    },

    dispose() {
      disposeParams(theta);
      if (outerState !== undefined) disposeOptimizerState(outerState);
      inner.dispose();
    },
  };
}
