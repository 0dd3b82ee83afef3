import {
  clippedSurrogate,
  collectEpisodes,
  createGruPolicy,
  createRng,
  type EpisodeBatch,
  evaluateMetaLearner,
  tf,
  useBackend,
} from '@metarl/core';
import { checkMetaLearner } from '@metarl/core/testing';
import { banditDistribution, createRandomBanditAgent, playBanditTrials, summarise } from '@metarl/envs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createRl2,
  disposeTrialBatch,
  toTrialBatch,
  trialAdvantages,
  trialInputs,
  trialReturns,
  unrollTrials,
} from '../src/index';

/** Two trials (environments) of two episodes each, with hand-picked steps. */
function handMadeTrials(): EpisodeBatch {
  // env 0: episodes of 2 and 1 steps; env 1: episodes of 1 and 2 steps. Discrete actions in {0, 1, 2}.
  return {
    observationSize: 1,
    actionSize: 1,
    observations: Float32Array.of(10, 11, 12, 20, 21, 22),
    actions: Float32Array.of(2, 0, 1, 1, 1, 0),
    rewards: Float32Array.of(1, 2, 3, 4, 5, 6),
    terminated: Uint8Array.of(0, 1, 1, 1, 0, 1),
    truncated: new Uint8Array(6),
    lengths: Int32Array.of(2, 1, 1, 2),
    offsets: Int32Array.of(0, 2, 3, 4),
    envIndex: Int32Array.of(0, 0, 1, 1),
    taskIndex: Int32Array.of(0, 0, 1, 1),
    finalObservations: new Float32Array(4),
    agentInfo: {
      logProb: Float32Array.of(-1, -1, -1, -1, -1, -1),
      value: Float32Array.of(0.5, 1, 1.5, 2, 2.5, 3),
    },
  };
}

const encoding = { kind: 'discrete', size: 3, start: 0 } as const;

describe('RL² building blocks', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('builds inputs from the previous step inside a trial, with zeros at its start and a done flag at episode starts', () => {
    const inputs = trialInputs(handMadeTrials(), encoding);
    // Each row: observation, one-hot previous action (3), previous reward, done flag.
    expect(Array.from(inputs)).toEqual([
      ...[10, 0, 0, 0, 0, 0], // trial 0 starts: nothing before
      ...[11, 0, 0, 1, 1, 0], // previous action 2, reward 1, same episode
      ...[12, 1, 0, 0, 2, 1], // new episode: previous action 0, reward 2, done flag 1
      ...[20, 0, 0, 0, 0, 0], // trial 1 starts: the previous trial does not leak in
      ...[21, 0, 1, 0, 4, 1],
      ...[22, 0, 1, 0, 5, 0],
    ]);
  });

  it('runs GAE across the episode boundaries inside a trial, terminal only at its end', () => {
    const batch = handMadeTrials();
    const gamma = 0.9;
    const lambda = 0.5;
    const { advantages, returns } = trialAdvantages(batch, batch.agentInfo.value!, { gamma, lambda });
    const v = batch.agentInfo.value!;
    const r = batch.rewards;
    // Trial 0 = steps 0, 1, 2 (the episode boundary after step 1 is not terminal for the trial).
    const d2 = r[2]! - v[2]!;
    const d1 = r[1]! + gamma * v[2]! - v[1]!;
    const d0 = r[0]! + gamma * v[1]! - v[0]!;
    const a2 = d2;
    const a1 = d1 + gamma * lambda * a2;
    const a0 = d0 + gamma * lambda * a1;
    // Trial 1 = steps 3, 4, 5: step 3 ended an episode, yet bootstraps from step 4's value.
    const a5 = r[5]! - v[5]!;
    const a4 = r[4]! + gamma * v[5]! - v[4]! + gamma * lambda * a5;
    const a3 = r[3]! + gamma * v[4]! - v[3]! + gamma * lambda * a4;
    const expected = [a0, a1, a2, a3, a4, a5];
    expected.forEach((a, i) => {
      expect(advantages[i]).toBeCloseTo(a, 5);
      expect(returns[i]).toBeCloseTo(a + v[i]!, 5);
    });
    // Per-episode GAE would have cut trial 0 after step 1: the advantage there would be r - V = 1.
    expect(Math.abs(advantages[1]! - (r[1]! - v[1]!))).toBeGreaterThan(0.5);
  });

  it('clips the surrogate as PPO does (hand-computed case)', () => {
    const logProb = tf.tensor1d([Math.log(1.5), Math.log(0.5), Math.log(1.1), Math.log(0.7)]);
    const oldLogProb = tf.zeros([4]);
    const advantages = tf.tensor1d([2, 2, -1, -1]);
    const { surrogate, ratio } = clippedSurrogate(logProb, oldLogProb, advantages, 0.2);
    // r = 1.5, A = 2: min(3, 1.2 * 2) = 2.4 (clipped); r = 0.5, A = 2: min(1, 0.8 * 2) = 1 (unclipped);
    // r = 1.1, A = -1: min(-1.1, -1.1) = -1.1; r = 0.7, A = -1: min(-0.7, -0.8) = -0.8 (clipped).
    const values = Array.from(surrogate.dataSync());
    [2.4, 1, -1.1, -0.8].forEach((expected, i) => {
      expect(values[i]).toBeCloseTo(expected, 5);
    });
    expect(Array.from(ratio.dataSync()).map((x) => Number(x.toFixed(5)))).toEqual([1.5, 0.5, 1.1, 0.7]);
    tf.dispose([logProb, oldLogProb, advantages, surrogate, ratio]);
  });
});

describe('createRl2', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });
  const bandit = banditDistribution({ arms: 3 });

  it('keeps the hidden state across the episodes of a trial and resets it between trials', () => {
    const learner = createRl2({ distribution: bandit, episodesPerTrial: 4, hiddenSize: 8, seed: 1 });
    const tasks = bandit.sampleTasks(3, { seed: 2 });
    const agent = learner.explorationAgent();
    const env = bandit.makeVectorEnv(tasks, { autoresetMode: 'disabled' });
    const rng = createRng(3);
    const batch = collectEpisodes(env, agent, {
      episodesPerEnv: 4,
      rng,
      seed: 4,
      keepMemoryAcrossEpisodes: true,
    });
    // The sampled log-probabilities equal those of one unroll per trial from a zero state: the
    // state was carried across the 4 one-pull episodes (a reset per episode would differ).
    const targets = trialAdvantages(batch, batch.agentInfo.value!, { gamma: 0.99, lambda: 1 });
    const trials = toTrialBatch(batch, learner.encoding, targets, false);
    const { distribution, values } = unrollTrials(learner.policy, learner.parameters(), trials);
    const recomputed = distribution.logProb(trials.actions);
    const recorded = trials.oldLogProb.arraySync() as number[][];
    (recomputed.arraySync() as number[][]).forEach((row, b) => {
      row.forEach((v, t) => {
        expect(v).toBeCloseTo(recorded[b]![t]!, 4);
      });
    });
    const recordedValues = trials.oldValues!.arraySync() as number[][];
    (values!.arraySync() as number[][]).forEach((row, b) => {
      row.forEach((v, t) => {
        expect(v).toBeCloseTo(recordedValues[b]![t]!, 4);
      });
    });
    // Unrolled with a reset at every episode start instead, the log-probabilities differ.
    const resets = tf.tensor2d(
      Array.from({ length: 3 * 4 }, (_v, i) => (i % 4 === 0 ? 0 : 1)),
      [3, 4],
    );
    const cut = learner.policy.unroll(
      (learner.parameters() as { policy: never }).policy,
      trials.inputs,
      tf.zeros([3, 8]),
      resets,
    );
    const difference = tf
      .max(tf.abs(tf.sub(cut.distribution.logProb(trials.actions), recomputed)))
      .dataSync()[0]!;
    expect(difference).toBeGreaterThan(1e-3);
    // The memory is kept within the trial, and a new trial starts from zero.
    const carried = agent.memory();
    expect(carried.hidden.some((v) => v !== 0)).toBe(true);
    agent.onEpisodeStart(Uint8Array.of(1, 1, 1), { keepMemory: true });
    expect(Array.from(agent.memory().hidden)).toEqual(Array.from(carried.hidden));
    expect(Array.from(agent.memory().done)).toEqual([1, 1, 1]);
    agent.onEpisodeStart(Uint8Array.of(0, 1, 0), { keepMemory: false });
    const after = agent.memory();
    expect(Array.from(after.hidden.subarray(8, 16)).every((v) => v === 0)).toBe(true);
    expect(Array.from(after.previousActions.subarray(3, 6))).toEqual([0, 0, 0]);
    expect(Array.from(after.hidden.subarray(0, 8))).toEqual(Array.from(carried.hidden.subarray(0, 8)));
    disposeTrialBatch(trials);
    tf.dispose([recomputed, values!, resets, cut.distribution as never, cut.states, cut.hidden]);
    agent.dispose?.();
    learner.dispose();
  });

  it('adapts by the forward pass: the adapted agent starts from the memory the explorer reached', () => {
    const learner = createRl2({ distribution: bandit, episodesPerTrial: 3, hiddenSize: 6, seed: 5 });
    const tasks = bandit.sampleTasks(2, { seed: 6 });
    const env = bandit.makeVectorEnv(tasks, { autoresetMode: 'disabled' });
    const explorer = learner.explorationAgent();
    const episodes = collectEpisodes(env, explorer, {
      episodesPerEnv: 3,
      rng: createRng(7),
      seed: 8,
      keepMemoryAcrossEpisodes: true,
    });
    const reached = explorer.memory();
    const adapted = learner.adapt(explorer, episodes) as ReturnType<typeof learner.explorationAgent>;
    const start = adapted.memory();
    // Before acting the adapted agent has no rows yet; its first act starts from `reached`.
    expect(start.hidden.length).toBe(0);
    adapted.act(new Float32Array(2), createRng(9));
    adapted.onEpisodeStart(Uint8Array.of(1, 1), { keepMemory: false });
    const restarted = adapted.memory();
    reached.hidden.forEach((v, i) => {
      expect(restarted.hidden[i]).toBeCloseTo(v, 5);
    });
    expect(Array.from(restarted.previousRewards)).toEqual(Array.from(reached.previousRewards));
    expect(Array.from(restarted.done)).toEqual([1, 1]);
    expect(() => adapted.act(new Float32Array(3), createRng(9))).toThrow(/adapted for 2 environments/);
    explorer.dispose?.();
    adapted.dispose?.();
    // Core's evaluator drives it like any meta-learner: every round continues each environment's trial.
    const before = tf.memory().numTensors;
    const report = evaluateMetaLearner(learner, bandit, { tasks: 3, episodesPerTask: 2, adaptationSteps: 2 });
    expect(report.steps.map((s) => s.adaptationStep)).toEqual([0, 1, 2]);
    expect(report.steps.every((s) => s.perTask.length === 3 && Number.isFinite(s.meanReturn))).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
    learner.dispose();
  });

  it('passes checkMetaLearner with PPO and with TRPO', async () => {
    for (const outerOptimizer of ['ppo', 'trpo'] as const) {
      const passed = await checkMetaLearner(
        () =>
          createRl2({
            distribution: bandit,
            episodesPerTrial: 3,
            hiddenSize: 8,
            outerOptimizer,
            ppo: { epochs: 2, minibatches: 2 },
            trpo: { valueSteps: 3 },
          }),
        bandit,
        { metaBatchSize: 4 },
      );
      expect(passed).toHaveLength(6);
    }
  });

  it('TRPO keeps the KL under its bound and improves the surrogate', async () => {
    const learner = createRl2({
      distribution: bandit,
      episodesPerTrial: 5,
      hiddenSize: 8,
      outerOptimizer: 'trpo',
      trpo: { maxKl: 0.005 },
    });
    const metrics = await learner.metaTrainStep(bandit.sampleTasks(32, { seed: 3 }), createRng(4));
    expect(metrics['trpo/accepted']).toBe(1);
    expect(metrics['trpo/kl']).toBeLessThanOrEqual(0.005);
    expect(metrics['trpo/lossAfter']).toBeLessThan(metrics['trpo/lossBefore']!);
    learner.dispose();
  });

  it('rejects bad input with clear errors', async () => {
    expect(() => createRl2({ distribution: bandit, episodesPerTrial: 0 })).toThrow(
      /episodesPerTrial must be an integer >= 1, got 0/,
    );
    expect(() => createRl2({ distribution: bandit, episodesPerTrial: 2.5 })).toThrow(/episodesPerTrial/);
    expect(() => createRl2({ distribution: bandit, episodesPerTrial: 2, gamma: 1.5 })).toThrow(
      /gamma must be a finite number in \[0, 1\], got 1.5/,
    );
    expect(() => createRl2({ distribution: bandit, episodesPerTrial: 2, ppo: { learningRate: -1 } })).toThrow(
      /ppo.learningRate must be a finite number > 0, got -1/,
    );
    // A policy whose inputs do not fit the bandit's RL² inputs (1 + 3 + 2 = 6 floats).
    const mismatched = createGruPolicy({
      observationSize: 5,
      actionKind: 'discrete',
      actionSize: 3,
      hiddenSize: 4,
    });
    expect(() => createRl2({ distribution: bandit, episodesPerTrial: 2, policy: mismatched })).toThrow(
      /does not fit Bandit-v0: RL² inputs are 6 floats/,
    );
    const wrongActions = createGruPolicy({
      observationSize: 6,
      actionKind: 'discrete',
      actionSize: 4,
      hiddenSize: 4,
    });
    expect(() => createRl2({ distribution: bandit, episodesPerTrial: 2, policy: wrongActions })).toThrow(
      /actions are discrete of size 3/,
    );
    const learner = createRl2({ distribution: bandit, episodesPerTrial: 2, hiddenSize: 4 });
    const foreign = createRl2({
      distribution: bandit,
      episodesPerTrial: 2,
      hiddenSize: 4,
    }).explorationAgent();
    expect(() => learner.adapt(foreign, handMadeTrials())).toThrow(/not made by this learner/);
    await expect(learner.metaTrainStep([], createRng(0))).rejects.toThrow(/non-empty array of tasks/);
    // A checkpoint of another size or kind is refused before anything is replaced.
    const wider = createRl2({ distribution: bandit, episodesPerTrial: 2, hiddenSize: 5 });
    await expect(learner.fromCheckpoint(await wider.toCheckpoint())).rejects.toThrow(
      /rl2.fromCheckpoint: the checkpoint's parameters \(policy\/gru\/hiddenBias \[15\], policy\/gru\/hiddenWeight \[5, 15\]/,
    );
    await expect(learner.fromCheckpoint({ ...(await wider.toCheckpoint()), kind: 'maml' })).rejects.toThrow(
      /cannot restore a 'maml' checkpoint/,
    );
    wider.dispose();
    foreign.dispose?.();
    learner.dispose();
  });
});

describe('RL² learning', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('learns to explore then exploit a 5-armed bandit over 10 pulls (beats random clearly)', async () => {
    const arms = banditDistribution({ arms: 5 });
    const learner = createRl2({
      distribution: arms,
      episodesPerTrial: 10,
      hiddenSize: 64,
      seed: 1,
    });
    const tasks = arms.sampleTasks(500, { seed: 11 });
    const untrained = summarise(trialReturns(learner.playTrials(tasks, { seed: 3 }), 10).totals);
    const trainRng = createRng(2);
    for (let i = 0; i < 35; i += 1)
      await learner.metaTrainStep(
        arms.sampleTasks(300, { seed: trainRng.nextSeed() }),
        trainRng.split(1)[0]!,
      );
    const trained = summarise(trialReturns(learner.playTrials(tasks, { seed: 3 }), 10).totals);
    const random = summarise(playBanditTrials(createRandomBanditAgent(), tasks, { pulls: 10, seed: 3 }));
    console.info(
      `RL² bandit k=5 n=10 (500 test trials): untrained ${untrained.mean.toFixed(2)}, trained ${trained.mean.toFixed(2)} ± ${trained.halfWidth95.toFixed(2)}, random ${random.mean.toFixed(2)}`,
    );
    expect(trained.mean).toBeGreaterThan(random.mean + 0.6);
    expect(trained.mean).toBeGreaterThan(untrained.mean + 0.6);
    learner.dispose();
  }, 240_000);
});
