/**
 * ES-MAML, zero-order (Song, Gao, Yang, Choromanski, Pacchiano & Tang 2020, "ES-MAML: Simple
 * Hessian-Free Meta Learning", ICLR; reference: google-research/es_maml `zero_order`). MAML's
 * objective max_theta E_T[f_T(U(theta, T))] where the adaptation operator U is itself
 * zero-order, so no Hessian and no policy gradient appear anywhere:
 *
 * - 'monte-carlo' U (the paper's ES gradient adaptation, es_maml's `BlackboxAdaptation` with
 *   its MC optimiser): query the task's return at theta and at K antithetic points theta +- sigma_a eps_i,
 *   z-score the K + 1 values (es_maml's `fvalues_normalization`), and step
 *   U = theta + alpha / (K sigma_a) sum_i (f~(theta + sigma_a eps_i) - f~(theta - sigma_a eps_i)) eps_i;
 * - 'hill-climbing' U (es_maml's `HillClimbAdaptation`, its 'batch' mode in one round): query theta
 *   and K points theta + sigma_a eps_j, keep the best; never worse than theta on its own queries.
 *
 * One meta-training step (zero-order ES-MAML with antithetic outer estimates):
 * 1. draw P directions delta_i; outer members theta, theta + sigma delta_i, theta - sigma delta_i;
 * 2. queries: every outer member x K + 1 query points runs every task of the batch in ONE
 *    batched pass (core's `evaluatePopulation`; the query directions are shared by all members
 *    and tasks: common random numbers);
 * 3. adaptation: each (member, task) pair's U from its own queries (plain arithmetic);
 * 4. post-adaptation return: every adapted (member, task) policy plays its own task, again in one
 *    batched pass;
 * 5. outer step: the members' mean post-adaptation returns, shaped (z-score as es_maml by
 *    default), give the antithetic gradient g = 1 / (2 P sigma) sum_i (F~_i+ - F~_i-) delta_i, and
 *    theta <- theta + beta g (SGD as es_maml, or Adam).
 *
 * As a `MetaLearner` (so `evaluateMetaLearner` measures it like MAML): the exploration agent IS
 * the adaptation's queries. Environment j of each task's group plays query point j (j = 0 the
 * centre theta; then antithetic pairs for 'monte-carlo' or single perturbations for
 * 'hill-climbing'; a leftover environment of an odd 'monte-carlo' group plays the centre).
 * `adapt` reads each environment's return from the episodes and applies U: no environment is
 * touched, nothing of the learner changes. The adapted agent plays U(theta, T) without noise.
 * So "before adaptation" is the mean return of the queries; evaluate with
 * `episodesPerTask: adaptationQueries + 1` and `adaptationSteps: 1` to match training.
 *
 * What differs from the paper: far fewer outer perturbations (default 8 pairs instead of 150)
 * because one CPU evaluates all (2P + 1)(K + 1) query policies per task every step, not 300
 * workers; es_maml's state normalisation of observations is left out (the navigation
 * observations are already O(1)); hill climbing is one batched round of K candidates rather
 * than K sequential ones, because `adapt` sees one round of exploration episodes; es_maml draws
 * its K adaptation queries independently and weighs each by its own shaped value, here they come
 * in antithetic pairs (the same estimate in expectation, lower variance).
 */
import {
  type Agent,
  assertCheckpointFits,
  type Checkpoint,
  type CheckpointSetup,
  type ConfigValidator,
  collectEpisodes,
  createConfigValidator,
  createMlp,
  createParamLayout,
  createPolicyAgent,
  DiagonalGaussian,
  describePolicy,
  describeTaskDistribution,
  disposeParams,
  type EpisodeBatch,
  evaluatePopulation,
  type FitnessShaping,
  flattenParams,
  type MetaLearner,
  type MetaMetrics,
  type ParamLayout,
  type ParamTree,
  type Policy,
  type ResumeOptions,
  shapeFitness,
  stackPopulation,
  tf,
  unflattenSolution,
} from '@metarl/core';
import { createRng, type Rng, type TaskDistribution } from '@metarl/envs';
import { sampleCounterNormal } from './counter-noise';
import { computeAdamStep } from './openai-es';

// ─── Policy ────────────────────────────────────────────────────────────────────────────────────

/** Options of `createLinearPolicy`. */
export interface LinearPolicyOptions {
  /** Floats per observation. */
  readonly observationSize: number;
  /** Action dimension. */
  readonly actionSize: number;
}

/**
 * es_maml's policy: a linear map action = W observation + b (`DeterministicNumpyPolicy` with no
 * hidden layers), as a core `Policy` whose distribution is a Gaussian of fixed unit spread around
 * it (ES-MAML acts with its mode, the linear map itself). Params: `{ weight: [O, A], bias: [A] }`
 * under `mean/output` (createMlp's layout), nothing else: every searched parameter matters.
 */
export function createLinearPolicy(options: LinearPolicyOptions): Policy {
  const check: ConfigValidator = createConfigValidator('createLinearPolicy');
  check.integer('observationSize', options?.observationSize);
  check.integer('actionSize', options?.actionSize);
  const network = createMlp({
    inputSize: options.observationSize,
    hiddenSizes: [],
    outputSize: options.actionSize,
    activation: 'tanh',
  });
  return {
    observationSize: options.observationSize,
    actionKind: 'continuous',
    actionSize: options.actionSize,
    init: (rng) => ({ mean: network.init(rng) }),
    apply(params, observations) {
      const mean = network.apply(params.mean as ParamTree, observations);
      return new DiagonalGaussian(mean, tf.zerosLike(mean));
    },
  };
}

// ─── The zero-order adaptation operators (pure arithmetic on flat vectors) ─────────────────────

/** How a task adapts: es_maml's Monte-Carlo ES gradient step or hill climbing. */
export type AdaptationOperator = 'monte-carlo' | 'hill-climbing';

/** The settings of a zero-order adaptation operator. */
export interface ZeroOrderAdaptationSettings {
  /** 'monte-carlo' (ES gradient step) or 'hill-climbing' (keep the best query). */
  readonly operator: AdaptationOperator;
  /** Query smoothing [sigma_a]: the perturbation scale of the queries. */
  readonly sigma: number;
  /** Adaptation step size [alpha] ('monte-carlo' only). */
  readonly stepSize: number;
  /** Shaping of the K + 1 query values before the gradient ('monte-carlo' only): 'z-score' as es_maml, or 'raw'. */
  readonly shaping: FitnessShaping;
}

/**
 * The offsets from the centre of `count` query points `[count * dimension]` (row j = query j):
 * row 0 is the centre (zeros); 'monte-carlo' then has floor((count - 1) / 2) antithetic pairs
 * (+sigma eps_i, -sigma eps_i), a leftover row being the centre again; 'hill-climbing' has
 * sigma eps_j in every other row. eps_i is `sampleCounterNormal(seed, i, dimension)`.
 */
export function createQueryOffsets(
  operator: AdaptationOperator,
  count: number,
  seed: number,
  dimension: number,
  sigma: number,
): Float32Array {
  const offsets = new Float32Array(count * dimension);
  const direction = new Float32Array(dimension);
  if (operator === 'monte-carlo') {
    const pairs = Math.floor((count - 1) / 2);
    for (let i = 0; i < pairs; i += 1) {
      sampleCounterNormal(seed, i, dimension, direction);
      for (let k = 0; k < dimension; k += 1) {
        offsets[(1 + 2 * i) * dimension + k] = sigma * direction[k]!;
        offsets[(2 + 2 * i) * dimension + k] = -sigma * direction[k]!;
      }
    }
  } else {
    for (let j = 1; j < count; j += 1) {
      sampleCounterNormal(seed, j - 1, dimension, direction);
      for (let k = 0; k < dimension; k += 1) offsets[j * dimension + k] = sigma * direction[k]!;
    }
  }
  return offsets;
}

/**
 * The antithetic Monte-Carlo gradient estimate of the Gaussian-smoothed objective:
 * g = 1 / (2 P sigma) sum_i (s(f_i+) - s(f_i-)) eps_i, where eps_i is row i of `directions`
 * `[P * dimension]`, f_i+- the values at theta +- sigma eps_i and s the `shaping` of all 2P values
 * together with `centre` when given (es_maml z-scores the queries with the value at theta).
 * With 'raw' shaping and f(x) = -|x - c|^2 it is exactly -(2 / P) sum_i eps_i eps_i^T (theta - c).
 */
export function estimateAntitheticGradient(
  directions: Float32Array,
  plus: ArrayLike<number>,
  minus: ArrayLike<number>,
  sigma: number,
  shaping: FitnessShaping,
  centre?: number,
): Float32Array {
  const pairs = plus.length;
  if (minus.length !== pairs || pairs === 0 || directions.length % pairs !== 0)
    throw new RangeError(
      `estimateAntitheticGradient: plus and minus must have the same length P >= 1 and directions P * dimension values, got ${plus.length}, ${minus.length} and ${directions.length}`,
    );
  const dimension = directions.length / pairs;
  const values = [...Array.from(plus), ...Array.from(minus), ...(centre === undefined ? [] : [centre])];
  const shaped = shapeFitness(values, shaping);
  const gradient = new Float64Array(dimension);
  for (let i = 0; i < pairs; i += 1) {
    const weight = shaped[i]! - shaped[pairs + i]!;
    if (weight === 0) continue;
    for (let k = 0; k < dimension; k += 1)
      gradient[k] = gradient[k]! + weight * directions[i * dimension + k]!;
  }
  const scale = 1 / (2 * pairs * sigma);
  return Float32Array.from(gradient, (g) => g * scale);
}

/**
 * Hill climbing over one round of queries: the query with the highest value if it beats the
 * centre's (`values[0]`), otherwise the centre. Returns the chosen point `theta + offsets[j]`, its
 * value and index j (0 = the centre kept). Never returns a point scored below the centre.
 */
export function climbHill(
  theta: Float32Array,
  offsets: Float32Array,
  values: ArrayLike<number>,
): { readonly point: Float32Array; readonly value: number; readonly index: number } {
  const dimension = theta.length;
  let best = 0;
  for (let j = 1; j < values.length; j += 1) if (values[j]! > values[best]!) best = j;
  const point = Float32Array.from(theta, (v, k) => v + offsets[best * dimension + k]!);
  return { point, value: values[best]!, index: best };
}

/**
 * U(theta, T) from the values of the query points `theta + offsets[j]` (`values[j]`, j = 0 the
 * centre; offsets from `createQueryOffsets` with the same operator). 'monte-carlo': theta +
 * alpha g with g the antithetic estimate over the complete pairs (the centre's value joins the
 * shaping); unchanged when every value is equal (as es_maml). 'hill-climbing': `climbHill`.
 */
export function adaptFromQueries(
  theta: Float32Array,
  offsets: Float32Array,
  values: ArrayLike<number>,
  settings: ZeroOrderAdaptationSettings,
): Float32Array {
  const dimension = theta.length;
  if (settings.operator === 'hill-climbing') return climbHill(theta, offsets, values).point;
  const pairs = Math.floor((values.length - 1) / 2);
  if (pairs === 0) return Float32Array.from(theta);
  const directions = new Float32Array(pairs * dimension);
  const plus = new Float64Array(pairs);
  const minus = new Float64Array(pairs);
  for (let i = 0; i < pairs; i += 1) {
    for (let k = 0; k < dimension; k += 1)
      directions[i * dimension + k] = offsets[(1 + 2 * i) * dimension + k]! / settings.sigma;
    plus[i] = values[1 + 2 * i]!;
    minus[i] = values[2 + 2 * i]!;
  }
  const gradient = estimateAntitheticGradient(
    directions,
    plus,
    minus,
    settings.sigma,
    settings.shaping,
    values[0],
  );
  return Float32Array.from(theta, (v, k) => v + settings.stepSize * gradient[k]!);
}

// ─── Batched evaluation of (policy, own task) pairs ────────────────────────────────────────────

/**
 * Each member of `population` `[M * layout.size]` plays its own task `tasks[m]`
 * (`episodesPerMember` episodes, deterministic), all in one batched sampler run. Returns each
 * member's mean episode return and the environment steps taken. `evaluatePopulation` runs every member on every task; this is
 * the pairing that the post-adaptation step needs, without the T-fold waste.
 */
export function evaluateMembersOnOwnTasks<Task>(
  population: Float32Array,
  tasks: readonly Task[],
  options: {
    readonly policy: Policy;
    readonly layout: ParamLayout;
    readonly distribution: TaskDistribution<Task>;
    readonly seed: number;
    readonly episodesPerMember?: number;
    readonly maxEpisodeSteps?: number;
  },
): { readonly returns: Float32Array; readonly steps: number } {
  const members = tasks.length;
  const episodes = options.episodesPerMember ?? 1;
  if (population.length !== members * options.layout.size)
    throw new RangeError(
      `evaluateMembersOnOwnTasks: population must hold ${members} members of ${options.layout.size} values (one per task), got length ${population.length}`,
    );
  const env = options.distribution.makeVectorEnv(
    tasks.flatMap((task) => Array.from({ length: episodes }, () => task)),
    {
      autoresetMode: 'disabled',
      ...(options.maxEpisodeSteps === undefined ? {} : { maxEpisodeSteps: options.maxEpisodeSteps }),
    },
  );
  const params = stackPopulation(options.layout, population);
  let batch: EpisodeBatch;
  try {
    const agent = createPolicyAgent(options.policy, params, { tasks: members, deterministic: true });
    batch = collectEpisodes(env, agent, {
      episodesPerEnv: 1,
      rng: createRng(options.seed),
      seed: options.seed,
      tasks: members,
    });
  } finally {
    disposeParams(params);
  }
  return { returns: meanReturnPerGroup(batch, members, episodes), steps: batch.rewards.length };
}

/** Mean episode return of each group of `perGroup` consecutive environments (one episode each). */
function meanReturnPerGroup(batch: EpisodeBatch, groups: number, perGroup: number): Float32Array {
  const totals = new Float64Array(groups);
  for (let e = 0; e < batch.lengths.length; e += 1) {
    const group = Math.floor(batch.envIndex[e]! / perGroup);
    let sum = 0;
    for (let s = batch.offsets[e]!; s < batch.offsets[e]! + batch.lengths[e]!; s += 1)
      sum += batch.rewards[s]!;
    totals[group] = totals[group]! + sum;
  }
  return Float32Array.from(totals, (total) => total / perGroup);
}

/** Options of `evaluatePostAdaptation`. */
export interface PostAdaptationOptions<Task> {
  /** The policy each member parameterises (acting with its mode). */
  readonly policy: Policy;
  /** Where each parameter sits in a member's vector. */
  readonly layout: ParamLayout;
  /** Makes the tasks' environments. */
  readonly distribution: TaskDistribution<Task>;
  /** The adaptation operator U. */
  readonly adaptation: ZeroOrderAdaptationSettings;
  /** Queries [K] besides the centre. */
  readonly queries: number;
  /** Seed of the query directions (uint32; shared by all members and tasks). */
  readonly querySeed: number;
  /** Environment seed (the same for the queries and the post-adaptation episodes). */
  readonly seed: number;
  /** Episodes per query and per post-adaptation evaluation; default 1. */
  readonly episodesPerQuery?: number;
}

/**
 * The post-adaptation returns f_T(U(x_m, T)) of every member x_m of `centres` `[M * dimension]`
 * on every task of `tasks`, in two batched passes: all M (K + 1) query policies on all T tasks
 * (`evaluatePopulation`), then the M T adapted policies each on its own task. Returns `after`
 * `[M * T]` (member-major), `before` `[M * T]` (the centre's own return, query 0) and the
 * environment steps taken.
 */
export function evaluatePostAdaptation<Task>(
  centres: Float32Array,
  tasks: readonly Task[],
  options: PostAdaptationOptions<Task>,
): { readonly after: Float32Array; readonly before: Float32Array; readonly steps: number } {
  const { layout, adaptation } = options;
  const dimension = layout.size;
  const members = centres.length / dimension;
  const taskCount = tasks.length;
  const queries = options.queries + 1;
  const episodes = options.episodesPerQuery ?? 1;
  const offsets = createQueryOffsets(
    adaptation.operator,
    queries,
    options.querySeed,
    dimension,
    adaptation.sigma,
  );
  const queryPopulation = new Float32Array(members * queries * dimension);
  for (let m = 0; m < members; m += 1)
    for (let j = 0; j < queries; j += 1)
      for (let k = 0; k < dimension; k += 1)
        queryPopulation[(m * queries + j) * dimension + k] =
          centres[m * dimension + k]! + offsets[j * dimension + k]!;
  const queried = evaluatePopulation(queryPopulation, {
    policy: options.policy,
    layout,
    distribution: options.distribution,
    tasks,
    episodesPerTask: episodes,
    seed: options.seed,
    deterministic: true,
  });
  const adapted = new Float32Array(members * taskCount * dimension);
  const before = new Float32Array(members * taskCount);
  const values = new Float64Array(queries);
  for (let m = 0; m < members; m += 1) {
    const centre = centres.subarray(m * dimension, (m + 1) * dimension);
    for (let t = 0; t < taskCount; t += 1) {
      for (let j = 0; j < queries; j += 1)
        values[j] = queried.returnsPerTask[(m * queries + j) * taskCount + t]!;
      before[m * taskCount + t] = values[0]!;
      adapted.set(adaptFromQueries(centre, offsets, values, adaptation), (m * taskCount + t) * dimension);
    }
  }
  const evaluated = evaluateMembersOnOwnTasks(
    adapted,
    Array.from({ length: members * taskCount }, (_v, i) => tasks[i % taskCount]!),
    {
      policy: options.policy,
      layout,
      distribution: options.distribution,
      seed: options.seed,
      episodesPerMember: episodes,
    },
  );
  return { after: evaluated.returns, before, steps: queried.steps + evaluated.steps };
}

// ─── Configuration ─────────────────────────────────────────────────────────────────────────────

/** Configuration of `createEsMaml` (symbols of the paper in brackets; defaults from es_maml's config.py). */
export interface EsMamlConfig<Task> {
  /** Where the tasks' environments come from. */
  readonly distribution: TaskDistribution<Task>;
  /** The policy, acting with its mode (deterministic, as es_maml); e.g. `createLinearPolicy`. Feed-forward. */
  readonly policy: Policy;
  /** Seed of the initial parameters and of the exploration agents' query directions; default 0. */
  readonly seed?: number;
  /** The adaptation operator U: 'monte-carlo' (default, es_maml's `BlackboxAdaptation`) or 'hill-climbing'. */
  readonly adaptationOperator?: AdaptationOperator;
  /** Queries per adaptation [K] besides the centre; even for 'monte-carlo' (K / 2 antithetic pairs); default 20. */
  readonly adaptationQueries?: number;
  /** Query smoothing [sigma_a] (es_maml's `adaptation_precision_parameter`); default 0.1. */
  readonly adaptationSigma?: number;
  /** Adaptation step size [alpha] ('monte-carlo'); default 0.05. */
  readonly adaptationStepSize?: number;
  /** Shaping of the query values ('monte-carlo'): 'z-score' (es_maml's `fvalues_normalization`, default) or 'raw'. */
  readonly adaptationShaping?: 'z-score' | 'raw';
  /** Outer antithetic direction pairs [P] per meta-step; default 8 (the paper: 150, see the module comment). */
  readonly perturbations?: number;
  /** Outer smoothing [sigma] (es_maml's `es_precision_parameter`); default 0.1. */
  readonly sigma?: number;
  /** Outer step size [beta] (es_maml's `es_step_size`); default 0.01. */
  readonly stepSize?: number;
  /** Outer optimiser: 'sgd' (es_maml's momentum-0 gradient ascent, default) or 'adam' (beta1 0.9, beta2 0.999; the OpenAI-ES starter's Adam, `computeAdamStep`). */
  readonly optimizer?: 'sgd' | 'adam';
  /** Shaping of the outer members' post-adaptation returns: 'z-score' (es_maml, default), 'centered-ranks' or 'raw'. */
  readonly fitnessShaping?: FitnessShaping;
  /** Episodes per query and per post-adaptation evaluation (es_maml's `num_rollouts_per_parameter`); default 1. */
  readonly episodesPerQuery?: number;
}

/** The plain settings of an ES-MAML learner (without distribution and policy), defaults filled in. */
export interface EsMamlSettings {
  readonly seed: number;
  readonly adaptationOperator: AdaptationOperator;
  readonly adaptationQueries: number;
  readonly adaptationSigma: number;
  readonly adaptationStepSize: number;
  readonly adaptationShaping: 'z-score' | 'raw';
  readonly perturbations: number;
  readonly sigma: number;
  readonly stepSize: number;
  readonly optimizer: 'sgd' | 'adam';
  readonly fitnessShaping: FitnessShaping;
  readonly episodesPerQuery: number;
}

/** An ES-MAML learner: the `MetaLearner` contract plus its meta-parameters. */
export interface EsMaml<Task> extends MetaLearner<Task> {
  /** Adapts from its exploration episodes (the queries): measured before and after one step. */
  readonly adaptation: 'gradient';
  /** The settings, defaults filled in. */
  readonly config: EsMamlSettings;
  /** Where each parameter sits in the flat vector theta. */
  readonly layout: ParamLayout;
  /** A copy of the meta-parameters theta `[layout.size]`. */
  parameters(): Float32Array;
}

const KIND = 'es-maml';
const OWNER = 'createEsMaml';
const ADAM_BETA1 = 0.9;
const ADAM_BETA2 = 0.999;
const ADAM_EPSILON = 1e-8;

/** Resolves and checks `config`'s settings (errors name `createEsMaml`, the field, the value and the expected form). */
export function resolveEsMamlSettings(config: EsMamlConfig<unknown>): EsMamlSettings {
  const check: ConfigValidator = createConfigValidator(OWNER);
  if (config === null || typeof config !== 'object')
    check.fail(`config must be an object, got ${String(config)}`);
  if (typeof config.policy?.apply !== 'function')
    check.fail(`policy must be a Policy (e.g. createLinearPolicy(...)), got ${String(config.policy)}`);
  if (typeof config.distribution?.makeVectorEnv !== 'function')
    check.fail(`distribution must be a TaskDistribution, got ${String(config.distribution)}`);
  const settings: EsMamlSettings = {
    seed: config.seed ?? 0,
    adaptationOperator: config.adaptationOperator ?? 'monte-carlo',
    adaptationQueries: config.adaptationQueries ?? 20,
    adaptationSigma: config.adaptationSigma ?? 0.1,
    adaptationStepSize: config.adaptationStepSize ?? 0.05,
    adaptationShaping: config.adaptationShaping ?? 'z-score',
    perturbations: config.perturbations ?? 8,
    sigma: config.sigma ?? 0.1,
    stepSize: config.stepSize ?? 0.01,
    optimizer: config.optimizer ?? 'sgd',
    fitnessShaping: config.fitnessShaping ?? 'z-score',
    episodesPerQuery: config.episodesPerQuery ?? 1,
  };
  check.seed('seed', settings.seed);
  check.oneOf('adaptationOperator', settings.adaptationOperator, ['monte-carlo', 'hill-climbing']);
  check.integer('adaptationQueries', settings.adaptationQueries, { min: 1 });
  if (settings.adaptationOperator === 'monte-carlo' && settings.adaptationQueries % 2 !== 0)
    check.fail(
      `adaptationQueries must be even with adaptationOperator 'monte-carlo' (antithetic pairs), got ${settings.adaptationQueries}`,
    );
  check.number('adaptationSigma', settings.adaptationSigma, { above: 0 });
  check.number('adaptationStepSize', settings.adaptationStepSize, { above: 0 });
  check.oneOf('adaptationShaping', settings.adaptationShaping, ['z-score', 'raw']);
  check.integer('perturbations', settings.perturbations, { min: 1 });
  check.number('sigma', settings.sigma, { above: 0 });
  check.number('stepSize', settings.stepSize, { above: 0 });
  check.oneOf('optimizer', settings.optimizer, ['sgd', 'adam']);
  check.oneOf('fitnessShaping', settings.fitnessShaping, ['z-score', 'centered-ranks', 'raw']);
  check.integer('episodesPerQuery', settings.episodesPerQuery, { min: 1 });
  return settings;
}

/** A uint32 noise seed from an `Rng`. */
function drawNoiseSeed(rng: Rng): number {
  return rng.nextSeed() >>> 0;
}

/** The agents this learner made: their centres (per task when adapted) and, for explorers, the query layout. */
interface AgentRecord {
  /** 'explore': plays the queries around `theta`; 'adapted': plays `perTask` without noise. */
  readonly role: 'explore' | 'adapted';
  /** Tasks the agent acts for. */
  readonly tasks: number;
  /** Explorers: the centre theta `[dimension]`. */
  readonly theta?: Float32Array;
  /** Explorers, once acting: the query offsets of each task's group `[perGroup * dimension]`. */
  queries?: { readonly perGroup: number; readonly offsets: Float32Array };
}

// ─── The learner ───────────────────────────────────────────────────────────────────────────────

/**
 * Creates a zero-order ES-MAML learner (see the module comment).
 *
 * @example
 * const distribution = makeTaskDistribution('Navigation2D-v1');
 * const policy = createLinearPolicy({ observationSize: 2, actionSize: 2 });
 * const learner = createEsMaml({ distribution, policy });
 * await trainMetaLearner(learner, distribution, { iterations: 100, metaBatchSize: 4, seed: 1 });
 * evaluateMetaLearner(learner, distribution, { episodesPerTask: 21, adaptationSteps: 1 });
 */
export function createEsMaml<Task>(config: EsMamlConfig<Task>): EsMaml<Task> {
  const settings = resolveEsMamlSettings(config as EsMamlConfig<unknown>);
  const { distribution, policy } = config;
  const setup: CheckpointSetup = {
    distribution: describeTaskDistribution(distribution),
    policy: describePolicy(policy),
  };
  const initial = policy.init(createRng(settings.seed));
  const layout = createParamLayout(initial);
  let theta = flattenParams(initial);
  disposeParams(initial);
  const dimension = layout.size;
  let firstMoment: Float32Array = new Float32Array(dimension);
  let secondMoment: Float32Array = new Float32Array(dimension);
  let step = 0;
  /** Tensors handed out by the last `toCheckpoint` (the learner's own until the next one). */
  let handedOut: ParamTree | undefined;
  const explorationSeed = createRng(settings.seed).split(2)[1]!.nextSeed() >>> 0;
  const adaptationSettings: ZeroOrderAdaptationSettings = {
    operator: settings.adaptationOperator,
    sigma: settings.adaptationSigma,
    stepSize: settings.adaptationStepSize,
    shaping: settings.adaptationShaping,
  };
  const agents = new WeakMap<Agent, AgentRecord>();
  const clock = () => performance.now() / 1000;

  /** An agent acting deterministically with `points` `[tasks * dimension]`, one per task group. */
  const makeAdaptedAgent = (points: Float32Array, tasks: number): Agent => {
    const agent = createPolicyAgent(policy, stackPopulation(layout, points), {
      tasks,
      deterministic: true,
      ownsParams: true,
    });
    agents.set(agent, { role: 'adapted', tasks });
    return agent;
  };

  /** The exploration agent: environment j of every task's group plays query point j around `centre`. */
  const makeExplorationAgent = (centre: Float32Array, tasks: number): Agent => {
    let inner: Agent | undefined;
    const record: AgentRecord = { role: 'explore', tasks, theta: centre };
    const agent: Agent = {
      sizes: {
        observationSize: policy.observationSize,
        actionKind: policy.actionKind,
        actionSize: policy.actionSize,
      },
      act(observations, rng) {
        if (inner === undefined) {
          const environments = observations.length / policy.observationSize;
          const perGroup = environments / tasks;
          if (!Number.isInteger(perGroup) || perGroup < 1)
            throw new RangeError(
              `es-maml exploration agent: ${environments} environments cannot be split into ${tasks} equal task groups`,
            );
          const offsets = createQueryOffsets(
            settings.adaptationOperator,
            perGroup,
            explorationSeed,
            dimension,
            settings.adaptationSigma,
          );
          const points = new Float32Array(environments * dimension);
          for (let e = 0; e < environments; e += 1) {
            const j = e % perGroup;
            for (let k = 0; k < dimension; k += 1)
              points[e * dimension + k] = centre[k]! + offsets[j * dimension + k]!;
          }
          record.queries = { perGroup, offsets };
          inner = createPolicyAgent(policy, stackPopulation(layout, points), {
            tasks: environments,
            deterministic: true,
            ownsParams: true,
          });
        }
        return inner.act(observations, rng);
      },
      onEpisodeStart: () => {},
      dispose: () => inner?.dispose?.(),
    };
    agents.set(agent, record);
    return agent;
  };

  const checkpointParams = (): ParamTree => ({
    policy: unflattenSolution(layout, theta),
    ...(settings.optimizer === 'adam'
      ? {
          outerFirstMoment: tf.tensor1d(firstMoment, 'float32'),
          outerSecondMoment: tf.tensor1d(secondMoment, 'float32'),
        }
      : {}),
  });

  return {
    kind: KIND,
    adaptation: 'gradient',
    config: settings,
    layout,
    parameters: () => Float32Array.from(theta),

    async metaTrainStep(tasks: readonly Task[], rng: Rng): Promise<MetaMetrics> {
      if (!Array.isArray(tasks) || tasks.length === 0)
        throw new RangeError(`es-maml.metaTrainStep: tasks must be a non-empty array, got ${String(tasks)}`);
      const started = clock();
      const taskCount = tasks.length;
      const pairs = settings.perturbations;
      const members = 2 * pairs + 1;
      const outerSeed = drawNoiseSeed(rng);
      const querySeed = drawNoiseSeed(rng);
      const environmentSeed = rng.nextSeed();

      // 1. Outer members: theta, then theta +- sigma delta_i.
      const directions = new Float32Array(pairs * dimension);
      for (let i = 0; i < pairs; i += 1)
        sampleCounterNormal(outerSeed, i, dimension, directions.subarray(i * dimension, (i + 1) * dimension));
      const centres = new Float32Array(members * dimension);
      centres.set(theta, 0);
      for (let i = 0; i < pairs; i += 1)
        for (let k = 0; k < dimension; k += 1) {
          const offset = settings.sigma * directions[i * dimension + k]!;
          centres[(1 + 2 * i) * dimension + k] = theta[k]! + offset;
          centres[(2 + 2 * i) * dimension + k] = theta[k]! - offset;
        }

      // 2-4. Queries, adaptation of every (member, task) pair, post-adaptation returns.
      const evaluated = evaluatePostAdaptation(centres, tasks, {
        policy,
        layout,
        distribution,
        adaptation: adaptationSettings,
        queries: settings.adaptationQueries,
        querySeed,
        seed: environmentSeed,
        episodesPerQuery: settings.episodesPerQuery,
      });
      const fitness = new Float64Array(members);
      for (let m = 0; m < members; m += 1) {
        let sum = 0;
        for (let t = 0; t < taskCount; t += 1) sum += evaluated.after[m * taskCount + t]!;
        fitness[m] = sum / taskCount;
      }
      const timeEvaluation = clock() - started;

      // 5. Outer antithetic gradient and step (gradient ascent).
      const plus = Float64Array.from({ length: pairs }, (_v, i) => fitness[1 + 2 * i]!);
      const minus = Float64Array.from({ length: pairs }, (_v, i) => fitness[2 + 2 * i]!);
      const gradient = estimateAntitheticGradient(
        directions,
        plus,
        minus,
        settings.sigma,
        settings.fitnessShaping,
        settings.fitnessShaping === 'centered-ranks' ? undefined : fitness[0],
      );
      const next = new Float32Array(dimension);
      if (settings.optimizer === 'sgd') {
        for (let k = 0; k < dimension; k += 1) next[k] = theta[k]! + settings.stepSize * gradient[k]!;
      } else {
        // Gradient ascent: Adam descends on the negated gradient.
        const adam = computeAdamStep(
          gradient.map((g) => -g),
          { step, firstMoment, secondMoment },
          { learningRate: settings.stepSize, beta1: ADAM_BETA1, beta2: ADAM_BETA2, epsilon: ADAM_EPSILON },
        );
        for (let k = 0; k < dimension; k += 1) next[k] = theta[k]! + adam.update[k]!;
        firstMoment = adam.firstMoment;
        secondMoment = adam.secondMoment;
      }
      theta = next;
      step += 1;
      let returnBefore = 0;
      for (let t = 0; t < taskCount; t += 1) returnBefore += evaluated.before[t]!;
      let gradientNorm = 0;
      for (const g of gradient) gradientNorm += g * g;
      return {
        'metaTrain/returnBefore': returnBefore / taskCount,
        'metaTrain/returnAfter': fitness[0]!,
        'esMaml/meanPerturbedReturnAfter': fitness.reduce((a, b) => a + b, 0) / members,
        'esMaml/gradientNorm': Math.sqrt(gradientNorm),
        'esMaml/environmentSteps': evaluated.steps,
        'time/evaluation': timeEvaluation,
        'time/iteration': clock() - started,
      };
    },

    explorationAgent: (tasks) => makeExplorationAgent(Float32Array.from(theta), tasks.length),

    adapt(agent, episodes) {
      const record = agents.get(agent);
      if (record === undefined)
        throw new TypeError(
          'es-maml.adapt: the agent was not made by this learner (use its explorationAgent)',
        );
      if (record.role !== 'explore')
        throw new RangeError(
          "es-maml.adapt: ES-MAML adapts once, from the exploration agent's queries; adapt the exploration agent (evaluate with adaptationSteps: 1)",
        );
      if (record.queries === undefined)
        throw new RangeError(
          'es-maml.adapt: the exploration agent has not acted yet: collect its episodes first',
        );
      const { perGroup, offsets } = record.queries;
      const tasks = record.tasks;
      const environments = tasks * perGroup;
      const totals = new Float64Array(environments);
      const counts = new Float64Array(environments);
      for (let e = 0; e < episodes.lengths.length; e += 1) {
        const env = episodes.envIndex[e]!;
        if (env >= environments)
          throw new RangeError(
            `es-maml.adapt: episode ${e} ran in environment ${env}, but the agent acted for ${environments}`,
          );
        let sum = 0;
        for (let s = episodes.offsets[e]!; s < episodes.offsets[e]! + episodes.lengths[e]!; s += 1)
          sum += episodes.rewards[s]!;
        totals[env] = totals[env]! + sum;
        counts[env] = counts[env]! + 1;
      }
      const points = new Float32Array(tasks * dimension);
      const values = new Float64Array(perGroup);
      for (let t = 0; t < tasks; t += 1) {
        for (let j = 0; j < perGroup; j += 1) {
          const env = t * perGroup + j;
          if (counts[env] === 0)
            throw new RangeError(`es-maml.adapt: the episodes hold none of environment ${env}`);
          values[j] = totals[env]! / counts[env]!;
        }
        points.set(adaptFromQueries(record.theta!, offsets, values, adaptationSettings), t * dimension);
      }
      return makeAdaptedAgent(points, tasks);
    },

    async toCheckpoint(): Promise<Checkpoint> {
      if (handedOut !== undefined) disposeParams(handedOut);
      handedOut = checkpointParams();
      return {
        kind: KIND,
        version: 1,
        config: { ...settings },
        setup,
        params: handedOut,
        rng: {},
        step,
      };
    },

    async fromCheckpoint(checkpoint: Checkpoint, options?: ResumeOptions) {
      const expected = checkpointParams();
      try {
        assertCheckpointFits(checkpoint, {
          kind: KIND,
          params: expected,
          needsOptimizer: false,
          run: { config: { ...settings }, setup },
          allowChanges: options?.allowChanges,
        });
      } finally {
        disposeParams(expected);
      }
      const params = checkpoint.params;
      theta = flattenParams(params.policy as ParamTree);
      if (settings.optimizer === 'adam') {
        firstMoment = Float32Array.from((params.outerFirstMoment as tf.Tensor).dataSync());
        secondMoment = Float32Array.from((params.outerSecondMoment as tf.Tensor).dataSync());
      }
      step = checkpoint.step;
      // The checkpoint's tensors are ours now; their values live on in plain arrays.
      if (params === handedOut) handedOut = undefined;
      disposeParams(params);
    },

    dispose() {
      if (handedOut !== undefined) disposeParams(handedOut);
      handedOut = undefined;
    },
  };
}
