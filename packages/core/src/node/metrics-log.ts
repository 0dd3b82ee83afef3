/**
 * Metrics files of a training run (Node only): JSONL (one record per line; NaN and ±Infinity kept, written
 * as the strings "NaN", "Infinity", "-Infinity") and CSV with a fixed header.
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { MetricsRecord } from '../meta/train-meta-learner';

function encode(value: number): number | string {
  return Number.isFinite(value) ? value : String(value);
}

function decode(value: unknown): number {
  if (value === 'NaN') return Number.NaN;
  if (value === 'Infinity') return Number.POSITIVE_INFINITY;
  if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
  return value as number;
}

/** Options of `MetricsLog`. */
export interface MetricsLogOptions {
  /**
   * Continue a resumed run: keep the records of `path` up to this `iteration` (later ones were
   * written after the checkpoint being resumed and are dropped) and append after them. Without
   * it the files are started afresh: a new run never mixes its records with an old run's.
   */
  readonly continueAfterIteration?: number;
}

/** Writes records to `path` (JSONL) and to `csvPath` (CSV, header from the run's first record). */
export class MetricsLog {
  private header: string[] | undefined;

  constructor(
    private readonly path: string,
    private readonly csvPath: string,
    options: MetricsLogOptions = {},
  ) {
    const kept =
      options.continueAfterIteration !== undefined && existsSync(path)
        ? readMetrics(path).filter(
            (r) => (r.iteration ?? Number.POSITIVE_INFINITY) <= options.continueAfterIteration!,
          )
        : [];
    writeFileSync(path, '');
    writeFileSync(csvPath, '');
    for (const record of kept) this.append(record);
  }

  /** Writes one record; its keys must be the run's fixed keys. */
  append(record: MetricsRecord): void {
    const keys = Object.keys(record);
    appendFileSync(
      this.path,
      `${JSON.stringify(Object.fromEntries(keys.map((k) => [k, encode(record[k]!)])))}\n`,
    );
    if (this.header === undefined) {
      this.header = keys;
      appendFileSync(this.csvPath, `${keys.join(',')}\n`);
    }
    const missing = this.header.filter((k) => !(k in record));
    const extra = keys.filter((k) => !this.header!.includes(k));
    if (missing.length > 0 || extra.length > 0) {
      throw new RangeError(
        `MetricsLog: metrics keys must stay fixed (missing: ${missing.join(', ') || 'none'}; new: ${extra.join(', ') || 'none'})`,
      );
    }
    appendFileSync(this.csvPath, `${this.header.map((k) => String(record[k])).join(',')}\n`);
  }
}

/** Reads a metrics JSONL file back, restoring NaN and ±Infinity. */
export function readMetrics(path: string): MetricsRecord[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line, i) => {
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(line);
      } catch (error) {
        throw new SyntaxError(`readMetrics(${path}): line ${i + 1} is not JSON: ${(error as Error).message}`);
      }
      return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, decode(v)]));
    });
}
