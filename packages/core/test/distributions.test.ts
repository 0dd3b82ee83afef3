import { beforeAll, describe, expect, it } from 'vitest';
import { Categorical, createRng, DiagonalGaussian, tf, useBackend } from '../src/index';

describe('distributions', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('DiagonalGaussian log-density, entropy and KL equal their closed forms', () => {
    const mean = tf.tensor2d([0.5, -1], [1, 2]);
    const logStd = tf.tensor1d([Math.log(2), Math.log(0.5)]);
    const g = new DiagonalGaussian(mean, logStd);
    const x = [1.5, 0];
    const expected =
      -0.5 * ((1.5 - 0.5) / 2) ** 2 -
      Math.log(2) -
      0.5 * Math.log(2 * Math.PI) +
      (-0.5 * ((0 + 1) / 0.5) ** 2 - Math.log(0.5) - 0.5 * Math.log(2 * Math.PI));
    expect(g.logProb(tf.tensor2d(x, [1, 2])).dataSync()[0]).toBeCloseTo(expected, 5);
    const entropy = Math.log(2) + Math.log(0.5) + 2 * (0.5 + 0.5 * Math.log(2 * Math.PI));
    expect(g.entropy().dataSync()[0]).toBeCloseTo(entropy, 5);
    const other = new DiagonalGaussian(tf.tensor2d([0, 0], [1, 2]), tf.tensor1d([0, 0]));
    const kl = [0, 1].reduce((total, d) => {
      const s = [2, 0.5][d]!;
      const m = [0.5, -1][d]!;
      return total + (-Math.log(s) + (s * s + m * m) / 2 - 0.5);
    }, 0);
    expect(g.kl(other).dataSync()[0]).toBeCloseTo(kl, 5);
    expect(g.kl(g).dataSync()[0]).toBeCloseTo(0, 6);
  });

  it('DiagonalGaussian samples have the right moments and are reproducible from the seed', () => {
    const g = new DiagonalGaussian(tf.fill([20000, 1], 3), tf.tensor1d([Math.log(0.5)]));
    const a = Array.from(g.sample(createRng(1)).dataSync());
    const b = g.sample(createRng(1)).dataSync();
    expect(Array.from(b)).toEqual(a);
    const mean = a.reduce((p, v) => p + v, 0) / a.length;
    const std = Math.sqrt(a.reduce((p, v) => p + (v - mean) ** 2, 0) / a.length);
    expect(Math.abs(mean - 3)).toBeLessThan(0.02);
    expect(Math.abs(std - 0.5)).toBeLessThan(0.02);
  });

  it('Categorical log-probabilities, entropy, KL and sampling frequencies', () => {
    const probabilities = [0.1, 0.2, 0.7];
    const c = new Categorical(tf.tensor2d(probabilities.map(Math.log), [1, 3]));
    expect(c.logProb(tf.tensor1d([2], 'int32')).dataSync()[0]).toBeCloseTo(Math.log(0.7), 5);
    const entropy = -probabilities.reduce((p, q) => p + q * Math.log(q), 0);
    expect(c.entropy().dataSync()[0]).toBeCloseTo(entropy, 5);
    const uniform = new Categorical(tf.zeros([1, 3]));
    const kl = probabilities.reduce((p, q) => p + q * Math.log(q / (1 / 3)), 0);
    expect(c.kl(uniform).dataSync()[0]).toBeCloseTo(kl, 5);
    const many = new Categorical(tf.tile(tf.tensor2d(probabilities.map(Math.log), [1, 3]), [30000, 1]));
    const samples = many.sample(createRng(3)).dataSync();
    const counts = [0, 0, 0];
    for (const s of samples) counts[s]! += 1;
    counts.forEach((count, k) => {
      expect(Math.abs(count / 30000 - probabilities[k]!)).toBeLessThan(0.01);
    });
  });

  it('rejects shapes that do not fit', () => {
    expect(() => new DiagonalGaussian(tf.zeros([4, 2]), tf.zeros([3]))).toThrow(
      /logStd \[3\] must broadcast to mean \[4, 2\]/,
    );
    expect(() => new Categorical(tf.scalar(1))).toThrow(/logits must have shape \[...batch, K\]/);
  });
});
