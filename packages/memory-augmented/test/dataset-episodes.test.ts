import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRng } from '@metarl/core';
import { loadImageFolderDataset } from '@metarl/envs/node';
import { afterAll, describe, expect, it } from 'vitest';
import { encodePng } from '../../../test-support/png';
import { rotateSquareImage, sampleDatasetEpisodes } from '../src/index';

describe('rotateSquareImage', () => {
  it('rotates by quarter turns (four turns = identity)', () => {
    const image = Float32Array.from([1, 2, 3, 4]); // [[1, 2], [3, 4]]
    expect(Array.from(rotateSquareImage(image, 2, 1))).toEqual([2, 4, 1, 3]);
    expect(Array.from(rotateSquareImage(image, 2, 2))).toEqual([4, 3, 2, 1]);
    expect(Array.from(rotateSquareImage(rotateSquareImage(image, 2, 3), 2, 1))).toEqual([1, 2, 3, 4]);
  });
});

// The path a user with Omniglot on disk takes: PNG files in alphabet/character folders, loaded by
// envs' loadImageFolderDataset at the paper's 20 x 20, then one-shot episodes.
describe('one-shot episodes from an image folder', () => {
  const root = mkdtempSync(join(tmpdir(), 'metarl-omniglot-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  // 2 alphabets x 2 characters x 3 drawings of 40 x 40 (white paper, black ink): character c of
  // alphabet a is a horizontal bar at rows [band, band + 10).
  for (const alphabet of ['Alpha', 'Beta'])
    for (const character of ['character01', 'character02']) {
      mkdirSync(join(root, alphabet, character), { recursive: true });
      const band = (alphabet === 'Alpha' ? 0 : 20) + (character === 'character01' ? 0 : 10);
      for (let drawing = 0; drawing < 3; drawing += 1) {
        const samples = Array.from({ length: 40 * 40 }, (_v, p) => {
          const y = Math.floor(p / 40);
          return y >= band && y < band + 10 ? 0 : 255;
        });
        writeFileSync(
          join(root, alphabet, character, `d${drawing}.png`),
          encodePng({ width: 40, height: 40, depth: 8, colorType: 0, samples, filters: [0, 1, 2, 3, 4] }),
        );
      }
    }
  const dataset = loadImageFolderDataset(root, { width: 20, height: 20, invert: true });

  it('assembles episodes of distinct classes with the one-shot layout', () => {
    expect(dataset.classCount).toBe(4);
    const batch = sampleDatasetEpisodes(dataset, 6, createRng(1), { classes: 2, instancesPerClass: 3 });
    expect(batch).toMatchObject({ batchSize: 6, steps: 6, inputSize: 402, classes: 2, instancesPerClass: 3 });
    for (let b = 0; b < 6; b += 1) {
      // Same label -> same image (the drawings of a class are identical here); different labels ->
      // different bars; the inverted strokes are 1 on a 0 background; the label arrives a step later.
      const imageOf = (t: number) =>
        Array.from(batch.inputs.subarray((b * 6 + t) * 402, (b * 6 + t) * 402 + 400)).join();
      const byLabel = new Map<number, Set<string>>();
      for (let t = 0; t < 6; t += 1) {
        const label = batch.labels[b * 6 + t]!;
        byLabel.set(label, (byLabel.get(label) ?? new Set()).add(imageOf(t)));
        const previous = batch.inputs.subarray((b * 6 + t) * 402 + 400, (b * 6 + t + 1) * 402);
        expect(Array.from(previous)).toEqual(
          t === 0 ? [0, 0] : [0, 1].map((l) => (l === batch.labels[b * 6 + t - 1] ? 1 : 0)),
        );
      }
      expect([...byLabel.values()].map((s) => s.size)).toEqual([1, 1]);
      const [first, second] = [...byLabel.values()].map((s) => [...s][0]);
      expect(first).not.toBe(second);
      const image = batch.inputs.subarray(b * 6 * 402, b * 6 * 402 + 400);
      expect(Array.from(image).filter((v) => v === 1)).toHaveLength(100); // a 5-row bar of 20
    }
  });

  it('rotates each class by a random quarter turn when asked', () => {
    const rotated = sampleDatasetEpisodes(dataset, 20, createRng(2), {
      classes: 2,
      instancesPerClass: 3,
      rotate: true,
      imageSide: 20,
    });
    const orientations = new Set<string>();
    for (let b = 0; b < 20; b += 1) {
      const image = rotated.inputs.subarray(b * 6 * 402, b * 6 * 402 + 400);
      // A horizontal bar stays a row-band or becomes a column-band.
      const rowBand = [...Array(20).keys()].some((y) => image[y * 20] === 1 && image[y * 20 + 19] === 1);
      orientations.add(rowBand ? 'horizontal' : 'vertical');
    }
    expect(orientations).toEqual(new Set(['horizontal', 'vertical']));
  });

  it('refuses what it cannot draw, naming the reason', () => {
    expect(() =>
      sampleDatasetEpisodes(dataset, 1, createRng(1), { classes: 2, instancesPerClass: 4 }),
    ).toThrow(/class 0 of .* has 3 examples, episodes need instancesPerClass = 4/);
    expect(() =>
      sampleDatasetEpisodes(dataset, 1, createRng(1), { classes: 5, instancesPerClass: 1 }),
    ).toThrow(/episodes need 5 classes, .* has 4/);
    expect(() =>
      sampleDatasetEpisodes(dataset, 1, createRng(1), { rotate: true, classes: 2, instancesPerClass: 1 }),
    ).toThrow(/rotate needs imageSide/);
  });
});
