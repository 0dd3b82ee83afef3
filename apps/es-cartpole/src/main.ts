/**
 * OpenAI-ES learns CartPole-v1 with estool's settings (population 64 in antithetic pairs, σ 0.1,
 * Adam at 0.01, weight decay 0.01, centred ranks, an MLP 4-16-2 tanh acting greedily, each
 * member's fitness the return of one episode, as estool's --num_episode default), its fitness computed
 *
 *   on worker threads, all cores by default (--threads),
 *   in this thread (--threads 1), or
 *   on BullMQ workers across machines (--redis <url>: this process is the master; start workers
 *   with --worker --redis <url> on any machine that reaches the Redis server).
 *
 * Jobs carry only θ and integers: every worker regenerates its members' noise from (seed, index).
 * Training stops when the unperturbed mean policy averages >= 475 over 100 episodes (Gymnasium's
 * threshold; checked on 10 episodes every generation, confirmed on 100). The report folder holds
 *
 *   learning-curve.png   the mean policy's return (10 episodes) and the population's mean and best
 *                        fitness, by generation
 *   summary.json         the settings, the engine, the generation at which it was solved, the
 *                        final 100-episode return, evaluations, environment steps, evaluations/s
 *
 * Run with --help for the options.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import {
  addReportOptions,
  Command,
  InvalidArgumentError,
  Option,
  openReportFolder,
  parseIntegerAtLeast,
  type ReportOptions,
  runCommandLine,
  UsageError,
} from '@metarl/app-support';
import {
  createEvolutionRunner,
  createInitialSolution,
  createRng,
  type MetricsRecord,
  useBackend,
} from '@metarl/core';
import {
  accumulateObservationStatistics,
  buildProblem,
  createExecutorFitness,
  createInProcessExecutor,
  createOpenAiEs,
  createRunningObservationStatistics,
  type Executor,
  type FitnessJob,
  type FitnessResult,
  handleFitnessJob,
  normaliseWith,
  type OpenAiEsState,
  type ProblemSpec,
} from '@metarl/evolution-strategies';
import {
  createBullmqExecutor,
  createWorkerThreadExecutor,
  runBullmqWorker,
} from '@metarl/evolution-strategies/node';
import { type ChartSpec, learningCurveSpec, renderChart } from '@metarl/plot';

/** The files of a report: what --overwrite removes and what makes a second run refuse. */
const REPORT_FILES = ['summary.json', 'learning-curve.png'];
/** Gymnasium's CartPole-v1 threshold: solved when the mean policy averages this over 100 episodes. */
const SOLVED = 475;
/** Episodes of the cheap check of the mean policy after every generation. */
const CHECK_EPISODES = 10;
/** Episodes that confirm a solved check. */
const CONFIRM_EPISODES = 100;
/** Episodes per member (estool's --num_episode default). */
const EPISODES_PER_MEMBER = 1;
/** estool's OpenES settings for CartPole. */
const SIGMA = 0.1;
const LEARNING_RATE = 0.01;
const WEIGHT_DECAY = 0.01;
const HIDDEN_SIZES = [16];
/** Fraction of members whose raw observations feed the running statistics (the starter's calc_obstat_prob). */
const OBSERVATION_SAMPLE_FRACTION = 0.01;

/** The parsed command line. */
interface Options extends ReportOptions {
  /** Generations at most. */
  readonly generations: number;
  /** Members per generation (even). */
  readonly population: number;
  /** Worker threads computing fitness (1: this thread). */
  readonly threads: number;
  /** Redis URL: compute fitness on BullMQ workers. */
  readonly redis?: string;
  /** Run as a BullMQ worker of --redis. */
  readonly worker?: boolean;
  /** BullMQ queue name. */
  readonly queue: string;
  /** Worker: jobs at once, each in its own process. */
  readonly concurrency: number;
  /** Normalise observations with running statistics (the starter's), off by default (estool's CartPole). */
  readonly normaliseObservations?: boolean;
}

/** An even integer >= 2 (antithetic pairs). */
function parseEvenPopulation(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < 2 || value % 2 !== 0)
    throw new InvalidArgumentError('Expected an even integer >= 2.');
  return value;
}

/** A Redis URL such as redis://127.0.0.1:6379. */
function parseRedisUrl(text: string): string {
  if (!/^rediss?:\/\/\S+$/.test(text))
    throw new InvalidArgumentError('Expected a URL like redis://host:6379.');
  return text;
}

const program = new Command('es-cartpole')
  .description(
    "OpenAI-ES learns CartPole-v1 with estool's settings, its fitness computed on worker threads (all cores), " +
      'in this thread, or on BullMQ workers across machines (--redis); writes learning-curve.png and summary.json.',
  )
  .option(
    '--generations <n>',
    `generations at most; training stops once the mean policy averages >= ${SOLVED} over ${CONFIRM_EPISODES} episodes (integer >= 1)`,
    parseIntegerAtLeast(1),
    300,
  )
  .option(
    '--population <n>',
    'members per generation, in antithetic pairs (even integer >= 2)',
    parseEvenPopulation,
    64,
  )
  .addOption(
    new Option(
      '--threads <n>',
      'worker threads computing fitness; 1 computes it in this thread (integer >= 1)',
    )
      .argParser(parseIntegerAtLeast(1))
      .default(availableParallelism(), `the number of cores, ${availableParallelism()} here`),
  )
  .option(
    '--redis <url>',
    'compute fitness on BullMQ workers through this Redis server (this process is the master)',
    parseRedisUrl,
  )
  .option('--worker', 'run as a BullMQ worker of --redis: evaluate jobs until stopped (Ctrl-C)')
  .option('--queue <name>', 'BullMQ queue shared by the master and its workers', 'metarl-es-cartpole')
  .option(
    '--normalise-observations',
    `normalise observations as the OpenAI-ES starter does: running mean and std from the raw observations of ${OBSERVATION_SAMPLE_FRACTION * 100}% of the members`,
  )
  .option(
    '--concurrency <n>',
    'with --worker: jobs evaluated at once, each in its own process (integer >= 1)',
    parseIntegerAtLeast(1),
    1,
  );
addReportOptions(program, {
  defaultOutput: 'es-cartpole-report',
  resumable: false,
  examples: [
    'npx -y pnpm@10.34.9 es-cartpole',
    'npx -y pnpm@10.34.9 es-cartpole -- --threads 1 --seed 2 --output es-report',
    'npx -y pnpm@10.34.9 es-cartpole -- --redis redis://10.0.0.5:6379            (the master)',
    'npx -y pnpm@10.34.9 es-cartpole -- --worker --redis redis://10.0.0.5:6379   (on each worker machine)',
  ],
});

/** CartPole-v1, one task, the MLP 4-16-2 tanh acting greedily, `episodes` episodes per member. */
function cartPoleProblem(episodes: number): ProblemSpec {
  return {
    distribution: { id: 'CartPole-v1' },
    tasks: { kind: 'sampled', seed: 1, count: 1 },
    policy: { kind: 'categorical-mlp', hiddenSizes: HIDDEN_SIZES, activation: 'tanh' },
    episodesPerTask: episodes,
    deterministic: true,
  };
}

/** Runs a BullMQ worker until SIGINT or SIGTERM. */
async function runWorker(options: Options, backend: string): Promise<void> {
  if (options.redis === undefined)
    throw new UsageError(
      "--worker needs --redis <url>: the master's Redis server, e.g. redis://10.0.0.5:6379",
    );
  const worker = await runBullmqWorker({
    redis: options.redis,
    queue: options.queue,
    concurrency: options.concurrency,
    backend,
  });
  console.log(
    `es-cartpole worker: evaluating jobs of queue '${options.queue}' on ${options.redis} ` +
      `(${options.concurrency} process${options.concurrency === 1 ? '' : 'es'}, ${backend} backend); Ctrl-C stops`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await worker.close();
  console.log('es-cartpole worker: stopped');
}

/** The executor the options ask for, and its description. */
async function createExecutor(
  options: Options,
  backend: string,
): Promise<{ readonly executor: Executor<FitnessJob, FitnessResult>; readonly engine: string }> {
  if (options.redis !== undefined)
    return {
      executor: await createBullmqExecutor({ redis: options.redis, queue: options.queue }),
      engine: `BullMQ workers via ${options.redis} (queue '${options.queue}')`,
    };
  if (options.threads > 1)
    return {
      executor: await createWorkerThreadExecutor({ threads: options.threads, backend }),
      engine: `${options.threads} worker threads`,
    };
  return { executor: createInProcessExecutor(handleFitnessJob), engine: 'this thread' };
}

/** A progress line: a bar on a terminal, plain lines every 10 generations otherwise. */
function createProgress(total: number): { update(line: string, generation: number): void; end(): void } {
  const terminal = process.stderr.isTTY === true;
  return {
    update(line, generation) {
      if (terminal) {
        const width = 24;
        const filled = Math.round((width * generation) / total);
        process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${line}\x1b[K`);
      } else if (generation === 1 || generation % 10 === 0) {
        process.stderr.write(`${line}\n`);
      }
    },
    end() {
      if (terminal) process.stderr.write('\n');
    },
  };
}

await runCommandLine<Options>(program, async (options) => {
  if (options.worker !== true && options.concurrency !== 1)
    throw new UsageError('--concurrency is a worker option: use it with --worker --redis <url>');
  const backend = (await useBackend(options.backend)).name;
  if (options.worker === true) return runWorker(options, backend);

  const { seed, generations, population } = options;
  const { output } = openReportFolder(options, REPORT_FILES, { resumable: false });
  const { executor, engine } = await createExecutor(options, backend);
  const started = performance.now();
  try {
    const run = `es-cartpole-${seed}-${Date.now().toString(36)}`;
    const training = createExecutorFitness(executor, cartPoleProblem(EPISODES_PER_MEMBER), {
      run,
      chunkSize: Math.max(1, Math.ceil(population / Math.max(2, 2 * options.threads))),
    });
    const local = createInProcessExecutor(handleFitnessJob);
    const check = createExecutorFitness(local, cartPoleProblem(CHECK_EPISODES), { run: `${run}-check` });
    const confirm = createExecutorFitness(local, cartPoleProblem(CONFIRM_EPISODES), {
      run: `${run}-confirm`,
    });

    const strategy = createOpenAiEs({
      populationSize: population,
      sigma: SIGMA,
      learningRate: LEARNING_RATE,
      l2Coefficient: WEIGHT_DECAY,
    });
    const runner = createEvolutionRunner(strategy);
    const rng = createRng(seed);
    const { policy } = buildProblem(cartPoleProblem(1));
    const { solution: initialSolution, layout } = createInitialSolution(policy, rng.split(1)[0]!);
    let state = runner.init(rng, initialSolution);
    console.log(
      `OpenAI-ES on CartPole-v1 (${backend} backend, fitness on ${engine}): population ${population}, ` +
        `${layout.size} parameters, up to ${generations} generations; report in ${output}`,
    );

    let observations = createRunningObservationStatistics(4);
    const normalisation = (sampleFraction: number) =>
      options.normaliseObservations === true
        ? { observationNormalisation: normaliseWith(observations, sampleFraction) }
        : {};
    const curve: MetricsRecord[] = [];
    const progress = createProgress(generations);
    let steps = 0;
    let solvedAt: number | null = null;
    let confirmed = Number.NaN;
    for (let generation = 0; generation < generations; generation += 1) {
      const asked = runner.ask(rng, state);
      const strategyState = asked.state.strategyState as OpenAiEsState;
      const evaluation = await training.evaluateAntithetic({
        generation,
        environmentSeed: rng.nextSeed(),
        theta: strategyState.theta,
        sigma: strategy.options.sigma,
        noiseSeed: strategyState.noiseSeed,
        populationSize: population,
        ...normalisation(OBSERVATION_SAMPLE_FRACTION),
      });
      steps += evaluation.steps;
      const told = runner.tell(asked.population, evaluation.fitness, asked.state);
      state = told.state;
      const mean = strategy.mean(state.strategyState);
      const checked = await check.evaluatePopulation(mean, {
        generation,
        environmentSeed: rng.nextSeed(),
        ...normalisation(0),
      });
      if (evaluation.observationStatistics !== undefined)
        observations = accumulateObservationStatistics(observations, evaluation.observationStatistics);
      steps += checked.steps;
      const meanReturn = checked.fitness[0]!;
      curve.push({
        generation: generation + 1,
        meanPolicy: meanReturn,
        populationMean: told.metrics['es/fitnessMean'],
        populationBest: told.metrics['es/fitnessMax'],
      });
      progress.update(
        `generation ${generation + 1}/${generations}: mean policy ${meanReturn.toFixed(1)}, ` +
          `population ${told.metrics['es/fitnessMean'].toFixed(1)} (best ${told.metrics['es/fitnessMax'].toFixed(1)})`,
        generation + 1,
      );
      if (meanReturn >= SOLVED) {
        const final = await confirm.evaluatePopulation(mean, {
          generation,
          environmentSeed: 1_000_000 + seed,
          ...normalisation(0),
        });
        steps += final.steps;
        confirmed = final.fitness[0]!;
        if (confirmed >= SOLVED) {
          solvedAt = generation + 1;
          break;
        }
      }
    }
    progress.end();
    if (solvedAt === null) {
      const mean = strategy.mean(state.strategyState);
      const final = await confirm.evaluatePopulation(mean, {
        generation: generations,
        environmentSeed: 1_000_000 + seed,
        ...normalisation(0),
      });
      steps += final.steps;
      confirmed = final.fitness[0]!;
    }
    const seconds = (performance.now() - started) / 1000;
    const evaluations = state.evaluations;
    const summary = {
      settings: {
        seed,
        population,
        sigma: SIGMA,
        learningRate: LEARNING_RATE,
        weightDecay: WEIGHT_DECAY,
        hiddenSizes: HIDDEN_SIZES,
        episodesPerMember: EPISODES_PER_MEMBER,
        normaliseObservations: options.normaliseObservations === true,
        generations,
        backend,
        engine,
      },
      solvedAtGeneration: solvedAt,
      finalMeanPolicyReturn100Episodes: Number(confirmed.toFixed(2)),
      generationsRun: curve.length,
      evaluations,
      environmentSteps: steps,
      seconds: Number(seconds.toFixed(2)),
      evaluationsPerSecond: Number((evaluations / seconds).toFixed(1)),
      learningCurve: curve,
    };
    writeFileSync(join(output, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    writeFileSync(join(output, 'learning-curve.png'), await drawLearningCurve(curve, population, engine));
    console.log(
      [
        solvedAt === null
          ? `Not solved in ${generations} generations: the mean policy averages ${confirmed.toFixed(1)} over ${CONFIRM_EPISODES} episodes.`
          : `Solved after ${solvedAt} generations: the mean policy averages ${confirmed.toFixed(1)} over ${CONFIRM_EPISODES} episodes.`,
        `${evaluations} evaluations, ${steps} environment steps in ${seconds.toFixed(1)} s ` +
          `(${(evaluations / seconds).toFixed(0)} evaluations/s on ${engine}).`,
        `Report: ${output}/ (learning-curve.png, summary.json)`,
      ].join('\n'),
    );
  } finally {
    await executor.close();
  }
});

/** Returns by generation: the mean policy, the population's mean and best fitness. */
async function drawLearningCurve(
  curve: readonly MetricsRecord[],
  population: number,
  engine: string,
): Promise<Uint8Array> {
  const spec = learningCurveSpec(curve, {
    x: 'generation',
    xTitle: `generation (${population} members, ${EPISODES_PER_MEMBER} episode${EPISODES_PER_MEMBER === 1 ? '' : 's'} each)`,
    series: ['meanPolicy', 'populationBest', 'populationMean'],
    yTitle: 'episode return',
    labels: {
      meanPolicy: `mean policy (θ), ${CHECK_EPISODES} episodes`,
      populationBest: 'best member',
      populationMean: 'population mean',
    },
    width: 720,
    height: 320,
  }) as ChartSpec;
  return renderChart({
    ...spec,
    title: {
      text: 'OpenAI-ES on CartPole-v1',
      subtitle: [
        `estool's settings: σ ${SIGMA}, Adam ${LEARNING_RATE}, weight decay ${WEIGHT_DECAY}, MLP 4-16-2 tanh, greedy actions;`,
        `fitness on ${engine}; solved = the mean policy averages >= ${SOLVED} over ${CONFIRM_EPISODES} episodes`,
      ],
      anchor: 'start',
    },
  });
}
