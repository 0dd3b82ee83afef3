/**
 * The options every app that writes a report folder shares (--seed, --output, --backend,
 * --resume, --overwrite; --resume only where the app keeps a checkpoint) and the help text that
 * explains them, with the app's own examples.
 */
import { type Command, Option } from 'commander';
import { guardExistingReport } from './guard-existing-report';
import { parseBackendName } from './parse-backend-name';
import { parseIntegerAtLeast } from './parse-integer-at-least';
import { prepareOutputDirectory } from './prepare-output-directory';
import { resolveFromInvocation } from './resolve-from-invocation';

/** The values of the shared report options. */
export interface ReportOptions {
  /** Seed of training and test. */
  readonly seed: number;
  /** The report folder as given (resolve it with resolveFromInvocation). */
  readonly output: string;
  /** The tensor backend's name, or 'auto'. */
  readonly backend: string;
  /** Continue the report's training from its checkpoint (only where the app offers --resume). */
  readonly resume?: boolean;
  /** Replace the report's files. */
  readonly overwrite?: boolean;
}

/** Settings of `addReportOptions`. */
export interface ReportOptionSettings {
  /** The default of --output. */
  readonly defaultOutput: string;
  /** Command lines shown under "Examples:" in the help. */
  readonly examples: readonly string[];
  /** Whether the app keeps a checkpoint that --resume continues; default true (false: no --resume option). */
  readonly resumable?: boolean;
}

/**
 * Adds the shared report options to `command`, with `defaultOutput` and the app's `examples` in
 * its help; --resume only when `resumable` is not false.
 */
export function addReportOptions(command: Command, settings: ReportOptionSettings): Command {
  const resumable = settings.resumable !== false;
  command
    .option('--seed <n>', 'seed of training and test (integer >= 0)', parseIntegerAtLeast(0), 1)
    .option('--output <folder>', 'report folder, created if missing', settings.defaultOutput)
    .option('--backend <name>', 'tensor backend: auto or a name such as cpu, wasm', parseBackendName, 'auto');
  if (resumable)
    command.addOption(
      new Option('--resume', 'continue the training of the report in --output from its checkpoint').conflicts(
        'overwrite',
      ),
    );
  return command
    .addOption(new Option('--overwrite', 'replace the report in --output'))
    .addHelpText(
      'after',
      [
        '',
        ...(resumable
          ? [
              'An existing report in --output is kept: pass --resume or --overwrite to use the folder again.',
              'A resumed run takes the options of the run that wrote the checkpoint (all but --iterations).',
            ]
          : ['An existing report in --output is kept: pass --overwrite to use the folder again.']),
        '',
        'Examples:',
        ...settings.examples.map((example) => `  ${example}`),
      ].join('\n'),
    );
}

/**
 * Opens the report folder the shared options name, before any training: resolves --output from
 * where the user ran the command, keeps or replaces an existing report (`files`, see
 * guardExistingReport; `resumable: false` for an app without --resume, as in addReportOptions),
 * then creates the folder and checks it can be written. Returns the folder and the checkpoint to
 * resume from (undefined for a new report).
 */
export function openReportFolder(
  options: ReportOptions,
  files: readonly string[],
  settings: { readonly resumable?: boolean } = {},
): { readonly output: string; readonly resumeFrom: string | undefined } {
  const output = resolveFromInvocation(options.output);
  const resumeFrom = guardExistingReport(output, files, {
    resume: options.resume === true,
    overwrite: options.overwrite === true,
    resumable: settings.resumable !== false,
  });
  prepareOutputDirectory(output);
  return { output, resumeFrom };
}
