import { describe, expect, it } from 'vitest';
import { philox4x32, sampleCounterNormal } from '../src/counter-noise';

const hex = (words: Uint32Array) => Array.from(words, (w) => w.toString(16).padStart(8, '0'));

describe('philox4x32 (Random123 known-answer vectors for Philox4x32-10)', () => {
  it('matches the published vectors', () => {
    expect(hex(philox4x32([0, 0, 0, 0], [0, 0]))).toEqual(['6627e8d5', 'e169c58d', 'bc57ac4c', '9b00dbd8']);
    expect(
      hex(philox4x32([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff])),
    ).toEqual(['408f276d', '41c83b0e', 'a20bc7c6', '6d5451fd']);
    expect(
      hex(philox4x32([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0])),
    ).toEqual(['d16cfe09', '94fdcceb', '5001e420', '24126ea1']);
  });
});

describe('sampleCounterNormal', () => {
  it('is a pure function of (seed, index) and a prefix-stable stream', () => {
    const a = sampleCounterNormal(7, 3, 11);
    expect(Array.from(sampleCounterNormal(7, 3, 11))).toEqual(Array.from(a));
    expect(Array.from(sampleCounterNormal(7, 3, 5))).toEqual(Array.from(a.subarray(0, 5)));
    expect(Array.from(sampleCounterNormal(7, 4, 11))).not.toEqual(Array.from(a));
    expect(Array.from(sampleCounterNormal(8, 3, 11))).not.toEqual(Array.from(a));
  });

  it('draws standard normals (moments over 200,000 values)', () => {
    const values = new Float64Array(200_000);
    for (let index = 0; index < 2000; index += 1) values.set(sampleCounterNormal(1, index, 100), index * 100);
    let mean = 0;
    for (const v of values) mean += v;
    mean /= values.length;
    let variance = 0;
    let fourth = 0;
    for (const v of values) {
      variance += (v - mean) ** 2;
      fourth += (v - mean) ** 4;
    }
    variance /= values.length;
    fourth /= values.length;
    expect(Math.abs(mean)).toBeLessThan(0.01); // standard error 0.0022
    expect(Math.abs(variance - 1)).toBeLessThan(0.015); // standard error 0.0032
    expect(Math.abs(fourth / variance ** 2 - 3)).toBeLessThan(0.06); // kurtosis of a normal
    // Neighbouring members are uncorrelated.
    const x = sampleCounterNormal(1, 0, 50_000);
    const y = sampleCounterNormal(1, 1, 50_000);
    let dot = 0;
    for (let i = 0; i < x.length; i += 1) dot += x[i]! * y[i]!;
    expect(Math.abs(dot / x.length)).toBeLessThan(0.02);
  });

  it('rejects bad arguments by name', () => {
    expect(() => sampleCounterNormal(-1, 0, 3)).toThrow(
      /seed must be an integer in \[0, 2\^32 - 1\], got -1/,
    );
    expect(() => sampleCounterNormal(0, 1.5, 3)).toThrow(/index/);
    expect(() => sampleCounterNormal(0, 0, 3, new Float32Array(2))).toThrow(
      /out has 2 elements, expected length 3/,
    );
  });
});
