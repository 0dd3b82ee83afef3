import { countParams, createRng, disposeParams, type ParamTree, tf, useBackend } from '@metarl/core';
import { countLiveTensors, measureTensorGrowth } from '@metarl/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createMannNetwork,
  createMannPolicy,
  createOneShotLearner,
  disposeMannState,
  flattenMannState,
  type MannState,
  sampleSyntheticEpisodes,
  unflattenMannState,
} from '../src/index';

const small = { inputSize: 7, outputSize: 3, controllerSize: 6, memorySlots: 5, memoryWidth: 4, heads: 2 };

function stateValues(state: MannState): number[] {
  const parts = [state.controller.hidden, state.controller.cell];
  if (state.memory)
    parts.push(state.memory.memory, state.memory.usage, state.memory.readWeights, state.memory.reads);
  return parts.flatMap((t) => Array.from(t.dataSync()));
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i += 1) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

describe('createMannNetwork', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('has the documented parameter counts at the paper sizes', () => {
    for (const [memory, expected] of [
      ['on', 647_569],
      ['reads-zeroed', 647_569],
      ['none', 485_805],
    ] as const) {
      const model = createMannNetwork({ inputSize: 405, outputSize: 5, memory });
      expect(model.parameterCount).toBe(expected);
      const params = model.init(createRng(1));
      expect(countParams(params)).toBe(expected);
      disposeParams(params);
    }
    // keyStrength 'learned': one more head output per head (C + 1 parameters each).
    expect(createMannNetwork({ inputSize: 405, outputSize: 5, keyStrength: 'learned' }).parameterCount).toBe(
      647_569 + 4 * 201,
    );
    expect(createMannNetwork({ inputSize: 405, outputSize: 5 }).options).toMatchObject({
      controllerSize: 200,
      memorySlots: 128,
      memoryWidth: 40,
      heads: 4,
      usageDecay: 0.95,
      memory: 'on',
      keyStrength: 'none',
    });
  });

  it('validates its options with the name, the value and the expected form', () => {
    expect(() => createMannNetwork({ ...small, heads: 0 })).toThrow(
      'createMannNetwork: heads must be a positive integer, got 0',
    );
    expect(() => createMannNetwork({ ...small, usageDecay: 2 })).toThrow(
      'usageDecay must be a number in [0, 1], got 2',
    );
    expect(() => createMannNetwork({ ...small, memory: 'off' as never })).toThrow(
      `memory must be 'on', 'reads-zeroed' or 'none', got "off"`,
    );
    expect(() => createMannNetwork({ ...small, keyStrength: 'sharp' as never })).toThrow(
      `keyStrength must be 'none' or 'learned', got "sharp"`,
    );
    expect(() => createMannNetwork({ ...small, heads: 6 })).toThrow(
      'heads (6) must not exceed memorySlots (5)',
    );
  });

  for (const [memory, keyStrength] of [
    ['on', 'none'],
    ['on', 'learned'],
    ['reads-zeroed', 'none'],
    ['none', 'none'],
  ] as const) {
    it(`(${memory}, key strength ${keyStrength}) steps one at a time exactly as unroll, with the documented shapes and no leaks`, () => {
      const model = createMannNetwork({ ...small, memory, keyStrength });
      const params = model.init(createRng(3));
      const rng = createRng(4);
      const [batch, steps] = [3, 6];
      const inputs = tf.tensor3d(
        Float32Array.from({ length: batch * steps * small.inputSize }, () => 2 * rng.next() - 1),
        [batch, steps, small.inputSize],
      );
      const before = countLiveTensors();
      const unrolled = model.unroll(params, inputs);
      expect(unrolled.logits.shape).toEqual([batch, steps, small.outputSize]);
      expect(unrolled.features.shape).toEqual([batch, steps, model.featureSize]);
      expect(model.featureSize).toBe(memory === 'none' ? 6 : 6 + 2 * 4);
      let state = model.initialState(batch);
      const logits: number[][] = [];
      for (let t = 0; t < steps; t += 1) {
        const input = tf.tidy(() =>
          tf.reshape(tf.slice(inputs, [0, t, 0], [batch, 1, small.inputSize]), [batch, small.inputSize]),
        );
        const result = model.step(params, input, state);
        expect(result.logits.shape).toEqual([batch, small.outputSize]);
        logits.push(Array.from(result.logits.dataSync()));
        disposeMannState(state);
        tf.dispose([input, result.logits, result.features]);
        state = result.state;
      }
      const transposed = tf.tidy(() => tf.transpose(unrolled.logits, [1, 0, 2]));
      expect(maxDifference(transposed.dataSync(), logits.flat())).toBeLessThan(1e-5);
      transposed.dispose();
      expect(maxDifference(stateValues(unrolled.state), stateValues(state))).toBeLessThan(1e-5);
      if (memory !== 'none') {
        const usage = tf.tidy(() => tf.sum(unrolled.state.memory!.usage));
        expect(usage.dataSync()[0]).toBeGreaterThan(0);
        usage.dispose();
      }
      disposeMannState(state);
      disposeMannState(unrolled.state);
      tf.dispose([unrolled.logits, unrolled.features]);
      expect(countLiveTensors()).toBe(before);
      inputs.dispose();
      disposeParams(params);
    });
  }

  it('feeds zeros instead of the reads in the reads-zeroed ablation', () => {
    const model = createMannNetwork({ ...small, memory: 'reads-zeroed' });
    const params = model.init(createRng(3));
    const { features, logits, state } = model.unroll(params, tf.ones([2, 4, small.inputSize]));
    const readPart = tf.tidy(() => tf.slice(features, [0, 0, small.controllerSize], [-1, -1, -1]));
    expect(Array.from(readPart.dataSync()).every((v) => v === 0)).toBe(true);
    expect(Array.from(state.memory!.reads.dataSync()).some((v) => v !== 0)).toBe(true);
    tf.dispose([features, logits, readPart]);
    disposeMannState(state);
    disposeParams(params);
  });
});

describe('createMannPolicy', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('carries the whole MANN state in a flat hidden row (layout round trip, zeros = empty memory)', () => {
    const policy = createMannPolicy({ ...small, observationSize: 7, actionKind: 'discrete', actionSize: 3 });
    expect(policy.hiddenSize).toBe(6 + 6 + 5 * 4 + 5 + 2 * 5 + 2 * 4);
    expect(policy.featureSize).toBe(6 + 8);
    const params = policy.init(createRng(5));
    const mannParams = params.mann as ParamTree;
    const rng = createRng(6);
    const observations = tf.tensor3d(
      Float32Array.from({ length: 2 * 5 * 7 }, () => rng.next()),
      [2, 5, 7],
    );
    const zeros = tf.zeros([2, policy.hiddenSize]);
    const before = countLiveTensors();
    const unrolled = policy.unroll(params, observations, zeros);
    const direct = policy.mann.unroll(mannParams, observations);
    const logitsOf = (distribution: unknown) => (distribution as { logits: tf.Tensor }).logits;
    expect(maxDifference(logitsOf(unrolled.distribution).dataSync(), direct.logits.dataSync())).toBeLessThan(
      1e-6,
    );
    expect(unrolled.states.shape).toEqual([2, 5, 14]);
    const flat = flattenMannState(policy.mann, direct.state);
    expect(maxDifference(unrolled.hidden.dataSync(), flat.dataSync())).toBe(0);
    const back = unflattenMannState(policy.mann, flat);
    expect(maxDifference(stateValues(back), stateValues(direct.state))).toBe(0);
    // Step by step through the policy.
    let hidden = zeros;
    for (let t = 0; t < 5; t += 1) {
      const observation = tf.tidy(() => tf.reshape(tf.slice(observations, [0, t, 0], [2, 1, 7]), [2, 7]));
      const step = policy.step(params, observation, hidden);
      expect(step.features?.shape).toEqual([2, 14]);
      tf.dispose([
        observation,
        (step.distribution as unknown as { logits: tf.Tensor }).logits,
        step.features!,
      ]);
      if (hidden !== zeros) hidden.dispose();
      hidden = step.hidden;
    }
    expect(maxDifference(hidden.dataSync(), flat.dataSync())).toBeLessThan(1e-5);
    const resets = tf.zeros([2, 5]);
    expect(() => policy.unroll(params, observations, zeros, resets)).toThrow(/does not support resets/);
    resets.dispose();
    hidden.dispose();
    tf.dispose([
      (unrolled.distribution as unknown as { logits: tf.Tensor }).logits,
      unrolled.states,
      unrolled.hidden,
      direct.logits,
      direct.features,
      flat,
    ]);
    disposeMannState(direct.state);
    disposeMannState(back);
    expect(countLiveTensors()).toBe(before);
    tf.dispose([observations, zeros]);
    disposeParams(params);
  });
});

describe('createOneShotLearner', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('keeps the live tensor count flat over training and evaluation steps', async () => {
    const model = createMannNetwork({ ...small, inputSize: 6 + 3 });
    const learner = createOneShotLearner({ model, seed: 1 });
    const rng = createRng(2);
    const episodes = { classes: 3, instancesPerClass: 2, dimension: 6 };
    const growth = await measureTensorGrowth(
      () => {
        const loss = learner.trainStep(sampleSyntheticEpisodes(2, rng, episodes));
        expect(Number.isFinite(loss)).toBe(true);
        expect(learner.evaluate(sampleSyntheticEpisodes(2, rng, episodes))).toHaveLength(2);
      },
      { iterations: 4 },
    );
    expect(growth.perIteration).toBe(0);
    expect(learner.steps).toBe(6);
    learner.dispose();
  });
});
