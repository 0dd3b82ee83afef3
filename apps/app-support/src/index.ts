/**
 * @metarl/app-support (private): what the apps' command lines share: commander, option parsers,
 * the output-folder check, the existing-report guard and the top-level error handling.
 */

export { Command, InvalidArgumentError, Option } from 'commander';
export {
  addReportOptions,
  openReportFolder,
  type ReportOptionSettings,
  type ReportOptions,
} from './add-report-options';
export { guardExistingReport, type ReportMode } from './guard-existing-report';
export { parseBackendName } from './parse-backend-name';
export { parseIntegerAtLeast } from './parse-integer-at-least';
export { prepareOutputDirectory } from './prepare-output-directory';
export { resolveFromInvocation } from './resolve-from-invocation';
export { runCommandLine } from './run-command-line';
export { UsageError } from './usage-error';
