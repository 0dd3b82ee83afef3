/**
 * The backend conformance suite: every op metarl differentiates, to first and second order,
 * plus a whole MAML meta-gradient and a Hessian-vector product, each against float64 finite
 * differences. Any backend, built in or new, must pass it before it declares
 * `secondOrderVerified`.
 *
 * @example
 * import { useBackend } from '@metarl/core';
 * import { formatConformanceReport, runConformanceSuite } from '@metarl/core/testing';
 * await useBackend('wasm');
 * const report = await runConformanceSuite();
 * console.log(formatConformanceReport(report));
 * if (!report.passed) process.exit(1);
 */

import { createRng } from '@metarl/envs';
import * as tf from '@tensorflow/tfjs-core';
import { ensureExactGradients } from '../tfjs-internals/exact-gradients';
import { checkGradientCase, type GradientCheckResult } from './gradient-check';
import { checkHessianVectorProduct, checkMamlMetaGradient } from './maml-check';
import { listOpCases, toGradientCase } from './op-cases';

/** The outcome of `runConformanceSuite`. */
export interface ConformanceReport {
  /** The tfjs backend it ran on. */
  readonly backend: string;
  /** Every check with its measured relative error. */
  readonly results: readonly GradientCheckResult[];
  /** True when every check passed. */
  readonly passed: boolean;
  /** The largest relative error at each order among the op checks. */
  readonly worst: { readonly first: number; readonly second: number };
}

/** Options of `runConformanceSuite`. */
export interface ConformanceOptions {
  /** Seed of the evaluation points and directions; default 2024. */
  readonly seed?: number;
  /** Only cases whose name contains this text. */
  readonly filter?: string;
}

/** Runs the suite on the current tfjs backend (select it with `useBackend` first). */
export async function runConformanceSuite(options: ConformanceOptions = {}): Promise<ConformanceReport> {
  ensureExactGradients();
  const rng = createRng(options.seed ?? 2024);
  const results: GradientCheckResult[] = [];
  for (const op of listOpCases()) {
    const caseRng = rng.split(1)[0]!;
    if (options.filter !== undefined && !op.name.includes(options.filter)) continue;
    results.push(...(await checkGradientCase(toGradientCase(op, caseRng), caseRng)));
  }
  if (options.filter === undefined || 'MAML meta-gradient'.includes(options.filter))
    results.push(await checkMamlMetaGradient());
  if (options.filter === undefined || 'Hessian-vector product'.includes(options.filter)) {
    results.push(await checkHessianVectorProduct());
  }
  const opResults = results.filter((r) => !r.name.startsWith('MAML') && !r.name.startsWith('Hessian'));
  const worstAt = (order: 1 | 2) =>
    opResults.filter((r) => r.order === order).reduce((max, r) => Math.max(max, r.relativeError), 0);
  return {
    backend: tf.getBackend(),
    results,
    passed: results.every((r) => r.passed),
    worst: { first: worstAt(1), second: worstAt(2) },
  };
}

/** A plain-text table of a report, failures marked. */
export function formatConformanceReport(report: ConformanceReport): string {
  const width = Math.max(...report.results.map((r) => r.name.length));
  const lines = [
    `conformance on backend '${report.backend}': ${report.results.filter((r) => r.passed).length}/${report.results.length} checks passed`,
    `${'check'.padEnd(width)}  order  relative error  tolerance`,
  ];
  for (const r of report.results) {
    lines.push(
      `${r.name.padEnd(width)}  ${String(r.order).padStart(5)}  ${r.relativeError.toExponential(2).padStart(14)}  ${r.tolerance.toExponential(0).padStart(9)}${r.passed ? '' : '  FAILED'}`,
    );
  }
  return lines.join('\n');
}
