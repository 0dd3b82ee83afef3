import { describe, expect, it } from 'vitest';
import { tf, useBackend } from '../src/index';

for (const backend of ['cpu', 'wasm']) {
  describe(`third derivatives on ${backend}`, () => {
    it('tanh, sigmoid and exp are exact at third order (closed forms)', async () => {
      await useBackend(backend);
      const xs = [-1.3, -0.2, 0.4, 1.7];
      const third = (f: (x: tf.Tensor) => tf.Tensor) => {
        const d1 = tf.grad((x: tf.Tensor) => tf.sum(f(x)));
        const d2 = tf.grad((x: tf.Tensor) => tf.sum(d1(x)));
        const d3 = tf.grad((x: tf.Tensor) => tf.sum(d2(x)));
        return Array.from(tf.tidy(() => d3(tf.tensor1d(xs))).dataSync());
      };
      const expectClose = (actual: number[], expected: number[]) => {
        actual.forEach((v, i) => {
          expect(Math.abs(v - expected[i]!)).toBeLessThan(2e-5 * Math.max(1, Math.abs(expected[i]!)));
        });
      };
      expectClose(
        third(tf.tanh),
        xs.map((x) => {
          const t = Math.tanh(x);
          return (1 - t * t) * (6 * t * t - 2);
        }),
      );
      expectClose(
        third(tf.sigmoid),
        xs.map((x) => {
          const s = 1 / (1 + Math.exp(-x));
          return s * (1 - s) * (1 - 6 * s + 6 * s * s);
        }),
      );
      expectClose(third(tf.exp), xs.map(Math.exp));
    });
  });
}
