/**
 * pnpm bench es-maml [-- --out <file>] [-- --iterations 150]
 *
 * Zero-order ES-MAML (Song et al. 2020) and evolved initialisations, three sections:
 *
 * 1. Navigation2D-v1, linear deterministic policy (es_maml's): ES-MAML with Monte-Carlo
 *    adaptation (K 20 queries, sigma 0.1, alpha 0.05; outer 8 antithetic pairs, sigma 0.1, SGD)
 *    against its control, the same antithetic ES on the pooled tasks without adaptation (the
 *    objective E_T f_T(theta)), given the same environment episodes per iteration (it scores
 *    each member on (K + 2) times more tasks). Every `evalEvery` iterations both are tested on 40
 *    new tasks: before and after one ES adaptation step (the control adapted with the same U at
 *    test time, "pretrain then fine-tune"), with the same query directions for both. The margin
 *    after - before should grow for ES-MAML. At the end ES-MAML also goes through core's
 *    `evaluateMetaLearner` (episodesPerTask K + 1: "before" is then the queries' mean return).
 * 2. Navigation2DFourCorners-v0 (sparse reward): ES-MAML with hill-climbing vs Monte-Carlo
 *    adaptation, same budget, tested before and after adaptation; outer step es_maml's 0.01 (with
 *    0.05 the outer steps are large next to sigma 0.1 and hill climbing can settle where every
 *    query's actions saturate the action bound: all queries score the same and nothing adapts).
 * 3. Bandit-v0 (k 5, n 10): an evolved initialisation (initial logits, inner step size and
 *    baseline of a REINFORCE step after every pull), searched by one of the package's strategies
 *    (`--banditStrategy`, population 16, sigma 0.3; default CMA-ES; seeds 1 and 2: CMA-ES 6.42 and
 *    6.37, SNES 6.36 and 6.40, OpenAI-ES with Adam 6.32 and 6.32, OpenAI-ES with plain SGD (the
 *    former ad-hoc ES's update) 6.17 and 6.22, each +-0.15 on the same 1000 trials),
 *    tested on 1000 new trials beside random and the reference agents (greedy, eps-greedy, UCB1,
 *    Thompson) played on the same tasks.
 *
 * `--sections bandit` (or navigation, four-corners) runs only those sections.
 */
import {
  createRng,
  type EvolutionStrategy,
  evaluateMetaLearner,
  evaluatePopulation,
  useBackend,
} from '@metarl/core';
import {
  type BanditTask,
  banditDistribution,
  makeTaskDistribution,
  playBanditTrials,
  summarise,
} from '@metarl/envs';
import {
  createBanditTrialFitness,
  createCmaEs,
  createEsMaml,
  createLinearPolicy,
  createOpenAiEs,
  createSnes,
  estimateAntitheticGradient,
  evaluatePostAdaptation,
  evolveInitialisation,
  sampleCounterNormal,
} from '@metarl/evolution-strategies';
import { describeMachine, readFlags, report } from './shared';
import { banditPaper, banditReferenceAgents } from './shared-paper-tables';

const started = performance.now();
const flags = readFlags('es-maml', {
  iterations: { type: 'integer', default: 150, minimum: 1, description: 'meta-iterations on Navigation2D' },
  evalEvery: { type: 'integer', default: 25, minimum: 1, description: 'iterations between test evaluations' },
  metaBatch: { type: 'integer', default: 4, minimum: 1, description: 'tasks per meta-iteration' },
  perturbations: { type: 'integer', default: 8, minimum: 1, description: 'outer antithetic pairs P' },
  queries: { type: 'integer', default: 20, minimum: 2, description: 'adaptation queries K (even)' },
  stepSize: { type: 'number', default: 0.05, minimum: 0, description: 'outer SGD step size' },
  cornerIterations: {
    type: 'integer',
    default: 100,
    minimum: 1,
    description: 'meta-iterations per operator on the four-corner task',
  },
  cornerStepSize: {
    type: 'number',
    default: 0.01,
    minimum: 0,
    description: "outer SGD step size on the four-corner task (es_maml's 0.01)",
  },
  banditGenerations: {
    type: 'integer',
    default: 300,
    minimum: 1,
    description: 'generations of the bandit search',
  },
  banditStrategy: {
    type: 'string',
    default: 'cma-es',
    choices: ['openai-es-sgd', 'openai-es-adam', 'snes', 'cma-es'],
    description: 'strategy of the bandit search (population 16, sigma 0.3)',
  },
  sections: {
    type: 'strings',
    default: ['navigation', 'four-corners', 'bandit'],
    description: 'sections to run: navigation, four-corners, bandit',
  },
  seed: { type: 'integer', default: 1, minimum: 0, description: 'seed of the learners and of training' },
});
await useBackend('cpu');
const policy = createLinearPolicy({ observationSize: 2, actionSize: 2 });
const adaptation = { operator: 'monte-carlo', sigma: 0.1, stepSize: 0.05, shaping: 'z-score' } as const;
const round = (value: number) => Number(value.toFixed(2));

// ─── 1. Navigation2D: ES-MAML vs ES on the pooled tasks ───────────────────────────────────────
const protocol = { tasks: 40, episodesPerTask: flags.queries + 1, adaptationSteps: 1, seed: 2024 };
async function runNavigation() {
  const navigation = makeTaskDistribution('Navigation2D-v1');
  type NavigationTask = ReturnType<typeof navigation.sampleTasks>[number];
  const testTasks = navigation.sampleTasks(protocol.tasks, { seed: protocol.seed });

  const esMaml = createEsMaml<NavigationTask>({
    distribution: navigation,
    policy,
    seed: flags.seed,
    perturbations: flags.perturbations,
    adaptationQueries: flags.queries,
    stepSize: flags.stepSize,
  });
  const { layout } = esMaml;
  let pooled = esMaml.parameters(); // the control starts from the same initialisation

  /** One iteration of the control: antithetic ES on mean_T f_T(theta), no adaptation, z-scored, SGD. */
  function pooledStep(rng: ReturnType<typeof createRng>): number {
    const pairs = flags.perturbations;
    const dimension = layout.size;
    const tasks = navigation.sampleTasks(flags.metaBatch * (flags.queries + 2), { seed: rng.nextSeed() });
    const noiseSeed = rng.nextSeed() >>> 0;
    const directions = new Float32Array(pairs * dimension);
    const population = new Float32Array((2 * pairs + 1) * dimension);
    population.set(pooled, 0);
    for (let i = 0; i < pairs; i += 1) {
      const e = sampleCounterNormal(noiseSeed, i, dimension);
      directions.set(e, i * dimension);
      for (let k = 0; k < dimension; k += 1) {
        population[(1 + 2 * i) * dimension + k] = pooled[k]! + 0.1 * e[k]!;
        population[(2 + 2 * i) * dimension + k] = pooled[k]! - 0.1 * e[k]!;
      }
    }
    const { fitness } = evaluatePopulation(population, {
      policy,
      layout,
      distribution: navigation,
      tasks,
      seed: rng.nextSeed(),
      deterministic: true,
    });
    const plus = Array.from({ length: pairs }, (_v, i) => fitness[1 + 2 * i]!);
    const minus = Array.from({ length: pairs }, (_v, i) => fitness[2 + 2 * i]!);
    const gradient = estimateAntitheticGradient(directions, plus, minus, 0.1, 'z-score', fitness[0]);
    pooled = Float32Array.from(pooled, (v, k) => v + flags.stepSize * gradient[k]!);
    return fitness[0]!;
  }

  /** `theta` tested on the test tasks before and after one ES adaptation step (the same queries for both learners). */
  function testParameters(theta: Float32Array) {
    const { before, after } = evaluatePostAdaptation(theta, testTasks, {
      policy,
      layout,
      distribution: navigation,
      adaptation,
      queries: flags.queries,
      querySeed: 12345,
      seed: protocol.seed,
    });
    const mean = (values: Float32Array) => values.reduce((a, b) => a + b, 0) / values.length;
    return { before: round(mean(before)), after: round(mean(after)) };
  }

  const navigationCurve: Record<string, unknown>[] = [];
  const rngMaml = createRng(100 + flags.seed);
  const rngPooled = createRng(200 + flags.seed);
  let mamlSeconds = 0;
  let pooledSeconds = 0;
  for (let i = 0; i <= flags.iterations; i += 1) {
    if (i % flags.evalEvery === 0 || i === flags.iterations) {
      const learned = testParameters(esMaml.parameters());
      const control = testParameters(pooled);
      const row = {
        iteration: i,
        esMaml: { ...learned, margin: round(learned.after - learned.before) },
        pooledEs: { ...control, margin: round(control.after - control.before) },
      };
      navigationCurve.push(row);
      console.error(
        `navigation ${i}: ES-MAML ${learned.before} -> ${learned.after}; pooled ES ${control.before} -> ${control.after}`,
      );
    }
    if (i === flags.iterations) break;
    let t0 = performance.now();
    await esMaml.metaTrainStep(
      navigation.sampleTasks(flags.metaBatch, { seed: rngMaml.nextSeed() }),
      rngMaml,
    );
    mamlSeconds += (performance.now() - t0) / 1000;
    t0 = performance.now();
    pooledStep(rngPooled);
    pooledSeconds += (performance.now() - t0) / 1000;
  }
  // The learner through core's evaluator too (before = the mean return of the K + 1 exploration queries).
  const evaluated = evaluateMetaLearner(esMaml, navigation, protocol).steps;
  const evaluatorView = {
    queriesMean: round(evaluated[0]!.meanReturn),
    afterOneStep: round(evaluated[1]!.meanReturn),
    afterHalfWidth95: round(evaluated[1]!.halfWidth95),
  };
  esMaml.dispose();
  return {
    trainSeconds: { esMaml: round(mamlSeconds), pooledEs: round(pooledSeconds) },
    curve: navigationCurve,
    evaluateMetaLearner: evaluatorView,
  };
}

// ─── 2. Sparse four-corner navigation: hill climbing vs Monte-Carlo adaptation ────────────────
async function runFourCorners() {
  const corners = makeTaskDistribution('Navigation2DFourCorners-v0');
  const cornerRows: Record<string, unknown>[] = [];
  for (const operator of ['monte-carlo', 'hill-climbing'] as const) {
    const learner = createEsMaml({
      distribution: corners,
      policy,
      seed: flags.seed,
      adaptationOperator: operator,
      perturbations: flags.perturbations,
      adaptationQueries: flags.queries,
      stepSize: flags.cornerStepSize,
    });
    const cornerProtocol = { tasks: 40, episodesPerTask: flags.queries + 1, adaptationSteps: 1, seed: 2025 };
    const untrained = evaluateMetaLearner(learner, corners, cornerProtocol).steps;
    const rng = createRng(300 + flags.seed);
    const t0 = performance.now();
    for (let i = 0; i < flags.cornerIterations; i += 1)
      await learner.metaTrainStep(corners.sampleTasks(flags.metaBatch, { seed: rng.nextSeed() }), rng);
    const seconds = (performance.now() - t0) / 1000;
    const trained = evaluateMetaLearner(learner, corners, cornerProtocol).steps;
    learner.dispose();
    const row = {
      operator,
      trainSeconds: round(seconds),
      untrained: { before: round(untrained[0]!.meanReturn), after: round(untrained[1]!.meanReturn) },
      trained: {
        before: round(trained[0]!.meanReturn),
        after: round(trained[1]!.meanReturn),
        afterHalfWidth95: round(trained[1]!.halfWidth95),
      },
    };
    cornerRows.push(row);
    console.error(
      `four corners, ${operator}: ${row.trained.before} -> ${row.trained.after} (untrained ${row.untrained.after})`,
    );
  }
  return cornerRows;
}

// ─── 3. Bandit (k 5, n 10): evolved initialisation and per-pull update rule ───────────────────
/**
 * The search strategy, one of the package's. 'openai-es-sgd' is OpenAI-ES with plain SGD
 * (momentum 0, no weight decay): x += (alpha / (n sigma)) sum_i r_i eps_i with centred ranks r_i,
 * n 16, sigma 0.3, alpha 0.5 (learning rate alpha / sigma in the package's units).
 */
function createBanditStrategy(name: string, dimension: number): EvolutionStrategy<unknown> {
  const populationSize = 16;
  if (name === 'openai-es-sgd')
    return createOpenAiEs({
      populationSize,
      sigma: 0.3,
      optimizer: 'sgd',
      momentum: 0,
      learningRate: 0.5 / 0.3,
      l2Coefficient: 0,
    }) as EvolutionStrategy<unknown>;
  if (name === 'openai-es-adam')
    return createOpenAiEs({
      populationSize,
      sigma: 0.3,
      learningRate: 0.05,
      l2Coefficient: 0,
    }) as EvolutionStrategy<unknown>;
  if (name === 'snes')
    return createSnes({ dimension, populationSize, sigma: 0.3 }) as EvolutionStrategy<unknown>;
  if (name === 'cma-es')
    return createCmaEs({ dimension, populationSize, sigma: 0.3 }) as EvolutionStrategy<unknown>;
  throw new Error(`unknown bandit strategy '${name}'`);
}

function runBandit() {
  const bandit = banditDistribution({ arms: 5 });
  const banditTrials = 1000;
  const heldOut = bandit.sampleTasks(banditTrials, { seed: 1015 });
  const fitness = createBanditTrialFitness({ distribution: bandit, arms: 5, pulls: 10, trialsPerTask: 4 });
  const banditStarted = performance.now();
  const initial = new Float32Array(7); // uniform logits, step size 1, baseline 0
  const { solution } = evolveInitialisation({
    strategy: createBanditStrategy(flags.banditStrategy, initial.length),
    fitness,
    distribution: bandit,
    initialSolution: initial,
    generations: flags.banditGenerations,
    tasksPerGeneration: 16,
    seed: flags.seed,
  });
  const banditSeconds = (performance.now() - banditStarted) / 1000;
  /** Total reward per trial on the held-out tasks, one trial each. */
  const testBandit = (candidate: Float32Array) => {
    const one = createBanditTrialFitness({ distribution: bandit, arms: 5, pulls: 10, trialsPerTask: 1 });
    const perTask = heldOut.map((task: BanditTask, i) => one.evaluate(candidate, [task], 7 + i)[0]!);
    const { mean, halfWidth95 } = summarise(perTask);
    return { mean: Number(mean.toFixed(3)), halfWidth95: Number(halfWidth95.toFixed(3)) };
  };
  const references: Record<string, unknown> = {};
  for (const [name, agent] of Object.entries(banditReferenceAgents())) {
    const { mean, halfWidth95 } = summarise(playBanditTrials(agent, heldOut, { pulls: 10, seed: 7 }));
    references[name] = { mean: Number(mean.toFixed(3)), halfWidth95: Number(halfWidth95.toFixed(3)) };
  }
  const banditRow = {
    strategy: flags.banditStrategy,
    generations: flags.banditGenerations,
    trials: banditTrials,
    searchSeconds: round(banditSeconds),
    evolved: testBandit(solution),
    start: testBandit(initial),
    evolvedSolution: {
      initialLogits: Array.from(solution.subarray(0, 5), (v) => Number(v.toFixed(3))),
      stepSize: Number(Math.exp(solution[5]!).toFixed(3)),
      baseline: Number(solution[6]!.toFixed(3)),
    },
    references,
    paper: banditPaper['10,5'],
  };
  console.error(
    `bandit k 5 n 10 (${flags.banditStrategy}): evolved ${banditRow.evolved.mean} (start ${banditRow.start.mean}); ${Object.entries(
      references,
    )
      .map(([name, value]) => `${name} ${(value as { mean: number }).mean.toFixed(2)}`)
      .join(', ')}`,
  );
  return banditRow;
}

const navigationResults = flags.sections.includes('navigation') ? await runNavigation() : null;
const fourCornersResults = flags.sections.includes('four-corners') ? await runFourCorners() : null;
const banditResults = flags.sections.includes('bandit') ? runBandit() : null;

report({
  name: 'es-maml',
  config: {
    navigation: {
      environment: 'Navigation2D-v1',
      policy: 'linear, deterministic (es_maml)',
      iterations: flags.iterations,
      metaBatchSize: flags.metaBatch,
      perturbationPairs: flags.perturbations,
      adaptationQueries: flags.queries,
      adaptation,
      outer: { sigma: 0.1, optimizer: 'sgd', stepSize: flags.stepSize, shaping: 'z-score' },
      control: `antithetic ES on the pooled tasks, no adaptation, ${flags.metaBatch * (flags.queries + 2)} tasks per iteration (the same episodes as ES-MAML)`,
      testProtocol: protocol,
    },
    fourCorners: {
      environment: 'Navigation2DFourCorners-v0',
      iterations: flags.cornerIterations,
      outer: { sigma: 0.1, optimizer: 'sgd', stepSize: flags.cornerStepSize, shaping: 'z-score' },
    },
    bandit: { arms: 5, pulls: 10, search: flags.banditStrategy },
    seed: flags.seed,
  },
  backend: 'cpu',
  machine: describeMachine(),
  wallSeconds: Number(((performance.now() - started) / 1000).toFixed(1)),
  results: { navigation: navigationResults, fourCorners: fourCornersResults, bandit: banditResults },
});
