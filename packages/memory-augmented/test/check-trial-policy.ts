// Checks every memory-augmented learner must pass as a trial learner: what an agent records while
// it samples trials (log-probabilities, values) is what one unroll per trial recomputes (training
// sees what acting saw), and the memory an agent reaches is what `trialMemoryAfter` computes from
// the episodes (so `adapt` continues the trial exactly).
import {
  collectEpisodes,
  createRng,
  disposeTrialBatch,
  type ParamTree,
  type TrialLearner,
  tf,
  toTrialBatch,
  trialAdvantages,
  trialMemoryAfter,
  unrollTrials,
} from '@metarl/core';
import type { TaskDistribution } from '@metarl/envs';
import { expect } from 'vitest';

/** Largest absolute difference of two equally long arrays. */
export function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i += 1) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

/** Samples trials on `count` tasks and checks the recorded and the recomputed quantities agree. */
export function checkTrialPolicy(
  learner: TrialLearner<unknown, object>,
  distribution: TaskDistribution<unknown>,
  count: number,
): void {
  const tasks = distribution.sampleTasks(count, { seed: 2 });
  const agent = learner.explorationAgent();
  const env = distribution.makeVectorEnv(tasks, { autoresetMode: 'disabled' });
  const episodes = collectEpisodes(env, agent, {
    episodesPerEnv: learner.episodesPerTrial,
    rng: createRng(3),
    seed: 4,
    keepMemoryAcrossEpisodes: true,
  });
  const targets = trialAdvantages(episodes, episodes.agentInfo.value!, { gamma: 0.99, lambda: 1 });
  const trials = toTrialBatch(episodes, learner.encoding, targets, false);
  const { distribution: policy, values } = unrollTrials(learner.policy, learner.parameters(), trials);
  const recomputed = policy.logProb(trials.actions);
  expect(maxDifference(recomputed.dataSync(), trials.oldLogProb.dataSync())).toBeLessThan(1e-4);
  expect(maxDifference(values!.dataSync(), trials.oldValues!.dataSync())).toBeLessThan(1e-4);
  // The memory reached by acting equals the one recomputed from the episodes.
  const reached = agent.memory();
  expect(reached.hidden.some((v) => v !== 0)).toBe(true);
  const memory = trialMemoryAfter(
    learner.policy,
    learner.parameters().policy as ParamTree,
    episodes,
    learner.encoding,
  );
  expect(maxDifference(memory.hidden, reached.hidden)).toBeLessThan(1e-4);
  expect(Array.from(memory.previousActions)).toEqual(Array.from(reached.previousActions));
  disposeTrialBatch(trials);
  tf.dispose([recomputed, values!, policy as never]);
  agent.dispose?.();
}
