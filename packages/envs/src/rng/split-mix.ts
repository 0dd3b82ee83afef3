/**
 * SplitMix64 (Steele, Lea, Flood 2014), the seed mixer recommended for seeding the xoroshiro
 * family: it turns any 64-bit seed, including 0 and small consecutive integers, into
 * well-distributed state words. Checked against the reference outputs in the tests.
 */

const GOLDEN_GAMMA = 0x9e3779b97f4a7c15n;
const MASK_64 = 0xffffffffffffffffn;

/** The SplitMix64 output that follows `state`, and the advanced state. */
export function splitMix64(state: bigint): { readonly value: bigint; readonly state: bigint } {
  const next = (state + GOLDEN_GAMMA) & MASK_64;
  let z = next;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK_64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK_64;
  return { value: z ^ (z >> 31n), state: next };
}

/** `count` consecutive SplitMix64 outputs starting from `seed`. */
export function splitMix64Sequence(seed: bigint, count: number): bigint[] {
  const out: bigint[] = [];
  let state = seed & MASK_64;
  for (let i = 0; i < count; i += 1) {
    const step = splitMix64(state);
    out.push(step.value);
    state = step.state;
  }
  return out;
}
