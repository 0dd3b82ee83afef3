/**
 * Core's trial machinery (the shared middle of RL²-style learners): trial inputs, GAE across the
 * episodes of a trial, padded trial batches, the memory-carrying agent and the memory an
 * adapted agent starts from, the PopArt value scale, and the masked outer objectives.
 */
import { banditDistribution } from '@metarl/envs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  cloneParams,
  collectEpisodes,
  createGruPolicy,
  createRng,
  createTrialAgent,
  createTrialTrpoObjective,
  disposeParams,
  disposeTrialBatch,
  type EpisodeBatch,
  fitScaledValueHead,
  initialiseScaledValueHead,
  type ParamTree,
  scaledValues,
  selectTrials,
  tf,
  toTrialBatch,
  trialAdvantages,
  trialInputs,
  trialLossTerms,
  trialMemoryAfter,
  trialReturns,
  unrollTrials,
  updateValueScale,
  useBackend,
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

describe('trial inputs and trial GAE', () => {
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
});

describe('padded trial batches', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('pads each trial to the longest, masks the padding, normalises advantages over real steps, and selects trials', () => {
    const batch = handMadeTrials();
    // Trial 1 one step shorter: drop its last step.
    const shorter: EpisodeBatch = {
      ...batch,
      observations: batch.observations.subarray(0, 5),
      actions: batch.actions.subarray(0, 5),
      rewards: batch.rewards.subarray(0, 5),
      terminated: Uint8Array.of(0, 1, 1, 1, 1),
      truncated: new Uint8Array(5),
      lengths: Int32Array.of(2, 1, 1, 1),
      agentInfo: { logProb: Float32Array.of(-1, -2, -3, -4, -5), value: Float32Array.of(1, 2, 3, 4, 5) },
    };
    const targets = { advantages: Float32Array.of(1, 2, 3, 4, 5), returns: Float32Array.of(5, 4, 3, 2, 1) };
    const trials = toTrialBatch(shorter, encoding, targets, true);
    expect([trials.trials, trials.steps]).toEqual([2, 3]);
    expect(trials.inputs.shape).toEqual([2, 3, 6]);
    expect(trials.mask.arraySync()).toEqual([
      [1, 1, 1],
      [1, 1, 0],
    ]);
    expect(trials.oldLogProb.arraySync()).toEqual([
      [-1, -2, -3],
      [-4, -5, 0],
    ]);
    expect(trials.returns.arraySync()).toEqual([
      [5, 4, 3],
      [2, 1, 0],
    ]);
    const advantages = (trials.advantages.arraySync() as number[][]).flat();
    const real = [0, 1, 2, 3, 4].map((i) => advantages[i]!);
    expect(real.reduce((s, v) => s + v, 0)).toBeCloseTo(0, 5);
    expect(advantages[5]).toBe(0);
    const second = selectTrials(trials, Int32Array.of(1));
    expect(second.trials).toBe(1);
    expect(second.actions.arraySync()).toEqual([[1, 1, 0]]);
    expect(second.oldValues!.arraySync()).toEqual([[4, 5, 0]]);
    disposeTrialBatch(second);
    disposeTrialBatch(trials);
  });

  it('reports the mean total per trial and the first and last episodes', () => {
    const returns = trialReturns(handMadeTrials(), 2);
    expect(Array.from(returns.totals)).toEqual([6, 15]);
    expect(returns.perTrial).toBe(10.5);
    expect(returns.firstEpisode).toBe((3 + 4) / 2);
    expect(returns.lastEpisode).toBe((3 + 11) / 2);
  });
});

describe('trial agent, memory and value scale', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });
  const bandit = banditDistribution({ arms: 3 });
  const policy = createGruPolicy({
    observationSize: 6,
    actionKind: 'discrete',
    actionSize: 3,
    hiddenSize: 5,
  });

  function parametersOf(seed: number): ParamTree {
    const rng = createRng(seed);
    const tree: ParamTree = { policy: policy.init(rng), ...initialiseScaledValueHead(rng, 5) };
    // A visible value head (the initial one is nearly zero).
    const head = tree.value as ParamTree;
    const weight = tf.mul(head.weight as tf.Tensor, 100);
    (head.weight as tf.Tensor).dispose();
    return { ...tree, value: { ...head, weight } };
  }

  it('records what one unroll per trial recomputes: memory carried across episodes, values from the scaled head', () => {
    const params = parametersOf(1);
    const before = tf.memory().numTensors;
    const agent = createTrialAgent(policy, params, 1, encoding);
    const episodes = collectEpisodes(
      bandit.makeVectorEnv(bandit.sampleTasks(3, { seed: 2 }), { autoresetMode: 'disabled' }),
      agent,
      {
        episodesPerEnv: 4,
        rng: createRng(3),
        seed: 4,
        keepMemoryAcrossEpisodes: true,
      },
    );
    const targets = trialAdvantages(episodes, episodes.agentInfo.value!, { gamma: 0.99, lambda: 1 });
    const trials = toTrialBatch(episodes, encoding, targets, false);
    const { distribution, values } = unrollTrials(policy, params, trials);
    const logProb = distribution.logProb(trials.actions);
    const recorded = (trials.oldLogProb.arraySync() as number[][]).flat();
    (logProb.arraySync() as number[][]).flat().forEach((v, i) => {
      expect(v).toBeCloseTo(recorded[i]!, 4);
    });
    const recordedValues = (trials.oldValues!.arraySync() as number[][]).flat();
    expect(recordedValues.some((v) => Math.abs(v) > 1e-3)).toBe(true);
    (values!.arraySync() as number[][]).flat().forEach((v, i) => {
      expect(v).toBeCloseTo(recordedValues[i]!, 4);
    });
    // The memory trialMemoryAfter computes from the episodes is the one the agent reached.
    const reached = agent.memory();
    const memory = trialMemoryAfter(policy, params.policy as ParamTree, episodes, encoding);
    reached.hidden.forEach((v, i) => {
      expect(memory.hidden[i]).toBeCloseTo(v, 5);
    });
    expect(Array.from(memory.previousActions)).toEqual(Array.from(reached.previousActions));
    expect(Array.from(memory.previousRewards)).toEqual(Array.from(reached.previousRewards));
    expect(Array.from(memory.done)).toEqual([1, 1, 1]);
    // A reset returns an environment to the initial memory: zeros for a fresh agent.
    agent.onEpisodeStart(Uint8Array.of(0, 1, 0), { keepMemory: false });
    expect(Array.from(agent.memory().hidden.subarray(5, 10)).every((v) => v === 0)).toBe(true);
    // Without a value head the agent records no values and the batch has none.
    const plain = createTrialAgent(policy, { policy: params.policy! }, 1, encoding);
    const step = plain.act(new Float32Array(2), createRng(5));
    expect(Object.keys(step.info)).toEqual(['logProb']);
    plain.dispose?.(); // the agent's memory is a tensor until it is disposed
    tf.dispose([logProb, values!, distribution as never]);
    disposeTrialBatch(trials);
    agent.dispose?.();
    expect(tf.memory().numTensors).toBe(before);
    disposeParams(params);
  });

  it('moves the value scale to the targets without changing any value (PopArt)', () => {
    const params = parametersOf(6);
    const features = tf.tensor2d([0.1, -0.3, 0.5, 0.2, -0.9, 1, 0, 0.4, -0.2, 0.3], [2, 5]);
    const valuesBefore = scaledValues(params, features);
    const targets = Float32Array.of(10, 14, 12, 20);
    const first = updateValueScale(params, targets, 0);
    expect(first.mean).toBeCloseTo(14, 5);
    expect(first.std).toBeCloseTo(Math.sqrt((16 + 0 + 4 + 36) / 4), 5);
    const valuesAfter = scaledValues(first.params, features);
    Array.from(valuesAfter.dataSync()).forEach((v, i) => {
      expect(v).toBeCloseTo(valuesBefore.dataSync()[i]!, 4);
    });
    // Later updates average: weight 1 / (k + 1), at least 0.1.
    const second = updateValueScale(first.params, Float32Array.of(24, 24), 1);
    expect(second.mean).toBeCloseTo(0.5 * 14 + 0.5 * 24, 5);
    expect(params.valueScale).not.toBe(first.params.valueScale);
    expect(first.params.policy).toBe(params.policy);
    tf.dispose([features, valuesBefore, valuesAfter]);
    disposeParams({ value: first.params.value!, valueScale: first.params.valueScale! });
    disposeParams({ value: second.params.value!, valueScale: second.params.valueScale! });
    disposeParams(params);
  });
});

describe('trial objectives', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });
  const bandit = banditDistribution({ arms: 3 });
  const policy = createGruPolicy({
    observationSize: 6,
    actionKind: 'discrete',
    actionSize: 3,
    hiddenSize: 4,
  });

  it('masks the padding: a minibatch of trials gives the loss of its trials alone; TRPO and value fits behave', () => {
    const rng = createRng(7);
    const params: ParamTree = { policy: policy.init(rng), ...initialiseScaledValueHead(rng, 4) };
    const agent = createTrialAgent(policy, cloneParams(params), 1, encoding);
    // Trials of different lengths would need varying episode lengths; bandits are one pull each,
    // so pad by hand: trial 0 of 3 episodes, trial 1 of 2.
    const episodes = collectEpisodes(
      bandit.makeVectorEnv(bandit.sampleTasks(2, { seed: 8 }), { autoresetMode: 'disabled' }),
      agent,
      {
        episodesPerEnv: 3,
        rng,
        seed: 9,
        keepMemoryAcrossEpisodes: true,
      },
    );
    const cut: EpisodeBatch = {
      ...episodes,
      observations: episodes.observations.subarray(0, 5),
      actions: episodes.actions.subarray(0, 5),
      rewards: episodes.rewards.subarray(0, 5),
      terminated: episodes.terminated.subarray(0, 5),
      truncated: episodes.truncated.subarray(0, 5),
      lengths: episodes.lengths.subarray(0, 5),
      offsets: episodes.offsets.subarray(0, 5),
      envIndex: episodes.envIndex.subarray(0, 5),
      taskIndex: episodes.taskIndex.subarray(0, 5),
      agentInfo: {
        logProb: episodes.agentInfo.logProb!.subarray(0, 5),
        value: episodes.agentInfo.value!.subarray(0, 5),
      },
    };
    const targets = trialAdvantages(cut, cut.agentInfo.value!, { gamma: 0.9, lambda: 0.5 });
    const both = toTrialBatch(cut, encoding, targets, false);
    expect(both.mask.arraySync()).toEqual([
      [1, 1, 1],
      [1, 1, 0],
    ]);
    const settings = { clipRange: 0.2, valueCoefficient: 0.5, entropyCoefficient: 0.01 };
    const whole = trialLossTerms(policy, params, both, settings);
    // The loss over both trials is the step-weighted mean of the losses of each trial alone.
    const first = selectTrials(both, Int32Array.of(0));
    const second = selectTrials(both, Int32Array.of(1));
    const a = trialLossTerms(policy, params, first, settings);
    const b = trialLossTerms(policy, params, second, settings);
    for (const key of ['loss', 'policyLoss', 'valueLoss', 'entropy'] as const)
      expect(whole[key].dataSync()[0]).toBeCloseTo(
        (3 * a[key].dataSync()[0]! + 2 * b[key].dataSync()[0]!) / 5,
        5,
      );
    // At the sampling parameters the ratio is 1: the unclipped surrogate is -mean A, the KL 0.
    const objective = createTrialTrpoObjective(policy, params, both);
    const meanAdvantage = Array.from(targets.advantages).reduce((s, v) => s + v, 0) / 5;
    const loss = objective.loss(params.policy as ParamTree);
    const kl = objective.kl(params.policy as ParamTree);
    expect(loss.dataSync()[0]).toBeCloseTo(-meanAdvantage, 4);
    expect(Math.abs(kl.dataSync()[0]!)).toBeLessThan(1e-6);
    // The value head regression lowers its loss.
    const states = policy.unroll(params.policy as ParamTree, both.inputs, tf.zeros([2, 4])).states;
    const fit = fitScaledValueHead(params, states, both.returns, {
      steps: 30,
      learningRate: 0.05,
      mask: both.mask,
    });
    const short = fitScaledValueHead(params, states, both.returns, {
      steps: 1,
      learningRate: 0.05,
      mask: both.mask,
    });
    expect(fit.loss).toBeLessThan(short.loss);
    objective.dispose();
    tf.dispose([loss, kl, states, ...Object.values(whole), ...Object.values(a), ...Object.values(b)]);
    disposeParams(fit.value);
    disposeParams(short.value);
    disposeTrialBatch(first);
    disposeTrialBatch(second);
    disposeTrialBatch(both);
    agent.dispose?.();
    disposeParams(params);
  });
});
