/**
 * The sinusoid regression tasks of Finn et al. 2017 (section 5.1), MAML's classic sanity check:
 * y = A sin(x - phase) with amplitude A ~ U[0.1, 5], phase ~ U[0, pi], inputs x ~ U[-5, 5];
 * a task is learned from K examples.
 */
import { createRng, type Rng } from '@metarl/envs';

/** One sinusoid. */
export interface SinusoidTask {
  /** A in [0.1, 5]. */
  readonly amplitude: number;
  /** Phase in [0, pi]. */
  readonly phase: number;
}

/** `count` sinusoids drawn with `seed`. */
export function sampleSinusoidTasks(count: number, options: { readonly seed: number }): SinusoidTask[] {
  if (!Number.isInteger(count) || count < 1)
    throw new RangeError(`sampleSinusoidTasks: count must be a positive integer, got ${count}`);
  const rng = createRng(options.seed);
  return Array.from({ length: count }, () => ({
    amplitude: 0.1 + 4.9 * rng.next(),
    phase: Math.PI * rng.next(),
  }));
}

/** K examples of every task: inputs and targets `[T * K]`, task-major. */
export function sampleSinusoidPoints(
  tasks: readonly SinusoidTask[],
  points: number,
  rng: Rng,
): { inputs: Float32Array; targets: Float32Array } {
  if (!Number.isInteger(points) || points < 1)
    throw new RangeError(`sampleSinusoidPoints: points must be a positive integer, got ${points}`);
  const inputs = new Float32Array(tasks.length * points);
  const targets = new Float32Array(tasks.length * points);
  tasks.forEach((task, t) => {
    for (let k = 0; k < points; k += 1) {
      const x = -5 + 10 * rng.next();
      inputs[t * points + k] = x;
      targets[t * points + k] = task.amplitude * Math.sin(x - task.phase);
    }
  });
  return { inputs, targets };
}
