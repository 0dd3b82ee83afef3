/**
 * pnpm bench openai-es [-- --out <file>] [-- --sections cartpole,pendulum,cartpole-family] [-- --seeds 10]
 *
 * OpenAI-ES on CartPole-v1 with estool's OpenES settings (hardmaru/estool `train.py` / `es.py`):
 * population 64 (32 antithetic pairs), σ 0.1, Adam at 0.01, weight decay 0.01, centred ranks, an
 * MLP 4-16-2 tanh acting greedily (argmax), each member's fitness its return over 1 episode
 * (estool's `--num_episode` default 1) on fresh environment seeds every generation, shared by all
 * members (common random numbers; estool shares them within an antithetic pair). The whole
 * population runs as one batched pass (core's `evaluatePopulation`, `deterministic: true`). The
 * mean starts at the policy's own initialisation (Glorot uniform, zero biases).
 *
 * Solved (the issue's criterion, Gymnasium's threshold): the unperturbed mean policy averages
 * >= 475 over 100 episodes. After every generation the mean is checked on 10 episodes; when those
 * average >= 475 the 100 episodes confirm (or not). The count is of generations until confirmed.
 *
 * Result: 10/10, generations {27, 30, 36, 37, 53, 57, 57, 59, 68, 69}, median 55. Why it is near 50
 * generations and not the peer's 16 (measured, 10 seeds each, results in
 * benchmarks/results/evolution-strategies/openai-es*.json):
 * - The peer figure is reproduced by estool's own check, not by the mean. estool's `train.py`
 *   evaluates `es.current_param()`, which for OpenES is the best member of the last batch, not μ.
 *   Run as estool (`--initialization zeros --tieBreaking index --adamBeta1 0.99
 *   --episodesPerMember 1 --l2Coefficient 0.00002`) and checking the best member (`--checked
 *   best-member`): generations
 *   {1, 1, 2, 6, 8, 11, 16, 19, 198, 225}, about 15 steps per member per generation, the peer's
 *   shape ({1, 2, 5, 13, 15, 17, 18, 21, 25, 155}, ~15 steps). The same run checking the mean: {75,
 *   140, 141, 159, 162, 174, 196, 228, 231, 245}, median 168. estool's μ starts at 0, where the
 *   argmax policy is decided by the output bias (first order in θ) while the weights act through
 *   the product W2·tanh(W1 x + b1) (second order), so μ acts one constant action for many
 *   generations, and an antithetic pair ±ε around θ = 0 differs only by the output bias's sign.
 * - With this protocol and the best-member check the package solves 10/10, generations {1, 2, 2, 8,
 *   9, 13, 17, 37, 39, 48}, median 11.
 * - With Adam each coordinate moves about `learningRate` per generation, so the count scales with
 *   the distance the mean travels: learning rate 0.03 gives median 26.5 (4 episodes per member).
 *   Other starts (4 episodes per member) are worse: N(0, 0.1²) per parameter (estool's
 *   `get_random_model_params` default) median 82.5, N(0, 1) 190 on seed 0, zeros much worse; σ
 *   relative to |θ| matters as much as the distance. Adam β1 0.99 (estool's) is worse from every
 *   start tried.
 * - estool's weight decay is −0.01·mean_j θ_j² added to each member's centred rank, equivalent to
 *   l2 ≈ σ·0.02/D ≈ 2e-5 (D = 114 parameters) in this package's units (l2·θ added to the descent
 *   direction); that gives median 51.5 against 52.5 with l2 0.01, so the flag keeps the issue's
 *   0.01 in the starter's units. 4 episodes per member instead of 1: median 52.5 against 55 (4x the
 *   environment steps).
 * Other differences from estool's OpenES, kept on purpose (our strategy is the starter's): estool
 * z-scores the ranks, divides the gradient by σ (both scale-free under Adam) and anneals σ by
 * 0.999 per generation.
 *
 * Harder ranking sections (no peer number): Pendulum-v1 (Gaussian MLP 3-16-1 tanh, mean action)
 * and the CartPole-v1 physics family (pole length, pole mass and cart mass sampled per task; each
 * generation's fitness is the mean over fresh tasks, the final mean policy is scored on 100 held-out
 * tasks), comparing OpenAI-ES, SNES, CMA-ES (σ as the others') and the genetic algorithm at the
 * same evaluation budget.
 */
import {
  createCategoricalMlpPolicy,
  createEvolutionRunner,
  createGaussianMlpPolicy,
  createInitialSolution,
  createRng,
  type EvolutionRunner,
  type EvolutionStrategy,
  evaluatePopulation,
  type ParamLayout,
  type Policy,
  useBackend,
} from '@metarl/core';
import { makeTaskDistribution, type TaskDistribution } from '@metarl/envs';
import {
  createCmaEs,
  createGeneticAlgorithm,
  createOpenAiEs,
  createSnes,
} from '@metarl/evolution-strategies';
import { describeMachine, median, readFlags, report } from './shared';

const started = performance.now();
const flags = readFlags('openai-es', {
  sections: {
    type: 'strings',
    default: ['cartpole'],
    description: 'sections to run: cartpole, pendulum, cartpole-family',
  },
  seeds: {
    type: 'integer',
    default: 10,
    minimum: 1,
    description: 'seeds of the CartPole section (0..seeds-1)',
  },
  maxGenerations: { type: 'integer', default: 300, minimum: 1, description: 'CartPole: generations allowed' },
  populationSize: { type: 'integer', default: 64, minimum: 2, description: 'members per generation' },
  episodesPerMember: {
    type: 'integer',
    default: 1,
    minimum: 1,
    description: "episodes per member (estool's num_episode)",
  },
  sigma: { type: 'number', default: 0.1, minimum: 0, description: 'noise standard deviation' },
  learningRate: { type: 'number', default: 0.01, minimum: 0, description: 'Adam step size' },
  l2Coefficient: { type: 'number', default: 0.01, minimum: 0, description: 'weight decay (L2 on theta)' },
  adamBeta1: {
    type: 'number',
    default: 0.9,
    minimum: 0,
    description: "Adam beta1 (the starter's 0.9; estool's 0.99)",
  },
  initialization: {
    type: 'string',
    default: 'policy',
    choices: ['policy', 'zeros', 'normal'],
    description:
      "initial solution: the policy's own initialisation (Glorot), all zeros (estool's OpenES mu), or N(0, initialStd^2) per parameter (estool's model.get_random_model_params)",
  },
  initialStd: {
    type: 'number',
    default: 0.1,
    minimum: 0,
    description: "standard deviation of the 'normal' initialisation (estool's default stdev 0.1)",
  },
  tieBreaking: {
    type: 'string',
    default: 'average',
    choices: ['average', 'index'],
    description:
      "CartPole: tied returns share their average centred rank (core's), or are ordered by member index (emulates the starter's and estool's argsort)",
  },
  checked: {
    type: 'string',
    default: 'mean',
    choices: ['mean', 'best-member'],
    description:
      "CartPole: the policy checked for 'solved': the unperturbed mean (the issue's criterion), or the best member of the last batch (estool's current_param() for OpenES; a diagnostic)",
  },
  hidden: { type: 'integer', default: 16, minimum: 1, description: 'hidden width of the MLP' },
  logEvery: {
    type: 'integer',
    default: 0,
    minimum: 0,
    description:
      'CartPole: print fitness and the mean check to stderr every this many generations (0: never)',
  },
  rankingEpisodes: {
    type: 'integer',
    default: 4,
    minimum: 1,
    description: 'Pendulum ranking: episodes per member (the family section uses 1 per task)',
  },
  rankingSeeds: { type: 'integer', default: 3, minimum: 1, description: 'seeds of the ranking sections' },
  rankingGenerations: {
    type: 'integer',
    default: 100,
    minimum: 1,
    description: 'generations of the ranking sections',
  },
  methods: {
    type: 'strings',
    default: ['openai-es', 'snes', 'cma-es', 'genetic-algorithm'],
    description: 'methods of the ranking sections',
  },
});
await useBackend((process.env.METARL_BACKEND ?? 'wasm') as 'wasm');

const SOLVED = 475;

function createStrategy(method: string, dimension: number): EvolutionStrategy<unknown> {
  const populationSize = flags.populationSize;
  if (method === 'openai-es')
    return createOpenAiEs({
      populationSize,
      sigma: flags.sigma,
      learningRate: flags.learningRate,
      l2Coefficient: flags.l2Coefficient,
      adamBeta1: flags.adamBeta1,
    }) as EvolutionStrategy<unknown>;
  if (method === 'snes')
    return createSnes({ dimension, populationSize, sigma: flags.sigma }) as EvolutionStrategy<unknown>;
  if (method === 'cma-es')
    return createCmaEs({ dimension, populationSize, sigma: flags.sigma }) as EvolutionStrategy<unknown>;
  if (method === 'genetic-algorithm')
    return createGeneticAlgorithm({
      populationSize,
      mutationSigma: flags.sigma,
      elitism: Math.max(1, Math.round(0.1 * populationSize)),
    }) as EvolutionStrategy<unknown>;
  throw new Error(`unknown method '${method}'; expected openai-es, snes, cma-es or genetic-algorithm`);
}

interface Problem<Task> {
  readonly policy: Policy;
  readonly layout: ParamLayout;
  readonly initialSolution: Float32Array;
  readonly distribution: TaskDistribution<Task>;
}

function createProblem<Task>(id: string, policy: Policy, seed: number): Problem<Task> {
  const { solution, layout } = createInitialSolution(policy, createRng(seed));
  if (flags.initialization === 'zeros') solution.fill(0);
  if (flags.initialization === 'normal') {
    const noise = createRng(seed).normal(solution.length);
    for (let i = 0; i < solution.length; i += 1) solution[i] = flags.initialStd * noise[i]!;
  }
  return { policy, layout, initialSolution: solution, distribution: makeTaskDistribution<Task>(id) };
}

/** Mean return of `solution` on `tasks`, `episodes` each (one batched pass). */
function scoreSolution<Task>(
  problem: Problem<Task>,
  solution: Float32Array,
  tasks: readonly Task[],
  episodes: number,
  seed: number,
) {
  const { fitness } = evaluatePopulation(solution, {
    policy: problem.policy,
    layout: problem.layout,
    distribution: problem.distribution,
    tasks,
    episodesPerTask: episodes,
    seed,
    deterministic: true,
  });
  return fitness[0]!;
}

/** One generation: ask, evaluate the whole population in one pass, tell. */
function step<Task>(
  runner: EvolutionRunner<unknown>,
  state: ReturnType<EvolutionRunner<unknown>['init']>,
  rng: ReturnType<typeof createRng>,
  problem: Problem<Task>,
  tasks: readonly Task[],
  episodes: number,
  seed: number,
) {
  const asked = runner.ask(rng, state);
  const { fitness: returns, steps } = evaluatePopulation(asked.population, {
    policy: problem.policy,
    layout: problem.layout,
    distribution: problem.distribution,
    tasks,
    episodesPerTask: episodes,
    seed,
    deterministic: true,
  });
  // Index tie-breaking: a tiny offset increasing with the member index (returns differ by far more).
  const fitness =
    flags.tieBreaking === 'index' ? Float64Array.from(returns, (value, i) => value + 1e-6 * i) : returns;
  const told = runner.tell(asked.population, fitness, asked.state);
  let best = 0;
  for (let i = 1; i < returns.length; i += 1) if (returns[i]! > returns[best]!) best = i;
  const size = problem.layout.size;
  const bestMember = asked.population.slice(best * size, (best + 1) * size);
  return { state: told.state, metrics: told.metrics, steps, bestMember };
}

function cartPolePolicy(): Policy {
  return createCategoricalMlpPolicy({
    observationSize: 4,
    actions: 2,
    hiddenSizes: [flags.hidden],
    activation: 'tanh',
  });
}

/** CartPole-v1: generations until the mean policy is confirmed solved, per seed. */
function runCartPole(method: string) {
  const runs = [];
  for (let seed = 0; seed < flags.seeds; seed += 1) {
    const problem = createProblem<unknown>('CartPole-v1', cartPolePolicy(), 1000 + seed);
    const task = [problem.distribution.defaultTask()];
    const runner = createEvolutionRunner(createStrategy(method, problem.initialSolution.length));
    const rng = createRng(seed);
    let state = runner.init(createRng(seed), problem.initialSolution);
    let solvedAt: number | null = null;
    let confirmations = 0;
    let steps = 0;
    let lastCheck = 0;
    let finalConfirmation = Number.NaN;
    for (let generation = 1; generation <= flags.maxGenerations; generation += 1) {
      const result = step(
        runner,
        state,
        rng,
        problem,
        task,
        flags.episodesPerMember,
        1_000_000 * (seed + 1) + 1000 * generation,
      );
      state = result.state;
      steps += result.steps;
      const centre = flags.checked === 'mean' ? runner.mean(state) : result.bestMember;
      lastCheck = scoreSolution(problem, centre, task, 10, 50_000_000 + 1000 * generation);
      if (flags.logEvery > 0 && generation % flags.logEvery === 0) {
        const m = result.metrics;
        console.error(
          `  generation ${generation}: fitness mean ${m['es/fitnessMean']!.toFixed(1)} max ${m['es/fitnessMax']!.toFixed(1)}, mean policy ${lastCheck.toFixed(1)}, |theta| ${m['openai-es/parameterNorm']?.toFixed(3)}, update ratio ${m['openai-es/updateRatio']?.toExponential(2)}`,
        );
      }
      if (lastCheck >= SOLVED) {
        confirmations += 1;
        finalConfirmation = scoreSolution(problem, centre, task, 100, 90_000_000 + 1000 * generation);
        if (finalConfirmation >= SOLVED) {
          solvedAt = generation;
          break;
        }
      }
    }
    runs.push({
      seed,
      solvedAtGeneration: solvedAt,
      environmentSteps: steps,
      confirmationsTried: confirmations,
      lastCheckReturn: lastCheck,
      confirmationReturn: finalConfirmation,
    });
    console.error(
      `cartpole ${method} seed ${seed}: ${solvedAt === null ? 'not solved' : `solved at generation ${solvedAt}`}`,
    );
  }
  const solved = runs.filter((run) => run.solvedAtGeneration !== null);
  return {
    method,
    solved: solved.length,
    seeds: runs.length,
    medianGenerations:
      solved.length === runs.length ? median(solved.map((run) => run.solvedAtGeneration!)) : null,
    medianGenerationsOfSolved:
      solved.length > 0 ? median(solved.map((run) => run.solvedAtGeneration!)) : null,
    runs,
  };
}

/** A ranking section: each method for `rankingGenerations`, the final mean scored on held-out tasks. */
function runRanking<Task>(id: string, makePolicy: () => Policy, family: boolean) {
  const results = [];
  for (const method of flags.methods) {
    const finals = [];
    for (let seed = 0; seed < flags.rankingSeeds; seed += 1) {
      const problem = createProblem<Task>(id, makePolicy(), 2000 + seed);
      const runner = createEvolutionRunner(createStrategy(method, problem.initialSolution.length));
      const rng = createRng(seed);
      let state = runner.init(createRng(seed), problem.initialSolution);
      for (let generation = 1; generation <= flags.rankingGenerations; generation += 1) {
        const tasks = family
          ? problem.distribution.sampleTasks(4, { seed: 7_000_000 * (seed + 1) + generation })
          : [problem.distribution.defaultTask()];
        state = step(
          runner,
          state,
          rng,
          problem,
          tasks,
          family ? 1 : flags.rankingEpisodes,
          3_000_000 * (seed + 1) + 1000 * generation,
        ).state;
      }
      const heldOut = family
        ? problem.distribution.sampleTasks(100, { seed: 123_456 + seed })
        : [problem.distribution.defaultTask()];
      finals.push(scoreSolution(problem, runner.mean(state), heldOut, family ? 1 : 20, 99_000_000 + seed));
      console.error(`${id}${family ? ' family' : ''} ${method} seed ${seed}: ${finals.at(-1)!.toFixed(1)}`);
    }
    results.push({ method, finalMeanReturns: finals, median: median(finals) });
  }
  return results;
}

const sections: Record<string, unknown> = {};
if (flags.sections.includes('cartpole')) {
  sections.cartpole = {
    description:
      'CartPole-v1, OpenAI-ES with estool-like settings: generations until the mean policy averages >= 475 over 100 episodes',
    target: { solvedSeeds: '10/10', medianGenerations: 25, peer: 'estool OpenES 10/10, median 16' },
    ...runCartPole('openai-es'),
  };
}
if (flags.sections.includes('pendulum')) {
  sections.pendulum = {
    description: `Pendulum-v1, MLP 3-${flags.hidden}-1 tanh (mean action): return of the final mean over 20 episodes after ${flags.rankingGenerations} generations`,
    results: runRanking(
      'Pendulum-v1',
      () => createGaussianMlpPolicy({ observationSize: 3, actionSize: 1, hiddenSizes: [flags.hidden] }),
      false,
    ),
  };
}
if (flags.sections.includes('cartpole-family')) {
  sections.cartPoleFamily = {
    description: `CartPole-v1 physics family (pole length, pole mass, cart mass per task): 4 fresh tasks per generation, return of the final mean on 100 held-out tasks after ${flags.rankingGenerations} generations`,
    results: runRanking('CartPole-v1', cartPolePolicy, true),
  };
}

report({
  benchmark: 'openai-es',
  backend: process.env.METARL_BACKEND ?? 'wasm',
  machine: describeMachine(),
  settings: flags,
  sections,
  wallSeconds: (performance.now() - started) / 1000,
});
