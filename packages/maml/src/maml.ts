/**
 * MAML for reinforcement learning (Finn et al. 2017, Algorithm 3), with Meta-SGD's learned step
 * sizes (Li et al. 2017) as an option. One meta-training step:
 *
 * 1. sample `episodesPerTask` episodes of every task with the meta-policy theta;
 * 2. inner loop: phi_t = theta - alpha * grad VPG loss of task t (linear baseline, GAE), for all
 *    T tasks at once: theta is broadcast to a leading task axis and the gradient of the summed
 *    task losses gives every task its own gradient in one backward pass;
 * 3. sample as many episodes of every task with its adapted policy phi_t (one batched forward
 *    pass per time step for all tasks);
 * 4. outer loop on the post-adaptation surrogate, differentiated through step 2 exactly (second
 *    order) unless `firstOrder`: TRPO (the paper's and pytorch-maml-rl's choice; the KL's
 *    Hessian-vector products go through the adaptation too) or PPO's clipped surrogate.
 *
 * How it differs from pytorch-maml-rl: the T inner loops and the outer objective are batched
 * computations, not T sequential ones; a task's loss is the mean over all its steps (the peer's
 * per-episode mean when all episodes have the same length); the old policy of the KL is a frozen
 * copy of the adapted parameters.
 */
import {
  type Agent,
  assertCheckpointFits,
  broadcastParams,
  type Checkpoint,
  cloneParams,
  collectEpisodes,
  createAdam,
  createPolicyAgent,
  type Distribution,
  disposeOptimizerState,
  disposeParams,
  type EpisodeBatch,
  gradients,
  hessianVectorProduct,
  type LogLikelihoodCurvature,
  type MetaLearner,
  type MetaMetrics,
  mapParams,
  type OptimizerState,
  type ParamTree,
  type Policy,
  type PolicyLinearization,
  stopGradient,
  type TrpoSettings,
  tf,
  trpoStep,
  valueAndGradients,
  zipParams,
} from '@metarl/core';
import type { Rng, TaskDistribution } from '@metarl/envs';
import { createRng } from '@metarl/envs';
import { disposeTaskBatch, type TaskBatch, taskAdvantages, taskRanges, toTaskBatch } from './task-batch';

/** PPO as MAML's outer optimiser (full-batch epochs of Adam on the clipped surrogate). */
export interface MamlPpoOptions {
  /** epsilon of the clipped ratio; default 0.2. */
  readonly clipRange?: number;
  /** Adam steps per meta-iteration (each through the whole adaptation); default 5. */
  readonly epochs?: number;
  /** Adam's step size; default 3e-3. */
  readonly learningRate?: number;
}

/** Configuration of `createMaml` (defaults: pytorch-maml-rl's `2d-navigation.yaml`). */
export interface MamlConfig<Task> {
  /** Where the tasks' environments come from. */
  readonly distribution: TaskDistribution<Task>;
  /** The policy; its observation and action sizes must match the distribution's environments. */
  readonly policy: Policy;
  /** Seed of the initial parameters; default 0. */
  readonly seed?: number;
  /** Episodes per task, for each inner step and for the outer objective; default 20. */
  readonly episodesPerTask?: number;
  /** Inner (VPG) step size alpha ("fast-lr"); default 0.1. With Meta-SGD, the initial step sizes. */
  readonly innerStepSize?: number;
  /** Inner gradient steps, each on fresh episodes of the current adapted policy; default 1. */
  readonly innerSteps?: number;
  /** Drop the second-order terms of the meta-gradient (first-order MAML); default false. */
  readonly firstOrder?: boolean;
  /** Meta-SGD: learn one inner step size per parameter; default false. */
  readonly learnInnerStepSizes?: boolean;
  /** Discount; default 0.99. */
  readonly gamma?: number;
  /** GAE lambda of both loops' advantages; default 1 (Monte-Carlo returns minus the baseline). */
  readonly lambda?: number;
  /** Outer optimiser; default 'trpo'. */
  readonly outerOptimizer?: 'trpo' | 'ppo';
  /** TRPO's options (defaults: max KL 0.01, damping 1e-5, 10 CG iterations, 15 line-search steps, ratio 0.8). */
  readonly trpo?: TrpoSettings;
  /** PPO's options when `outerOptimizer` is 'ppo'. */
  readonly ppo?: MamlPpoOptions;
}

/** A MAML learner: the `MetaLearner` contract plus its building blocks. */
export interface Maml<Task> extends MetaLearner<Task> {
  /** The configuration with defaults filled in (without the distribution and policy). */
  readonly config: MamlSettings;
  /** The meta-parameters `{ policy, stepSizes? }`; owned by the learner, replaced by every step. */
  parameters(): ParamTree;
}

/** The plain settings of a MAML learner (everything but the distribution and the policy). */
export type MamlSettings = Required<Omit<MamlConfig<unknown>, 'distribution' | 'policy' | 'trpo' | 'ppo'>> & {
  readonly trpo: Required<TrpoSettings>;
  readonly ppo: Required<MamlPpoOptions>;
};

const KIND = 'maml';

function fail(message: string): never {
  throw new RangeError(`createMaml: ${message}`);
}

function settingsOf(config: MamlConfig<unknown>): MamlSettings {
  const settings: MamlSettings = {
    seed: config.seed ?? 0,
    episodesPerTask: config.episodesPerTask ?? 20,
    innerStepSize: config.innerStepSize ?? 0.1,
    innerSteps: config.innerSteps ?? 1,
    firstOrder: config.firstOrder ?? false,
    learnInnerStepSizes: config.learnInnerStepSizes ?? false,
    gamma: config.gamma ?? 0.99,
    lambda: config.lambda ?? 1,
    outerOptimizer: config.outerOptimizer ?? 'trpo',
    trpo: {
      maxKl: 0.01,
      damping: 1e-5,
      conjugateGradientIterations: 10,
      lineSearchSteps: 15,
      backtrackRatio: 0.8,
      ...config.trpo,
    },
    ppo: { clipRange: 0.2, epochs: 5, learningRate: 3e-3, ...config.ppo },
  };
  if (!Number.isSafeInteger(settings.seed)) fail(`seed must be an integer, got ${settings.seed}`);
  for (const name of ['episodesPerTask', 'innerSteps'] as const) {
    if (!Number.isInteger(settings[name]) || settings[name] < 1)
      fail(`${name} must be a positive integer, got ${String(settings[name])}`);
  }
  if (!(settings.innerStepSize > 0 && Number.isFinite(settings.innerStepSize)))
    fail(`innerStepSize must be a finite number > 0, got ${settings.innerStepSize}`);
  for (const name of ['gamma', 'lambda'] as const) {
    if (!(settings[name] >= 0 && settings[name] <= 1))
      fail(`${name} must be in [0, 1], got ${settings[name]}`);
  }
  if (settings.outerOptimizer !== 'trpo' && settings.outerOptimizer !== 'ppo')
    fail(`outerOptimizer must be 'trpo' or 'ppo', got '${String(settings.outerOptimizer)}'`);
  const { maxKl, damping, conjugateGradientIterations, lineSearchSteps, backtrackRatio } = settings.trpo;
  if (!(maxKl > 0)) fail(`trpo.maxKl must be > 0, got ${maxKl}`);
  if (!(damping >= 0)) fail(`trpo.damping must be >= 0, got ${damping}`);
  if (!Number.isInteger(conjugateGradientIterations) || conjugateGradientIterations < 1)
    fail(`trpo.conjugateGradientIterations must be a positive integer, got ${conjugateGradientIterations}`);
  if (!Number.isInteger(lineSearchSteps) || lineSearchSteps < 1)
    fail(`trpo.lineSearchSteps must be a positive integer, got ${lineSearchSteps}`);
  if (!(backtrackRatio > 0 && backtrackRatio < 1))
    fail(`trpo.backtrackRatio must be in (0, 1), got ${backtrackRatio}`);
  const { clipRange, epochs, learningRate } = settings.ppo;
  if (!(clipRange > 0)) fail(`ppo.clipRange must be > 0, got ${clipRange}`);
  if (!Number.isInteger(epochs) || epochs < 1) fail(`ppo.epochs must be a positive integer, got ${epochs}`);
  if (!(learningRate > 0)) fail(`ppo.learningRate must be > 0, got ${learningRate}`);
  return settings;
}

/** Throws unless `policy` can act in the environments of `distribution`. */
function checkPolicyFitsEnvironments<Task>(policy: Policy, distribution: TaskDistribution<Task>): void {
  const env = distribution.makeVectorEnv([distribution.defaultTask()], { autoresetMode: 'disabled' });
  const space = env.actionSpace;
  const discrete = space.shape.length === 0;
  const envActions = discrete ? `Discrete(${(space as { n: number }).n})` : `Box of size ${env.actionSize}`;
  const policyActions =
    policy.actionKind === 'discrete' ? `Discrete(${policy.actionSize})` : `Box of size ${policy.actionSize}`;
  if (policy.observationSize !== env.observationSize) {
    fail(
      `the policy takes observations of size ${policy.observationSize} but ${env.id} gives ${env.observationSize}`,
    );
  }
  if (envActions !== policyActions)
    fail(`the policy's actions are ${policyActions} but ${env.id}'s action space is ${envActions}`);
}

/** Options of the inner loop. */
export interface InnerLoopOptions {
  /** Step size alpha (ignored when `stepSizes` are given). */
  readonly innerStepSize: number;
  /** Stop the outer gradient at the inner gradient (first-order MAML). */
  readonly firstOrder: boolean;
}

/** Sum over tasks of each task's VPG loss -mean(log pi(a|s) A) on `batch` (per-task gradients in one pass). */
export function innerLoss(policy: Policy, taskParams: ParamTree, batch: TaskBatch): tf.Scalar {
  return tf.tidy(() => {
    const logProb = policy.apply(taskParams, batch.observations).logProb(batch.actions);
    return tf.neg(tf.sum(tf.mul(logProb, batch.advantageWeights))) as tf.Scalar;
  });
}

/**
 * One inner step of every task: `taskParams` (leading axis T) minus alpha (or the Meta-SGD
 * `stepSizes`, unbatched, shaped like one policy) times each task's VPG gradient on `batch`.
 */
export function innerStep(
  policy: Policy,
  taskParams: ParamTree,
  batch: TaskBatch,
  options: InnerLoopOptions,
  stepSizes?: ParamTree,
): ParamTree {
  const grads = gradients((p) => innerLoss(policy, p, batch), taskParams);
  const sizes = stepSizes === undefined ? undefined : broadcastParams(stepSizes, batch.tasks);
  const next = zipParams(
    sizes === undefined ? [taskParams, grads] : [taskParams, grads, sizes],
    ([p, g, a]) =>
      tf.tidy(() => {
        const gradient = options.firstOrder ? stopGradient(g!) : g!;
        return tf.sub(
          p!,
          a === undefined ? tf.mul(gradient, tf.scalar(options.innerStepSize)) : tf.mul(gradient, a),
        );
      }),
    'innerStep',
  );
  disposeParams(grads);
  if (sizes !== undefined) disposeParams(sizes);
  return next;
}

/** The task-batched adapted policies phi(meta) after one inner step per batch in `batches`. */
export function adaptPolicy(
  policy: Policy,
  meta: ParamTree,
  batches: readonly TaskBatch[],
  options: InnerLoopOptions,
): ParamTree {
  let phi = broadcastParams(meta.policy as ParamTree, batches[0]!.tasks);
  for (const batch of batches) {
    const next = innerStep(policy, phi, batch, options, meta.stepSizes as ParamTree | undefined);
    disposeParams(phi);
    phi = next;
  }
  return phi;
}

/** The outer objective of one meta-batch; `dispose` frees its tensors. */
export interface MamlObjective {
  /** The post-adaptation surrogate at `meta` (mean over tasks; TRPO: -ratio A, PPO: clipped). */
  loss(meta: ParamTree): tf.Scalar;
  /** Mean over tasks of the mean KL(old adapted policy || adapted policy at `meta`). */
  kl(meta: ParamTree): tf.Scalar;
  /** `[loss(meta), kl(meta)]` from one adaptation (TRPO's line search). */
  lossAndKl(meta: ParamTree): [tf.Scalar, tf.Scalar];
  /** `loss(meta)` and its gradient (second order unless first-order MAML); equal to `valueAndGradients(loss, meta)`. */
  lossAndGradient(meta: ParamTree): { value: tf.Scalar; gradients: ParamTree };
  /**
   * The KL's Hessian times `vector` at the old meta-parameters (TRPO's Fisher-vector product),
   * equal to `hessianVectorProduct(kl, meta, vector)` but computed as J^T F J v (see below).
   */
  fisherVectorProduct(meta: ParamTree, vector: ParamTree): ParamTree;
  /** Frees the objective's tensors (not the batches). */
  dispose(): void;
}

/**
 * The outer objective: adapt on `trainBatches` (one inner step each), then the surrogate of the
 * adapted policies on `validBatch` against `oldTaskParams`, the adapted parameters that sampled
 * it (copied and frozen, so the KL's Hessian is the Fisher matrix).
 */
export function createMamlObjective(
  policy: Policy,
  trainBatches: readonly TaskBatch[],
  validBatch: TaskBatch,
  oldTaskParams: ParamTree,
  options: InnerLoopOptions & { readonly clipRange?: number },
): MamlObjective {
  const frozen = cloneParams(oldTaskParams);
  const old = tf.tidy(
    () => policy.apply(frozen, validBatch.observations) as unknown as tf.TensorContainer,
  ) as unknown as Distribution;
  const oldLogProb = tf.tidy(() => old.logProb(validBatch.actions));
  const tasks = tf.scalar(validBatch.tasks);
  const adapt = (meta: ParamTree) => adaptPolicy(policy, meta, trainBatches, options);
  /** The surrogate of the adapted policies' distributions (mean over tasks). */
  const surrogateFrom = (adapted: Distribution) =>
    tf.tidy(() => {
      const ratio = tf.exp(tf.sub(adapted.logProb(validBatch.actions), oldLogProb));
      let gain = tf.mul(ratio, validBatch.advantageWeights);
      if (options.clipRange !== undefined) {
        const clipped = tf.clipByValue(ratio, 1 - options.clipRange, 1 + options.clipRange);
        gain = tf.minimum(gain, tf.mul(clipped, validBatch.advantageWeights));
      }
      return tf.neg(tf.div(tf.sum(gain), tasks)) as tf.Scalar;
    });
  /** Mean over tasks of each task's mean KL(old || adapted). */
  const klFrom = (adapted: Distribution) =>
    tf.tidy(() => tf.div(tf.sum(tf.mul(old.kl(adapted), validBatch.stepWeights)), tasks) as tf.Scalar);
  const adaptedAt = (taskParams: ParamTree) => policy.apply(taskParams, validBatch.observations);
  const surrogateOf = (taskParams: ParamTree) => tf.tidy(() => surrogateFrom(adaptedAt(taskParams)));
  const klOf = (taskParams: ParamTree) => tf.tidy(() => klFrom(adaptedAt(taskParams)));
  /** `[surrogate, KL]` from one forward pass of the adapted policies. */
  const surrogateAndKlOf = (taskParams: ParamTree): [tf.Scalar, tf.Scalar] => {
    const both = tf.tidy(() => {
      const adapted = adaptedAt(taskParams);
      return [surrogateFrom(adapted), klFrom(adapted)];
    });
    return [both[0]!, both[1]!];
  };
  const kl = (meta: ParamTree) => tf.tidy(() => klOf(adapt(meta)));
  const loss = (meta: ParamTree) => tf.tidy(() => surrogateOf(adapt(meta)));

  // The cached-curvature path: one inner step with a fixed step size, and a policy that provides
  // `curvature`. Its forward passes (and the inner loss's backward pass) are computed once per
  // point instead of once per product, and nothing is recorded on a tape.
  const batch = trainBatches[0]!;
  const policyCurvature = trainBatches.length === 1 ? policy.curvature : undefined;
  const usesCurvature = (meta: ParamTree) => policyCurvature !== undefined && meta.stepSizes === undefined;
  /** The inner loss's negative (the advantage-weighted log-likelihood of the train batch) at `metaPolicy`. */
  const linearizeInner = (metaPolicy: ParamTree): InnerLinearization => {
    const linear = policyCurvature!.linearize(metaPolicy, batch.observations);
    const inner = linear.logLikelihood(batch.actions, batch.advantageWeights);
    return {
      meta: metaPolicy,
      inner,
      dispose() {
        inner.dispose();
        linear.dispose();
      },
    };
  };
  // TRPO takes its gradient and all its Fisher-vector products at the same (old) point.
  let innerCache: InnerLinearization | undefined;
  const innerAt = (metaPolicy: ParamTree): LogLikelihoodCurvature => {
    if (innerCache?.meta !== metaPolicy) {
      innerCache?.dispose();
      innerCache = linearizeInner(metaPolicy);
    }
    return innerCache.inner;
  };
  /** The adapted policies that sampled the validation batch, and the KL's per-step weights. */
  let outerCache: { linear: PolicyLinearization; klWeights: tf.Tensor } | undefined;
  /** phi_t = theta - alpha grad(inner loss_t) = theta + alpha grad(weighted log-likelihood_t). */
  const adaptedFrom = (metaPolicy: ParamTree, inner: LogLikelihoodCurvature): ParamTree => {
    const start = broadcastParams(metaPolicy, batch.tasks);
    const adapted = zipParams(
      [start, inner.gradient],
      ([p, g]) => tf.tidy(() => tf.add(p!, tf.mul(g!, tf.scalar(options.innerStepSize)))),
      'adapt',
    );
    disposeParams(start);
    return adapted;
  };
  /**
   * J_t u = d phi_t / d theta u = u + alpha (Hessian of the weighted log-likelihood_t) u for every
   * task (u for first-order MAML); `tangent` is shared (one for all tasks) or per task. J_t is
   * symmetric, so this is also J_t^T u.
   */
  const jacobianProduct = (
    inner: LogLikelihoodCurvature,
    tangent: ParamTree,
    perTask: boolean,
  ): ParamTree => {
    const tangents = perTask ? cloneParams(tangent) : broadcastParams(tangent, batch.tasks);
    if (options.firstOrder) return tangents;
    const hessian = inner.hessianProduct(tangent); // shared tangents make shared-weight products
    const out = zipParams(
      [tangents, hessian],
      ([x, h]) => tf.tidy(() => tf.add(x!, tf.mul(h!, tf.scalar(options.innerStepSize)))),
      'jacobianProduct',
    );
    disposeParams(hessian);
    disposeParams(tangents);
    return out;
  };
  const sumOverTasks = (tree: ParamTree) => mapParams(tree, (x) => tf.sum(x, 0));

  return {
    loss,
    kl,
    lossAndKl: (meta) => {
      // (The generic adaptation: a value needs no cached curvature, and it is 10% faster here.)
      const phi = adapt(meta);
      const both = surrogateAndKlOf(phi);
      disposeParams(phi);
      return both;
    },
    lossAndGradient(meta) {
      // With the cached curvature: grad = sum_t J_t^T g_t, g_t the surrogate's gradient in phi_t,
      // itself the gradient of a log-likelihood weighted by -ratio A / T. (PPO's clipped
      // surrogate is differentiated generically.)
      if (!usesCurvature(meta) || options.clipRange !== undefined) return valueAndGradients(loss, meta);
      const inner = innerAt(meta.policy as ParamTree);
      const phi = adaptedFrom(meta.policy as ParamTree, inner);
      const linear = policyCurvature!.linearize(phi, validBatch.observations);
      const weights = tf.tidy(() => {
        const ratio = tf.exp(tf.sub(linear.distribution.logProb(validBatch.actions), oldLogProb));
        return tf.neg(tf.div(tf.mul(ratio, validBatch.advantageWeights), tasks));
      });
      const value = tf.sum(weights) as tf.Scalar;
      const surrogate = linear.logLikelihood(validBatch.actions, weights);
      const back = jacobianProduct(inner, surrogate.gradient, true);
      const gradient = sumOverTasks(back);
      surrogate.dispose();
      linear.dispose();
      disposeParams(back);
      disposeParams(phi);
      weights.dispose();
      return { value, gradients: { policy: gradient } };
    },
    fisherVectorProduct(meta, vector) {
      // At the old parameters the KL and its gradient in phi vanish, so its Hessian in theta is
      // exactly the Gauss-Newton form (1/T) sum_t J_t^T F_t J_t with F_t the KL's Hessian in
      // phi_t and J_t = d phi_t / d theta = I - alpha H_t (H_t the inner loss's Hessian,
      // symmetric; J_t = I for first-order MAML). Two inner Hessian-vector products and one of
      // the KL in phi replace a third-order pass through the adaptation: 1.45x faster, equal to
      // float rounding; with the cached curvature, 2.8-3.2x faster again. Several inner steps or
      // Meta-SGD take the general path.
      if (trainBatches.length !== 1 || meta.stepSizes !== undefined)
        return hessianVectorProduct(kl, meta, vector);
      if (usesCurvature(meta)) {
        const inner = innerAt(meta.policy as ParamTree);
        outerCache ??= {
          linear: policyCurvature!.linearize(frozen, validBatch.observations),
          klWeights: tf.div(validBatch.stepWeights, tasks),
        };
        const inPhi = jacobianProduct(inner, vector.policy as ParamTree, false);
        const fisher = outerCache.linear.fisherProduct(inPhi, outerCache.klWeights);
        const back = jacobianProduct(inner, fisher, true);
        const product = sumOverTasks(back);
        for (const tree of [inPhi, fisher, back]) disposeParams(tree);
        return { policy: product };
      }
      const start = broadcastParams(meta.policy as ParamTree, batch.tasks);
      const genericJacobianProduct = (tangent: ParamTree): ParamTree => {
        if (options.firstOrder) return cloneParams(tangent);
        const hessian = hessianVectorProduct((p) => innerLoss(policy, p, batch), start, tangent);
        const out = zipParams(
          [tangent, hessian],
          ([x, h]) => tf.tidy(() => tf.sub(x!, tf.mul(h!, tf.scalar(options.innerStepSize)))),
          'fisherVectorProduct',
        );
        disposeParams(hessian);
        return out;
      };
      const tangent = broadcastParams(vector.policy as ParamTree, batch.tasks);
      const inPhi = genericJacobianProduct(tangent);
      const fisher = hessianVectorProduct(klOf, frozen, inPhi);
      const back = genericJacobianProduct(fisher);
      const product = sumOverTasks(back);
      for (const tree of [start, tangent, inPhi, fisher, back]) disposeParams(tree);
      return { policy: product };
    },
    dispose: () => {
      const owned = Object.values(old as unknown as Record<string, unknown>).filter(
        (value): value is tf.Tensor => value instanceof tf.Tensor,
      );
      tf.dispose([...owned, oldLogProb, tasks]);
      disposeParams(frozen);
      innerCache?.dispose();
      if (outerCache !== undefined) {
        outerCache.linear.dispose();
        outerCache.klWeights.dispose();
      }
    },
  };
}

/** The inner loss linearised at some meta-parameters. */
interface InnerLinearization {
  /** The meta-parameters (policy part) it was linearised at. */
  readonly meta: ParamTree;
  /** The inner loss's negative: the advantage-weighted log-likelihood of the train batch. */
  readonly inner: LogLikelihoodCurvature;
  /** Frees it. */
  dispose(): void;
}

function meanEpisodeReturn(batch: EpisodeBatch): number {
  let total = 0;
  for (const r of batch.rewards) total += r;
  return total / batch.lengths.length;
}

/** Structural equality of two param trees' leaf paths and shapes. */
/**
 * Creates a MAML learner (see the module comment).
 *
 * @example
 * const distribution = makeTaskDistribution('Navigation2D-v0');
 * const policy = createGaussianMlpPolicy({ observationSize: 2, actionSize: 2 });
 * const maml = createMaml({ distribution, policy });
 * await trainMetaLearner(maml, distribution, { iterations: 50, metaBatchSize: 20, seed: 1 });
 */
export function createMaml<Task>(config: MamlConfig<Task>): Maml<Task> {
  const settings = settingsOf(config as MamlConfig<unknown>);
  const { distribution, policy } = config;
  checkPolicyFitsEnvironments(policy, distribution);
  const inner: InnerLoopOptions = { innerStepSize: settings.innerStepSize, firstOrder: settings.firstOrder };
  const advantageOptions = { gamma: settings.gamma, lambda: settings.lambda };
  const initial = policy.init(createRng(settings.seed));
  let meta: ParamTree = settings.learnInnerStepSizes
    ? { policy: initial, stepSizes: mapParams(initial, (p) => tf.fill(p.shape, settings.innerStepSize)) }
    : { policy: initial };
  const optimizer = createAdam({ learningRate: settings.ppo.learningRate });
  let state: OptimizerState | undefined =
    settings.outerOptimizer === 'ppo' ? optimizer.init(meta) : undefined;
  let step = 0;
  /** Agents made by this learner and the parameters they act with. */
  const agents = new WeakMap<Agent, { readonly params: ParamTree; readonly tasks?: number }>();

  const makeAgent = (params: ParamTree, tasks?: number): Agent => {
    const agent = createPolicyAgent(policy, params, {
      ownsParams: true,
      ...(tasks === undefined ? {} : { tasks }),
    });
    agents.set(agent, tasks === undefined ? { params } : { params, tasks });
    return agent;
  };

  const disposeState = () => {
    if (state !== undefined) disposeOptimizerState(state);
  };

  const clock = () => performance.now() / 1000;

  return {
    kind: KIND,
    config: settings,
    parameters: () => meta,

    explorationAgent: () => makeAgent(cloneParams(meta.policy as ParamTree)),

    adapt(agent, episodes) {
      const source = agents.get(agent);
      if (source === undefined) {
        throw new TypeError(
          'maml.adapt: the agent was not made by this learner (use its explorationAgent or a previous adapt result)',
        );
      }
      const tasks = taskRanges(episodes).length;
      if (source.tasks !== undefined && source.tasks !== tasks) {
        throw new RangeError(
          `maml.adapt: the agent was adapted to ${source.tasks} tasks but the episodes hold ${tasks}`,
        );
      }
      const batch = toTaskBatch(episodes, taskAdvantages(episodes, advantageOptions), policy.actionKind);
      const phi = tf.tidy(() => {
        const start = source.tasks === undefined ? broadcastParams(source.params, tasks) : source.params;
        return innerStep(
          policy,
          start,
          batch,
          { ...inner, firstOrder: true },
          meta.stepSizes as ParamTree | undefined,
        ) as unknown as tf.TensorContainer;
      }) as unknown as ParamTree;
      disposeTaskBatch(batch);
      return makeAgent(phi, tasks);
    },

    async metaTrainStep(tasks: readonly Task[], rng: Rng): Promise<MetaMetrics> {
      if (!Array.isArray(tasks) || tasks.length === 0)
        throw new RangeError(`maml.metaTrainStep: tasks must be a non-empty array, got ${String(tasks)}`);
      const count = tasks.length;
      const times = { sampling: 0, advantages: 0, adaptation: 0, outer: 0 };
      const started = clock();
      let mark = started;
      const lap = (key: keyof typeof times) => {
        const now = clock();
        times[key] += now - mark;
        mark = now;
      };
      const env = distribution.makeVectorEnv(
        tasks.flatMap((task) => Array.from({ length: settings.episodesPerTask }, () => task)),
        { autoresetMode: 'disabled' },
      );
      const collect = (agent: Agent, first: boolean) =>
        collectEpisodes(env, agent, {
          episodesPerEnv: 1,
          rng,
          tasks: count,
          ...(first ? { seed: rng.nextSeed() } : {}),
        });

      // Inner loop: sample with the current policy, take one step, repeat.
      const trainBatches: TaskBatch[] = [];
      let phi = broadcastParams(meta.policy as ParamTree, count);
      let returnBefore = 0;
      for (let k = 0; k < settings.innerSteps; k += 1) {
        const agent = createPolicyAgent(policy, phi, { tasks: count });
        const episodes = collect(agent, k === 0);
        if (k === 0) returnBefore = meanEpisodeReturn(episodes);
        lap('sampling');
        const advantages = taskAdvantages(episodes, advantageOptions);
        trainBatches.push(toTaskBatch(episodes, advantages, policy.actionKind));
        lap('advantages');
        const next = tf.tidy(
          () =>
            innerStep(
              policy,
              phi,
              trainBatches[k]!,
              inner,
              meta.stepSizes as ParamTree | undefined,
            ) as unknown as tf.TensorContainer,
        ) as unknown as ParamTree;
        disposeParams(phi);
        phi = next;
        lap('adaptation');
      }
      const validEpisodes = collect(createPolicyAgent(policy, phi, { tasks: count }), false);
      lap('sampling');
      const valid = toTaskBatch(
        validEpisodes,
        taskAdvantages(validEpisodes, advantageOptions),
        policy.actionKind,
      );
      lap('advantages');

      const objective = createMamlObjective(policy, trainBatches, valid, phi, {
        ...inner,
        ...(settings.outerOptimizer === 'ppo' ? { clipRange: settings.ppo.clipRange } : {}),
      });
      disposeParams(phi);
      let outerMetrics: Record<string, number> = {};
      if (settings.outerOptimizer === 'trpo') {
        const result = trpoStep(meta, objective.loss, objective.kl, {
          ...settings.trpo,
          fisherVectorProduct: objective.fisherVectorProduct,
          lossAndKl: objective.lossAndKl,
          lossAndGradient: objective.lossAndGradient,
        });
        disposeParams(meta);
        meta = result.params;
        outerMetrics = { ...result.metrics };
      } else {
        let lossBefore = Number.NaN;
        for (let epoch = 0; epoch < settings.ppo.epochs; epoch += 1) {
          const { value, gradients: grads } = valueAndGradients(objective.loss, meta);
          if (epoch === 0) lossBefore = value.dataSync()[0]!;
          value.dispose();
          const next = optimizer.step(meta, grads, state!);
          disposeParams(grads);
          disposeParams(meta);
          disposeState();
          meta = next.params;
          state = next.state;
        }
        const lossAfter = objective.loss(meta);
        const kl = objective.kl(meta);
        outerMetrics = {
          'ppo/lossBefore': lossBefore,
          'ppo/lossAfter': lossAfter.dataSync()[0]!,
          'ppo/kl': kl.dataSync()[0]!,
        };
        tf.dispose([lossAfter, kl]);
      }
      objective.dispose();
      for (const batch of trainBatches) disposeTaskBatch(batch);
      disposeTaskBatch(valid);
      lap('outer');
      step += 1;
      return {
        'metaTrain/returnBefore': returnBefore,
        'metaTrain/returnAfter': valid.meanReturn,
        ...outerMetrics,
        'time/sampling': times.sampling,
        'time/advantages': times.advantages,
        'time/adaptation': times.adaptation,
        'time/outer': times.outer,
        'time/iteration': clock() - started,
      };
    },

    async toCheckpoint(): Promise<Checkpoint> {
      return {
        kind: KIND,
        version: 1,
        config: { ...settings },
        params: meta,
        ...(state === undefined ? {} : { optimizer: state }),
        rng: {},
        step,
      };
    },

    async fromCheckpoint(checkpoint) {
      assertCheckpointFits(checkpoint, {
        kind: KIND,
        params: meta,
        needsOptimizer: settings.outerOptimizer === 'ppo',
      });
      disposeParams(meta);
      disposeState();
      meta = checkpoint.params;
      state = settings.outerOptimizer === 'ppo' ? checkpoint.optimizer : undefined;
      step = checkpoint.step;
    },

    dispose() {
      disposeParams(meta);
      disposeState();
    },
  };
}
