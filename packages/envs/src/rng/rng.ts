import { xoroshiro128plus } from 'pure-rand';
import { describeValue } from '../describe-value';
import { splitMix64Sequence } from './split-mix';

/**
 * A seeded, splittable random number generator. Every random choice in metarl takes one
 * explicitly, so a run is reproduced by its seed alone.
 *
 * It is built on pure-rand's xoroshiro128+ with SplitMix64 seeding. An `Rng` is a stateful
 * object: each call advances it. Use `split` to hand independent streams to sub-computations
 * (one per task, per worker, ...) so that adding draws in one place does not shift another.
 *
 * @example
 * const rng = createRng(7);
 * const [taskRng, policyRng] = rng.split(2);
 * taskRng.next(); // uniform in [0, 1)
 */
export interface Rng {
  /** A uniform float in [0, 1) with 53 random bits. */
  next(): number;
  /** A uniform unsigned 32-bit integer. */
  nextUint32(): number;
  /** A uniform integer in [0, bound) without modulo bias. */
  nextInt(bound: number): number;
  /** A seed for another generator or a tfjs random op: an integer in [1, 2^31 - 1] (never 0). */
  nextSeed(): number;
  /** One standard normal sample (Box-Muller; the pair's second value is kept for the next call). */
  nextNormal(): number;
  /** Fills `out` (or a new array of `count`) with standard normal samples (Box-Muller). */
  normal(count: number, out?: Float32Array): Float32Array;
  /** `count` independent generators derived from this one (advances this one). */
  split(count: number): Rng[];
  /** The full state, JSON-serialisable; `createRngFromState` resumes exactly here. */
  getState(): RngState;
}

/** Serialised generator state: four signed 32-bit words of xoroshiro128+. */
export interface RngState {
  /** Algorithm tag, checked on restore. */
  readonly algorithm: 'xoroshiro128plus';
  /** The four 32-bit state words. */
  readonly words: readonly [number, number, number, number];
  /** The second normal of the last Box-Muller pair, not yet returned by `nextNormal`. */
  readonly spareNormal?: number;
}

type Generator = ReturnType<typeof xoroshiro128plus>;

const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;

class XoroshiroRng implements Rng {
  private generator: Generator;
  private spareNormal = Number.NaN;

  constructor(generator: Generator, spareNormal = Number.NaN) {
    this.generator = generator;
    this.spareNormal = spareNormal;
  }

  nextUint32(): number {
    return this.generator.unsafeNext() >>> 0;
  }

  next(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / TWO_POW_53;
  }

  nextInt(bound: number): number {
    if (!Number.isInteger(bound) || bound < 1 || bound > TWO_POW_32) {
      throw new RangeError(`rng.nextInt: bound must be an integer in [1, 2^32], got ${describeValue(bound)}`);
    }
    const limit = TWO_POW_32 - (TWO_POW_32 % bound);
    for (;;) {
      const value = this.nextUint32();
      if (value < limit) return value % bound;
    }
  }

  nextSeed(): number {
    for (;;) {
      const value = this.nextUint32() >>> 1;
      if (value !== 0) return value;
    }
  }

  nextNormal(): number {
    if (!Number.isNaN(this.spareNormal)) {
      const value = this.spareNormal;
      this.spareNormal = Number.NaN;
      return value;
    }
    let u = this.next();
    while (u === 0) u = this.next();
    const v = this.next();
    const radius = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = radius * Math.sin(2 * Math.PI * v);
    return radius * Math.cos(2 * Math.PI * v);
  }

  normal(count: number, out?: Float32Array): Float32Array {
    const target = out ?? new Float32Array(count);
    if (target.length < count) {
      throw new RangeError(`rng.normal: out has length ${target.length}, needs at least ${count}`);
    }
    for (let i = 0; i < count; i += 2) {
      let u = this.next();
      while (u === 0) u = this.next();
      const v = this.next();
      const radius = Math.sqrt(-2 * Math.log(u));
      const angle = 2 * Math.PI * v;
      target[i] = radius * Math.cos(angle);
      if (i + 1 < count) target[i + 1] = radius * Math.sin(angle);
    }
    return target;
  }

  split(count: number): Rng[] {
    if (!Number.isInteger(count) || count < 0) {
      throw new RangeError(`rng.split: count must be a non-negative integer, got ${describeValue(count)}`);
    }
    const children: Rng[] = [];
    for (let i = 0; i < count; i += 1) {
      const seed = (BigInt(this.nextUint32()) << 32n) | BigInt(this.nextUint32());
      children.push(fromSeed64(seed));
    }
    return children;
  }

  getState(): RngState {
    const words = this.generator.getState();
    const state: RngState = {
      algorithm: 'xoroshiro128plus',
      words: [words[0]!, words[1]!, words[2]!, words[3]!],
    };
    return Number.isNaN(this.spareNormal) ? state : { ...state, spareNormal: this.spareNormal };
  }
}

function toInt32(word: bigint): number {
  return Number(BigInt.asIntN(32, word));
}

function fromSeed64(seed: bigint): Rng {
  const [a, b] = splitMix64Sequence(seed, 2) as [bigint, bigint];
  const words: number[] = [toInt32(a >> 32n), toInt32(a), toInt32(b >> 32n), toInt32(b)];
  if (!words.some((word) => word !== 0)) words[3] = 1; // xoroshiro's one forbidden state
  return new XoroshiroRng(xoroshiro128plus.fromState(words));
}

/**
 * A generator seeded with `seed`, any safe integer (negative and 0 included). The seed is mixed
 * with SplitMix64, so seeds 1, 2, 3 give unrelated streams.
 */
export function createRng(seed: number): Rng {
  if (!Number.isSafeInteger(seed)) {
    throw new TypeError(`createRng: seed must be a safe integer, got ${describeValue(seed)}`);
  }
  return fromSeed64(BigInt.asUintN(64, BigInt(seed)));
}

/** Resumes a generator from `getState()` output; rejects malformed state with a clear error. */
export function createRngFromState(state: RngState): Rng {
  const words = (state as { words?: unknown } | null)?.words;
  if (
    state?.algorithm !== 'xoroshiro128plus' ||
    !Array.isArray(words) ||
    words.length !== 4 ||
    !words.every((word) => Number.isInteger(word) && word >= -2147483648 && word <= 2147483647) ||
    words.every((word) => word === 0) ||
    (state.spareNormal !== undefined && !Number.isFinite(state.spareNormal))
  ) {
    throw new TypeError(
      `createRngFromState: expected {algorithm: 'xoroshiro128plus', words: four int32, not all 0}, got ${JSON.stringify(state)}`,
    );
  }
  return new XoroshiroRng(xoroshiro128plus.fromState(words as number[]), state.spareNormal ?? Number.NaN);
}
