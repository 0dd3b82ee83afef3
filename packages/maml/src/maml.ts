/**
 * MAML for reinforcement learning (Finn et al. 2017, Algorithm 3), with Meta-SGD's learned step
 * sizes (Li et al. 2017) as an option. One meta-training step, for a batch of tasks T_i:
 *
 * 1. sample `episodesPerTask` trajectories D_i of every task with the meta-policy f_theta;
 * 2. inner loop: theta'_i = theta - alpha grad L_Ti(f_theta) (VPG loss, linear baseline, GAE),
 *    for all tasks at once with core's task-batched inner loop (`innerSteps` times, each on fresh
 *    trajectories of the current adapted policies);
 * 3. sample as many trajectories D'_i of every task with its adapted policy f_theta'_i;
 * 4. outer loop: theta <- theta - beta grad sum_i L_Ti(f_theta'_i) on the D'_i, differentiated
 *    through step 2 exactly (second order) unless `firstOrder`: TRPO (the paper's and
 *    pytorch-maml-rl's choice; the KL's Fisher-vector products go through the adaptation too)
 *    or PPO's clipped surrogate, with core's `trpoStep` or `runPpoEpochs` on `maml-objective.ts`.
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
  type CheckpointSetup,
  cloneParams,
  collectEpisodes,
  createAdam,
  createPolicyAgent,
  describePolicy,
  describeTaskDistribution,
  disposeOptimizerState,
  disposeParams,
  disposeTaskBatch,
  type InnerLoopOptions,
  innerStep,
  type MetaLearner,
  type MetaMetrics,
  mapParams,
  type OptimizerState,
  type ParamTree,
  runPpoEpochs,
  type TaskBatch,
  taskAdvantages,
  taskRanges,
  tf,
  toTaskBatch,
  trpoStep,
} from '@metarl/core';
import { createRng, type Rng } from '@metarl/envs';
import { createAutodiffCurvature } from './curvature/autodiff-curvature';
import { curvatureOf } from './curvature/policy-curvature';
import {
  checkPolicyFitsEnvironments,
  type MamlConfig,
  type MamlSettings,
  resolveMamlSettings,
} from './maml-config';
import { createMamlObjective, type MamlObjective } from './maml-objective';

/** A MAML learner: the `MetaLearner` contract plus its building blocks. */
export interface Maml<Task> extends MetaLearner<Task> {
  /** MAML adapts by gradient steps: `evaluateMetaLearner` measures before and after each. */
  readonly adaptation: 'gradient';
  /** The configuration with defaults filled in (without the distribution and policy). */
  readonly config: MamlSettings;
  /** The meta-parameters `{ policy, stepSizes? }`; owned by the learner, replaced by every step. */
  parameters(): ParamTree;
}

const KIND = 'maml';

/**
 * Creates a MAML learner (see the module comment).
 *
 * @example
 * const distribution = makeTaskDistribution('Navigation2D-v1');
 * const policy = createGaussianMlpPolicy({ observationSize: 2, actionSize: 2 });
 * const maml = createMaml({ distribution, policy });
 * await trainMetaLearner(maml, distribution, { iterations: 50, metaBatchSize: 20, seed: 1 });
 */
export function createMaml<Task>(config: MamlConfig<Task>): Maml<Task> {
  const settings = resolveMamlSettings(config as MamlConfig<unknown>);
  const { distribution, policy } = config;
  checkPolicyFitsEnvironments(policy, distribution);
  /** What checkpoints record besides the config, and what a restore compares. */
  const setup: CheckpointSetup = {
    distribution: describeTaskDistribution(distribution),
    policy: describePolicy(policy),
  };
  const advantageOptions = { gamma: settings.gamma, lambda: settings.lambda };
  /** The inner loop's options at the meta-parameters `meta` (Meta-SGD's step sizes are part of them). */
  const innerOptions = (meta: ParamTree, firstOrder = settings.firstOrder): InnerLoopOptions => ({
    innerStepSize: settings.innerStepSize,
    firstOrder,
    ...(meta.stepSizes === undefined ? {} : { stepSizes: meta.stepSizes as ParamTree }),
  });
  // The outer objective, chosen once: TRPO through one inner step of a fixed size has the
  // structure the curvature objective exploits, with the cached curvature of the policies maml
  // knows and the autodiff one of any other.
  const curvature =
    settings.outerOptimizer === 'trpo' && settings.innerSteps === 1 && !settings.learnInnerStepSizes
      ? (curvatureOf(policy) ?? createAutodiffCurvature(policy))
      : undefined;

  // Randomly initialise theta (and Meta-SGD's step sizes, alpha everywhere).
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

  /** theta <- the TRPO step on the outer objective (a trust region on the adapted policies' mean KL). */
  const outerTrpoStep = (objective: MamlObjective): Record<string, number> => {
    const result = trpoStep(meta, objective.loss, objective.kl, {
      ...settings.trpo,
      fisherVectorProduct: objective.fisherVectorProduct,
      lossAndKl: objective.lossAndKl,
      lossAndGradient: objective.lossAndGradient,
    });
    disposeParams(meta);
    meta = result.params;
    return { ...result.metrics };
  };

  /** theta <- `ppo.epochs` full-batch Adam steps on the clipped outer objective (core's PPO runner, nothing drawn at random). */
  const outerPpoStep = (objective: MamlObjective): Record<string, number> => {
    const result = runPpoEpochs({
      params: meta,
      optimizer,
      state: state!,
      units: 1,
      epochs: settings.ppo.epochs,
      minibatches: 1,
      loss: (params) => ({ loss: objective.loss(params) }),
    });
    disposeParams(meta);
    disposeState();
    meta = result.params;
    state = result.state;
    const [lossAfter, kl] = [objective.loss(meta), objective.kl(meta)];
    const metrics = {
      'ppo/lossBefore': result.metrics.initialLoss,
      'ppo/lossAfter': lossAfter.dataSync()[0]!,
      'ppo/kl': kl.dataSync()[0]!,
    };
    tf.dispose([lossAfter, kl]);
    return metrics;
  };

  return {
    kind: KIND,
    adaptation: 'gradient',
    config: settings,
    parameters: () => meta,

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
      /** Episodes of every task with the task-batched parameters `params`, as a `TaskBatch`. */
      const sample = (params: ParamTree, first: boolean): TaskBatch => {
        const episodes = collectEpisodes(env, createPolicyAgent(policy, params, { tasks: count }), {
          episodesPerEnv: 1,
          rng,
          tasks: count,
          ...(first ? { seed: rng.nextSeed() } : {}),
        });
        lap('sampling');
        const batch = toTaskBatch(episodes, taskAdvantages(episodes, advantageOptions), policy.actionKind);
        lap('advantages');
        return batch;
      };

      // 1-2. Sample D_i with theta and adapt: theta'_i = theta - alpha grad L_Ti, `innerSteps` times.
      const trainBatches: TaskBatch[] = [];
      let phi = broadcastParams(meta.policy as ParamTree, count);
      for (let k = 0; k < settings.innerSteps; k += 1) {
        const batch = sample(phi, k === 0);
        trainBatches.push(batch);
        const next = tf.tidy(
          () => innerStep(policy, phi, batch, innerOptions(meta)) as unknown as tf.TensorContainer,
        ) as unknown as ParamTree;
        disposeParams(phi);
        phi = next;
        lap('adaptation');
      }

      // 3. Sample D'_i with the adapted policies theta'_i.
      const valid = sample(phi, false);

      // 4. Outer step on the post-adaptation objective, through the adaptation.
      const objective = createMamlObjective(policy, trainBatches, valid, phi, {
        innerStepSize: settings.innerStepSize,
        firstOrder: settings.firstOrder,
        ...(settings.outerOptimizer === 'ppo' ? { clipRange: settings.ppo.clipRange } : {}),
        ...(curvature === undefined ? {} : { curvature }),
      });
      disposeParams(phi);
      const outerMetrics =
        settings.outerOptimizer === 'trpo' ? outerTrpoStep(objective) : outerPpoStep(objective);
      objective.dispose();
      for (const batch of trainBatches) disposeTaskBatch(batch);
      disposeTaskBatch(valid);
      lap('outer');
      step += 1;
      return {
        'metaTrain/returnBefore': trainBatches[0]!.meanReturn,
        'metaTrain/returnAfter': valid.meanReturn,
        ...outerMetrics,
        'time/sampling': times.sampling,
        'time/advantages': times.advantages,
        'time/adaptation': times.adaptation,
        'time/outer': times.outer,
        'time/iteration': clock() - started,
      };
    },

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
        return innerStep(policy, start, batch, innerOptions(meta, true)) as unknown as tf.TensorContainer;
      }) as unknown as ParamTree;
      disposeTaskBatch(batch);
      return makeAgent(phi, tasks);
    },

    async toCheckpoint(): Promise<Checkpoint> {
      return {
        kind: KIND,
        version: 1,
        config: { ...settings },
        setup,
        params: meta,
        ...(state === undefined ? {} : { optimizer: state }),
        rng: {},
        step,
      };
    },

    async fromCheckpoint(checkpoint, options) {
      assertCheckpointFits(checkpoint, {
        kind: KIND,
        params: meta,
        needsOptimizer: settings.outerOptimizer === 'ppo',
        run: { config: settings, setup },
        allowChanges: options?.allowChanges,
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
