import { describeValue } from '../describe-value';
import type { Rng } from '../rng/rng';
import type { Space } from './space';

/** The integers {start, ..., start + n - 1} (Gymnasium's `Discrete`). */
export class Discrete implements Space<number> {
  readonly shape: readonly number[] = [];
  /** Number of choices. */
  readonly n: number;
  /** The smallest element; default 0. */
  readonly start: number;

  constructor(n: number, start = 0) {
    if (!Number.isInteger(n) || n < 1)
      throw new RangeError(`Discrete: n must be a positive integer, got ${describeValue(n)}`);
    if (!Number.isInteger(start))
      throw new RangeError(`Discrete: start must be an integer, got ${describeValue(start)}`);
    this.n = n;
    this.start = start;
  }

  sample(rng: Rng): number {
    return this.start + rng.nextInt(this.n);
  }

  contains(value: unknown): value is number {
    return (
      typeof value === 'number' &&
      Number.isInteger(value) &&
      value >= this.start &&
      value < this.start + this.n
    );
  }

  describe(): string {
    return this.start === 0 ? `Discrete(${this.n})` : `Discrete(${this.n}, start ${this.start})`;
  }
}
