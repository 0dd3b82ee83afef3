/**
 * Sinusoid regression tasks, the classic few-shot sanity check of MAML and Reptile:
 * y = A sin(x + phaseSign * phase), one task per (amplitude A, phase), learned from K examples.
 *
 * Two families are predefined:
 * - `FINN_SINUSOIDS` (the default everywhere except the grid functions): Finn et al. 2017,
 *   section 5.1: A ~ U[0.1, 5], phase ~ U[0, pi], y = A sin(x - phase), x ~ U[-5, 5].
 * - `REPTILE_SINUSOIDS`: the sine demo of Reptile (Nichol et al. 2018, the "Reptile" blog post
 *   and openai/supervised-reptile): A ~ U[0.1, 5), phase ~ U[0, 2 pi), y = A sin(x + phase),
 *   x on the grid linspace(-5, 5, 50) (`sinusoidGrid`, `sampleSinusoidGridPoints`).
 *
 * All numbers come from an explicit `Rng`; nothing here depends on tensors.
 */
import { describeValue } from '../describe-value';
import { createRng, type Rng } from '../rng/rng';

/** One sinusoid. */
export interface SinusoidTask {
  /** Amplitude A, drawn from the family's `amplitude` range. */
  readonly amplitude: number;
  /** Phase, drawn from the family's `phase` range; its sign in the formula is the family's `phaseSign`. */
  readonly phase: number;
}

/** A distribution of sinusoid tasks: y = A sin(x + phaseSign * phase). */
export interface SinusoidFamily {
  /** Amplitude range [low, high]: A = low + (high - low) * u, u ~ U[0, 1). */
  readonly amplitude: readonly [number, number];
  /** Phase range [low, high]: phase = low + (high - low) * u, u ~ U[0, 1). */
  readonly phase: readonly [number, number];
  /** Sign of the phase in y = A sin(x + phaseSign * phase): -1 for Finn et al., +1 for Reptile. */
  readonly phaseSign: -1 | 1;
  /** Input range [low, high]: uniform inputs are drawn from it, and the grid spans it (both ends included). */
  readonly inputRange: readonly [number, number];
}

/** Finn et al. 2017, section 5.1: A ~ U[0.1, 5], phase ~ U[0, pi], y = A sin(x - phase), x ~ U[-5, 5]. */
export const FINN_SINUSOIDS: SinusoidFamily = Object.freeze({
  amplitude: Object.freeze([0.1, 5] as const),
  phase: Object.freeze([0, Math.PI] as const),
  phaseSign: -1,
  inputRange: Object.freeze([-5, 5] as const),
});

/**
 * Reptile's sine demo (Nichol et al. 2018): A ~ U[0.1, 5), phase ~ U[0, 2 pi),
 * y = A sin(x + phase), x on the grid linspace(-5, 5, 50). (The reference draws the phase
 * before the amplitude with numpy; here, as for every family, the amplitude comes first.)
 */
export const REPTILE_SINUSOIDS: SinusoidFamily = Object.freeze({
  amplitude: Object.freeze([0.1, 5] as const),
  phase: Object.freeze([0, 2 * Math.PI] as const),
  phaseSign: 1,
  inputRange: Object.freeze([-5, 5] as const),
});

/** Inputs and targets of K examples of every task, `[T * K]`, task-major (task t's examples at t*K ... t*K + K - 1). */
export interface SinusoidPoints {
  /** The inputs x, float32. */
  readonly inputs: Float32Array;
  /** The targets y = A sin(x + phaseSign * phase), float32. */
  readonly targets: Float32Array;
}

/** Grid examples of every task: `SinusoidPoints` plus which grid point each example is. */
export interface SinusoidGridPoints extends SinusoidPoints {
  /** Index into the grid of every example, `[T * K]`, task-major. */
  readonly indices: Int32Array;
}

/** The number of points of Reptile's sine grid, linspace(-5, 5, 50). */
export const SINUSOID_GRID_SIZE = 50;

/**
 * `count` sinusoids of `family` (default `FINN_SINUSOIDS`) drawn with a generator seeded with
 * `seed`: per task the amplitude, then the phase.
 */
export function sampleSinusoidTasks(
  count: number,
  options: { readonly seed: number; readonly family?: SinusoidFamily },
): SinusoidTask[] {
  if (!Number.isInteger(count) || count < 1)
    throw new RangeError(
      `sampleSinusoidTasks: count must be a positive integer, got ${describeValue(count)}`,
    );
  if (typeof options !== 'object' || options === null)
    throw new TypeError(
      `sampleSinusoidTasks: options must be an object { seed, family? }, got ${describeValue(options)}`,
    );
  const family = checkFamily('sampleSinusoidTasks', options.family ?? FINN_SINUSOIDS);
  if (!Number.isSafeInteger(options.seed))
    throw new RangeError(
      `sampleSinusoidTasks: options.seed must be a safe integer, got ${describeValue(options.seed)}`,
    );
  const rng = createRng(options.seed);
  const [amplitudeLow, amplitudeHigh] = family.amplitude;
  const [phaseLow, phaseHigh] = family.phase;
  const amplitudeWidth = amplitudeHigh - amplitudeLow;
  const phaseWidth = phaseHigh - phaseLow;
  return Array.from({ length: count }, () => ({
    amplitude: amplitudeLow + amplitudeWidth * rng.next(),
    phase: phaseLow + phaseWidth * rng.next(),
  }));
}

/** y = A sin(x + phaseSign * phase) of `task` at `x`, in float64 (default family `FINN_SINUSOIDS`). */
export function sinusoidValue(
  task: SinusoidTask,
  x: number,
  family: SinusoidFamily = FINN_SINUSOIDS,
): number {
  checkTasks('sinusoidValue', [task], 'task');
  if (typeof x !== 'number' || Number.isNaN(x))
    throw new TypeError(`sinusoidValue: x must be a number, got ${describeValue(x)}`);
  checkFamily('sinusoidValue', family);
  return valueAt(task, x, family.phaseSign);
}

function valueAt(task: SinusoidTask, x: number, phaseSign: -1 | 1): number {
  return task.amplitude * Math.sin(x + phaseSign * task.phase);
}

/**
 * `points` examples of every task with inputs x ~ U[inputRange] drawn from `rng` (task by task,
 * one draw per example) and targets computed from the float64 x, then both stored as float32.
 * Default family `FINN_SINUSOIDS`.
 */
export function sampleSinusoidPoints(
  tasks: readonly SinusoidTask[],
  points: number,
  rng: Rng,
  family: SinusoidFamily = FINN_SINUSOIDS,
): SinusoidPoints {
  const id = 'sampleSinusoidPoints';
  checkTasks(id, tasks);
  if (!Number.isInteger(points) || points < 1)
    throw new RangeError(`${id}: points must be a positive integer, got ${describeValue(points)}`);
  checkRng(id, rng);
  checkFamily(id, family);
  const [low, high] = family.inputRange;
  const width = high - low;
  const inputs = new Float32Array(tasks.length * points);
  const targets = new Float32Array(tasks.length * points);
  tasks.forEach((task, t) => {
    for (let k = 0; k < points; k += 1) {
      const x = low + width * rng.next();
      inputs[t * points + k] = x;
      targets[t * points + k] = valueAt(task, x, family.phaseSign);
    }
  });
  return { inputs, targets };
}

/**
 * `points` evenly spaced inputs over `family.inputRange`, both ends included, as numpy's
 * linspace computes them (x_i = low + i * (high - low) / (points - 1), the last one exactly
 * high), stored as float32. Default: Reptile's grid linspace(-5, 5, 50).
 */
export function sinusoidGrid(
  points: number = SINUSOID_GRID_SIZE,
  family: SinusoidFamily = REPTILE_SINUSOIDS,
): Float32Array {
  if (!Number.isInteger(points) || points < 1)
    throw new RangeError(`sinusoidGrid: points must be a positive integer, got ${describeValue(points)}`);
  checkFamily('sinusoidGrid', family);
  return linspace(family.inputRange[0], family.inputRange[1], points);
}

/**
 * `points` examples of every task at grid points drawn uniformly WITH replacement (numpy's
 * `rng.choice(gridSize, size=points)`, as Reptile's sine demo picks its training examples): one
 * `rng.nextInt(gridSize)` per example, task by task. The grid is `sinusoidGrid(gridSize, family)`
 * and the targets are computed at its float32 values, so they equal `sinusoidGridTargets` at the
 * same grid points exactly. Default family `REPTILE_SINUSOIDS`, grid of 50 points.
 */
export function sampleSinusoidGridPoints(
  tasks: readonly SinusoidTask[],
  points: number,
  rng: Rng,
  family: SinusoidFamily = REPTILE_SINUSOIDS,
  gridSize: number = SINUSOID_GRID_SIZE,
): SinusoidGridPoints {
  const id = 'sampleSinusoidGridPoints';
  checkTasks(id, tasks);
  if (!Number.isInteger(points) || points < 1)
    throw new RangeError(`${id}: points must be a positive integer, got ${describeValue(points)}`);
  checkRng(id, rng);
  checkFamily(id, family);
  if (!Number.isInteger(gridSize) || gridSize < 1)
    throw new RangeError(`${id}: gridSize must be a positive integer, got ${describeValue(gridSize)}`);
  const grid = linspace(family.inputRange[0], family.inputRange[1], gridSize);
  const inputs = new Float32Array(tasks.length * points);
  const targets = new Float32Array(tasks.length * points);
  const indices = new Int32Array(tasks.length * points);
  tasks.forEach((task, t) => {
    for (let k = 0; k < points; k += 1) {
      const index = rng.nextInt(gridSize);
      const x = grid[index]!;
      indices[t * points + k] = index;
      inputs[t * points + k] = x;
      targets[t * points + k] = valueAt(task, x, family.phaseSign);
    }
  });
  return { inputs, targets, indices };
}

/**
 * The targets of every task at every point of `grid` (any inputs, usually `sinusoidGrid()`), for
 * evaluation: `Float32Array [T * grid.length]`, task-major. Default family `REPTILE_SINUSOIDS`.
 */
export function sinusoidGridTargets(
  tasks: readonly SinusoidTask[],
  grid: ArrayLike<number>,
  family: SinusoidFamily = REPTILE_SINUSOIDS,
): Float32Array {
  const id = 'sinusoidGridTargets';
  checkTasks(id, tasks);
  if (
    !(grid instanceof Float32Array || grid instanceof Float64Array || Array.isArray(grid)) ||
    grid.length < 1
  )
    throw new TypeError(
      `${id}: grid must be a non-empty Float32Array, Float64Array or number array, got ${describeValue(grid)}`,
    );
  for (let i = 0; i < grid.length; i += 1) {
    if (typeof grid[i] !== 'number' || !Number.isFinite(grid[i]))
      throw new RangeError(`${id}: grid element ${i} must be a finite number, got ${describeValue(grid[i])}`);
  }
  checkFamily(id, family);
  const size = grid.length;
  const targets = new Float32Array(tasks.length * size);
  tasks.forEach((task, t) => {
    for (let i = 0; i < size; i += 1) targets[t * size + i] = valueAt(task, grid[i]!, family.phaseSign);
  });
  return targets;
}

function linspace(low: number, high: number, points: number): Float32Array {
  const out = new Float32Array(points);
  if (points === 1) {
    out[0] = low;
    return out;
  }
  const step = (high - low) / (points - 1);
  for (let i = 0; i < points; i += 1) out[i] = i * step + low;
  out[points - 1] = high;
  return out;
}

function isRange(value: unknown): value is readonly [number, number] {
  return (
    Array.isArray(value) &&
    value.length === 2 &&
    value.every((bound) => typeof bound === 'number' && Number.isFinite(bound)) &&
    value[0] <= value[1]
  );
}

function checkFamily(id: string, family: SinusoidFamily): SinusoidFamily {
  if (typeof family !== 'object' || family === null)
    throw new TypeError(
      `${id}: family must be a SinusoidFamily { amplitude, phase, phaseSign, inputRange }, got ${describeValue(family)}`,
    );
  for (const name of ['amplitude', 'phase', 'inputRange'] as const) {
    if (!isRange(family[name]))
      throw new RangeError(
        `${id}: family.${name} must be [low, high] with finite low <= high, got ${describeValue(family[name])}`,
      );
  }
  if (family.phaseSign !== -1 && family.phaseSign !== 1)
    throw new RangeError(`${id}: family.phaseSign must be -1 or 1, got ${describeValue(family.phaseSign)}`);
  return family;
}

function checkTasks(id: string, tasks: readonly SinusoidTask[], name = 'tasks'): void {
  if (!Array.isArray(tasks) || tasks.length < 1)
    throw new TypeError(
      `${id}: tasks must be a non-empty array of SinusoidTask, got ${describeValue(tasks)}`,
    );
  tasks.forEach((task, t) => {
    const label = name === 'tasks' ? `tasks[${t}]` : name;
    if (typeof task !== 'object' || task === null)
      throw new TypeError(
        `${id}: ${label} must be a SinusoidTask { amplitude, phase }, got ${describeValue(task)}`,
      );
    for (const field of ['amplitude', 'phase'] as const) {
      if (typeof task[field] !== 'number' || !Number.isFinite(task[field]))
        throw new RangeError(
          `${id}: ${label}.${field} must be a finite number, got ${describeValue(task[field])}`,
        );
    }
  });
}

function checkRng(id: string, rng: Rng): void {
  if (typeof rng !== 'object' || rng === null || typeof rng.next !== 'function')
    throw new TypeError(`${id}: rng must be an Rng (createRng(seed)), got ${describeValue(rng)}`);
}
