import type { Rng } from '../rng/rng';
import type { Space } from './space';

/**
 * A box in R^n (Gymnasium's `Box`): every element lies in [low_i, high_i], float32. Bounds may be
 * infinite; `sample` then draws normal (unbounded) or shifted exponential (half-bounded) values.
 */
export class Box implements Space<Float32Array> {
  readonly shape: readonly number[];
  /** Lower bounds, one per element. */
  readonly low: Float32Array;
  /** Upper bounds, one per element. */
  readonly high: Float32Array;
  /** Number of elements. */
  readonly size: number;

  constructor(low: number | ArrayLike<number>, high: number | ArrayLike<number>, shape?: readonly number[]) {
    const inferred =
      shape ?? (typeof low === 'number' ? (typeof high === 'number' ? [1] : [high.length]) : [low.length]);
    if (!inferred.every((d) => Number.isInteger(d) && d >= 1)) {
      throw new RangeError(`Box: shape must be positive integers, got [${inferred.join(', ')}]`);
    }
    this.shape = [...inferred];
    this.size = inferred.reduce((p, d) => p * d, 1);
    const expand = (bound: number | ArrayLike<number>, name: string) => {
      if (typeof bound === 'number') return new Float32Array(this.size).fill(bound);
      if (bound.length !== this.size) {
        throw new RangeError(
          `Box: ${name} has ${bound.length} values for shape [${this.shape.join(', ')}] (${this.size} expected)`,
        );
      }
      return Float32Array.from(bound);
    };
    this.low = expand(low, 'low');
    this.high = expand(high, 'high');
    for (let i = 0; i < this.size; i += 1) {
      if (Number.isNaN(this.low[i]) || Number.isNaN(this.high[i]) || this.low[i]! > this.high[i]!) {
        throw new RangeError(
          `Box: need low <= high at index ${i}, got low ${this.low[i]} and high ${this.high[i]}`,
        );
      }
    }
  }

  sample(rng: Rng): Float32Array {
    const out = new Float32Array(this.size);
    for (let i = 0; i < this.size; i += 1) {
      const low = this.low[i]!;
      const high = this.high[i]!;
      const lowFinite = Number.isFinite(low);
      const highFinite = Number.isFinite(high);
      if (lowFinite && highFinite) out[i] = Math.min(high, low + (high - low) * rng.next());
      else if (lowFinite) out[i] = low - Math.log(1 - rng.next());
      else if (highFinite) out[i] = high + Math.log(1 - rng.next());
      else out[i] = rng.normal(1)[0]!;
    }
    return out;
  }

  contains(value: unknown): value is Float32Array {
    if (!(value instanceof Float32Array || Array.isArray(value)) || value.length !== this.size) return false;
    for (let i = 0; i < this.size; i += 1) {
      const v = value[i] as number;
      if (typeof v !== 'number' || Number.isNaN(v) || v < this.low[i]! || v > this.high[i]!) return false;
    }
    return true;
  }

  describe(): string {
    const uniform = (bounds: Float32Array) => bounds.every((v) => v === bounds[0]);
    if (uniform(this.low) && uniform(this.high))
      return `Box(${this.low[0]}, ${this.high[0]}, [${this.shape.join(', ')}])`;
    return `Box([${Array.from(this.low).join(', ')}], [${Array.from(this.high).join(', ')}])`;
  }
}
