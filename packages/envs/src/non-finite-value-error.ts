/**
 * Non-finite rewards and observations are reported where they are produced: the step (or reset)
 * of the environment that returned them, by environment, task, step and field. Left alone, a NaN
 * reward surfaces much later and elsewhere: as a NaN action blamed on the policy, a NaN gradient
 * norm, NaN training metrics or a plot that cannot be drawn.
 */

/** Where a non-finite value was found. */
export interface NonFiniteValueSource {
  /** Who found it when not the environment itself, e.g. 'collectEpisodes'; prefixes the message. */
  readonly where?: string;
  /** The environment's id, e.g. `Navigation2D-v1`. */
  readonly envId: string;
  /** The environment's index in its `VectorEnv`; absent for a single `Env`. */
  readonly envIndex?: number;
  /** Environments in that `VectorEnv`. */
  readonly envCount?: number;
  /** The task of the environment where the finder knows it (e.g. the sampler's task group). */
  readonly taskIndex?: number;
  /** Step within the episode that produced the value (1 = the episode's first step), or 'reset'. */
  readonly step: number | 'reset';
  /** What held the value: 'reward' or 'observation element j'. */
  readonly field: string;
  /** The value: NaN, Infinity or -Infinity. */
  readonly value: number;
}

/**
 * Raised when an environment returns a non-finite reward or observation element. The message
 * reads e.g. `Navigation2D-v1 (env 3 of 8, task 1) step 17: reward is NaN (returned by the
 * environment, not the agent: rewards and observations must be finite)`.
 */
export class NonFiniteValueError extends RangeError {
  override readonly name = 'NonFiniteValueError';
  /** Where the value was found. */
  readonly source: NonFiniteValueSource;

  constructor(source: NonFiniteValueSource, options?: { readonly cause?: unknown }) {
    super(describeNonFiniteValue(source), options);
    this.source = source;
  }
}

/** The message of a `NonFiniteValueError` for `source`. */
export function describeNonFiniteValue(source: NonFiniteValueSource): string {
  const where = source.where === undefined ? '' : `${source.where}: `;
  const place: string[] = [];
  if (source.envIndex !== undefined) {
    place.push(
      source.envCount === undefined
        ? `env ${source.envIndex}`
        : `env ${source.envIndex} of ${source.envCount}`,
    );
  }
  if (source.taskIndex !== undefined) place.push(`task ${source.taskIndex}`);
  const location = place.length === 0 ? '' : ` (${place.join(', ')})`;
  const step = source.step === 'reset' ? 'reset' : `step ${source.step}`;
  return `${where}${source.envId}${location} ${step}: ${source.field} is ${String(source.value)} (returned by the environment, not the agent: rewards and observations must be finite)`;
}

/** Index of the first non-finite element of `values[from, to)`, or -1 (one pass, no allocation). */
export function findNonFinite(values: ArrayLike<number>, from = 0, to = values.length): number {
  for (let k = from; k < to; k += 1) {
    const v = values[k]!;
    // v - v is 0 for every finite number, NaN for NaN and +-Infinity (and for non-numbers).
    if (v - v !== 0) return k;
  }
  return -1;
}

/**
 * Throws a `NonFiniteValueError` when `reward` (omitted at a reset) or an element of the
 * observation `observations[offset, offset + size)` is not finite. `place` fills the rest of the
 * source (env id, index, step).
 */
export function checkFiniteStep(
  place: Omit<NonFiniteValueSource, 'field' | 'value'>,
  reward: number | undefined,
  observations: ArrayLike<number>,
  offset: number,
  size: number,
): void {
  if (reward !== undefined && !(reward - reward === 0)) {
    throw new NonFiniteValueError({ ...place, field: 'reward', value: reward });
  }
  const k = findNonFinite(observations, offset, offset + size);
  if (k >= 0) {
    throw new NonFiniteValueError({
      ...place,
      field: `observation element ${k - offset}`,
      value: observations[k]!,
    });
  }
}
