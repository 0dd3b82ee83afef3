/**
 * One meta-test protocol for every algorithm: sample new tasks with a fixed seed, explore,
 * adapt (one or more rounds), and report the mean return per task before and after each
 * adaptation step with 95% confidence intervals across tasks.
 */
import type { TaskDistribution } from '@metarl/envs';
import { createRng, summarise } from '@metarl/envs';
import type { Agent } from '../rl/agent';
import { collectEpisodes, type EpisodeBatch } from '../rl/rollouts';
import type { MetaLearner } from './meta-learner';

/** How to evaluate (defaults: pytorch-maml-rl's test protocol). */
export interface EvaluationProtocol {
  /** New tasks; default 40. */
  readonly tasks?: number;
  /** Episodes per task in every round (exploration and each adapted round); default 20. */
  readonly episodesPerTask?: number;
  /** Adaptation rounds after exploration; default 1. */
  readonly adaptationSteps?: number;
  /** Seed of the test tasks, environments and sampling; default 1. */
  readonly seed?: number;
}

/** Mean return per task at one point of adaptation. */
export interface AdaptationResult {
  /** 0 = before adaptation (exploration); k = after k adaptation steps. */
  readonly adaptationStep: number;
  /** Mean over tasks of each task's mean episode return. */
  readonly meanReturn: number;
  /** 95% half-width across tasks (normal approximation). */
  readonly halfWidth95: number;
  /** Each task's mean episode return. */
  readonly perTask: readonly number[];
}

/** The evaluation report. */
export interface EvaluationReport {
  /** The protocol with defaults filled in. */
  readonly protocol: Required<EvaluationProtocol>;
  /** Before adaptation, then after each step. */
  readonly steps: readonly AdaptationResult[];
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

function summary(values: readonly number[], adaptationStep: number): AdaptationResult {
  const { mean, halfWidth95 } = summarise(values);
  return { adaptationStep, meanReturn: mean, halfWidth95, perTask: values };
}

/** Evaluates `learner` on new tasks of `distribution` (does not change the learner). */
export function evaluateMetaLearner<Task>(
  learner: MetaLearner<Task>,
  distribution: TaskDistribution<Task>,
  protocol: EvaluationProtocol = {},
): EvaluationReport {
  const full: Required<EvaluationProtocol> = {
    tasks: protocol.tasks ?? 40,
    episodesPerTask: protocol.episodesPerTask ?? 20,
    adaptationSteps: protocol.adaptationSteps ?? 1,
    seed: protocol.seed ?? 1,
  };
  for (const [name, value] of Object.entries(full)) {
    const minimum = name === 'adaptationSteps' ? 0 : name === 'seed' ? -Infinity : 1;
    if (!Number.isInteger(value) || value < minimum) {
      throw new RangeError(
        `evaluateMetaLearner: protocol.${name} must be an integer >= ${minimum}, got ${String(value)}`,
      );
    }
  }
  const tasks = distribution.sampleTasks(full.tasks, { seed: full.seed });
  const envTasks = tasks.flatMap((task) => Array.from({ length: full.episodesPerTask }, () => task));
  const env = distribution.makeVectorEnv(envTasks, { autoresetMode: 'disabled' });
  const rng = createRng(full.seed);
  const steps: AdaptationResult[] = [];
  let agent: Agent = learner.explorationAgent(tasks);
  let batch = collectEpisodes(env, agent, { episodesPerEnv: 1, rng, seed: full.seed, tasks: full.tasks });
  steps.push(summary(meanReturnPerTask(batch, full.tasks), 0));
  for (let step = 1; step <= full.adaptationSteps; step += 1) {
    const adapted = learner.adapt(agent, batch);
    agent.dispose?.();
    agent = adapted;
    batch = collectEpisodes(env, agent, { episodesPerEnv: 1, rng, tasks: full.tasks });
    steps.push(summary(meanReturnPerTask(batch, full.tasks), step));
  }
  agent.dispose?.();
  return { protocol: full, steps };
}
