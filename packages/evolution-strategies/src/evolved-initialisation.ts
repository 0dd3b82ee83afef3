/**
 * Evolved initialisations: a population of meta-parameters, each scored on several tasks by its
 * mean return AFTER adaptation, searched by any `EvolutionStrategy` (MAML's objective
 * E_T[f_T(U(theta, T))] as a black box, the evolutionary side of ES-MAML; Song et al. 2020,
 * and the "evolving initialisations" view of Fernando et al. 2018, "Meta-learning by the Baldwin
 * effect"). The strategy never sees an inner loop: it asks for candidates, a fitness function
 * adapts every candidate to every task of a fresh batch and returns the mean post-adaptation
 * return, and the strategy is told.
 *
 * Fitness functions (the adaptation operator is the pluggable part):
 * - `createZeroOrderAdaptationFitness`: a policy's parameters adapted by ES-MAML's Monte-Carlo ES
 *   step or by hill climbing (`evaluatePostAdaptation`: two batched passes per population);
 * - `createPolicyGradientAdaptationFitness`: a stochastic policy adapted by `steps` VPG steps
 *   (MAML's inner loop: core's `adaptationStep` on `innerLoss`, linear baseline, GAE), every
 *   (candidate, task) pair as one task of core's task-batched inner loop;
 * - `createBanditTrialFitness`: a Bernoulli bandit trial of n pulls where adaptation is a
 *   policy-gradient (REINFORCE) step on softmax logits after EVERY pull. The evolved
 *   meta-parameters are the initial logits, the inner step size (log alpha, as Meta-SGD learns
 *   it, Li et al. 2017) and the REINFORCE baseline b: a learned initialisation plus a learned
 *   update rule, scored by the total reward of the trial, the bandit's post-adaptation return.
 *   Nothing bandit-specific is hand-written: which arms to favour first, how fast to move towards
 *   paying arms and away from failing ones all come out of the search.
 */
import {
  adaptationStep,
  collectEpisodes,
  createEvolutionRunner,
  createPolicyAgent,
  createSgd,
  describeValue,
  disposeOptimizerState,
  disposeParams,
  disposeTaskBatch,
  type EvolutionMetrics,
  type EvolutionState,
  type EvolutionStrategy,
  type FitnessShaping,
  initAdaptationState,
  innerLoss,
  type ParamLayout,
  type ParamTree,
  type Policy,
  stackPopulation,
  taskAdvantages,
  toTaskBatch,
} from '@metarl/core';
import { type BanditTask, createRng, type Rng, type TaskDistribution } from '@metarl/envs';
import { evaluatePostAdaptation, type ZeroOrderAdaptationSettings } from './es-maml';

/** Scores a population of candidate initialisations on a batch of tasks. */
export interface InitialisationFitness<Task> {
  /** Length of one candidate. */
  readonly dimension: number;
  /**
   * Each member's mean post-adaptation return on `tasks` `[M]` for `population`
   * `[M * dimension]`; `seed` fixes the environments, the adaptation's noise and any sampling, so
   * every member meets the same luck (common random numbers).
   */
  evaluate(population: Float32Array, tasks: readonly Task[], seed: number): Float32Array;
}

// ─── Fitness: a policy adapted by a zero-order operator ───────────────────────────────────────

/** Options of `createZeroOrderAdaptationFitness`. */
export interface ZeroOrderAdaptationFitnessOptions<Task> {
  /** The policy the candidates parameterise (acting with its mode). */
  readonly policy: Policy;
  /** Where each parameter sits in a candidate (from `createInitialSolution`). */
  readonly layout: ParamLayout;
  /** Makes the tasks' environments. */
  readonly distribution: TaskDistribution<Task>;
  /** The adaptation operator U (ES-MAML's defaults: monte-carlo, sigma 0.1, alpha 0.05, z-score). */
  readonly adaptation: ZeroOrderAdaptationSettings;
  /** Queries [K] per adaptation besides the centre; default 20. */
  readonly queries?: number;
  /** Episodes per query and per post-adaptation evaluation; default 1. */
  readonly episodesPerQuery?: number;
}

/** The fitness of policy initialisations adapted by ES-MAML's ES step or hill climbing (see the module comment). */
export function createZeroOrderAdaptationFitness<Task>(
  options: ZeroOrderAdaptationFitnessOptions<Task>,
): InitialisationFitness<Task> {
  const queries = options.queries ?? 20;
  if (!Number.isInteger(queries) || queries < 1)
    throw new RangeError(
      `createZeroOrderAdaptationFitness: queries must be an integer >= 1, got ${describeValue(queries)}`,
    );
  return {
    dimension: options.layout.size,
    evaluate(population, tasks, seed) {
      const { after } = evaluatePostAdaptation(population, tasks, {
        ...options,
        queries,
        querySeed: createRng(seed).nextSeed() >>> 0,
        seed,
      });
      const taskCount = tasks.length;
      return Float32Array.from({ length: population.length / options.layout.size }, (_v, m) => {
        let sum = 0;
        for (let t = 0; t < taskCount; t += 1) sum += after[m * taskCount + t]!;
        return sum / taskCount;
      });
    },
  };
}

// ─── Fitness: a policy adapted by policy-gradient steps ─────────────────────────────────────────

/** Options of `createPolicyGradientAdaptationFitness`. */
export interface PolicyGradientAdaptationFitnessOptions<Task> {
  /** The (stochastic) policy the candidates parameterise; it samples its actions. */
  readonly policy: Policy;
  /** Where each parameter sits in a candidate (from `createInitialSolution`). */
  readonly layout: ParamLayout;
  /** Makes the tasks' environments. */
  readonly distribution: TaskDistribution<Task>;
  /** Inner SGD step size [alpha]; default 0.1 (MAML's Navigation2D setting). */
  readonly stepSize?: number;
  /** VPG steps, each on fresh episodes; default 1 (0: no adaptation, the pre-adaptation return). */
  readonly steps?: number;
  /** Episodes per (candidate, task) for each step and for the post-adaptation return; default 10. */
  readonly episodesPerTask?: number;
  /** Discount [gamma]; default 0.99. */
  readonly gamma?: number;
  /** GAE [lambda]; default 1. */
  readonly lambda?: number;
}

/**
 * The fitness of policy initialisations adapted by VPG steps (see the module comment): member m
 * on task t is task m * T + t of one task-batched inner loop (core's `adaptationStep`), then the
 * adapted policies' mean sampled return on their tasks.
 */
export function createPolicyGradientAdaptationFitness<Task>(
  options: PolicyGradientAdaptationFitnessOptions<Task>,
): InitialisationFitness<Task> {
  const where = 'createPolicyGradientAdaptationFitness';
  const stepSize = options.stepSize ?? 0.1;
  const steps = options.steps ?? 1;
  const episodes = options.episodesPerTask ?? 10;
  const advantageOptions = { gamma: options.gamma ?? 0.99, lambda: options.lambda ?? 1 };
  if (!(stepSize > 0 && Number.isFinite(stepSize)))
    throw new RangeError(`${where}: stepSize must be a finite number > 0, got ${describeValue(stepSize)}`);
  for (const [name, value, least] of [
    ['steps', steps, 0],
    ['episodesPerTask', episodes, 2],
  ] as const)
    if (!Number.isInteger(value) || value < least)
      throw new RangeError(`${where}: ${name} must be an integer >= ${least}, got ${describeValue(value)}`);
  const optimizer = createSgd({ learningRate: stepSize });
  const { policy, layout } = options;
  return {
    dimension: layout.size,
    evaluate(population, tasks, seed) {
      const dimension = layout.size;
      const members = population.length / dimension;
      const taskCount = tasks.length;
      const pairs = members * taskCount;
      const repeated = new Float32Array(pairs * dimension);
      for (let p = 0; p < pairs; p += 1)
        repeated.set(
          population.subarray(
            Math.floor(p / taskCount) * dimension,
            (Math.floor(p / taskCount) + 1) * dimension,
          ),
          p * dimension,
        );
      const env = options.distribution.makeVectorEnv(
        Array.from({ length: pairs * episodes }, (_v, i) => tasks[Math.floor(i / episodes) % taskCount]!),
        { autoresetMode: 'disabled' },
      );
      const rng = createRng(seed);
      const sample = (params: ParamTree, first: boolean) =>
        collectEpisodes(env, createPolicyAgent(policy, params, { tasks: pairs }), {
          episodesPerEnv: 1,
          rng,
          tasks: pairs,
          ...(first ? { seed } : {}),
        });
      let params = stackPopulation(layout, repeated);
      for (let k = 0; k < steps; k += 1) {
        const explored = sample(params, k === 0);
        const batch = toTaskBatch(explored, taskAdvantages(explored, advantageOptions), policy.actionKind);
        const state = initAdaptationState(params, { optimizer });
        const next = adaptationStep((p) => innerLoss(policy, p, batch), params, state, { optimizer });
        disposeTaskBatch(batch);
        disposeOptimizerState(state);
        disposeOptimizerState(next.state);
        disposeParams(params);
        params = next.params;
      }
      const after = sample(params, steps === 0);
      disposeParams(params);
      const totals = new Float64Array(members);
      for (let e = 0; e < after.lengths.length; e += 1) {
        const member = Math.floor(Math.floor(after.envIndex[e]! / episodes) / taskCount);
        for (let s = after.offsets[e]!; s < after.offsets[e]! + after.lengths[e]!; s += 1)
          totals[member] = totals[member]! + after.rewards[s]!;
      }
      return Float32Array.from(totals, (total) => total / (taskCount * episodes));
    },
  };
}

// ─── Fitness: a bandit trial with a policy-gradient step after every pull ──────────────────────

/** Options of `createBanditTrialFitness`. */
export interface BanditTrialFitnessOptions {
  /** The bandit distribution ('Bandit-v0'); its tasks fix the arm count k. */
  readonly distribution: TaskDistribution<BanditTask>;
  /** Arms k (must match the tasks). */
  readonly arms: number;
  /** Pulls per trial n; default 10. */
  readonly pulls?: number;
  /** Trials per (member, task), averaged; default 4. */
  readonly trialsPerTask?: number;
}

/**
 * Where the bandit candidate's values sit: `[0, k)` the initial logits, `k` log alpha (the inner
 * step size), `k + 1` the REINFORCE baseline b.
 */
export function describeBanditCandidate(arms: number): {
  readonly logits: readonly [number, number];
  readonly logStepSize: number;
  readonly baseline: number;
  readonly dimension: number;
} {
  return { logits: [0, arms], logStepSize: arms, baseline: arms + 1, dimension: arms + 2 };
}

/**
 * The fitness of bandit learners (see the module comment): each candidate plays `trialsPerTask`
 * trials of `pulls` pulls on every task, all members x tasks x trials stepped together in one
 * `VectorEnv`; arm a ~ softmax(l), then l <- l + alpha (r - b)(onehot(a) - softmax(l)), the exact
 * REINFORCE step of the pull (the gradient of log softmax in closed form). Fitness: the mean
 * total reward per trial.
 */
export function createBanditTrialFitness(
  options: BanditTrialFitnessOptions,
): InitialisationFitness<BanditTask> {
  const arms = options.arms;
  const pulls = options.pulls ?? 10;
  const trials = options.trialsPerTask ?? 4;
  for (const [name, value] of [
    ['arms', arms],
    ['pulls', pulls],
    ['trialsPerTask', trials],
  ] as const)
    if (!Number.isInteger(value) || value < 1)
      throw new RangeError(
        `createBanditTrialFitness: ${name} must be an integer >= 1, got ${describeValue(value)}`,
      );
  const { dimension } = describeBanditCandidate(arms);
  return {
    dimension,
    evaluate(population, tasks, seed) {
      const members = population.length / dimension;
      if (!Number.isInteger(members) || members < 1)
        throw new RangeError(
          `createBanditTrialFitness: population length ${population.length} is not a multiple of the dimension ${dimension}`,
        );
      const perMember = tasks.length * trials;
      const count = members * perMember;
      // Environment (m, t, r) at m * perMember + t * trials + r plays task t.
      const env = options.distribution.makeVectorEnv(
        Array.from({ length: count }, (_v, i) => tasks[Math.floor((i % perMember) / trials)]!),
        { autoresetMode: 'disabled' },
      );
      const logits = new Float64Array(count * arms);
      const stepSize = new Float64Array(count);
      const baseline = new Float64Array(count);
      for (let e = 0; e < count; e += 1) {
        const m = Math.floor(e / perMember);
        for (let a = 0; a < arms; a += 1) logits[e * arms + a] = population[m * dimension + a]!;
        stepSize[e] = Math.exp(population[m * dimension + arms]!);
        baseline[e] = population[m * dimension + arms + 1]!;
      }
      // The arm choices draw from their own stream (environment e's rewards use seed + e).
      const rng: Rng = createRng(seed).split(2)[1]!;
      const totals = new Float64Array(count);
      const probabilities = new Float64Array(arms);
      const actions = new Int32Array(count);
      env.reset({ seed });
      for (let pull = 0; pull < pulls; pull += 1) {
        for (let e = 0; e < count; e += 1)
          actions[e] = sampleSoftmax(logits, e * arms, arms, rng, probabilities);
        const { rewards } = env.step(actions);
        for (let e = 0; e < count; e += 1) {
          const reward = rewards[e]!;
          totals[e] = totals[e]! + reward;
          // The adaptation: one REINFORCE step on this pull, l += alpha (r - b)(onehot(a) - pi).
          softmaxInto(logits, e * arms, arms, probabilities);
          const scale = stepSize[e]! * (reward - baseline[e]!);
          for (let a = 0; a < arms; a += 1)
            logits[e * arms + a] =
              logits[e * arms + a]! + scale * ((a === actions[e] ? 1 : 0) - probabilities[a]!);
        }
        env.reset();
      }
      return Float32Array.from({ length: members }, (_v, m) => {
        let sum = 0;
        for (let i = 0; i < perMember; i += 1) sum += totals[m * perMember + i]!;
        return sum / perMember;
      });
    },
  };
}

/** softmax of `logits[offset .. offset + arms)` into `out` (stable: the maximum subtracted). */
function softmaxInto(logits: Float64Array, offset: number, arms: number, out: Float64Array): void {
  let maximum = -Infinity;
  for (let a = 0; a < arms; a += 1) maximum = Math.max(maximum, logits[offset + a]!);
  let sum = 0;
  for (let a = 0; a < arms; a += 1) {
    out[a] = Math.exp(logits[offset + a]! - maximum);
    sum += out[a]!;
  }
  for (let a = 0; a < arms; a += 1) out[a] = out[a]! / sum;
}

/** An arm drawn from softmax(logits) with one uniform from `rng`. */
function sampleSoftmax(
  logits: Float64Array,
  offset: number,
  arms: number,
  rng: Rng,
  scratch: Float64Array,
): number {
  softmaxInto(logits, offset, arms, scratch);
  let u = rng.next();
  for (let a = 0; a < arms - 1; a += 1) {
    u -= scratch[a]!;
    if (u < 0) return a;
  }
  return arms - 1;
}

// ─── The search ─────────────────────────────────────────────────────────────────────────────────

/** Options of `evolveInitialisation`. */
export interface EvolveInitialisationOptions<State, Task> {
  /** Any evolution strategy (core's contract); fitness is the mean post-adaptation return. */
  readonly strategy: EvolutionStrategy<State>;
  /** Scores candidates after adaptation. */
  readonly fitness: InitialisationFitness<Task>;
  /** Where each generation's tasks come from. */
  readonly distribution: TaskDistribution<Task>;
  /** The starting point `[fitness.dimension]`. */
  readonly initialSolution: Float32Array;
  /** Generations to run. */
  readonly generations: number;
  /** Fresh tasks per generation (every member meets the same ones); default 8. */
  readonly tasksPerGeneration?: number;
  /** Seed of the strategy's sampling, the tasks and the environments. */
  readonly seed: number;
  /** Fitness shaping before `tell`; default the strategy's own. */
  readonly fitnessShaping?: FitnessShaping;
  /** Resume from this state (a runner state, e.g. `fromCheckpoint` of an earlier run's). */
  readonly resumeFrom?: EvolutionState<State>;
  /** Called after every generation with the runner's metrics and the state. */
  readonly onGeneration?: (metrics: EvolutionMetrics, state: EvolutionState<State>) => void;
}

/**
 * Runs `generations` of ask -> adapt every candidate to a fresh batch of tasks -> tell. Generation
 * g draws its tasks, environment seed and the strategy's noise from `seed` and g alone, so a run
 * resumed from the state after generation k continues exactly as the uninterrupted run.
 * Returns the final runner state and the strategy's centre (the initialisation to deploy).
 */
export function evolveInitialisation<State, Task>(
  options: EvolveInitialisationOptions<State, Task>,
): { readonly state: EvolutionState<State>; readonly solution: Float32Array } {
  const { fitness, distribution } = options;
  if (options.initialSolution?.length !== fitness.dimension)
    throw new RangeError(
      `evolveInitialisation: initialSolution must have the fitness's dimension ${fitness.dimension}, got length ${String(options.initialSolution?.length)}`,
    );
  for (const [name, value, least] of [
    ['generations', options.generations, 0],
    ['tasksPerGeneration', options.tasksPerGeneration ?? 8, 1],
  ] as const)
    if (!Number.isInteger(value) || value < least)
      throw new RangeError(
        `evolveInitialisation: ${name} must be an integer >= ${least}, got ${describeValue(value)}`,
      );
  const runner = createEvolutionRunner(
    options.strategy,
    options.fitnessShaping === undefined ? {} : { fitnessShaping: options.fitnessShaping },
  );
  let state = options.resumeFrom ?? runner.init(createRng(options.seed), options.initialSolution);
  const last = state.generation + options.generations;
  while (state.generation < last) {
    const generationRng = createRng(options.seed).split(state.generation + 2)[state.generation + 1]!;
    const tasks = distribution.sampleTasks(options.tasksPerGeneration ?? 8, {
      seed: generationRng.nextSeed(),
    });
    const asked = runner.ask(generationRng, state);
    const scores = fitness.evaluate(asked.population, tasks, generationRng.nextSeed());
    const told = runner.tell(asked.population, scores, asked.state);
    state = told.state;
    options.onGeneration?.(told.metrics, state);
  }
  return { state, solution: runner.mean(state) };
}
