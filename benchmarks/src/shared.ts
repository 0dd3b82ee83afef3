/** What every benchmark shares: flags, machine description, timing and the JSON report. */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';

/** `--name value` from the command line, or `fallback`. */
export function readFlag(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  if (index === -1) return fallback;
  const value = process.argv[index + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`--${name} needs a value`);
  return value;
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
  const out = readFlag('out', '');
  if (out === '') process.stdout.write(text);
  else {
    writeFileSync(resolve(process.env.INIT_CWD ?? process.cwd(), out), text);
    console.error(`wrote ${out}`);
  }
}
