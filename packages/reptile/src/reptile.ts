/**
 * Reptile for reinforcement learning (Nichol, Achiam & Schulman 2018, Algorithm 2, with the
 * inner loop of policy-gradient steps), and first-order MAML beside it. One meta-training step,
 * for a batch of T tasks:
 *
 * 1. inner loop: `innerSteps` times, sample `episodesPerTask` episodes of every task with its
 *    current policy phi_i (theta at first), and take one step of the inner rule (SGD, or Adam
 *    with beta1 = 0) on the VPG loss (linear baseline, GAE, advantages normalised per task), or
 *    `ppo.epochs` steps on PPO's clipped surrogate of those episodes: all T tasks at once with
 *    core's task-batched `adaptationStep`;
 * 2. meta-gradient: Reptile g = theta - mean_i phi_i; first-order MAML g = mean_i of the VPG
 *    gradient at phi_i on fresh episodes of phi_i;
 * 3. outer step: theta <- theta - eps g (for Reptile exactly theta + eps (mean phi - theta)), eps
 *    annealed linearly if asked, or Adam on g.
 *
 * Adaptation to a new task (`adapt`): one step of the inner rule on the exploration episodes, as
 * MAML adapts, so `evaluateMetaLearner` measures both learners on the same protocol.
 *
 * How it differs from the paper: the paper's RL experiments are not Reptile's (it reports
 * supervised few-shot results); this is the direct transcription of Algorithm 2 with
 * policy-gradient inner steps. The inner Adam's state is kept across meta-steps as in
 * openai/supervised-reptile (the mean over a meta-batch's tasks is kept).
 */
import {
  type Agent,
  adaptationStep,
  adaptParameters,
  addParams,
  assertCheckpointFits,
  averageOverTasks,
  broadcastParams,
  type Checkpoint,
  type CheckpointSetup,
  type ConfigValidator,
  cloneParams,
  collectEpisodes,
  createConfigValidator,
  createPolicyAgent,
  describePolicy,
  describeTaskDistribution,
  disposeOptimizerState,
  disposeParams,
  disposeTaskBatch,
  gradients,
  innerLoss,
  innerPpoLoss,
  type MetaLearner,
  type MetaMetrics,
  mapParams,
  mergeParams,
  type OptimizerState,
  type ParamTree,
  type Policy,
  partitionParams,
  type TaskBatch,
  taskAdvantages,
  taskLogProbs,
  taskRanges,
  tf,
  toTaskBatch,
} from '@metarl/core';
import { createRng, type Rng, type TaskDistribution } from '@metarl/envs';
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

/** Configuration of `createReptile` (symbols of the paper in brackets). */
export interface ReptileConfig<Task> extends ReptileRuleOptions {
  /** Where the tasks' environments come from. */
  readonly distribution: TaskDistribution<Task>;
  /** The policy; its observation and action sizes must match the distribution's environments. */
  readonly policy: Policy;
  /** Seed of the initial parameters; default 0. */
  readonly seed?: number;
  /** Episodes per task for every inner step (and first-order MAML's query); default 20. */
  readonly episodesPerTask?: number;
  /** Discount [gamma]; default 0.99. */
  readonly gamma?: number;
  /** GAE [lambda]; default 1 (Monte-Carlo returns minus the linear baseline, as MAML). */
  readonly lambda?: number;
  /** The inner policy-gradient step: 'vpg' (one step of the inner rule on the VPG loss, default) or 'ppo' (`ppo.epochs` steps on PPO's clipped surrogate of the same episodes). */
  readonly innerObjective?: 'vpg' | 'ppo';
  /** PPO's settings with `innerObjective: 'ppo'`: `clipRange` (default 0.2) and `epochs` per batch of episodes (default 4). */
  readonly ppo?: { readonly clipRange?: number; readonly epochs?: number };
}

/** The plain settings of an RL Reptile learner (without the distribution and the policy), defaults filled in. */
export type ReptileSettings = ReptileRuleSettings & {
  readonly seed: number;
  readonly episodesPerTask: number;
  readonly gamma: number;
  readonly lambda: number;
  readonly innerObjective: 'vpg' | 'ppo';
  readonly ppo: { readonly clipRange: number; readonly epochs: number };
};

/** An RL Reptile (or first-order MAML) learner: the `MetaLearner` contract plus its parameters. */
export interface Reptile<Task> extends MetaLearner<Task> {
  /** Reptile adapts by gradient steps: `evaluateMetaLearner` measures before and after each. */
  readonly adaptation: 'gradient';
  /** The settings, defaults filled in. */
  readonly config: ReptileSettings;
  /** The meta-parameters theta (one policy's); owned by the learner, replaced by every step. */
  parameters(): ParamTree;
}

const KIND = 'reptile';
const OWNER = 'createReptile';

/** Resolves and checks `config`'s settings (errors name `createReptile`, the field, the value and the expected form). */
export function resolveReptileSettings(config: ReptileConfig<unknown>): ReptileSettings {
  const check: ConfigValidator = createConfigValidator(OWNER);
  if (config === null || typeof config !== 'object')
    check.fail(`config must be an object, got ${String(config)}`);
  if (typeof config.policy?.apply !== 'function')
    check.fail(`policy must be a Policy (e.g. createGaussianMlpPolicy(...)), got ${String(config.policy)}`);
  if (typeof config.distribution?.makeVectorEnv !== 'function')
    check.fail(`distribution must be a TaskDistribution, got ${String(config.distribution)}`);
  const rules = resolveRuleSettings(
    config,
    {
      algorithm: 'reptile',
      innerSteps: 3,
      innerStepSize: 0.1,
      innerOptimizer: 'sgd',
      metaOptimizer: 'sgd',
      metaStepSize: 1,
    },
    check,
  );
  const settings: ReptileSettings = {
    ...rules,
    seed: config.seed ?? 0,
    episodesPerTask: config.episodesPerTask ?? 20,
    gamma: config.gamma ?? 0.99,
    lambda: config.lambda ?? 1,
    innerObjective: config.innerObjective ?? 'vpg',
    ppo: { clipRange: config.ppo?.clipRange ?? 0.2, epochs: config.ppo?.epochs ?? 4 },
  };
  check.oneOf('innerObjective', settings.innerObjective, ['vpg', 'ppo']);
  check.number('ppo.clipRange', settings.ppo.clipRange, { above: 0 });
  check.integer('ppo.epochs', settings.ppo.epochs, { min: 1 });
  check.seed('seed', settings.seed);
  check.integer('episodesPerTask', settings.episodesPerTask, { min: 1 });
  check.number('gamma', settings.gamma, { min: 0, max: 1 });
  check.number('lambda', settings.lambda, { min: 0, max: 1 });
  return settings;
}

/**
 * Creates an RL Reptile learner (see the module comment).
 *
 * @example
 * const distribution = makeTaskDistribution('Navigation2D-v1');
 * const policy = createGaussianMlpPolicy({ observationSize: 2, actionSize: 2 });
 * const reptile = createReptile({ distribution, policy });
 * await trainMetaLearner(reptile, distribution, { iterations: 50, metaBatchSize: 20, seed: 1 });
 */
export function createReptile<Task>(config: ReptileConfig<Task>): Reptile<Task> {
  const settings = resolveReptileSettings(config as ReptileConfig<unknown>);
  const { distribution, policy } = config;
  const setup: CheckpointSetup = {
    distribution: describeTaskDistribution(distribution),
    policy: describePolicy(policy),
  };
  const advantageOptions = { gamma: settings.gamma, lambda: settings.lambda };
  let theta = policy.init(createRng(settings.seed));
  checkAdaptedParameters(OWNER, theta, settings.adaptedParameters);
  const adapts = adaptsUnder(settings.adaptedParameters);
  const innerOptimizer = createInnerOptimizer(settings);
  const layout = createRunLayout(1);
  const inner = createInnerStateKeeper(settings, innerOptimizer, layout);
  const outer = createOuterLoop(settings);
  let outerState: OptimizerState | undefined = outer.init(theta);
  let step = 0;
  const stepOptions = { optimizer: innerOptimizer, ...(adapts === undefined ? {} : { adapts }) };
  const adaptedPart = (params: ParamTree) =>
    adapts === undefined ? params : partitionParams(params, adapts).selected;
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
  const clock = () => performance.now() / 1000;
  /** Updates per batch of episodes: one VPG step, or PPO's epochs. */
  const updatesPerBatch = settings.innerObjective === 'ppo' ? settings.ppo.epochs : 1;

  /**
   * Every task's policy after the inner updates on `batch` (one VPG step, or PPO's epochs on the
   * clipped surrogate against the log-probabilities at `phi`), with the inner rule from `state`.
   * Returns new parameters and state (the inputs are left untouched) and, when asked, the frozen
   * parameters' summed gradients.
   */
  const policyUpdate = (
    phi: ParamTree,
    state: OptimizerState,
    batch: TaskBatch,
    frozenGradients: boolean,
  ) => {
    if (settings.innerObjective === 'vpg')
      return adaptationStep((p) => innerLoss(policy, p, batch), phi, state, {
        ...stepOptions,
        frozenGradients,
      });
    const old = taskLogProbs(policy, phi, batch);
    const result = adaptParameters(
      (p) => innerPpoLoss(policy, p, batch, old, settings.ppo.clipRange),
      phi,
      state,
      settings.ppo.epochs,
      { ...stepOptions, frozenGradients },
    );
    old.dispose();
    return result;
  };

  return {
    kind: KIND,
    adaptation: 'gradient',
    config: settings,
    parameters: () => theta,

    async metaTrainStep(tasks: readonly Task[], rng: Rng): Promise<MetaMetrics> {
      if (!Array.isArray(tasks) || tasks.length === 0)
        throw new RangeError(`reptile.metaTrainStep: tasks must be a non-empty array, got ${String(tasks)}`);
      const count = tasks.length;
      const times = { sampling: 0, adaptation: 0, outer: 0 };
      const started = clock();
      let mark = started;
      const lap = (key: keyof typeof times) => {
        const now = clock();
        times[key] += now - mark;
        mark = now;
      };
      const metaStepSize = metaStepSizeAt(settings, step);
      const env = distribution.makeVectorEnv(
        tasks.flatMap((task) => Array.from({ length: settings.episodesPerTask }, () => task)),
        { autoresetMode: 'disabled' },
      );
      /** Episodes of every task with task-batched `params`, as a `TaskBatch`. */
      const sample = (params: ParamTree, first: boolean): TaskBatch => {
        const episodes = collectEpisodes(env, createPolicyAgent(policy, params, { tasks: count }), {
          episodesPerEnv: 1,
          rng,
          tasks: count,
          ...(first ? { seed: rng.nextSeed() } : {}),
        });
        const batch = toTaskBatch(episodes, taskAdvantages(episodes, advantageOptions), policy.actionKind);
        lap('sampling');
        return batch;
      };

      // 1. Inner loop: innerSteps policy-gradient steps of every task, each on fresh episodes.
      let phi = broadcastParams(theta, count);
      let state = inner.start(adaptedPart(phi), count);
      let frozenSum: ParamTree | undefined;
      const returns: number[] = [];
      for (let k = 0; k < settings.innerSteps; k += 1) {
        const batch = sample(phi, k === 0);
        returns.push(batch.meanReturn);
        const next = policyUpdate(
          phi,
          state,
          batch,
          adapts !== undefined && settings.algorithm === 'reptile',
        );
        disposeTaskBatch(batch);
        disposeParams(phi);
        disposeOptimizerState(state);
        phi = next.params;
        state = next.state;
        if (next.frozenGradients !== undefined) {
          const sum =
            frozenSum === undefined ? next.frozenGradients : addParams(frozenSum, next.frozenGradients);
          if (frozenSum !== undefined) {
            disposeParams(frozenSum);
            disposeParams(next.frozenGradients);
          }
          frozenSum = sum;
        }
        lap('adaptation');
      }

      // 2. The meta-gradient.
      let metaGradient: ParamTree;
      let returnAfter: number | undefined;
      if (settings.algorithm === 'reptile') {
        metaGradient = reptileMetaGradient(theta, phi, layout);
        if (frozenSum !== undefined) {
          // Parameters that do not adapt: alpha times the sum of their inner gradients, averaged over tasks.
          const frozen = mapParams(frozenSum, (g) =>
            tf.tidy(() => tf.mul(tf.mean(g, 0), settings.innerStepSize)),
          );
          const adaptedGradient = partitionParams(metaGradient, adapts!);
          disposeParams(adaptedGradient.rest);
          metaGradient = mergeParams(adaptedGradient.selected, frozen);
          disposeParams(frozenSum);
        }
      } else {
        const query = sample(phi, false);
        returnAfter = query.meanReturn;
        const perTask = gradients((p) => innerLoss(policy, p, query), phi);
        metaGradient = averageOverTasks(perTask);
        disposeParams(perTask);
        disposeTaskBatch(query);
      }
      disposeParams(phi);
      inner.finish(state);

      // 3. The outer step.
      const next = outer.step(theta, metaGradient, outerState, step);
      disposeParams(metaGradient);
      disposeParams(theta);
      if (outerState !== undefined && next.state !== outerState) disposeOptimizerState(outerState);
      theta = next.params;
      outerState = next.state;
      step += 1;
      lap('outer');
      return {
        'metaTrain/returnBefore': returns[0]!,
        ...(returns.length > 1 ? { 'metaTrain/returnLastInnerStep': returns[returns.length - 1]! } : {}),
        ...(returnAfter === undefined ? {} : { 'metaTrain/returnAfter': returnAfter }),
        'reptile/metaStepSize': metaStepSize,
        'time/sampling': times.sampling,
        'time/adaptation': times.adaptation,
        'time/outer': times.outer,
        'time/iteration': clock() - started,
      };
    },

    explorationAgent: () => makeAgent(cloneParams(theta)),

    adapt(agent, episodes) {
      const source = agents.get(agent);
      if (source === undefined) {
        throw new TypeError(
          'reptile.adapt: the agent was not made by this learner (use its explorationAgent or a previous adapt result)',
        );
      }
      const tasks = taskRanges(episodes).length;
      if (source.tasks !== undefined && source.tasks !== tasks)
        throw new RangeError(
          `reptile.adapt: the agent was adapted to ${source.tasks} tasks but the episodes hold ${tasks}`,
        );
      const batch = toTaskBatch(episodes, taskAdvantages(episodes, advantageOptions), policy.actionKind);
      const start = source.tasks === undefined ? broadcastParams(source.params, tasks) : source.params;
      const state = inner.start(adaptedPart(start), tasks);
      const next = policyUpdate(start, state, batch, false);
      if (start !== source.params) disposeParams(start);
      disposeOptimizerState(state);
      disposeOptimizerState(next.state);
      disposeTaskBatch(batch);
      return makeAgent(next.params, tasks);
    },

    async toCheckpoint(): Promise<Checkpoint> {
      const kept = inner.current();
      return {
        kind: KIND,
        version: 1,
        config: { ...settings, adaptedParameters: [...settings.adaptedParameters], ppo: { ...settings.ppo } },
        setup,
        params: kept === undefined ? { policy: theta } : { policy: theta, innerState: kept.slots },
        ...(outerState === undefined ? {} : { optimizer: outerState }),
        rng: {},
        step,
      };
    },

    async fromCheckpoint(checkpoint, options) {
      // The inner state exists once a meta-step kept one; its structure is the optimiser's own.
      const innerState = checkpoint.params?.innerState;
      assertCheckpointFits(checkpoint, {
        kind: KIND,
        params: innerState === undefined ? { policy: theta } : { policy: theta, innerState },
        needsOptimizer: settings.metaOptimizer === 'adam',
        run: {
          config: {
            ...settings,
            adaptedParameters: [...settings.adaptedParameters],
            ppo: { ...settings.ppo },
          },
          setup,
        },
        allowChanges: options?.allowChanges,
      });
      disposeParams(theta);
      if (outerState !== undefined) disposeOptimizerState(outerState);
      theta = checkpoint.params.policy as ParamTree;
      const innerSlots = checkpoint.params.innerState as ParamTree | undefined;
      inner.restore(
        innerSlots === undefined
          ? undefined
          : {
              kind: innerOptimizer.kind,
              // The kept state took innerSteps batches of updates per meta-step.
              step: checkpoint.step * settings.innerSteps * updatesPerBatch,
              slots: innerSlots as Record<string, ParamTree>,
            },
      );
      outerState = settings.metaOptimizer === 'adam' ? checkpoint.optimizer : undefined;
      step = checkpoint.step;
    },

    dispose() {
      disposeParams(theta);
      if (outerState !== undefined) disposeOptimizerState(outerState);
      inner.dispose();
    },
  };
}
