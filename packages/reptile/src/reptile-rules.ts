/**
 * The parts of Reptile and first-order MAML that the supervised and the RL learner share: the
 * inner update rule (SGD, or Adam with beta1 = 0 whose state is kept from task to task, as in
 * openai/supervised-reptile), the meta-gradient of each algorithm and the outer update
 * (Reptile's interpolation theta <- theta + eps (mean phi - theta), with eps annealed linearly,
 * or Adam on the same meta-gradient).
 */
import {
  averageOverTasks,
  broadcastParams,
  type ConfigValidator,
  createAdam,
  createSgd,
  describeValue,
  disposeOptimizerState,
  disposeParams,
  mapParams,
  type Optimizer,
  type OptimizerState,
  type ParamTree,
  partitionParams,
  subtractParams,
  tf,
} from '@metarl/core';

/** Which meta-update: Reptile's (theta - mean phi) or first-order MAML's (the query gradient at phi). */
export type ReptileAlgorithm = 'reptile' | 'first-order-maml';

/** The options both learners share (defaults differ between them, see each config). */
export interface ReptileRuleOptions {
  /** 'reptile' (default) or 'first-order-maml' (supervised-reptile's `--foml`). */
  readonly algorithm?: ReptileAlgorithm;
  /** Inner gradient steps per task and meta-step [k]. */
  readonly innerSteps?: number;
  /** Inner step size (SGD's learning rate, or Adam's). */
  readonly innerStepSize?: number;
  /** Inner update rule: 'sgd' or 'adam' (beta1 = 0, beta2 = 0.999, as the reference code). */
  readonly innerOptimizer?: 'sgd' | 'adam';
  /** Keep the inner Adam's state from meta-step to meta-step (the reference does); default true. Ignored by SGD. */
  readonly keepInnerState?: boolean;
  /** Outer update rule: 'sgd' (Reptile's interpolation; SGD on the meta-gradient) or 'adam' on the meta-gradient. */
  readonly metaOptimizer?: 'sgd' | 'adam';
  /** Outer step size [epsilon] at the first meta-step (Adam's learning rate with 'adam'). */
  readonly metaStepSize?: number;
  /** Outer step size reached after `annealSteps` meta-steps, linearly (the sine demo: 0); default `metaStepSize` (no annealing). */
  readonly metaStepSizeFinal?: number;
  /** Meta-steps over which the step size goes linearly from `metaStepSize` to `metaStepSizeFinal`; needed when they differ. */
  readonly annealSteps?: number;
  /** Paths (or path prefixes, as `listLeaves` names them, e.g. 'output' or 'mean/output' for a Gaussian policy's last layer) of the parameters that adapt in the inner loop; the rest stay shared (head-only / ANIL-style); default all. */
  readonly adaptedParameters?: readonly string[];
}

/** `ReptileRuleOptions` with every default filled in (`annealSteps` 0 when there is no annealing). */
export type ReptileRuleSettings = Required<ReptileRuleOptions>;

/** Fills in `defaults` and checks every field (errors name the owner, the field, the value and the expected form). */
export function resolveRuleSettings(
  options: ReptileRuleOptions,
  defaults: Omit<
    ReptileRuleSettings,
    'metaStepSizeFinal' | 'annealSteps' | 'adaptedParameters' | 'keepInnerState'
  >,
  check: ConfigValidator,
): ReptileRuleSettings {
  const metaStepSize = options.metaStepSize ?? defaults.metaStepSize;
  const settings: ReptileRuleSettings = {
    algorithm: options.algorithm ?? defaults.algorithm,
    innerSteps: options.innerSteps ?? defaults.innerSteps,
    innerStepSize: options.innerStepSize ?? defaults.innerStepSize,
    innerOptimizer: options.innerOptimizer ?? defaults.innerOptimizer,
    keepInnerState: options.keepInnerState ?? true,
    metaOptimizer: options.metaOptimizer ?? defaults.metaOptimizer,
    metaStepSize,
    metaStepSizeFinal: options.metaStepSizeFinal ?? metaStepSize,
    annealSteps: options.annealSteps ?? 0,
    adaptedParameters: options.adaptedParameters ?? [],
  };
  check.oneOf('algorithm', settings.algorithm, ['reptile', 'first-order-maml']);
  check.integer('innerSteps', settings.innerSteps, { min: 1 });
  check.number('innerStepSize', settings.innerStepSize, { above: 0 });
  check.oneOf('innerOptimizer', settings.innerOptimizer, ['sgd', 'adam']);
  check.boolean('keepInnerState', settings.keepInnerState);
  check.oneOf('metaOptimizer', settings.metaOptimizer, ['sgd', 'adam']);
  check.number('metaStepSize', settings.metaStepSize, { above: 0 });
  check.number('metaStepSizeFinal', settings.metaStepSizeFinal, { min: 0 });
  check.integer('annealSteps', settings.annealSteps, { min: 0 });
  if (settings.metaStepSizeFinal !== settings.metaStepSize && settings.annealSteps === 0) {
    check.fail(
      `annealSteps must be a positive integer (the meta-steps over which metaStepSize ${settings.metaStepSize} goes to metaStepSizeFinal ${settings.metaStepSizeFinal}), got 0`,
    );
  }
  if (
    !Array.isArray(settings.adaptedParameters) ||
    settings.adaptedParameters.some((p) => typeof p !== 'string' || p === '')
  )
    check.fail(
      `adaptedParameters must be an array of parameter paths such as ['output'], got ${describeValue(settings.adaptedParameters)}`,
    );
  return settings;
}

/** Whether the parameter at `path` adapts under `prefixes` (empty: all). */
export function adaptsUnder(prefixes: readonly string[]): ((path: string) => boolean) | undefined {
  if (prefixes.length === 0) return undefined;
  return (path) => prefixes.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

/** Throws unless every prefix of `settings.adaptedParameters` names a parameter of `params`. */
export function checkAdaptedParameters(owner: string, params: ParamTree, prefixes: readonly string[]): void {
  for (const prefix of prefixes) {
    const { selected } = partitionParams(params, adaptsUnder([prefix])!);
    if (Object.keys(selected).length === 0) {
      const paths: string[] = [];
      mapParams(params, (x, path) => {
        paths.push(path);
        return x;
      });
      throw new RangeError(
        `${owner}: adaptedParameters names '${prefix}', which is no parameter or group of the model (its parameters: ${paths.join(', ')})`,
      );
    }
  }
}

/** The inner update rule: SGD, or Adam with beta1 = 0 (its moments stay on the task axis). */
export function createInnerOptimizer(settings: ReptileRuleSettings): Optimizer {
  return settings.innerOptimizer === 'sgd'
    ? createSgd({ learningRate: settings.innerStepSize, checkFinite: false })
    : createAdam({ learningRate: settings.innerStepSize, beta1: 0, beta2: 0.999, checkFinite: false });
}

/** The outer step size at meta-step `step` (linear annealing, then constant). */
export function metaStepSizeAt(settings: ReptileRuleSettings, step: number): number {
  if (settings.annealSteps === 0) return settings.metaStepSize;
  const fraction = Math.min(step / settings.annealSteps, 1);
  return settings.metaStepSize + (settings.metaStepSizeFinal - settings.metaStepSize) * fraction;
}

/**
 * How the meta-parameters map to the tasks of a meta-batch: one run (theta is one model's
 * parameters, broadcast to the T tasks) or R independent runs side by side (every leaf of theta
 * carries a leading run axis; a meta-batch holds R x T tasks, run-major).
 */
export interface RunLayout {
  /** Independent runs R (1: theta has no run axis). */
  readonly runs: number;
  /** `tree` (theta, or a state slot shaped like it) repeated for a meta-batch of `tasks` tasks (R x T rows, run-major). */
  expand(tree: ParamTree, tasks: number): ParamTree;
  /** The mean over each run's tasks of a task-batched tree: shaped like theta. */
  average(tree: ParamTree): ParamTree;
}

/** The layout of `runs` independent runs (see `RunLayout`). */
export function createRunLayout(runs: number): RunLayout {
  if (runs === 1) return { runs, expand: broadcastParams, average: averageOverTasks };
  const perRun = (tasks: number) => {
    if (tasks % runs !== 0)
      throw new RangeError(
        `supervisedReptile: a meta-batch of ${tasks} tasks cannot be split among ${runs} runs (it must hold runs x T tasks, run-major)`,
      );
    return tasks / runs;
  };
  return {
    runs,
    expand: (tree, tasks) => {
      const count = perRun(tasks);
      return mapParams(tree, (x) =>
        tf.tidy(() =>
          tf.reshape(tf.tile(tf.expandDims(x, 1), [1, count, ...x.shape.slice(1).map(() => 1)]), [
            runs * count,
            ...x.shape.slice(1),
          ]),
        ),
      );
    },
    average: (tree) =>
      mapParams(tree, (x) =>
        tf.tidy(() => tf.mean(tf.reshape(x, [runs, perRun(x.shape[0]!), ...x.shape.slice(1)]), 1)),
      ),
  };
}

/**
 * Reptile's meta-gradient theta - mean_i phi_i over each run's adapted tasks (leaves of
 * `adapted` carry the task axis). With SGD at step size eps this is exactly
 * theta <- theta + eps (mean phi - theta).
 */
export function reptileMetaGradient(theta: ParamTree, adapted: ParamTree, layout: RunLayout): ParamTree {
  const mean = layout.average(adapted);
  const gradient = subtractParams(theta, mean);
  disposeParams(mean);
  return gradient;
}

/** The outer loop: theta and (with 'adam') its optimiser state. */
export interface OuterLoop {
  /** Fresh state for `params` (undefined for 'sgd'). */
  init(params: ParamTree): OptimizerState | undefined;
  /** theta after one outer step on `metaGradient` at meta-step `step`; the inputs are left untouched. */
  step(
    params: ParamTree,
    metaGradient: ParamTree,
    state: OptimizerState | undefined,
    step: number,
  ): { params: ParamTree; state: OptimizerState | undefined };
}

/** The outer update of `settings` (SGD: theta - eps_i g; Adam at step size eps_i). */
export function createOuterLoop(settings: ReptileRuleSettings): OuterLoop {
  return {
    init: (params) => (settings.metaOptimizer === 'adam' ? createAdam().init(params) : undefined),
    step(params, metaGradient, state, step) {
      const learningRate = metaStepSizeAt(settings, step);
      if (settings.metaOptimizer === 'sgd') {
        // A step size of 0 (the end of an annealing to 0) leaves theta where it is.
        if (learningRate === 0) return { params: mapParams(params, (x) => tf.clone(x)), state };
        return createSgd({ learningRate }).step(params, metaGradient, { kind: 'sgd', step, slots: {} });
      }
      const next = createAdam({ learningRate: Math.max(learningRate, Number.MIN_VALUE) }).step(
        params,
        metaGradient,
        state!,
      );
      return next;
    },
  };
}

/** `state` with every slot mapped by `map` (new tensors); the step count is kept. */
function mapState(state: OptimizerState, map: (slot: ParamTree) => ParamTree): OptimizerState {
  return {
    kind: state.kind,
    step: state.step,
    slots: Object.fromEntries(Object.entries(state.slots).map(([name, slot]) => [name, map(slot)])),
  };
}

/** The inner optimiser state carried between meta-steps (Adam's moments, one model's shape) and how it enters and leaves a meta-batch. */
export interface InnerStateKeeper {
  /** Task-batched state to start `tasks` tasks from (the kept state broadcast, or a fresh one). */
  start(adaptedPart: ParamTree, tasks: number): OptimizerState;
  /** Keeps the mean over tasks of a meta-batch's final state (when kept); disposes `state`. */
  finish(state: OptimizerState): void;
  /** The kept state (undefined: none kept yet, or not kept). */
  current(): OptimizerState | undefined;
  /** Replaces the kept state (from a checkpoint); takes ownership. */
  restore(state: OptimizerState | undefined): void;
  /** Frees the kept state. */
  dispose(): void;
}

/** Keeps Adam's inner state across meta-steps when `settings` ask for it (averaging each run's tasks of a meta-batch). */
export function createInnerStateKeeper(
  settings: ReptileRuleSettings,
  optimizer: Optimizer,
  layout: RunLayout,
): InnerStateKeeper {
  const keeps = settings.innerOptimizer === 'adam' && settings.keepInnerState;
  let kept: OptimizerState | undefined;
  return {
    start(adaptedPart, tasks) {
      if (kept === undefined) return optimizer.init(adaptedPart);
      return mapState(kept, (slot) => layout.expand(slot, tasks));
    },
    finish(state) {
      if (keeps) {
        const next = mapState(state, (slot) => layout.average(slot));
        if (kept !== undefined) disposeOptimizerState(kept);
        kept = next;
      }
      disposeOptimizerState(state);
    },
    current: () => kept,
    restore(state) {
      if (kept !== undefined) disposeOptimizerState(kept);
      kept = state;
    },
    dispose() {
      if (kept !== undefined) disposeOptimizerState(kept);
      kept = undefined;
    },
  };
}
