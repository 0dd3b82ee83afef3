import { createRng } from '@metarl/core';
import { describe, expect, it } from 'vitest';
import { type OneShotBatch, sampleSyntheticEpisodes } from '../src/index';

/** Checks every structural property of an episode batch; returns the per-episode label sets. */
function checkEpisodes(batch: OneShotBatch, featureSize: number): void {
  const { batchSize, steps, classes, instancesPerClass, inputSize } = batch;
  expect(steps).toBe(classes * instancesPerClass);
  expect(inputSize).toBe(featureSize + classes);
  expect(batch.inputs).toHaveLength(batchSize * steps * inputSize);
  for (let b = 0; b < batchSize; b += 1) {
    const counts = new Array<number>(classes).fill(0);
    for (let t = 0; t < steps; t += 1) {
      const row = b * steps + t;
      const label = batch.labels[row]!;
      // Instance index = how many times this label was seen before in the episode.
      expect(batch.instances[row]).toBe(counts[label]);
      counts[label]! += 1;
      // One-hot of the previous step's label (zeros at step 0).
      const oneHot = Array.from(batch.inputs.subarray(row * inputSize + featureSize, (row + 1) * inputSize));
      const expected = new Array<number>(classes).fill(0);
      if (t > 0) expected[batch.labels[row - 1]!] = 1;
      expect(oneHot).toEqual(expected);
    }
    // Every label exactly K times: the labels are a permutation of the classes, each shown K times.
    expect(counts).toEqual(new Array<number>(classes).fill(instancesPerClass));
  }
}

describe('sampleSyntheticEpisodes', () => {
  it('has the documented defaults and layout (5 classes x 10 instances, 400 + 5 inputs)', () => {
    const batch = sampleSyntheticEpisodes(4, createRng(1));
    expect(batch).toMatchObject({
      batchSize: 4,
      steps: 50,
      inputSize: 405,
      classes: 5,
      instancesPerClass: 10,
    });
    checkEpisodes(batch, 400);
  });

  it('draws instances around a per-class prototype with noise sigma and fresh classes per episode', () => {
    const [classes, instances, dimension, sigma] = [3, 6, 2000, 0.5];
    const batch = sampleSyntheticEpisodes(2, createRng(2), {
      classes,
      instancesPerClass: instances,
      dimension,
      sigma,
    });
    checkEpisodes(batch, dimension);
    const vector = (b: number, t: number) =>
      batch.inputs.subarray(
        (b * batch.steps + t) * batch.inputSize,
        (b * batch.steps + t) * batch.inputSize + dimension,
      );
    const squaredDistance = (x: Float32Array, y: Float32Array) =>
      x.reduce((p, v, i) => p + (v - y[i]!) ** 2, 0);
    const rows = (b: number, label: number) =>
      Array.from({ length: batch.steps }, (_v, t) => t).filter(
        (t) => batch.labels[b * batch.steps + t] === label,
      );
    // Coordinates have variance (1 + sigma^2) / dimension. Squared distances: same class (two
    // noises) 2 sigma^2; different classes 2 + 2 sigma^2.
    const [first, second] = rows(0, 0);
    expect(squaredDistance(vector(0, first!), vector(0, second!))).toBeCloseTo(2 * sigma ** 2, 1);
    const other = rows(0, 1)[0]!;
    expect(squaredDistance(vector(0, first!), vector(0, other))).toBeCloseTo(2 + 2 * sigma ** 2, 1);
    // Episode 1's classes are new: far from every class of episode 0.
    for (const label of [0, 1, 2]) {
      const distance = squaredDistance(vector(1, rows(1, label)[0]!), vector(0, first!));
      expect(distance).toBeGreaterThan(1.5);
    }
  });

  it('draws a fresh label permutation per episode and is deterministic for a seed', () => {
    const options = { classes: 4, instancesPerClass: 2, dimension: 3 };
    const a = sampleSyntheticEpisodes(50, createRng(3), options);
    const b = sampleSyntheticEpisodes(50, createRng(3), options);
    expect(a.inputs).toEqual(b.inputs);
    expect(a.labels).toEqual(b.labels);
    // The first step's label is uniform over the classes across episodes.
    const firstLabels = new Set(Array.from({ length: 50 }, (_v, e) => a.labels[e * a.steps]));
    expect(firstLabels.size).toBe(4);
  });

  it('rejects bad options with the name, the value and the expected form', () => {
    expect(() => sampleSyntheticEpisodes(0, createRng(1))).toThrow(
      'sampleSyntheticEpisodes: batchSize must be a positive integer, got 0',
    );
    expect(() => sampleSyntheticEpisodes(1, createRng(1), { sigma: -1 })).toThrow(
      'sigma must be a finite number >= 0, got -1',
    );
    expect(() => sampleSyntheticEpisodes(1, createRng(1), { classes: 2.5 })).toThrow(
      'classes must be a positive integer, got 2.5',
    );
  });
});
