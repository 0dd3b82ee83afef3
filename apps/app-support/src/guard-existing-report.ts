import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from './usage-error';

/** What to do with a report already in the output folder. */
export interface ReportMode {
  /** Continue the training of the report's checkpoint. */
  readonly resume: boolean;
  /** Replace the report: its files are removed before training starts. */
  readonly overwrite: boolean;
  /** Whether the app offers --resume (a refusal names it only then); default true. */
  readonly resumable?: boolean;
}

/**
 * Keeps an existing report in `directory` unless asked otherwise: with `overwrite`, removes the
 * report's `files` (names inside `directory`; other files stay); with `resume`, requires its
 * `checkpoint/`; with neither, refuses with a one-line `UsageError` naming the flags to pass when
 * any of `files` is there (only --overwrite where the app is not `resumable`). Returns the checkpoint folder to resume from, or undefined.
 */
export function guardExistingReport(
  directory: string,
  files: readonly string[],
  mode: ReportMode,
): string | undefined {
  if (mode.resume && mode.overwrite)
    throw new UsageError('options --resume and --overwrite cannot be used together; pass one of them');
  const checkpoint = join(directory, 'checkpoint');
  if (mode.resume) {
    if (!existsSync(join(checkpoint, 'state.json')))
      throw new UsageError(
        `--resume: ${directory} holds no checkpoint to resume from (no checkpoint/state.json); run without --resume to start a new report there`,
      );
    return checkpoint;
  }
  const present = files.filter((file) => existsSync(join(directory, file)));
  if (mode.overwrite) {
    for (const file of present) rmSync(join(directory, file), { recursive: true, force: true });
    return undefined;
  }
  if (present.length > 0)
    throw new UsageError(
      `${directory} already holds a report (${present.join(', ')}); ${mode.resumable === false ? 'pass --overwrite to replace it' : 'pass --resume to continue its training or --overwrite to replace it'}, or choose another --output`,
    );
  return undefined;
}
