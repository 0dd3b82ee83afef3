import { InvalidArgumentError } from 'commander';

/**
 * An option parser for commander: the option's text as an integer >= `minimum`, or commander's
 * one-line "argument '...' is invalid" error naming the expected form.
 */
export function parseIntegerAtLeast(minimum: number): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (text.trim() === '' || !Number.isSafeInteger(value) || value < minimum)
      throw new InvalidArgumentError(`Expected an integer >= ${minimum}.`);
    return value;
  };
}
