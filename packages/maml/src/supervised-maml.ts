/**
 * MAML for supervised few-shot learning (Finn et al. 2017, Algorithm 2) and Meta-SGD (Li et al.
 * 2017), on the sinusoid tasks. All T tasks of a meta-batch run as one batched computation: the
 * meta-parameters are broadcast to a leading task axis, the inner gradient of the summed task
 * losses gives every task its own gradient in one backward pass, and the outer loss
 * differentiates through the inner steps exactly (second order) unless `firstOrder` is set.
 *
 * How it differs from the paper: nothing in the math; the inner loop of every task is batched.
 * The network, its initialisation and the task family are options, so that the same learner
 * also runs the Reptile paper's sinusoid comparison (tanh, PyTorch's initialisation, phases in
 * [0, 2 pi)).
 */
import {
  type Activation,
  broadcastParams,
  type ConfigValidator,
  createAdam,
  createConfigValidator,
  createMlp,
  describeValue,
  disposeOptimizerState,
  disposeParams,
  gradients,
  mapParams,
  type OptimizerState,
  type ParamTree,
  stopGradient,
  tf,
  valueAndGradients,
  type WeightInitialisation,
  zipParams,
} from '@metarl/core';
import {
  createRng,
  FINN_SINUSOIDS,
  type Rng,
  type SinusoidFamily,
  type SinusoidTask,
  sampleSinusoidPoints,
  sampleSinusoidTasks,
  summarise,
} from '@metarl/envs';

/** Configuration (paper symbols in brackets; defaults: Finn et al.'s sinusoid setup). */
export interface SupervisedMamlConfig {
  /** Hidden widths of the regression MLP; default [40, 40]. */
  readonly hiddenSizes?: readonly number[];
  /** Hidden nonlinearity of the MLP, 'relu' or 'tanh'; default 'relu' (Finn et al.; Reptile's comparison uses 'tanh'). */
  readonly activation?: Activation;
  /** Initialisation of every layer; default 'glorot-uniform' (biases zero); 'fan-in-uniform' is PyTorch's nn.Linear default. */
  readonly initialisation?: WeightInitialisation;
  /** Task family of meta-training and `evaluate`'s points; default FINN_SINUSOIDS (REPTILE_SINUSOIDS for Reptile's comparison). */
  readonly sinusoids?: SinusoidFamily;
  /** Inner step size [alpha]; default 0.01. With Meta-SGD, the initial value of every learned step size. */
  readonly innerStepSize?: number;
  /** Inner gradient steps during meta-training; default 1. 0 trains the "pretrained" baseline (one model fit to all tasks jointly). */
  readonly innerSteps?: number;
  /** Outer (Adam) step size [beta]; default 0.001. */
  readonly outerLearningRate?: number;
  /** Tasks per meta-batch; default 25. */
  readonly metaBatchSize?: number;
  /** Examples per task, for adaptation and for the outer loss [K]; default 10. */
  readonly shots?: number;
  /** Drop second-order terms (first-order MAML); default false. */
  readonly firstOrder?: boolean;
  /** Meta-SGD: learn a step size per parameter; default false. */
  readonly learnInnerStepSizes?: boolean;
  /** Seed of the initial parameters; default 0. */
  readonly seed?: number;
}

/** A supervised MAML (or Meta-SGD) learner on sinusoids. */
export interface SupervisedMaml {
  /** The configuration with defaults filled in. */
  readonly config: Required<SupervisedMamlConfig>;
  /** One meta-update on a fresh meta-batch; returns the mean query loss before and after adaptation. */
  metaTrainStep(rng: Rng): { lossBefore: number; lossAfter: number };
  /**
   * Mean squared error on `queryPoints` new points of each of `tasks` after 0, 1, ... steps of
   * adaptation on `shots` examples, at the steps listed in `reportSteps` (points of the
   * configured `sinusoids` family: support, then query, from `createRng(seed)`).
   */
  evaluate(
    tasks: readonly SinusoidTask[],
    options: {
      readonly shots: number;
      readonly reportSteps: readonly number[];
      readonly queryPoints?: number;
      readonly seed: number;
    },
  ): { steps: number; meanSquaredError: number; halfWidth95: number }[];
  /**
   * Task-batched parameters after `steps` inner steps on each task's examples (`inputs`,
   * `targets` `[T * K]`, task-major), as the meta-test uses them; the caller disposes them.
   */
  adapt(inputs: Float32Array, targets: Float32Array, tasks: number, steps: number): ParamTree;
  /** The network on `inputs` `[T, N, 1]` with task-batched `params` (as `adapt` returns them; `parameters().model` is shared by all tasks): `[T, N, 1]`, the caller disposes it. */
  predict(params: ParamTree, inputs: tf.Tensor): tf.Tensor;
  /** The meta-parameters (`model`, and `stepSizes` with Meta-SGD); owned by the learner. */
  parameters(): ParamTree;
  /** Frees the tensors. */
  dispose(): void;
}

const ACTIVATIONS: readonly Activation[] = ['relu', 'tanh'];
const INITIALISATIONS: readonly WeightInitialisation[] = [
  'glorot-uniform',
  'he-uniform',
  'fan-in-uniform',
  'zeros',
];

/** A `SinusoidFamily`: three [low, high] ranges of finite numbers and a phase sign of -1 or 1. */
function checkSinusoidFamily(check: ConfigValidator, name: string, family: unknown): void {
  if (typeof family !== 'object' || family === null || Array.isArray(family))
    check.fail(
      `${name} must be a SinusoidFamily { amplitude, phase, phaseSign, inputRange } such as FINN_SINUSOIDS or REPTILE_SINUSOIDS, got ${describeValue(family)}`,
    );
  const fields = family as Record<string, unknown>;
  for (const range of ['amplitude', 'phase', 'inputRange']) {
    const value = fields[range];
    const valid =
      Array.isArray(value) &&
      value.length === 2 &&
      value.every((bound) => typeof bound === 'number' && Number.isFinite(bound)) &&
      value[0] <= value[1];
    if (!valid)
      check.fail(`${name}.${range} must be [low, high] with finite low <= high, got ${describeValue(value)}`);
  }
  check.oneOf(`${name}.phaseSign`, fields.phaseSign, [-1, 1]);
}

function defaults(config: SupervisedMamlConfig): Required<SupervisedMamlConfig> {
  const full: Required<SupervisedMamlConfig> = {
    hiddenSizes: config.hiddenSizes ?? [40, 40],
    activation: config.activation ?? 'relu',
    initialisation: config.initialisation ?? 'glorot-uniform',
    sinusoids: config.sinusoids ?? FINN_SINUSOIDS,
    innerStepSize: config.innerStepSize ?? 0.01,
    innerSteps: config.innerSteps ?? 1,
    outerLearningRate: config.outerLearningRate ?? 0.001,
    metaBatchSize: config.metaBatchSize ?? 25,
    shots: config.shots ?? 10,
    firstOrder: config.firstOrder ?? false,
    learnInnerStepSizes: config.learnInnerStepSizes ?? false,
    seed: config.seed ?? 0,
  };
  const check: ConfigValidator = createConfigValidator('createSupervisedMaml');
  check.oneOf('activation', full.activation, ACTIVATIONS);
  check.oneOf('initialisation', full.initialisation, INITIALISATIONS);
  checkSinusoidFamily(check, 'sinusoids', full.sinusoids);
  check.number('innerStepSize', full.innerStepSize, { above: 0 });
  check.number('outerLearningRate', full.outerLearningRate, { above: 0 });
  check.integer('metaBatchSize', full.metaBatchSize);
  check.integer('shots', full.shots);
  check.integer('innerSteps', full.innerSteps, { min: 0 });
  check.boolean('firstOrder', full.firstOrder);
  check.boolean('learnInnerStepSizes', full.learnInnerStepSizes);
  check.seed('seed', full.seed);
  return full;
}

/** Creates the learner (see the module comment). */
export function createSupervisedMaml(config: SupervisedMamlConfig = {}): SupervisedMaml {
  const full = defaults(config);
  const network = createMlp({
    inputSize: 1,
    hiddenSizes: full.hiddenSizes,
    outputSize: 1,
    activation: full.activation,
    initialisation: full.initialisation,
  });
  const rng = createRng(full.seed);
  const model = network.init(rng);
  let meta: ParamTree = full.learnInnerStepSizes
    ? { model, stepSizes: mapParams(model, (p) => tf.fill(p.shape, full.innerStepSize)) }
    : { model };
  const optimizer = createAdam({ learningRate: full.outerLearningRate });
  let state: OptimizerState = optimizer.init(meta);

  /** Sum over tasks of each task's mean squared error: per-task gradients in one pass. */
  const summedLoss = (taskParams: ParamTree, x: tf.Tensor, y: tf.Tensor) =>
    tf.tidy(() => tf.sum(tf.mean(tf.square(tf.sub(network.apply(taskParams, x), y)), [1, 2])) as tf.Scalar);

  /** Task-batched parameters after `steps` inner steps on (x, y) `[T, K, 1]`. */
  const adapt = (
    theta: ParamTree,
    x: tf.Tensor,
    y: tf.Tensor,
    steps: number,
    firstOrder: boolean,
    onStep?: (step: number, phi: ParamTree) => void,
  ): ParamTree => {
    const tasks = x.shape[0]!;
    let phi = broadcastParams(theta.model as ParamTree, tasks);
    onStep?.(0, phi);
    // Meta-SGD's step sizes, one copy per task (the outer gradient sums over the copies).
    const stepSizes =
      theta.stepSizes === undefined ? undefined : broadcastParams(theta.stepSizes as ParamTree, tasks);
    for (let s = 0; s < steps; s += 1) {
      const grads = gradients((p) => summedLoss(p, x, y), phi);
      const next = zipParams(
        stepSizes === undefined ? [phi, grads] : [phi, grads, stepSizes],
        ([p, g, a]) =>
          tf.tidy(() => {
            const gradient = firstOrder ? stopGradient(g!) : g!;
            const step =
              a === undefined ? tf.mul(gradient, tf.scalar(full.innerStepSize)) : tf.mul(gradient, a);
            return tf.sub(p!, step);
          }),
        'adapt',
      );
      disposeParams(grads);
      disposeParams(phi);
      phi = next;
      onStep?.(s + 1, phi);
    }
    if (stepSizes !== undefined) disposeParams(stepSizes);
    return phi;
  };

  const batchTensors = (tasks: readonly SinusoidTask[], points: number, sampler: Rng) => {
    const { inputs, targets } = sampleSinusoidPoints(tasks, points, sampler, full.sinusoids);
    return {
      x: tf.tensor3d(inputs, [tasks.length, points, 1]),
      y: tf.tensor3d(targets, [tasks.length, points, 1]),
    };
  };

  return {
    config: full,
    metaTrainStep(stepRng) {
      const tasks = sampleSinusoidTasks(full.metaBatchSize, {
        seed: stepRng.nextSeed(),
        family: full.sinusoids,
      });
      const support = batchTensors(tasks, full.shots, stepRng);
      const query = batchTensors(tasks, full.shots, stepRng);
      const before = tf.tidy(() => {
        const phi = broadcastParams(meta.model as ParamTree, tasks.length);
        return tf.div(summedLoss(phi, query.x, query.y), tasks.length);
      });
      const { value, gradients: grads } = valueAndGradients((theta) => {
        const phi = adapt(theta, support.x, support.y, full.innerSteps, full.firstOrder);
        const loss = tf.div(summedLoss(phi, query.x, query.y), tasks.length) as tf.Scalar;
        disposeParams(phi);
        return loss;
      }, meta);
      const next = optimizer.step(meta, grads, state);
      const lossBefore = before.dataSync()[0]!;
      const lossAfter = value.dataSync()[0]!;
      disposeParams(grads);
      disposeParams(meta);
      disposeOptimizerState(state);
      meta = next.params;
      state = next.state;
      tf.dispose([before, value, support.x, support.y, query.x, query.y]);
      return { lossBefore, lossAfter };
    },
    evaluate(tasks, options) {
      const sampler = createRng(options.seed);
      const support = batchTensors(tasks, options.shots, sampler);
      const query = batchTensors(tasks, options.queryPoints ?? 100, sampler);
      const results: { steps: number; meanSquaredError: number; halfWidth95: number }[] = [];
      // One adaptation run, measured at every reported step on the way.
      const adapted = adapt(
        meta,
        support.x,
        support.y,
        Math.max(...options.reportSteps),
        true,
        (steps, phi) => {
          if (!options.reportSteps.includes(steps)) return;
          const perTask = tf.tidy(() =>
            tf.mean(tf.square(tf.sub(network.apply(phi, query.x), query.y)), [1, 2]),
          );
          const { mean, halfWidth95 } = summarise(perTask.dataSync());
          perTask.dispose();
          results.push({ steps, meanSquaredError: mean, halfWidth95 });
        },
      );
      disposeParams(adapted);
      tf.dispose([support.x, support.y, query.x, query.y]);
      return results;
    },
    adapt(inputs, targets, tasks, steps) {
      const shots = inputs.length / tasks;
      if (!Number.isInteger(shots) || targets.length !== inputs.length) {
        throw new RangeError(
          `adapt: inputs and targets must both hold ${tasks} tasks x K examples, got ${inputs.length} and ${targets.length}`,
        );
      }
      return tf.tidy(() => {
        const phi = adapt(
          meta,
          tf.tensor3d(inputs, [tasks, shots, 1]),
          tf.tensor3d(targets, [tasks, shots, 1]),
          steps,
          true,
        );
        return phi as unknown as tf.TensorContainer;
      }) as unknown as ParamTree;
    },
    predict(params, inputs) {
      if (!(inputs instanceof tf.Tensor) || inputs.rank < 2 || inputs.shape[inputs.rank - 1] !== 1)
        throw new TypeError(
          `predict: inputs must be a tf.Tensor [T, N, 1], got ${inputs instanceof tf.Tensor ? `shape [${inputs.shape.join(', ')}]` : describeValue(inputs)}`,
        );
      return network.apply(params, inputs);
    },
    parameters: () => meta,
    dispose() {
      disposeParams(meta);
      disposeOptimizerState(state);
    },
  };
}
