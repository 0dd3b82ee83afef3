/** The bookkeeping shared by the checkers: named checks, failures collected, not thrown one by one. */
export interface CheckRunner {
  /** Runs `body` as the check `name`; an exception records a failure. */
  check(name: string, body: () => void): void;
  /** Throws `message` unless `condition` holds. */
  assert(condition: boolean, message: string): void;
  /** Names of the checks that passed. */
  readonly passed: string[];
  /** One line per failed check. */
  readonly failures: string[];
}

/** A runner; `describe` turns a caught error into the failure text. */
export function createCheckRunner(
  describe: (error: unknown) => string = (error) => (error as Error).message,
): CheckRunner {
  const passed: string[] = [];
  const failures: string[] = [];
  return {
    passed,
    failures,
    check(name, body) {
      try {
        body();
        passed.push(name);
      } catch (error) {
        failures.push(`${name}: ${describe(error)}`);
      }
    },
    assert(condition, message) {
      if (!condition) throw new Error(message);
    },
  };
}
