import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from './usage-error';

/** The short reason of a file-system error: its code (ENOENT, EACCES, ...) or its message. */
function describeFailure(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
}

/**
 * Makes sure `directory` is a folder this process can write to before any work starts: creates it
 * (and its missing parents, one at a time: Node 20's recursive mkdir never returns on a path
 * like /proc/x), then writes and removes a probe file. Throws a one-line `UsageError` naming
 * `option` and the path otherwise.
 */
export function prepareOutputDirectory(directory: string, option = '--output <folder>'): void {
  const fail = (why: string): never => {
    throw new UsageError(
      `option '${option}' argument '${directory}' is invalid. Expected a folder that can be created and written to: ${why}.`,
    );
  };
  const target = resolve(directory);
  const missing: string[] = [];
  let existing = target;
  while (!existsSync(existing)) {
    missing.push(existing);
    existing = dirname(existing);
  }
  if (!statSync(existing).isDirectory()) fail(`${existing} is a file`);
  for (const path of missing.reverse()) {
    try {
      mkdirSync(path);
    } catch (error) {
      fail(`cannot create ${path} (${describeFailure(error)})`);
    }
  }
  const probe = join(target, `.write-probe-${randomBytes(6).toString('hex')}`);
  try {
    writeFileSync(probe, '');
  } catch (error) {
    fail(`cannot write in ${target} (${describeFailure(error)})`);
  }
  rmSync(probe, { force: true });
}
