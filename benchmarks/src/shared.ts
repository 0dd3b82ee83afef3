/** What every benchmark shares: flags, machine description, timing and the JSON report. */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { tf } from '@metarl/core';

/** One command-line flag of a benchmark: its type, default and a one-line description. */
export type FlagSpec =
  | {
      readonly type: 'string';
      readonly default: string;
      readonly choices?: readonly string[];
      readonly description: string;
    }
  | {
      readonly type: 'integer';
      /** null: no fixed default (the benchmark picks one, as its description says). */
      readonly default: number | null;
      readonly minimum?: number;
      readonly description: string;
    }
  | {
      readonly type: 'number';
      readonly default: number;
      readonly minimum?: number;
      readonly description: string;
    }
  | { readonly type: 'boolean'; readonly default: boolean; readonly description: string }
  | { readonly type: 'integers'; readonly default: readonly number[]; readonly description: string }
  | { readonly type: 'strings'; readonly default: readonly string[]; readonly description: string };

/** The parsed value of each flag in a spec. */
export type FlagValues<Spec extends Record<string, FlagSpec>> = {
  readonly [Name in keyof Spec]: Spec[Name] extends { type: 'string' }
    ? string
    : Spec[Name] extends { type: 'boolean' }
      ? boolean
      : Spec[Name] extends { type: 'integers' }
        ? readonly number[]
        : Spec[Name] extends { type: 'strings' }
          ? readonly string[]
          : Spec[Name] extends { default: null }
            ? number | null
            : number;
};

let outFile = '';

/** A bad command line: the message names the flag, the value and the expected form. */
export class FlagError extends Error {
  override name = 'FlagError';
}

function usageError(benchmark: string, message: string): never {
  throw new FlagError(`pnpm bench ${benchmark}: ${message} (see --help)`);
}

function describeFlags(benchmark: string, spec: Record<string, FlagSpec>): string {
  const lines = Object.entries(spec).map(([name, flag]) => {
    const fallback = Array.isArray(flag.default) ? flag.default.join(',') : String(flag.default);
    const choices = flag.type === 'string' && flag.choices ? ` (${flag.choices.join(' | ')})` : '';
    const shown = flag.default === null ? '' : ` (default ${fallback === '' ? 'none' : fallback})`;
    if (flag.type === 'boolean') return `  --${name}  ${flag.description}`;
    return `  --${name} <${flag.type}>${choices}  ${flag.description}${shown}`;
  });
  return [
    `usage: pnpm bench ${benchmark} [-- flags]`,
    ...lines,
    '  --out <file>  write the JSON result to this file (default stdout)',
  ].join('\n');
}

function parseFlag(benchmark: string, name: string, flag: FlagSpec, text: string): unknown {
  const fail = (expected: string): never =>
    usageError(benchmark, `--${name} must be ${expected}, got '${text}'`);
  const parseNumber = (item: string, integer: boolean, minimum: number | undefined): number => {
    const value = item.trim() === '' ? Number.NaN : Number(item);
    const kind = integer ? 'an integer' : 'a number';
    const bound = minimum === undefined ? '' : ` >= ${minimum}`;
    if (!Number.isFinite(value) || (integer && !Number.isInteger(value))) fail(`${kind}${bound}`);
    if (minimum !== undefined && value < minimum) fail(`${kind}${bound}`);
    return value;
  };
  switch (flag.type) {
    case 'boolean':
      if (text !== 'true' && text !== 'false') fail("'true' or 'false' (or the bare flag for true)");
      return text === 'true';
    case 'string':
      if (flag.choices && !flag.choices.includes(text)) fail(`one of ${flag.choices.join(', ')}`);
      return text;
    case 'integer':
      return parseNumber(text, true, flag.minimum);
    case 'number':
      return parseNumber(text, false, flag.minimum);
    case 'integers':
      return text.split(',').map((item) => parseNumber(item, true, undefined));
    case 'strings':
      return text.split(',').filter((item) => item !== '');
  }
}

/** The parsed command line: every flag's value, the `--out` file ('' for stdout) and whether `--help` was asked. */
export interface ParsedFlags<Spec extends Record<string, FlagSpec>> {
  /** Each flag's value (its default when not given). */
  readonly values: FlagValues<Spec>;
  /** `--out <file>`, or '' (stdout). */
  readonly out: string;
  /** True when `--help` or `-h` was given. */
  readonly help: boolean;
}

/**
 * Parses `argv` (`--name value` or `--name=value`) against `spec`: every flag must be in `spec` (or
 * be `--out <file>`); an unknown flag, a repeated one, a missing value or a value of the wrong
 * form throws a FlagError naming the flag, the value and the expected form.
 */
export function parseFlags<Spec extends Record<string, FlagSpec>>(
  benchmark: string,
  spec: Spec,
  argv: readonly string[],
): ParsedFlags<Spec> {
  const values: Record<string, unknown> = {};
  for (const [name, flag] of Object.entries(spec)) values[name] = flag.default;
  const seen = new Set<string>();
  let out = '';
  for (let i = 0; i < argv.length; i += 1) {
    const argument = argv[i]!;
    if (argument === '--') continue;
    if (argument === '--help' || argument === '-h')
      return { values: values as FlagValues<Spec>, out, help: true };
    if (!argument.startsWith('--')) usageError(benchmark, `unexpected argument '${argument}'`);
    const equals = argument.indexOf('=');
    const name = equals === -1 ? argument.slice(2) : argument.slice(2, equals);
    if (name !== 'out' && !Object.hasOwn(spec, name)) {
      const known = [...Object.keys(spec), 'out'].map((flag) => `--${flag}`).join(', ');
      usageError(benchmark, `unknown flag --${name}; known flags: ${known}`);
    }
    if (seen.has(name)) usageError(benchmark, `--${name} is given twice`);
    seen.add(name);
    let text: string | undefined;
    if (equals !== -1) text = argument.slice(equals + 1);
    else if (spec[name]?.type === 'boolean') text = 'true';
    else {
      text = argv[i + 1];
      i += 1;
    }
    if (text === undefined || (equals === -1 && text.startsWith('--')))
      usageError(benchmark, `--${name} needs a value`);
    if (name === 'out') out = text;
    else values[name] = parseFlag(benchmark, name, spec[name]!, text);
  }
  return { values: values as FlagValues<Spec>, out, help: false };
}

/**
 * Reads the benchmark's flags from the command line (see parseFlags): a bad command line ends the
 * run before any work with a one-line message and exit code 2; `--help` prints every flag with its
 * default and exits 0.
 */
export function readFlags<Spec extends Record<string, FlagSpec>>(
  benchmark: string,
  spec: Spec,
  argv: readonly string[] = process.argv.slice(2),
): FlagValues<Spec> {
  try {
    const parsed = parseFlags(benchmark, spec, argv);
    if (parsed.help) {
      process.stdout.write(`${describeFlags(benchmark, spec)}\n`);
      process.exit(0);
    }
    outFile = parsed.out;
    return parsed.values;
  } catch (error) {
    if (!(error instanceof FlagError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
}

/** The machine, as every result records it. */
export function describeMachine() {
  const list = cpus();
  return {
    cores: list.length,
    cpuModel: list[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

/** Median of `values`. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * Times `run` after at least `warmup` runs and `warmupSeconds` of warm-up (the JIT settles):
 * at least `minRuns`, then more until `minSeconds` have passed (at most `maxRuns`). Returns
 * every duration in milliseconds and their median.
 */
export function timeRepeated(
  run: () => void,
  options: {
    warmup?: number;
    warmupSeconds?: number;
    minRuns?: number;
    maxRuns?: number;
    minSeconds?: number;
  } = {},
): { medianMs: number; runsMs: number[] } {
  const warmup = options.warmup ?? 2;
  const minRuns = options.minRuns ?? 5;
  const maxRuns = options.maxRuns ?? 200;
  const minSeconds = options.minSeconds ?? 1;
  const warmupStarted = performance.now();
  const warmupSeconds = options.warmupSeconds ?? 0.5;
  for (
    let i = 0;
    i < warmup || (performance.now() - warmupStarted < warmupSeconds * 1000 && i < maxRuns);
    i += 1
  )
    run();
  const runsMs: number[] = [];
  const started = performance.now();
  while (
    runsMs.length < maxRuns &&
    (runsMs.length < minRuns || performance.now() - started < minSeconds * 1000)
  ) {
    const t0 = performance.now();
    run();
    runsMs.push(performance.now() - t0);
  }
  return { medianMs: median(runsMs), runsMs };
}

/** Writes the JSON document to `--out` (or stdout) and says where on stderr. */
export function report(document: Record<string, unknown>): void {
  const text = `${JSON.stringify(document, null, 2)}\n`;
  const out = outFile;
  if (out === '') process.stdout.write(text);
  else {
    writeFileSync(resolve(process.env.INIT_CWD ?? process.cwd(), out), text);
    console.error(`wrote ${out}`);
  }
}

/**
 * The flags of the benchmarks that run on wasm: `--threads`, `--native` (`both` runs each
 * measurement with and without @metarl/native's kernels where the benchmark supports it) and
 * `--kernel-times`. `what` says what `both` does in this benchmark, or is undefined where it has
 * no `both` (then `auto` is the default).
 */
export function wasmFlags(what?: string) {
  return {
    threads: {
      type: 'integer',
      default: 1,
      minimum: 1,
      description: 'wasm threads (native product threads when native)',
    },
    native: {
      type: 'string',
      default: what === undefined ? 'auto' : 'both',
      choices: what === undefined ? ['auto', 'on', 'off'] : ['both', 'on', 'off'],
      description:
        what === undefined
          ? "wasm's native kernels (@metarl/native)"
          : `wasm's native kernels (@metarl/native): 'both' ${what}`,
    },
    'kernel-times': {
      type: 'boolean',
      default: false,
      description: 'time every kernel (adds ~1 us per kernel)',
    },
  } as const satisfies Record<string, FlagSpec>;
}

type RegisteredKernel = ReturnType<typeof tf.getKernelsForBackend>[number];
const timedKernels = new WeakSet<RegisteredKernel['kernelFunc']>();
const kernelTimes = new Map<string, { milliseconds: number; calls: number }>();

/**
 * Times every kernel registered for `backend` from now on (`--kernel-times`): each kernel
 * function is wrapped once (again after `useBackend` re-registers some), and `takeKernelTimes`
 * returns and clears what was measured. A kernel's time includes the kernels it calls directly.
 */
export function timeKernels(backend = 'wasm'): void {
  for (const config of tf.getKernelsForBackend(backend)) {
    if (timedKernels.has(config.kernelFunc)) continue;
    const inner = config.kernelFunc;
    const name = config.kernelName;
    const timed: RegisteredKernel['kernelFunc'] = (args) => {
      const started = performance.now();
      try {
        return inner(args);
      } finally {
        const entry = kernelTimes.get(name) ?? { milliseconds: 0, calls: 0 };
        entry.milliseconds += performance.now() - started;
        entry.calls += 1;
        kernelTimes.set(name, entry);
      }
    };
    timedKernels.add(timed);
    tf.unregisterKernel(name, backend);
    tf.registerKernel({ ...config, kernelFunc: timed });
  }
}

/** The kernel times measured since the last call (largest first, with each one's share), and clears them. */
export function takeKernelTimes(): { kernel: string; milliseconds: number; calls: number; share: number }[] {
  const total = [...kernelTimes.values()].reduce((sum, entry) => sum + entry.milliseconds, 0);
  const rows = [...kernelTimes.entries()]
    .map(([kernel, entry]) => ({
      kernel,
      milliseconds: Number(entry.milliseconds.toFixed(1)),
      calls: entry.calls,
      share: Number((entry.milliseconds / Math.max(total, 1e-9)).toFixed(3)),
    }))
    .sort((a, b) => b.milliseconds - a.milliseconds);
  kernelTimes.clear();
  return rows;
}

/** One line per kernel for the console: the top `count` kernels by time. */
export function formatKernelTimes(rows: ReturnType<typeof takeKernelTimes>, count = 12): string {
  return rows
    .slice(0, count)
    .map(
      (row) =>
        `  ${row.kernel.padEnd(18)} ${row.milliseconds.toFixed(0).padStart(8)} ms  ${(100 * row.share).toFixed(1).padStart(5)}%  ${String(row.calls).padStart(7)} calls`,
    )
    .join('\n');
}
