import * as tf from '@tensorflow/tfjs-core';

/** Tensors currently alive in the tfjs engine. */
export function countLiveTensors(): number {
  return tf.memory().numTensors;
}

/**
 * Runs `step` `iterations` times after `warmup` runs and returns how many live tensors were
 * added per iteration on average (0 for code that frees everything it allocates).
 */
export async function measureTensorGrowth(
  step: (iteration: number) => void | Promise<void>,
  options: { readonly iterations?: number; readonly warmup?: number } = {},
): Promise<{ readonly before: number; readonly after: number; readonly perIteration: number }> {
  const iterations = options.iterations ?? 20;
  const warmup = options.warmup ?? 2;
  for (let i = 0; i < warmup; i += 1) await step(i);
  const before = countLiveTensors();
  for (let i = 0; i < iterations; i += 1) await step(warmup + i);
  const after = countLiveTensors();
  return { before, after, perIteration: (after - before) / iterations };
}
