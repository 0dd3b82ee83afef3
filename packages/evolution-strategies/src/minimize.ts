/**
 * `minimize` and `maximize`: one call that runs an evolution strategy (CMA-ES by default) on a
 * black-box objective, with pycma's `cma.fmin` restart schemes:
 *
 * - 'ipop' (Auger & Hansen, "A Restart CMA Evolution Strategy With Increasing Population Size",
 *   CEC 2005): restart k runs with lambda_k = floor(2^k lambda0), lambda0 = 4 + 3 ln n (pycma
 *   multiplies the unrounded default), until `maxRestarts` restarts;
 * - 'bipop' (Hansen, "Benchmarking a BI-Population CMA-ES on the BBOB-2009 Function Testbed",
 *   GECCO 2009): interleaves the large-population regime (as IPOP) with runs of small populations
 *   lambda = floor(lambda0 (2^k)^(U^2)) and sigma = sigma0 0.01^U (U ~ U[0, 1]), at most
 *   half the large regime's evaluations in generations; a small run is chosen whenever the small
 *   runs have used fewer evaluations than the large ones. Only large runs count as restarts.
 *
 * Each run starts from `initialSolution` (called again with the rng when it is a function, as
 * pycma calls a callable x0) or, with `restartBounds`, from a mean drawn uniformly in the bounds.
 *
 * The runner's fitness is HIGHER IS BETTER: `minimize` tells the strategy -f, `maximize` tells f.
 * Each run goes through core's `createEvolutionRunner` (non-finite values count as the worst; a
 * strategy that declares 'raw' shaping, such as CMA-ES, is told float64 values). The objective
 * sees the float32 points of the population.
 */
import {
  type ConfigValidator,
  createConfigValidator,
  createEvolutionRunner,
  describeValue,
  type EvolutionStrategy,
} from '@metarl/core';
import { createRng, type Rng } from '@metarl/envs';
import { createCmaEs } from './cma-es';

/** What a strategy factory is given for each run. */
export interface StrategySetup {
  /** Search dimension n. */
  readonly dimension: number;
  /** Initial step size of this run (sigma0, or sigma0 0.01^U for a BIPOP small run). */
  readonly sigma: number;
  /** Population size of this run; undefined for the first run without `populationSize` (the strategy's default). */
  readonly populationSize: number | undefined;
}

/** Makes the strategy of one run; CMA-ES by default. SNES, OpenAI-ES, a GA ... plug in here. */
export type StrategyFactory = (setup: StrategySetup) => EvolutionStrategy<unknown>;

/** An objective: f(x) for one point, or a batch form that scores a whole population `[populationSize * dimension]`. */
export type Objective =
  | ((solution: Float32Array) => number)
  | { readonly evaluateBatch: (population: Float32Array, dimension: number) => ArrayLike<number> };

/** The initial solution: a vector, or a function of the rng called at every (re)start. */
export type InitialSolution = ArrayLike<number> | ((rng: Rng) => ArrayLike<number>);

/** Options of `minimize` / `maximize`. */
export interface MinimizeOptions {
  /** Initial step size sigma0 (required), > 0: about a quarter of the search range per coordinate. */
  readonly sigma: number;
  /** Factory of the strategy of each run; default CMA-ES (`createCmaEs(setup)`). */
  readonly strategy?: StrategyFactory;
  /** Seed of the rng that draws the populations and restarts; default 0. */
  readonly seed?: number;
  /** Population size of the first run; default the strategy's (CMA-ES: 4 + floor(3 ln n)). */
  readonly populationSize?: number;
  /** Total evaluations over all runs [maxfevals]; default Infinity. */
  readonly maxEvaluations?: number;
  /** Generations per run [maxiter]; default pycma's 100 + floor(150 (n + 3)^2 / sqrt(lambda0)). */
  readonly maxGenerations?: number;
  /** Stop when a value <= target (minimize) or >= target (maximize) is found [ftarget]; default none. */
  readonly target?: number;
  /** Restart scheme; default 'none'. */
  readonly restarts?: 'none' | 'ipop' | 'bipop';
  /** Restarts with a larger population (IPOP, BIPOP's large regime); default 9. */
  readonly maxRestarts?: number;
  /** Population growth factor per restart [incpopsize]; default 2. */
  readonly populationGrowth?: number;
  /** Restart means drawn uniformly in [lower, upper] per coordinate; default: restart from `initialSolution`. */
  readonly restartBounds?: readonly [lower: number, upper: number];
  /** Record the best value after each generation in `history`; default false. */
  readonly history?: boolean;
}

/** One run of a restart scheme. */
export interface RunSummary {
  /** 'first', 'large' (IPOP or BIPOP's large regime) or 'small' (BIPOP). */
  readonly regime: 'first' | 'large' | 'small';
  /** Population size lambda of the run. */
  readonly populationSize: number;
  /** Initial step size of the run. */
  readonly sigma: number;
  /** Evaluations of the run. */
  readonly evaluations: number;
  /** Generations of the run. */
  readonly generations: number;
  /** Best value found in the run. */
  readonly value: number;
  /** Why the run stopped (pycma's names: 'tolfun', 'maxiter', 'ftarget', ...). */
  readonly stopReasons: readonly string[];
}

/** What `minimize` / `maximize` return. */
export interface MinimizeResult {
  /** The best solution evaluated (Float32, as evaluated). */
  readonly solution: Float32Array;
  /** Its objective value f(solution). */
  readonly value: number;
  /** Objective evaluations over all runs. */
  readonly evaluations: number;
  /** Generations over all runs. */
  readonly generations: number;
  /** Restarts done (large-population ones; BIPOP's small runs are in `runs`). */
  readonly restarts: number;
  /** Why the last run stopped. */
  readonly stopReasons: readonly string[];
  /** Every run in order. */
  readonly runs: readonly RunSummary[];
  /** With `history: true`: evaluations and best value so far after each generation. */
  readonly history?: { readonly evaluations: Float64Array; readonly value: Float64Array };
}

const STOP_HOOK = 'stopReasons';

function strategyStopReasons(strategy: EvolutionStrategy<unknown>, state: unknown): readonly string[] {
  const hook = (strategy as { stopReasons?: (state: unknown) => readonly string[] })[STOP_HOOK];
  return typeof hook === 'function' ? hook.call(strategy, state) : [];
}

function optimize(
  owner: string,
  sign: 1 | -1,
  objective: Objective,
  initialSolution: InitialSolution,
  options: MinimizeOptions,
): MinimizeResult {
  const check: ConfigValidator = createConfigValidator(owner);
  if (options === null || typeof options !== 'object') {
    check.fail(`options must be an object like { sigma: 0.5 }, got ${describeValue(options)}`);
  }
  const known = [
    'sigma',
    'strategy',
    'seed',
    'populationSize',
    'maxEvaluations',
    'maxGenerations',
    'target',
    'restarts',
    'maxRestarts',
    'populationGrowth',
    'restartBounds',
    'history',
  ];
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) check.fail(`unknown option '${key}'; the options are ${known.join(', ')}`);
  }
  const batch = typeof objective === 'function' ? undefined : objective?.evaluateBatch;
  if (typeof objective !== 'function' && typeof batch !== 'function') {
    check.fail(
      `objective must be a function (x: Float32Array) => number or { evaluateBatch(population, dimension) }, got ${describeValue(objective)}`,
    );
  }
  check.number('sigma', options.sigma, { above: 0 });
  const seed = options.seed ?? 0;
  check.seed('seed', seed);
  const restarts = options.restarts ?? 'none';
  check.oneOf('restarts', restarts, ['none', 'ipop', 'bipop'] as const);
  const maxRestarts = restarts === 'none' ? 0 : (options.maxRestarts ?? 9);
  check.integer('maxRestarts', maxRestarts, { min: 0 });
  const growth = options.populationGrowth ?? 2;
  check.number('populationGrowth', growth, { min: 1 });
  const maxEvaluations = options.maxEvaluations ?? Infinity;
  if (maxEvaluations !== Infinity) check.integer('maxEvaluations', maxEvaluations, { min: 1 });
  if (options.populationSize !== undefined)
    check.integer('populationSize', options.populationSize, { min: 2 });
  if (options.maxGenerations !== undefined)
    check.integer('maxGenerations', options.maxGenerations, { min: 1 });
  const target = options.target;
  if (target !== undefined && (typeof target !== 'number' || Number.isNaN(target))) {
    check.fail(`target must be a number, got ${describeValue(target)}`);
  }
  const bounds = options.restartBounds;
  if (
    bounds !== undefined &&
    !(
      Array.isArray(bounds) &&
      bounds.length === 2 &&
      Number.isFinite(bounds[0]) &&
      Number.isFinite(bounds[1]) &&
      bounds[0] < bounds[1]
    )
  ) {
    check.fail(
      `restartBounds must be [lower, upper] with finite lower < upper, got ${describeValue(bounds)}`,
    );
  }
  const factory: StrategyFactory =
    options.strategy ??
    ((setup) =>
      createCmaEs({
        dimension: setup.dimension,
        sigma: setup.sigma,
        ...(setup.populationSize === undefined ? {} : { populationSize: setup.populationSize }),
      }));
  if (typeof factory !== 'function')
    check.fail(`strategy must be a factory function, got ${describeValue(factory)}`);
  const rng = createRng(seed);

  const drawInitial = (run: number): Float32Array => {
    const raw = typeof initialSolution === 'function' ? initialSolution(rng) : initialSolution;
    if (raw === null || typeof raw !== 'object' || typeof raw.length !== 'number' || raw.length < 1) {
      check.fail(
        `initialSolution must be a non-empty array of numbers (or a function of rng returning one), got ${describeValue(raw)}`,
      );
    }
    const vector = Float32Array.from(raw as ArrayLike<number>);
    if (run > 0 && bounds !== undefined) {
      for (let j = 0; j < vector.length; j += 1) vector[j] = bounds[0] + (bounds[1] - bounds[0]) * rng.next();
    }
    const bad = vector.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0)
      check.fail(`initialSolution holds ${vector[bad]} at index ${bad}; every value must be finite`);
    return vector;
  };

  const evaluate = (population: Float32Array, dimension: number, count: number): Float64Array => {
    if (batch !== undefined) {
      const values = batch(population, dimension);
      if (values === null || typeof values !== 'object' || values.length !== count) {
        check.fail(
          `objective.evaluateBatch must return ${count} values (one per member), got ${describeValue(values)}`,
        );
      }
      return Float64Array.from(values);
    }
    const single = objective as (solution: Float32Array) => number;
    return Float64Array.from({ length: count }, (_v, k) =>
      Number(single(population.slice(k * dimension, (k + 1) * dimension))),
    );
  };

  let bestSolution: Float32Array | undefined;
  let bestValue = sign === 1 ? Infinity : -Infinity;
  let evaluations = 0;
  let generations = 0;
  const runs: RunSummary[] = [];
  const historyEvaluations: number[] = [];
  const historyValues: number[] = [];
  let lastReasons: readonly string[] = [];
  const reachedTarget = () =>
    target !== undefined && (sign === 1 ? bestValue <= target : bestValue >= target);

  let dimension = 0;
  let basePopulation = 0; // pycma's popsize0 (unrounded for CMA-ES's default)
  let baseGenerations = 0; // pycma's maxiter0
  let largeRuns = 0; // irun - runs_with_small
  let smallEvaluations = 0;
  let largeEvaluations = 0;

  for (let run = 0; ; run += 1) {
    const initial = drawInitial(run);
    if (run === 0) dimension = initial.length;
    else if (initial.length !== dimension) {
      check.fail(`initialSolution returned ${initial.length} values at restart ${run}, ${dimension} before`);
    }
    let regime: RunSummary['regime'] = 'first';
    let sigma = options.sigma;
    let populationSize: number | undefined = options.populationSize;
    let runGenerations = options.maxGenerations;
    if (run > 0) {
      const bipopSmall = restarts === 'bipop' && smallEvaluations < Math.max(1, largeEvaluations);
      if (bipopSmall) {
        regime = 'small';
        sigma = options.sigma * 0.01 ** rng.next();
        const multiplier = growth ** largeRuns;
        populationSize = Math.max(2, Math.floor(basePopulation * multiplier ** (rng.next() ** 2)));
        runGenerations = Math.max(
          1,
          Math.floor(Math.min(baseGenerations, (0.5 * largeEvaluations) / populationSize)),
        );
      } else {
        regime = 'large';
        largeRuns += 1;
        populationSize = Math.floor(basePopulation * growth ** largeRuns);
        runGenerations = baseGenerations;
      }
    }
    const strategy = factory({ dimension, sigma, populationSize });
    if (strategy === null || typeof strategy !== 'object' || typeof strategy.ask !== 'function') {
      check.fail(`strategy(setup) must return an EvolutionStrategy, got ${describeValue(strategy)}`);
    }
    const lambda = strategy.populationSize;
    if (run === 0) {
      basePopulation =
        options.populationSize ?? (options.strategy === undefined ? 4 + 3 * Math.log(dimension) : lambda);
      baseGenerations =
        options.maxGenerations ?? 100 + Math.floor((150 * (dimension + 3) ** 2) / Math.sqrt(basePopulation));
      runGenerations = baseGenerations;
    }
    // Core's runner does the bookkeeping (shaping, non-finite fitness as the worst, raw fitness in
    // double precision for strategies such as CMA-ES that declare 'raw').
    const runner = createEvolutionRunner(strategy);
    let state = runner.init(rng, initial);
    let runEvaluations = 0;
    let runGenerationCount = 0;
    let runBest = sign === 1 ? Infinity : -Infinity;
    let reasons: string[] = [];
    while (reasons.length === 0) {
      const asked = runner.ask(rng, state);
      const values = evaluate(asked.population, dimension, lambda);
      // Higher is better for the strategy (minimize negates); the runner counts non-finite values as the worst.
      const fitness = Float64Array.from({ length: lambda }, (_v, k) => -sign * values[k]!);
      let finite = 0;
      for (let k = 0; k < lambda; k += 1) {
        const value = values[k]!;
        if (!Number.isFinite(value)) continue;
        finite += 1;
        const better = sign === 1 ? value < bestValue : value > bestValue;
        if (better || bestSolution === undefined) {
          bestValue = value;
          bestSolution = asked.population.slice(k * dimension, (k + 1) * dimension);
        }
        if (sign === 1 ? value < runBest : value > runBest) runBest = value;
      }
      if (finite === 0) {
        check.fail(
          `every objective value of generation ${runGenerationCount} of run ${run} is NaN or ±Infinity`,
        );
      }
      state = runner.tell(asked.population, fitness, asked.state).state;
      evaluations += lambda;
      runEvaluations += lambda;
      generations += 1;
      runGenerationCount += 1;
      if (options.history) {
        historyEvaluations.push(evaluations);
        historyValues.push(bestValue);
      }
      reasons = [];
      if (reachedTarget()) reasons.push('ftarget');
      if (evaluations >= maxEvaluations) reasons.push('maxfevals');
      if (runGenerations !== undefined && runGenerationCount >= runGenerations) reasons.push('maxiter');
      reasons.push(...strategyStopReasons(strategy, state.strategyState));
    }
    runs.push({
      regime,
      populationSize: lambda,
      sigma,
      evaluations: runEvaluations,
      generations: runGenerationCount,
      value: runBest,
      stopReasons: reasons,
    });
    lastReasons = reasons;
    if (regime === 'large') largeEvaluations += runEvaluations;
    else smallEvaluations += runEvaluations; // the first run counts as small (pycma's BIPOP)
    if (largeRuns >= maxRestarts) break; // pycma: irun - runs_with_small > maxrestarts
    if (reasons.includes('ftarget') || reasons.includes('maxfevals')) break;
  }
  return {
    solution: bestSolution ?? new Float32Array(dimension),
    value: bestValue,
    evaluations,
    generations,
    restarts: largeRuns,
    stopReasons: lastReasons,
    runs,
    ...(options.history
      ? {
          history: {
            evaluations: Float64Array.from(historyEvaluations),
            value: Float64Array.from(historyValues),
          },
        }
      : {}),
  };
}

/**
 * Minimises `objective` from `initialSolution` with an evolution strategy (CMA-ES by default),
 * optionally with IPOP or BIPOP restarts (see the file header). Deterministic for a seed.
 *
 * @example
 * const result = minimize((x) => x.reduce((s, v) => s + v * v, 0), new Array(10).fill(1), { sigma: 0.5 });
 * result.value; // <= 1e-10 or so, after about 1,400 evaluations
 */
export function minimize(
  objective: Objective,
  initialSolution: InitialSolution,
  options: MinimizeOptions,
): MinimizeResult {
  return optimize('minimize', 1, objective, initialSolution, options);
}

/** Maximises `objective` (the strategy is told f itself); otherwise as `minimize`. */
export function maximize(
  objective: Objective,
  initialSolution: InitialSolution,
  options: MinimizeOptions,
): MinimizeResult {
  return optimize('maximize', -1, objective, initialSolution, options);
}
