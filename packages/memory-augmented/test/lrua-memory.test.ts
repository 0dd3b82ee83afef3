import { createRng, tf, useBackend } from '@metarl/core';
import { checkGradientCase } from '@metarl/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { cosineSimilarity, type LruaState, lruaStep, rankByUsage } from '../src/mann/lrua-memory';
import { referenceLrua } from './reference-mann';

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-6) {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i += 1)
    expect(Math.abs(actual[i]! - expected[i]!), `entry ${i}: ${actual[i]} vs ${expected[i]}`).toBeLessThan(
      tolerance,
    );
}

describe('LRUA memory step', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('ranks slots by usage per row, ties to the higher index', () => {
    expect(Array.from(rankByUsage([0, 0.2, 0, 0.1, 0.5, 0.4, 0.3, 0.2], 2, 4))).toEqual([
      1, 3, 0, 2, 3, 2, 1, 0,
    ]);
  });

  it('matches a hand-worked 3-slot step (usage decay, least-used write, zeroing, cosine-softmax read) to 1e-6', () => {
    // One head, memory width 2. Previous usage [0.5, 0.1, 0.3]: slot 1 is least used.
    const memory0 = [
      [1, 0],
      [0, 1],
      [1, 1],
    ];
    const usage0 = [0.5, 0.1, 0.3];
    const read0 = [0.2, 0.3, 0.5];
    const key = [1, 0.5];
    const add = [0.5, -0.5];
    const gate = 0.25;
    const gamma = 0.95;
    // Cosine similarity with the previous memory, norms sqrt(sum x^2 + 1e-8).
    const keyNorm = Math.sqrt(1 + 0.25 + 1e-8);
    const cosine = [
      1 / (keyNorm * Math.sqrt(1 + 1e-8)),
      0.5 / (keyNorm * Math.sqrt(1 + 1e-8)),
      1.5 / (keyNorm * Math.sqrt(2 + 1e-8)),
    ];
    const exps = cosine.map(Math.exp);
    const readWeights = exps.map((e) => e / (exps[0]! + exps[1]! + exps[2]!));
    // Write: 0.25 * previous read weights + 0.75 * indicator of slot 1.
    const writeWeights = [0.25 * 0.2, 0.25 * 0.3 + 0.75, 0.25 * 0.5];
    const usage = usage0.map((u, i) => gamma * u + readWeights[i]! + writeWeights[i]!);
    // Slot 1 zeroed, then the add vector written with the write weights.
    const memory = [
      [1 + writeWeights[0]! * 0.5, 0 - writeWeights[0]! * 0.5],
      [0 + writeWeights[1]! * 0.5, 0 - writeWeights[1]! * 0.5],
      [1 + writeWeights[2]! * 0.5, 1 - writeWeights[2]! * 0.5],
    ];
    const reads = [0, 1].map((m) => readWeights.reduce((p, w, i) => p + w * memory[i]![m]!, 0));

    const result = tf.tidy(() => {
      const {
        state,
        writeWeights: ww,
        leastUsed,
      } = lruaStep(
        {
          memory: tf.tensor3d([memory0]),
          usage: tf.tensor2d([usage0]),
          readWeights: tf.tensor3d([[read0]]),
          reads: tf.zeros([1, 1, 2]),
        },
        { keys: tf.tensor3d([[key]]), adds: tf.tensor3d([[add]]), gates: tf.tensor2d([[gate]]) },
        gamma,
      );
      return [state.readWeights, ww, leastUsed, state.usage, state.memory, state.reads];
    });
    const [rw, ww, lu, u, mem, r] = result.map((t) => t.dataSync());
    expectClose(lu!, [0, 1, 0]);
    expectClose(rw!, readWeights);
    expectClose(ww!, writeWeights);
    expectClose(u!, usage);
    expectClose(mem!, memory.flat());
    expectClose(r!, reads);
    tf.dispose(result);

    // A key strength of 3 sharpens the same read: softmax(3 · cosine).
    const sharpExps = cosine.map((c) => Math.exp(3 * c));
    const sharp = sharpExps.map((e) => e / (sharpExps[0]! + sharpExps[1]! + sharpExps[2]!));
    const sharpened = tf.tidy(
      () =>
        lruaStep(
          {
            memory: tf.tensor3d([memory0]),
            usage: tf.tensor2d([usage0]),
            readWeights: tf.tensor3d([[read0]]),
            reads: tf.zeros([1, 1, 2]),
          },
          {
            keys: tf.tensor3d([[key]]),
            adds: tf.tensor3d([[add]]),
            gates: tf.tensor2d([[gate]]),
            strengths: tf.tensor2d([[3]]),
          },
          gamma,
        ).state.readWeights,
    );
    expectClose(sharpened.dataSync(), sharp);
    sharpened.dispose();
  });

  it('writes with two heads to the two least-used slots and zeroes only the single least-used one', () => {
    const result = tf.tidy(() => {
      const previous: LruaState = {
        memory: tf.ones([1, 4, 1]),
        usage: tf.tensor2d([[0.4, 0.1, 0.9, 0.2]]),
        readWeights: tf.zeros([1, 2, 4]),
        reads: tf.zeros([1, 2, 1]),
      };
      // Gate 0: pure least-used writes; add vectors 0: memory changes only by the zeroing.
      const step = lruaStep(
        previous,
        { keys: tf.ones([1, 2, 1]), adds: tf.zeros([1, 2, 1]), gates: tf.zeros([1, 2]) },
        0.5,
      );
      return [step.leastUsed, step.state.memory, step.writeWeights];
    });
    const [lu, mem, ww] = result.map((t) => Array.from(t.dataSync()));
    expect(lu).toEqual([0, 1, 0, 1]);
    expect(mem).toEqual([1, 0, 1, 1]);
    expect(ww).toEqual([0, 1, 0, 1, 0, 1, 0, 1]);
    tf.dispose(result);
  });

  for (const [withStrengths, readMemory] of [
    [false, 'previous'],
    [true, 'previous'],
    [true, 'written'],
  ] as const)
    it(`has exact gradients through one read/write step${withStrengths ? ' with key strengths' : ''}, reading the ${readMemory} memory (float64 finite differences)`, async () => {
      const [slots, width, heads, gamma] = [3, 2, 2, 0.9];
      const rng = createRng(4);
      const draw = (count: number, low = -1, high = 1) =>
        Float64Array.from({ length: count }, () => Math.fround(low + (high - low) * rng.next()));
      const lossWeights = draw(heads * width + slots * width);
      const values = {
        memory: draw(slots * width),
        usage: Float64Array.from([0.7, 0.1, 0.4]),
        readWeights: draw(heads * slots, 0, 0.5),
        keys: draw(heads * width),
        adds: draw(heads * width),
        gates: draw(heads, 0.2, 0.8),
        ...(withStrengths ? { strengths: draw(heads, 1, 4) } : {}),
      };
      const shapes = {
        memory: [1, slots, width],
        usage: [1, slots],
        readWeights: [1, heads, slots],
        keys: [1, heads, width],
        adds: [1, heads, width],
        gates: [1, heads],
        strengths: [1, heads],
      };
      // The usage only selects slots (no gradient flows through it): it is an input held fixed, and
      // the loss reads the memory and the reads.
      const names = (Object.keys(values) as (keyof typeof shapes)[]).filter((name) => name !== 'usage');
      const scalarLoss = (outputs: ArrayLike<number>[]) => {
        let total = 0;
        let k = 0;
        for (const output of outputs)
          for (let i = 0; i < output.length; i += 1, k += 1)
            total += lossWeights[k]! * output[i]! + 0.5 * output[i]! ** 2;
        return total;
      };
      const results = await checkGradientCase(
        {
          name: 'lrua step',
          inputs: names.map((name) => ({ values: values[name]!, shape: shapes[name] })),
          compute: (inputs) => {
            const [memory, readWeights, keys, adds, gates, strengths] = inputs as [
              tf.Tensor,
              tf.Tensor,
              tf.Tensor,
              tf.Tensor,
              tf.Tensor,
              tf.Tensor | undefined,
            ];
            const usage = tf.tensor(Float32Array.from(values.usage), shapes.usage);
            const { state } = lruaStep(
              { memory, usage, readWeights, reads: tf.zeros([1, heads, width]) },
              { keys, adds, gates, ...(strengths ? { strengths } : {}) },
              gamma,
              readMemory,
            );
            const flat = tf.concat([tf.reshape(state.reads, [-1]), tf.reshape(state.memory, [-1])]);
            const w = tf.tensor1d(Float32Array.from(lossWeights));
            return tf.add(tf.sum(tf.mul(w, flat)), tf.mul(0.5, tf.sum(tf.square(flat)))) as tf.Scalar;
          },
          reference: (inputs) => {
            const [memory, readWeights, keys, adds, gates, strengths] = inputs as Float64Array[];
            const out = referenceLrua(
              slots,
              width,
              heads,
              gamma,
              {
                memory: memory!,
                usage: values.usage,
                readWeights: readWeights!,
                keys: keys!,
                adds: adds!,
                gates: gates!,
                ...(strengths ? { strengths } : {}),
              },
              readMemory,
            );
            return scalarLoss([out.reads, out.memory]);
          },
          tolerance: { first: 1e-4, second: 1e-3 },
        },
        createRng(9),
      );
      for (const result of results)
        expect(result.relativeError, `order ${result.order}`).toBeLessThan(result.tolerance);
    });

  it('gives all-zero memory rows similarity 0 and a finite gradient', () => {
    const gradient = tf.tidy(() =>
      tf.grad((memory: tf.Tensor) => tf.sum(cosineSimilarity(tf.tensor3d([[[1, 2]]]), memory)))(
        tf.zeros([1, 2, 2]),
      ),
    );
    const values = Array.from(gradient.dataSync());
    expect(values.every(Number.isFinite)).toBe(true);
    gradient.dispose();
  });
});
