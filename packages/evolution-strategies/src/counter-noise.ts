/**
 * Counter-based Gaussian noise: the perturbation of member `index` under `seed` is a pure function
 * of those two integers (Philox4x32-10, Salmon et al. 2011, "Parallel random numbers: as easy as
 * 1, 2, 3"), so a worker on another machine regenerates exactly the vector the master drew from
 * two integers, and a job carries no noise (the OpenAI-ES design). Element j of the vector comes
 * from the Philox block with counter (floor(j / 4), index, 0, 0) and key (seed, 0x4d455441): one
 * block gives four uniform words, turned into four normals by Box-Muller.
 *
 * The arithmetic is integer and IEEE-754 double throughout, rounded to float32 once at the end, so
 * every JavaScript engine produces the same bits.
 *
 * @example
 * const epsilon = sampleCounterNormal(seed, 3, dimension); // member 3's noise, anywhere
 */
import { describeValue } from '@metarl/core';

const PHILOX_M0 = 0xd2511f53;
const PHILOX_M1 = 0xcd9e8d57;
const PHILOX_W0 = 0x9e3779b9;
const PHILOX_W1 = 0xbb67ae85;
/** Second key word: 'META' in ASCII, so this stream differs from a plain Philox with key (seed, 0). */
const KEY_TAG = 0x4d455441;
const TWO_POW_32 = 4294967296;
const TWO_PI = 2 * Math.PI;

/** High 32 bits of the 64-bit product of two unsigned 32-bit integers. */
function multiplyHigh(a: number, b: number): number {
  const aHigh = a >>> 16;
  const aLow = a & 0xffff;
  const bHigh = b >>> 16;
  const bLow = b & 0xffff;
  const lowLow = aLow * bLow;
  const highLow = aHigh * bLow;
  const lowHigh = aLow * bHigh;
  const middle = (lowLow >>> 16) + (highLow & 0xffff) + (lowHigh & 0xffff);
  return (aHigh * bHigh + (highLow >>> 16) + (lowHigh >>> 16) + Math.floor(middle / 65536)) >>> 0;
}

/**
 * One Philox4x32-10 block: four unsigned 32-bit words from a 128-bit counter and a 64-bit key.
 * Written into `out` (length >= 4). Exported for the known-answer tests.
 */
export function philox4x32(
  counter: readonly [number, number, number, number],
  key: readonly [number, number],
  out: Uint32Array = new Uint32Array(4),
): Uint32Array {
  let c0 = counter[0] >>> 0;
  let c1 = counter[1] >>> 0;
  let c2 = counter[2] >>> 0;
  let c3 = counter[3] >>> 0;
  let k0 = key[0] >>> 0;
  let k1 = key[1] >>> 0;
  for (let round = 0; round < 10; round += 1) {
    const high0 = multiplyHigh(PHILOX_M0, c0);
    const low0 = Math.imul(PHILOX_M0, c0) >>> 0;
    const high1 = multiplyHigh(PHILOX_M1, c2);
    const low1 = Math.imul(PHILOX_M1, c2) >>> 0;
    c0 = (high1 ^ c1 ^ k0) >>> 0;
    c1 = low1;
    c2 = (high0 ^ c3 ^ k1) >>> 0;
    c3 = low0;
    k0 = (k0 + PHILOX_W0) >>> 0;
    k1 = (k1 + PHILOX_W1) >>> 0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
  return out;
}

function checkUint32(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff)
    throw new RangeError(
      `sampleCounterNormal: ${name} must be an integer in [0, 2^32 - 1], got ${describeValue(value)}`,
    );
}

/**
 * The standard normal vector of member `index` under `seed`, `length` values (written into `out`
 * when given, which must have exactly `length` elements). Pure: the same integers give the same
 * float32 values on every machine.
 */
export function sampleCounterNormal(
  seed: number,
  index: number,
  length: number,
  out?: Float32Array,
): Float32Array {
  checkUint32('seed', seed);
  checkUint32('index', index);
  if (!Number.isInteger(length) || length < 0)
    throw new RangeError(`sampleCounterNormal: length must be an integer >= 0, got ${describeValue(length)}`);
  if (out !== undefined && out.length !== length)
    throw new RangeError(`sampleCounterNormal: out has ${out.length} elements, expected length ${length}`);
  const result = out ?? new Float32Array(length);
  const block = new Uint32Array(4);
  const key: [number, number] = [seed, KEY_TAG];
  for (let start = 0; start < length; start += 4) {
    philox4x32([start / 4, index, 0, 0], key, block);
    for (let pair = 0; pair < 2; pair += 1) {
      // u1 in (0, 1] so that the logarithm is finite; u2 in [0, 1).
      const u1 = (block[2 * pair]! + 1) / TWO_POW_32;
      const u2 = block[2 * pair + 1]! / TWO_POW_32;
      const radius = Math.sqrt(-2 * Math.log(u1));
      const angle = TWO_PI * u2;
      const j = start + 2 * pair;
      if (j < length) result[j] = radius * Math.cos(angle);
      if (j + 1 < length) result[j + 1] = radius * Math.sin(angle);
    }
  }
  return result;
}
