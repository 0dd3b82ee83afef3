/**
 * One way to check a configuration: each check names its owner (the function the user called),
 * the field, the value it got and the form it expected, e.g.
 * `createMaml: innerStepSize must be a finite number > 0, got -1`. Algorithm packages validate
 * their documented config with it instead of writing the same checks again.
 */

/** Bounds of a number check; each is optional. */
export interface NumberBounds {
  /** Smallest allowed value (inclusive). */
  readonly min?: number;
  /** Largest allowed value (inclusive). */
  readonly max?: number;
  /** Values must be strictly greater. */
  readonly above?: number;
  /** Values must be strictly smaller. */
  readonly below?: number;
}

/** Field checks that throw a `RangeError` naming the owner, the field, the value and the expected form. */
export interface ConfigValidator {
  /** Throws a `RangeError` with `message` prefixed by the owner. */
  fail(message: string): never;
  /** An integer within the bounds (default: >= 1). */
  integer(name: string, value: unknown, bounds?: NumberBounds): void;
  /** A finite number within the bounds. */
  number(name: string, value: unknown, bounds?: NumberBounds): void;
  /** A safe integer (a seed). */
  seed(name: string, value: unknown): void;
  /** `true` or `false`. */
  boolean(name: string, value: unknown): void;
  /** One of `allowed`. */
  oneOf<T>(name: string, value: unknown, allowed: readonly T[]): asserts value is T;
}

/** Prints a value for an error message: strings quoted, everything else as `String` does. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'bigint') return `${value}n`;
  if (Array.isArray(value)) return `[${value.map(describeValue).join(', ')}]`;
  return String(value);
}

/** The bounds in words: "> 0", ">= 1", "in [0, 1]", "in (0, 1)". */
function describeBounds(bounds: NumberBounds): string {
  const lower =
    bounds.above !== undefined
      ? { open: true, at: bounds.above }
      : bounds.min !== undefined
        ? { open: false, at: bounds.min }
        : undefined;
  const upper =
    bounds.below !== undefined
      ? { open: true, at: bounds.below }
      : bounds.max !== undefined
        ? { open: false, at: bounds.max }
        : undefined;
  if (lower !== undefined && upper !== undefined)
    return `in ${lower.open ? '(' : '['}${lower.at}, ${upper.at}${upper.open ? ')' : ']'}`;
  if (lower !== undefined) return `${lower.open ? '>' : '>='} ${lower.at}`;
  if (upper !== undefined) return `${upper.open ? '<' : '<='} ${upper.at}`;
  return '';
}

function withinBounds(value: number, bounds: NumberBounds): boolean {
  return (
    (bounds.min === undefined || value >= bounds.min) &&
    (bounds.max === undefined || value <= bounds.max) &&
    (bounds.above === undefined || value > bounds.above) &&
    (bounds.below === undefined || value < bounds.below)
  );
}

/**
 * Field checks for the configuration of `owner` (the name in every message, e.g. 'createMaml').
 *
 * @example
 * const check = createConfigValidator('createReptile');
 * check.integer('innerSteps', config.innerSteps);            // >= 1
 * check.number('gamma', config.gamma, { min: 0, max: 1 });    // in [0, 1]
 * check.oneOf('outerOptimizer', config.outerOptimizer, ['ppo', 'trpo']);
 */
export function createConfigValidator(owner: string): ConfigValidator {
  const fail = (message: string): never => {
    throw new RangeError(`${owner}: ${message}`);
  };
  return {
    fail,
    integer(name, value, bounds = { min: 1 }) {
      const words = describeBounds(bounds);
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || !withinBounds(value, bounds))
        fail(`${name} must be an integer${words === '' ? '' : ` ${words}`}, got ${describeValue(value)}`);
    },
    number(name, value, bounds = {}) {
      const words = describeBounds(bounds);
      if (typeof value !== 'number' || !Number.isFinite(value) || !withinBounds(value, bounds))
        fail(
          `${name} must be a finite number${words === '' ? '' : ` ${words}`}, got ${describeValue(value)}`,
        );
    },
    seed(name, value) {
      if (typeof value !== 'number' || !Number.isSafeInteger(value))
        fail(`${name} must be an integer (a seed), got ${describeValue(value)}`);
    },
    boolean(name, value) {
      if (typeof value !== 'boolean') fail(`${name} must be true or false, got ${describeValue(value)}`);
    },
    oneOf<T>(name: string, value: unknown, allowed: readonly T[]): asserts value is T {
      if (!allowed.includes(value as T))
        fail(`${name} must be one of ${allowed.map(describeValue).join(', ')}, got ${describeValue(value)}`);
    },
  };
}
