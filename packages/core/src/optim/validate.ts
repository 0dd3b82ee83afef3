import type { OptimizerState } from './optimizer';

export function requirePositive(value: unknown, name: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${name} must be a finite number > 0, got ${String(value)}`);
  }
}

export function checkState(state: OptimizerState, kind: string): void {
  if (state?.kind !== kind) {
    throw new TypeError(
      `${kind}.step: state was made by '${String(state?.kind)}', expected '${kind}' (use ${kind}.init)`,
    );
  }
}
