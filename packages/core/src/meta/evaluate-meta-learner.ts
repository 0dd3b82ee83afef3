/**
 * One meta-test protocol for every algorithm: sample new tasks with a fixed seed, let the learner
 * adapt to each, and report the mean return per task at every point of adaptation with 95%
 * confidence intervals across tasks. What "a point of adaptation" is depends on how the learner
 * adapts (`MetaLearner.adaptation`), as in the papers:
 *
 * - 'gradient' (MAML, fine-tuning; Finn et al. 2017): explore `episodesPerTask` episodes per
 *   task, then `adaptationSteps` rounds of `adapt` and `episodesPerTask` new episodes each.
 *   `steps[k]` is the mean episode return after k adaptation steps (k = 0: before adaptation).
 *   `trial` is undefined.
 * - 'memory' (RL²; Duan et al. 2016): `trialsPerTask` whole trials per task, each
 *   `episodesPerTrial` episodes on one task with the agent's memory kept across the episode
 *   boundaries (each trial starts from the exploration agent's empty memory). `steps[k]` is
 *   the mean return of episode k of the trial (k = 0: the first, played from empty memory; k:
 *   after k episodes of experience), and `trial` the mean total return per trial (the papers'
 *   figure). `adapt` is not called: the agent adapts as it acts.
 *
 * Seeds: the tasks are `distribution.sampleTasks(tasks, { seed })`, the environments' first
 * reset uses `seed` (environment i gets seed + i) and the agent samples from `createRng(seed)`.
 * For a memory learner with `trialsPerTask: 1` this is exactly one trial per task played with
 * `collectEpisodes(env of the tasks, explorationAgent, { episodesPerEnv: episodesPerTrial,
 * rng: createRng(seed), seed, keepMemoryAcrossEpisodes: true })`, e.g. RL²'s
 * `playTrials(tasks, { seed })`.
 */
import type { TaskDistribution } from '@metarl/envs';
import { createRng, summarise } from '@metarl/envs';
import type { Agent } from '../rl/agent';
import { collectEpisodes, type EpisodeBatch } from '../rl/rollouts';
import { trialReturns } from '../trials/trial-batch';
import type { MetaLearner } from './meta-learner';

/**
 * How to evaluate (gradient defaults: pytorch-maml-rl's test protocol). Fields of the other kind
 * of learner are rejected rather than ignored.
 */
export interface EvaluationProtocol {
  /** New tasks; default 40. */
  readonly tasks?: number;
  /** Gradient learners: episodes per task in every round (exploration and each adapted round); default 20. */
  readonly episodesPerTask?: number;
  /** Gradient learners: adaptation rounds after exploration; default 1. */
  readonly adaptationSteps?: number;
  /** Memory learners: episodes per trial; default the learner's `episodesPerTrial`. */
  readonly episodesPerTrial?: number;
  /** Memory learners: trials per task; default 1. */
  readonly trialsPerTask?: number;
  /** Seed of the test tasks, environments and sampling; default 1. */
  readonly seed?: number;
}

/** The protocol a gradient learner was evaluated with, defaults filled in. */
export interface GradientEvaluationProtocol {
  /** How the learner adapts. */
  readonly adaptation: 'gradient';
  /** New tasks. */
  readonly tasks: number;
  /** Episodes per task in every round. */
  readonly episodesPerTask: number;
  /** Adaptation rounds after exploration. */
  readonly adaptationSteps: number;
  /** Seed of the test tasks, environments and sampling. */
  readonly seed: number;
}

/** The protocol a memory learner was evaluated with, defaults filled in. */
export interface MemoryEvaluationProtocol {
  /** How the learner adapts. */
  readonly adaptation: 'memory';
  /** New tasks. */
  readonly tasks: number;
  /** Episodes per trial. */
  readonly episodesPerTrial: number;
  /** Trials per task. */
  readonly trialsPerTask: number;
  /** Seed of the test tasks, environments and sampling. */
  readonly seed: number;
}

/** The protocol with defaults filled in, tagged with the learner's kind of adaptation. */
export type ResolvedEvaluationProtocol = GradientEvaluationProtocol | MemoryEvaluationProtocol;

/** Mean return per task and its spread across tasks. */
export interface ReturnSummary {
  /** Mean over tasks of each task's mean return. */
  readonly meanReturn: number;
  /** 95% half-width across tasks (normal approximation). */
  readonly halfWidth95: number;
  /** Each task's mean return. */
  readonly perTask: readonly number[];
}

/** Mean episode return per task at one point of adaptation. */
export interface AdaptationResult extends ReturnSummary {
  /** Gradient: 0 = before adaptation, k = after k adaptation steps. Memory: episode k of the trial (0-based). */
  readonly adaptationStep: number;
}

/** The evaluation report (the same shape for both kinds of learner). */
export interface EvaluationReport {
  /** The protocol with defaults filled in. */
  readonly protocol: ResolvedEvaluationProtocol;
  /** One entry per point of adaptation: gradient steps 0..adaptationSteps, or episodes 0..episodesPerTrial-1 of a trial. */
  readonly steps: readonly AdaptationResult[];
  /** Memory learners: total return per trial (each task's mean over its trials); undefined for gradient learners. */
  readonly trial?: ReturnSummary;
}

/** Each task's mean episode return in `batch` (tasks 0..count-1). */
export function meanReturnPerTask(batch: EpisodeBatch, count: number): number[] {
  const totals = new Float64Array(count);
  const episodes = new Float64Array(count);
  for (let e = 0; e < batch.lengths.length; e += 1) {
    const task = batch.taskIndex[e]!;
    const start = batch.offsets[e]!;
    let sum = 0;
    for (let t = start; t < start + batch.lengths[e]!; t += 1) sum += batch.rewards[t]!;
    totals[task] = totals[task]! + sum;
    episodes[task] = episodes[task]! + 1;
  }
  return Array.from(totals, (total, i) => total / Math.max(1, episodes[i]!));
}

function summary(values: readonly number[]): ReturnSummary {
  const { mean, halfWidth95 } = summarise(values);
  return { meanReturn: mean, halfWidth95, perTask: values };
}

function checkIntegers(fields: Readonly<Record<string, number>>, minimum: (name: string) => number): void {
  for (const [name, value] of Object.entries(fields)) {
    const least = minimum(name);
    if (!Number.isInteger(value) || value < least) {
      throw new RangeError(
        `evaluateMetaLearner: protocol.${name} must be an integer >= ${least}, got ${String(value)}`,
      );
    }
  }
}

function rejectFields(
  protocol: EvaluationProtocol,
  names: readonly (keyof EvaluationProtocol)[],
  learner: MetaLearner<unknown>,
  use: string,
): void {
  for (const name of names) {
    if (protocol[name] !== undefined) {
      throw new RangeError(
        `evaluateMetaLearner: protocol.${name} (${String(protocol[name])}) does not apply to ${learner.kind}, which adapts by ${learner.adaptation} (use ${use})`,
      );
    }
  }
}

/** Whole trials per task, memory kept across the episodes of a trial (see the module comment). */
function evaluateTrials<Task>(
  learner: MetaLearner<Task>,
  distribution: TaskDistribution<Task>,
  protocol: EvaluationProtocol,
): EvaluationReport {
  rejectFields(
    protocol,
    ['episodesPerTask', 'adaptationSteps'],
    learner as MetaLearner<unknown>,
    'episodesPerTrial, trialsPerTask',
  );
  const episodesPerTrial = protocol.episodesPerTrial ?? learner.episodesPerTrial;
  if (episodesPerTrial === undefined) {
    throw new RangeError(
      `evaluateMetaLearner: ${learner.kind} adapts by memory but has no episodesPerTrial; give protocol.episodesPerTrial`,
    );
  }
  const full: MemoryEvaluationProtocol = {
    adaptation: 'memory',
    tasks: protocol.tasks ?? 40,
    episodesPerTrial,
    trialsPerTask: protocol.trialsPerTask ?? 1,
    seed: protocol.seed ?? 1,
  };
  const { adaptation: _kind, ...numbers } = full;
  checkIntegers(numbers, (name) => (name === 'seed' ? -Infinity : 1));
  const tasks = distribution.sampleTasks(full.tasks, { seed: full.seed });
  const envTasks = tasks.flatMap((task) => Array.from({ length: full.trialsPerTask }, () => task));
  const env = distribution.makeVectorEnv(envTasks, { autoresetMode: 'disabled' });
  const agent = learner.explorationAgent(tasks);
  let batch: EpisodeBatch;
  try {
    batch = collectEpisodes(env, agent, {
      episodesPerEnv: full.episodesPerTrial,
      rng: createRng(full.seed),
      seed: full.seed,
      tasks: full.tasks,
      keepMemoryAcrossEpisodes: true,
    });
  } finally {
    agent.dispose?.();
  }
  // Episode k of every trial: the batch holds each environment's episodes in order.
  const byEpisode = Array.from({ length: full.episodesPerTrial }, () => new Float64Array(full.tasks));
  const seen = new Int32Array(envTasks.length);
  for (let e = 0; e < batch.lengths.length; e += 1) {
    const k = seen[batch.envIndex[e]!]!;
    seen[batch.envIndex[e]!] = k + 1;
    let sum = 0;
    for (let t = batch.offsets[e]!; t < batch.offsets[e]! + batch.lengths[e]!; t += 1)
      sum += batch.rewards[t]!;
    const row = byEpisode[k]!;
    row[batch.taskIndex[e]!] = row[batch.taskIndex[e]!]! + sum;
  }
  const perTrialMean = (row: Float64Array) => Array.from(row, (total) => total / full.trialsPerTask);
  const steps = byEpisode.map((row, k) => ({ adaptationStep: k, ...summary(perTrialMean(row)) }));
  // Trial totals summed step by step in trial order, as `trialReturns` does.
  const { totals } = trialReturns(batch, full.episodesPerTrial);
  const trialPerTask = new Float64Array(full.tasks);
  totals.forEach((total, i) => {
    const task = Math.floor(i / full.trialsPerTask);
    trialPerTask[task] = trialPerTask[task]! + total;
  });
  return { protocol: full, steps, trial: summary(perTrialMean(trialPerTask)) };
}

/** Exploration, then adaptation steps with fresh episodes after each (see the module comment). */
function evaluateAdaptationSteps<Task>(
  learner: MetaLearner<Task>,
  distribution: TaskDistribution<Task>,
  protocol: EvaluationProtocol,
): EvaluationReport {
  rejectFields(
    protocol,
    ['episodesPerTrial', 'trialsPerTask'],
    learner as MetaLearner<unknown>,
    'episodesPerTask, adaptationSteps',
  );
  const full: GradientEvaluationProtocol = {
    adaptation: 'gradient',
    tasks: protocol.tasks ?? 40,
    episodesPerTask: protocol.episodesPerTask ?? 20,
    adaptationSteps: protocol.adaptationSteps ?? 1,
    seed: protocol.seed ?? 1,
  };
  const { adaptation: _kind, ...numbers } = full;
  checkIntegers(numbers, (name) => (name === 'adaptationSteps' ? 0 : name === 'seed' ? -Infinity : 1));
  const tasks = distribution.sampleTasks(full.tasks, { seed: full.seed });
  const envTasks = tasks.flatMap((task) => Array.from({ length: full.episodesPerTask }, () => task));
  const env = distribution.makeVectorEnv(envTasks, { autoresetMode: 'disabled' });
  const rng = createRng(full.seed);
  const steps: AdaptationResult[] = [];
  let agent: Agent = learner.explorationAgent(tasks);
  let batch = collectEpisodes(env, agent, { episodesPerEnv: 1, rng, seed: full.seed, tasks: full.tasks });
  steps.push({ adaptationStep: 0, ...summary(meanReturnPerTask(batch, full.tasks)) });
  for (let step = 1; step <= full.adaptationSteps; step += 1) {
    const adapted = learner.adapt(agent, batch);
    agent.dispose?.();
    agent = adapted;
    batch = collectEpisodes(env, agent, { episodesPerEnv: 1, rng, tasks: full.tasks });
    steps.push({ adaptationStep: step, ...summary(meanReturnPerTask(batch, full.tasks)) });
  }
  agent.dispose?.();
  return { protocol: full, steps };
}

/**
 * Evaluates `learner` on new tasks of `distribution` (does not change the learner): before and
 * after each adaptation step for a gradient learner, whole trials for a memory learner (see the
 * module comment).
 *
 * @example
 * const report = evaluateMetaLearner(rl2, bandit, { tasks: 1000, seed: 7 });
 * report.trial?.meanReturn; // mean total reward per trial of rl2.episodesPerTrial pulls
 * report.steps.map((s) => s.meanReturn); // mean reward of pull 1, 2, ... of the trial
 */
export function evaluateMetaLearner<Task>(
  learner: MetaLearner<Task>,
  distribution: TaskDistribution<Task>,
  protocol: EvaluationProtocol = {},
): EvaluationReport {
  if (learner.adaptation === 'memory') return evaluateTrials(learner, distribution, protocol);
  if (learner.adaptation === 'gradient') return evaluateAdaptationSteps(learner, distribution, protocol);
  throw new RangeError(
    `evaluateMetaLearner: learner.adaptation must be 'gradient' or 'memory', got ${String(learner.adaptation)} (learner ${learner.kind})`,
  );
}
