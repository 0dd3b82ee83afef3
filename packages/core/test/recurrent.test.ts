import { createRng as envRng } from '@metarl/envs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createGruPolicy,
  createRecurrentAgent,
  createRng,
  disposeParams,
  tf,
  useBackend,
} from '../src/index';

describe('GRU policy and recurrent agent', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('unroll equals stepping one step at a time, resets included', () => {
    const policy = createGruPolicy({
      observationSize: 3,
      actionKind: 'discrete',
      actionSize: 4,
      hiddenSize: 5,
    });
    const params = policy.init(createRng(0));
    const observations = tf.tensor(createRng(1).normal(2 * 4 * 3), [2, 4, 3]);
    const resets = tf.tensor2d([0, 0, 1, 0, 0, 1, 0, 0], [2, 4]);
    const start = tf.tensor(createRng(2).normal(2 * 5), [2, 5]);
    const unrolled = policy.unroll(params, observations, start, resets);
    const logits = (
      unrolled.distribution as unknown as { logits: tf.Tensor }
    ).logits.arraySync() as number[][][];
    let hidden = start;
    for (let t = 0; t < 4; t += 1) {
      const keep = tf.tensor2d([[1 - [0, 0, 1, 0][t]!], [1 - [0, 1, 0, 0][t]!]]);
      const step = policy.step(
        params,
        tf.squeeze(tf.slice(observations, [0, t, 0], [2, 1, 3]), [1]),
        tf.mul(hidden, keep),
      );
      const stepLogits = (
        step.distribution as unknown as { logits: tf.Tensor }
      ).logits.arraySync() as number[][];
      for (let b = 0; b < 2; b += 1) {
        stepLogits[b]!.forEach((v, k) => {
          expect(v).toBeCloseTo(logits[b]![t]![k]!, 5);
        });
      }
      hidden = step.hidden;
    }
    expect(Array.from(unrolled.hidden.dataSync()).map((v) => Number(v.toFixed(5)))).toEqual(
      Array.from(hidden.dataSync()).map((v) => Number(v.toFixed(5))),
    );
    disposeParams(params);
  });

  it('keeps the hidden state across episodes of a trial and zeroes it otherwise, without leaking', () => {
    const policy = createGruPolicy({
      observationSize: 2,
      actionKind: 'continuous',
      actionSize: 1,
      hiddenSize: 3,
    });
    const params = policy.init(createRng(3));
    const agent = createRecurrentAgent(policy, params);
    const rng = envRng(0);
    agent.act(Float32Array.of(1, 2, -1, 0.5), rng);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i += 1) agent.act(Float32Array.of(1, 2, -1, 0.5), rng);
    expect(tf.memory().numTensors).toBe(before);
    const carried = agent.hiddenState();
    expect(carried.some((v) => v !== 0)).toBe(true);
    agent.onEpisodeStart(Uint8Array.of(1, 1), { keepMemory: true });
    expect(Array.from(agent.hiddenState())).toEqual(Array.from(carried));
    agent.onEpisodeStart(Uint8Array.of(1, 0), { keepMemory: false });
    const state = agent.hiddenState();
    expect(Array.from(state.subarray(0, 3)).every((v) => v === 0)).toBe(true);
    expect(Array.from(state.subarray(3))).toEqual(Array.from(carried.subarray(3)));
    agent.dispose?.();
    disposeParams(params);
  });
});
