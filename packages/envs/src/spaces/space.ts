import type { Rng } from '../rng/rng';

/** A set of valid observations or actions (Gymnasium's `Space`). */
export interface Space<T> {
  /** Shape of one element (`[]` for a discrete choice). */
  readonly shape: readonly number[];
  /** A random element, drawn with `rng`. */
  sample(rng: Rng): T;
  /** True when `value` belongs to the space. */
  contains(value: unknown): value is T;
  /** One line for error messages, e.g. `Box([-0.1, -0.1], [0.1, 0.1])`. */
  describe(): string;
}
