import { type Command, CommanderError, type OptionValues } from 'commander';
import { UsageError } from './usage-error';

/** Writes `error: <message>` (one line, no stack trace) and ends the process with `code`. */
function exitWith(message: string, code: number): never {
  process.stderr.write(`error: ${message.split('\n').join(' ')}\n`);
  process.exit(code);
}

/**
 * Runs an app: parses `argv` with `program` (a leading `--`, as `pnpm start -- --help` passes it
 * on, is dropped), then `main` with the parsed options. `--help` exits 0; a bad option, a
 * `UsageError` or any other error prints one line on stderr and exits 2 (usage) or 1 (runtime).
 */
export async function runCommandLine<Options extends OptionValues>(
  program: Command,
  main: (options: Options) => Promise<void>,
  argv: readonly string[] = process.argv.slice(2),
): Promise<void> {
  program
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      // One line: commander puts its "(Did you mean --seed?)" on a second one.
      outputError: (text, write) => write(`${text.trimEnd().split('\n').join(' ')}\n`),
    });
  try {
    program.parse(argv[0] === '--' ? argv.slice(1) : [...argv], { from: 'user' });
  } catch (error) {
    // commander has printed the help (exit code 0) or its one-line error already.
    if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 2);
    throw error;
  }
  try {
    await main(program.opts<Options>());
  } catch (error) {
    if (error instanceof UsageError) exitWith(error.message, 2);
    exitWith(error instanceof Error ? error.message : String(error), 1);
  }
}
