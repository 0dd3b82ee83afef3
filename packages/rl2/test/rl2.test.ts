import {
  collectEpisodes,
  createGruPolicy,
  createRng,
  disposeTrialBatch,
  type EpisodeBatch,
  evaluateMetaLearner,
  tf,
  toTrialBatch,
  trialAdvantages,
  trialReturns,
  unrollTrials,
  useBackend,
} from '@metarl/core';
import { checkMetaLearner } from '@metarl/core/testing';
import { banditDistribution, createRandomBanditAgent, playBanditTrials, summarise } from '@metarl/envs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRl2 } from '../src/index';

/** Two trials of hand-picked steps (a learner's adapt refuses episodes of a foreign agent). */
function handMadeTrials(): EpisodeBatch {
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
    agentInfo: { logProb: new Float32Array(6).fill(-1), value: Float32Array.of(0.5, 1, 1.5, 2, 2.5, 3) },
  };
}

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
    learner.dispose();
  });

  it("core's evaluator plays whole trials: its trial return equals the bench's playTrials measure exactly", () => {
    const learner = createRl2({ distribution: bandit, episodesPerTrial: 4, hiddenSize: 8, seed: 5 });
    expect(learner.adaptation).toBe('memory');
    expect(learner.episodesPerTrial).toBe(4);
    const before = tf.memory().numTensors;
    const report = evaluateMetaLearner(learner, bandit, { tasks: 50, seed: 7 });
    expect(tf.memory().numTensors).toBe(before);
    expect(report.protocol).toEqual({
      adaptation: 'memory',
      tasks: 50,
      episodesPerTrial: 4,
      trialsPerTask: 1,
      seed: 7,
    });
    // The bench's measure: one trial per task with playTrials, tasks drawn with the same seed.
    const played = learner.playTrials(bandit.sampleTasks(50, { seed: 7 }), { seed: 7 });
    const bench = trialReturns(played, 4);
    expect(report.trial!.meanReturn).toBe(bench.perTrial);
    expect(report.trial!.perTask).toEqual(Array.from(bench.totals));
    expect(report.trial!.halfWidth95).toBe(summarise(bench.totals).halfWidth95);
    // Pull k of every trial (one-pull episodes, the batch's episodes are environment-major).
    expect(report.steps.map((s) => s.adaptationStep)).toEqual([0, 1, 2, 3]);
    report.steps.forEach((step, k) => {
      expect(step.perTask).toEqual(Array.from({ length: 50 }, (_v, i) => played.rewards[i * 4 + k]));
    });
    expect(report.steps[0]!.meanReturn).toBe(bench.firstEpisode);
    expect(report.steps[3]!.meanReturn).toBeCloseTo(bench.lastEpisode, 12);
    const sum = report.steps.reduce((total, s) => total + s.meanReturn, 0);
    expect(sum).toBeCloseTo(report.trial!.meanReturn, 12);
    // Two trials per task: each task's figure is the mean of its two trials (task-major environments).
    const twice = evaluateMetaLearner(learner, bandit, { tasks: 50, trialsPerTask: 2, seed: 7 });
    const pairs = trialReturns(
      learner.playTrials(
        bandit.sampleTasks(50, { seed: 7 }).flatMap((task) => [task, task]),
        { seed: 7 },
      ),
      4,
    ).totals;
    expect(twice.trial!.perTask).toEqual(
      Array.from({ length: 50 }, (_v, i) => (pairs[2 * i]! + pairs[2 * i + 1]!) / 2),
    );
    expect(twice.steps).toHaveLength(4);
    // The gradient protocol's fields are refused rather than ignored.
    expect(() => evaluateMetaLearner(learner, bandit, { episodesPerTask: 2 })).toThrow(
      /protocol.episodesPerTask \(2\) does not apply to rl2, which adapts by memory/,
    );
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

  it("keeps its documented defaults (core defaults with RL²'s overrides) and re-exports the moved trial helpers", async () => {
    const learner = createRl2({ distribution: bandit, episodesPerTrial: 2, hiddenSize: 4 });
    expect(learner.config).toEqual({
      episodesPerTrial: 2,
      hiddenSize: 4,
      seed: 0,
      gamma: 0.99,
      lambda: 0.3,
      normalizeAdvantages: true,
      outerOptimizer: 'ppo',
      ppo: {
        clipRange: 0.2,
        epochs: 4,
        minibatches: 4,
        learningRate: 1e-2,
        valueCoefficient: 0.5,
        entropyCoefficient: 0.01,
        maxGradientNorm: 1,
      },
      trpo: {
        maxKl: 0.01,
        damping: 1e-3,
        conjugateGradientIterations: 10,
        lineSearchSteps: 15,
        backtrackRatio: 0.8,
        valueSteps: 50,
        valueLearningRate: 1e-2,
      },
    });
    // An undefined field keeps RL²'s default, not core's.
    const unset = createRl2({
      distribution: bandit,
      episodesPerTrial: 2,
      hiddenSize: 4,
      ppo: { epochs: undefined },
    });
    expect(unset.config.ppo.epochs).toBe(4);
    unset.dispose();
    learner.dispose();
    const rl2 = await import('../src/index');
    const core = await import('@metarl/core');
    expect(rl2.trialReturns).toBe(core.trialReturns);
    expect(rl2.toTrialBatch).toBe(core.toTrialBatch);
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
    // A checkpoint of another size or kind is refused before anything is replaced: the settings
    // that differ are named first; allowed, parameters that do not fit are still refused.
    const wider = createRl2({ distribution: bandit, episodesPerTrial: 2, hiddenSize: 5 });
    await expect(learner.fromCheckpoint(await wider.toCheckpoint())).rejects.toThrow(
      "rl2.fromCheckpoint: cannot resume from the checkpoint at step 0: it differs from this run in 2 settings: config.hiddenSize 5 (checkpoint) vs 4 (now); policy.hiddenSize 5 (checkpoint) vs 4 (now); to resume anyway, pass allowChanges: ['config.hiddenSize', 'policy.hiddenSize']",
    );
    await expect(
      learner.fromCheckpoint(await wider.toCheckpoint(), { allowChanges: ['config.hiddenSize', 'policy'] }),
    ).rejects.toThrow(
      /rl2.fromCheckpoint: the checkpoint's parameters \(policy\/gru\/hiddenBias \[15\], policy\/gru\/hiddenWeight \[5, 15\]/,
    );
    const otherArms = createRl2({
      distribution: banditDistribution({ arms: 4 }),
      episodesPerTrial: 2,
      hiddenSize: 4,
    });
    await expect(learner.fromCheckpoint(await otherArms.toCheckpoint())).rejects.toThrow(
      /differs from this run in \d settings: distribution.parameters.arms 4 \(checkpoint\) vs 3 \(now\);/,
    );
    otherArms.dispose();
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
