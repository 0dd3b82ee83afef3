/**
 * One-shot classification episodes as in Santoro et al. 2016, section 4: per episode C classes x
 * K instances = C·K steps in a random order, each class given a fresh label (a random
 * permutation of 0..C-1 per episode), and the input at step t = instance_t ⊕ one-hot(label of
 * step t-1) (zeros at step 0): the label of an instance arrives one step after it.
 */
import type { Rng } from '@metarl/core';

/** A batch of one-shot episodes, flat typed arrays (row-major). */
export interface OneShotBatch {
  /** Episodes B. */
  readonly batchSize: number;
  /** Steps per episode T = classes · instancesPerClass. */
  readonly steps: number;
  /** Floats per step = features + classes. */
  readonly inputSize: number;
  /** Classes per episode C. */
  readonly classes: number;
  /** Instances per class K. */
  readonly instancesPerClass: number;
  /** [B, T, inputSize]: instance ⊕ one-hot(previous step's label). */
  readonly inputs: Float32Array;
  /** [B, T]: the label of step t's instance (0..C-1). */
  readonly labels: Int32Array;
  /** [B, T]: how many instances of this class the episode showed before step t (0..K-1). */
  readonly instances: Int32Array;
}

/** Validates a positive integer option (the message names it, the value and the expected form). */
export function checkPositiveInteger(where: string, name: string, value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 1)
    throw new RangeError(`${where}: ${name} must be a positive integer, got ${String(value)}`);
  return value as number;
}

/** A uniformly random permutation of 0..count-1 (Fisher-Yates). */
export function shuffledIndices(count: number, rng: Rng): Int32Array {
  const order = Int32Array.from({ length: count }, (_v, i) => i);
  for (let i = count - 1; i > 0; i -= 1) {
    const j = rng.nextInt(i + 1);
    const swap = order[i]!;
    order[i] = order[j]!;
    order[j] = swap;
  }
  return order;
}

/**
 * Assembles B episodes. For each episode, `drawEpisode(rng)` returns C functions, one per class
 * (in class order), each giving the features of that class's k-th instance; this function
 * shuffles the steps, draws the label permutation and writes inputs, labels and instance indices.
 */
export function assembleEpisodes(options: {
  readonly batchSize: number;
  readonly classes: number;
  readonly instancesPerClass: number;
  readonly featureSize: number;
  readonly rng: Rng;
  readonly drawEpisode: (rng: Rng) => readonly ((instance: number) => ArrayLike<number>)[];
}): OneShotBatch {
  const { batchSize, classes, instancesPerClass, featureSize, rng } = options;
  const steps = classes * instancesPerClass;
  const inputSize = featureSize + classes;
  const inputs = new Float32Array(batchSize * steps * inputSize);
  const labels = new Int32Array(batchSize * steps);
  const instances = new Int32Array(batchSize * steps);
  for (let b = 0; b < batchSize; b += 1) {
    const classInstances = options.drawEpisode(rng);
    const labelOf = shuffledIndices(classes, rng); // class c carries label labelOf[c] in this episode
    const order = shuffledIndices(steps, rng); // step t shows slot order[t] = class · K + instance
    const seen = new Int32Array(classes);
    for (let t = 0; t < steps; t += 1) {
      const classIndex = Math.floor(order[t]! / instancesPerClass);
      const row = b * steps + t;
      const features = classInstances[classIndex]!(seen[classIndex]!);
      inputs.set(features, row * inputSize);
      if (t > 0) inputs[row * inputSize + featureSize + labels[row - 1]!] = 1;
      labels[row] = labelOf[classIndex]!;
      instances[row] = seen[classIndex]!;
      seen[classIndex]! += 1;
    }
  }
  return { batchSize, steps, inputSize, classes, instancesPerClass, inputs, labels, instances };
}
