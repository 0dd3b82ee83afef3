import { countParams, createRng, disposeParams, type ParamTree, tf, useBackend } from '@metarl/core';
import { checkGradientCase, countLiveTensors, measureTensorGrowth } from '@metarl/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createMannNetwork,
  createMannPolicy,
  createOneShotLearner,
  crossEntropy,
  disposeMannState,
  flattenMannState,
  type MannState,
  sampleSyntheticEpisodes,
  unflattenMannState,
} from '../src/index';
import { referenceMannLoss } from './reference-mann';

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

  it('starts every head at the initial key strength: 1 + softplus(bias) = β₀ for the last H head biases', () => {
    for (const [initialKeyStrength, expected] of [
      [undefined, 1 + Math.LN2],
      [10, 10],
      [1000, 1000],
    ] as const) {
      const model = createMannNetwork({
        ...small,
        keyStrength: 'learned',
        ...(initialKeyStrength === undefined ? {} : { initialKeyStrength }),
      });
      const params = model.init(createRng(1));
      const bias = ((params.heads as ParamTree).bias as tf.Tensor).dataSync();
      const heads = model.options.heads;
      for (let i = 0; i < bias.length; i += 1) {
        if (i < bias.length - heads) expect(bias[i]).toBe(0);
        else {
          const z = bias[i]!;
          const softplus = Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
          expect((1 + softplus) / expected).toBeCloseTo(1, 6);
        }
      }
      disposeParams(params);
    }
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
    expect(() => createMannNetwork({ ...small, keyStrength: 'learned', initialKeyStrength: 1 })).toThrow(
      'initialKeyStrength must be a finite number > 1, got 1',
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

  for (const variant of [
    { writeVector: 'key', keyStrength: 'none', readMemory: 'previous' },
    { writeVector: 'add', keyStrength: 'learned', readMemory: 'written' },
  ] as const)
    it(`has exact gradients of the episode loss through 4 steps of controller and memory (${variant.writeVector} writes, key strength ${variant.keyStrength}, ${variant.readMemory} memory; float64 finite differences)`, async () => {
      // Every parameter drawn from U(-1, 1) so the memory's part of the gradient is not small.
      const shape = {
        inputSize: 3,
        outputSize: 2,
        controllerSize: 3,
        memorySlots: 4,
        memoryWidth: 2,
        heads: 2,
        usageDecay: 0.9,
        ...variant,
      };
      const model = createMannNetwork(shape);
      const [batch, steps] = [2, 4];
      const rng = createRng(11);
      const draw = (count: number) =>
        Float64Array.from({ length: count }, () => Math.fround(2 * rng.next() - 1));
      const inputs = draw(batch * steps * shape.inputSize);
      const labels = Int32Array.from({ length: batch * steps }, (_v, i) => ((i * 7 + 3) % 5) % 2);
      const template = model.init(createRng(1));
      const names = [
        ['controller', 'inputWeight'],
        ['controller', 'hiddenWeight'],
        ['controller', 'bias'],
        ['heads', 'weight'],
        ['heads', 'bias'],
        ['output', 'weight'],
        ['output', 'bias'],
      ] as const;
      const shapes = names.map(([group, name]) => ((template[group] as ParamTree)[name] as tf.Tensor).shape);
      disposeParams(template);
      const results = await checkGradientCase(
        {
          name: 'mann episode loss',
          inputs: shapes.map((s) => ({ values: draw(s.reduce((p, n) => p * n, 1)), shape: s })),
          compute: (tensors) => {
            const params: Record<string, Record<string, tf.Tensor>> = {
              controller: {},
              heads: {},
              output: {},
            };
            names.forEach(([group, name], k) => {
              params[group]![name] = tensors[k]!;
            });
            const x = tf.tensor3d(Float32Array.from(inputs), [batch, steps, shape.inputSize]);
            const y = tf.tensor2d(labels, [batch, steps], 'int32');
            return crossEntropy(model.unroll(params, x).logits, y);
          },
          reference: ([inputWeight, hiddenWeight, bias, headWeight, headBias, outputWeight, outputBias]) =>
            referenceMannLoss(
              shape,
              {
                inputWeight: inputWeight!,
                hiddenWeight: hiddenWeight!,
                bias: bias!,
                headWeight: headWeight!,
                headBias: headBias!,
                outputWeight: outputWeight!,
                outputBias: outputBias!,
              },
              inputs,
              labels,
              batch,
              steps,
            ),
          tolerance: { first: 1e-4, second: 1e-3 },
        },
        createRng(5),
      );
      for (const result of results)
        expect(result.relativeError, `order ${result.order}`).toBeLessThan(result.tolerance);
    });

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
