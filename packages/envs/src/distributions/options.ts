import { describeValue } from '../describe-value';

/** Reads an option that must be a number in [min, max] (and an integer when asked). */
export function readNumberOption(
  id: string,
  options: Record<string, unknown>,
  name: string,
  fallback: number,
  {
    min = -Infinity,
    max = Infinity,
    integer = false,
  }: { min?: number; max?: number; integer?: boolean } = {},
): number {
  const value = options[name] ?? fallback;
  if (
    typeof value !== 'number' ||
    Number.isNaN(value) ||
    value < min ||
    value > max ||
    (integer && !Number.isInteger(value))
  ) {
    throw new RangeError(
      `${id}: option '${name}' must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got ${describeValue(value)}`,
    );
  }
  return value;
}

/** Rejects unknown option names, listing the known ones. */
export function checkOptionNames(
  id: string,
  options: Record<string, unknown>,
  known: readonly string[],
): void {
  for (const name of Object.keys(options ?? {})) {
    if (!known.includes(name)) {
      throw new RangeError(`${id}: unknown option '${name}'; options: ${known.join(', ') || 'none'}`);
    }
  }
}

/** Throws unless `value` is a finite number in [min, max]; `name` says which task parameter. */
export function checkTaskNumber(name: string, value: unknown, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new RangeError(`${name} must be a finite number in [${min}, ${max}], got ${describeValue(value)}`);
  }
}

/** Reads `${name}Low` and `${name}High` (a sampling range within [1e-3, 1e3]) with defaults. */
export function readRangeOption(
  id: string,
  options: Record<string, unknown>,
  name: string,
  low: number,
  high: number,
): readonly [number, number] {
  const lo = readNumberOption(id, options, `${name}Low`, low, { min: 1e-3, max: 1e3 });
  const hi = readNumberOption(id, options, `${name}High`, high, { min: lo, max: 1e3 });
  return [lo, hi];
}
