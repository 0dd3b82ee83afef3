/**
 * One-shot episodes from a few-shot dataset (`FewShotDataset` of `@metarl/envs`): Santoro et al.'s
 * protocol on real data such as Omniglot, loaded with `loadImageFolderDataset` from
 * `@metarl/envs/node` (e.g. `{ width: 20, height: 20, invert: true }`, the paper's 20 x 20
 * images, strokes 1). Per episode C distinct classes and K distinct examples of each, shuffled,
 * labels permuted per episode (`one-shot-batch.ts`). As the paper does to enlarge the set of
 * classes (section 4.1), each class of an episode may be rotated by a random multiple of 90°
 * (`rotate`: square images of `imageSide` x `imageSide` pixels, row-major; one rotation per
 * class per episode, applied to all its examples).
 */
import type { Rng } from '@metarl/core';
import type { FewShotDataset } from '@metarl/envs';
import { assembleEpisodes, checkPositiveInteger, type OneShotBatch, shuffledIndices } from './one-shot-batch';

/** Options of `sampleDatasetEpisodes`. */
export interface DatasetEpisodeOptions {
  /** Classes per episode C; default 5. */
  readonly classes?: number;
  /** Examples per class K; default 10 (an episode has C·K steps). */
  readonly instancesPerClass?: number;
  /** Rotate each class of an episode by a random multiple of 90° (needs `imageSide`); default false. */
  readonly rotate?: boolean;
  /** The side of the square images (inputSize = side²), for `rotate`. */
  readonly imageSide?: number;
}

/** A square image (row-major, `side` x `side`) rotated by `quarterTurns` x 90° counter-clockwise. */
export function rotateSquareImage(image: Float32Array, side: number, quarterTurns: number): Float32Array {
  const turns = ((quarterTurns % 4) + 4) % 4;
  if (turns === 0) return image;
  const out = new Float32Array(side * side);
  for (let y = 0; y < side; y += 1) {
    for (let x = 0; x < side; x += 1) {
      const value = image[y * side + x]!;
      if (turns === 1) out[(side - 1 - x) * side + y] = value;
      else if (turns === 2) out[(side - 1 - y) * side + (side - 1 - x)] = value;
      else out[x * side + (side - 1 - y)] = value;
    }
  }
  return out;
}

/** `batchSize` one-shot episodes of `dataset`'s classes drawn with `rng`: inputs [B, C·K, inputSize + C]. */
export function sampleDatasetEpisodes(
  dataset: FewShotDataset,
  batchSize: number,
  rng: Rng,
  options: DatasetEpisodeOptions = {},
): OneShotBatch {
  const where = 'sampleDatasetEpisodes';
  checkPositiveInteger(where, 'batchSize', batchSize);
  const classes = checkPositiveInteger(where, 'classes', options.classes ?? 5);
  const instancesPerClass = checkPositiveInteger(where, 'instancesPerClass', options.instancesPerClass ?? 10);
  const rotate = options.rotate ?? false;
  const side = options.imageSide;
  if (rotate && (side === undefined || side * side !== dataset.inputSize))
    throw new RangeError(
      `${where}: rotate needs imageSide with imageSide² = the dataset's inputSize ${dataset.inputSize}, got imageSide ${String(side)}`,
    );
  if (dataset.classCount < classes)
    throw new RangeError(
      `${where}: episodes need ${classes} classes, ${dataset.name} has ${dataset.classCount}`,
    );
  for (let c = 0; c < dataset.classCount; c += 1) {
    if (dataset.exampleCount(c) < instancesPerClass)
      throw new RangeError(
        `${where}: class ${c} of ${dataset.name} has ${dataset.exampleCount(c)} examples, episodes need instancesPerClass = ${instancesPerClass}`,
      );
  }
  return assembleEpisodes({
    batchSize,
    classes,
    instancesPerClass,
    featureSize: dataset.inputSize,
    rng,
    drawEpisode: (episodeRng) => {
      const chosen = shuffledIndices(dataset.classCount, episodeRng).subarray(0, classes);
      return Array.from(chosen, (classIndex) => {
        const picks = shuffledIndices(dataset.exampleCount(classIndex), episodeRng);
        const turns = rotate ? episodeRng.nextInt(4) : 0;
        return (instance: number) => {
          const example = dataset.readExample(classIndex, picks[instance]!);
          return rotate ? rotateSquareImage(example, side!, turns) : example;
        };
      });
    },
  });
}
