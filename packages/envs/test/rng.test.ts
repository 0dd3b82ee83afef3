import { describe, expect, it } from 'vitest';
import { createRng, createRngFromState } from '../src/index';
import { splitMix64Sequence } from '../src/rng/split-mix';

describe('SplitMix64 seed mixer', () => {
  it('matches the reference outputs for seed 0 (Vigna splitmix64.c)', () => {
    expect(splitMix64Sequence(0n, 4)).toEqual([
      0xe220a8397b1dcdafn,
      0x6e789e6aa1b965f4n,
      0x06c45d188009454fn,
      0xf88bb8a8724c81ecn,
    ]);
  });

  it('matches the published vectors for seed 1234567', () => {
    expect(splitMix64Sequence(1234567n, 5)).toEqual([
      6457827717110365317n,
      3203168211198807973n,
      9817491932198370423n,
      4593380528125082431n,
      16408922859458223821n,
    ]);
  });
});

describe('Rng', () => {
  it('is xoroshiro128+ seeded by SplitMix64: low 32 bits of the reference C outputs for seed 0', () => {
    // xoroshiro128plus.c (Blackman and Vigna, rotations 24/16/37) from state
    // [SplitMix64(0)_1, SplitMix64(0)_2] yields 0x509946a41cd733a3, 0xd805fcac6824536e, 0xdadc02f3e3cf7be3.
    const rng = createRng(0);
    expect([rng.nextUint32(), rng.nextUint32(), rng.nextUint32()]).toEqual([
      0x1cd733a3, 0x6824536e, 0xe3cf7be3,
    ]);
  });

  it('gives the same numbers for the same seed and different ones for neighbouring seeds', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xs);
  });

  it('draws uniforms in [0, 1) with the right mean and variance', () => {
    const rng = createRng(1);
    const n = 200_000;
    let sum = 0;
    let sumSquares = 0;
    let outside = 0;
    for (let i = 0; i < n; i += 1) {
      const u = rng.next();
      if (!(u >= 0 && u < 1)) outside += 1;
      sum += u;
      sumSquares += u * u;
    }
    const mean = sum / n;
    expect(outside).toBe(0);
    expect(Math.abs(mean - 0.5)).toBeLessThan(4 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(sumSquares / n - mean * mean - 1 / 12)).toBeLessThan(0.002);
  });

  it('draws standard normals', () => {
    const values = createRng(2).normal(100_001);
    const mean = values.reduce((p, v) => p + v, 0) / values.length;
    const variance = values.reduce((p, v) => p + (v - mean) ** 2, 0) / values.length;
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.abs(variance - 1)).toBeLessThan(0.02);
  });

  it('nextInt is unbiased and in range; nextSeed is never 0', () => {
    const rng = createRng(3);
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 60_000; i += 1) counts[rng.nextInt(6)] += 1;
    for (const count of counts) expect(Math.abs(count - 10_000)).toBeLessThan(400);
    for (let i = 0; i < 10_000; i += 1) {
      const seed = rng.nextSeed();
      expect(seed >= 1 && seed <= 2 ** 31 - 1 && Number.isInteger(seed)).toBe(true);
    }
  });

  it('split streams are reproducible and uncorrelated', () => {
    const [x, y] = createRng(5).split(2);
    const [x2] = createRng(5).split(2);
    const xs = Array.from({ length: 2000 }, () => x!.next());
    expect(Array.from({ length: 2000 }, () => x2!.next())).toEqual(xs);
    const ys = Array.from({ length: 2000 }, () => y!.next());
    const mean = (v: number[]) => v.reduce((p, q) => p + q, 0) / v.length;
    const mx = mean(xs);
    const my = mean(ys);
    const covariance = mean(xs.map((v, i) => (v - mx) * (ys[i]! - my)));
    expect(Math.abs(covariance / (1 / 12))).toBeLessThan(0.1);
  });

  it('resumes exactly from its state', () => {
    const rng = createRng(9);
    rng.next();
    const state = JSON.parse(JSON.stringify(rng.getState()));
    const expected = Array.from({ length: 10 }, () => rng.next());
    const resumed = createRngFromState(state);
    expect(Array.from({ length: 10 }, () => resumed.next())).toEqual(expected);
  });

  it('rejects bad seeds and states with clear errors', () => {
    expect(() => createRng(1.5)).toThrow(/seed must be a safe integer, got 1.5/);
    expect(() => createRng(Number.NaN)).toThrow(/seed must be a safe integer, got NaN/);
    expect(() => createRngFromState({ algorithm: 'xoroshiro128plus', words: [0, 0, 0, 0] })).toThrow(
      /not all 0/,
    );
    expect(() => createRngFromState({ algorithm: 'mt' } as never)).toThrow(
      /expected \{algorithm: 'xoroshiro128plus'/,
    );
    expect(() => createRng(1).nextInt(0)).toThrow(/bound must be an integer/);
  });
});
