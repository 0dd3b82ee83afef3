/** A mistake in what the user asked for (an option's value, a missing flag): exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
