/**
 * One-shot episodes from image files on disk, laid out as Omniglot's `images_background` /
 * `images_evaluation` folders: `root/<alphabet>/<character>/*.png`, one class per character
 * directory. Images are decoded (`decode-png.ts`), resized to 20×20 by area averaging and, by
 * default, inverted so that strokes are 1 and background 0 (Omniglot draws black on white).
 * Episodes are assembled exactly as the synthetic ones (`one-shot-batch.ts`): C distinct
 * classes, K distinct images of each, shuffled, labels permuted per episode. As Santoro et al.
 * 2016 (section 4.1) do to enlarge the set of classes, each class of an episode can be rotated by
 * a random multiple of 90° (`rotate`, default on; one rotation per class per episode, applied to
 * all its instances).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Rng } from '@metarl/core';
import {
  assembleEpisodes,
  checkPositiveInteger,
  type OneShotBatch,
  shuffledIndices,
} from '../one-shot/one-shot-batch';
import { decodePng, resizeByAreaAverage } from './decode-png';

/** One class: its images, each a row-major size×size Float32Array in [0, 1]. */
export interface ImageClass {
  /** `alphabet/character`. */
  readonly name: string;
  /** The class's images (at least K for episodes with K instances per class). */
  readonly images: readonly Float32Array[];
}

/** Options of `loadImageClasses`. */
export interface LoadImageClassesOptions {
  /** Side of the square the images are resized to; default 20. */
  readonly size?: number;
  /** 1 - intensity (strokes 1 on a 0 background for black-on-white glyphs); default true. */
  readonly invert?: boolean;
}

function listDirectories(path: string): string[] {
  return readdirSync(path)
    .filter((entry) => statSync(join(path, entry)).isDirectory())
    .sort();
}

/** Reads every `root/<alphabet>/<character>/*.png` as one class per character directory (sorted by name). */
export function loadImageClasses(root: string, options: LoadImageClassesOptions = {}): ImageClass[] {
  const size = checkPositiveInteger('loadImageClasses', 'size', options.size ?? 20);
  const invert = options.invert ?? true;
  const classes: ImageClass[] = [];
  for (const alphabet of listDirectories(root)) {
    for (const character of listDirectories(join(root, alphabet))) {
      const directory = join(root, alphabet, character);
      const files = readdirSync(directory)
        .filter((file) => file.toLowerCase().endsWith('.png'))
        .sort();
      if (files.length === 0) continue;
      const images = files.map((file) => {
        const path = join(directory, file);
        const { pixels } = resizeByAreaAverage(decodePng(readFileSync(path), path), size, size);
        if (invert) for (let i = 0; i < pixels.length; i += 1) pixels[i] = 1 - pixels[i]!;
        return pixels;
      });
      classes.push({ name: `${alphabet}/${character}`, images });
    }
  }
  if (classes.length === 0)
    throw new Error(
      `loadImageClasses: no classes under ${root} (expected ${root}/<alphabet>/<character>/*.png)`,
    );
  return classes;
}

/** A square image rotated by `quarterTurns` · 90° counter-clockwise. */
export function rotateSquareImage(image: Float32Array, size: number, quarterTurns: number): Float32Array {
  const turns = ((quarterTurns % 4) + 4) % 4;
  if (turns === 0) return image;
  const out = new Float32Array(size * size);
  for (let y = 0; y < size; y += 1) {
    for (let x = 0; x < size; x += 1) {
      const value = image[y * size + x]!;
      if (turns === 1) out[(size - 1 - x) * size + y] = value;
      else if (turns === 2) out[(size - 1 - y) * size + (size - 1 - x)] = value;
      else out[x * size + (size - 1 - y)] = value;
    }
  }
  return out;
}

/** Options of `sampleImageEpisodes`. */
export interface ImageEpisodeOptions {
  /** Classes per episode C; default 5. */
  readonly classes?: number;
  /** Instances per class K; default 10. */
  readonly instancesPerClass?: number;
  /** Rotate each class of an episode by a random multiple of 90°; default true. */
  readonly rotate?: boolean;
}

/** `batchSize` episodes from `imageClasses` (all images square and of one size), drawn with `rng`. */
export function sampleImageEpisodes(
  imageClasses: readonly ImageClass[],
  batchSize: number,
  rng: Rng,
  options: ImageEpisodeOptions = {},
): OneShotBatch {
  const where = 'sampleImageEpisodes';
  checkPositiveInteger(where, 'batchSize', batchSize);
  const classes = checkPositiveInteger(where, 'classes', options.classes ?? 5);
  const instancesPerClass = checkPositiveInteger(where, 'instancesPerClass', options.instancesPerClass ?? 10);
  const rotate = options.rotate ?? true;
  if (imageClasses.length < classes)
    throw new RangeError(
      `${where}: episodes need ${classes} classes, only ${imageClasses.length} were given`,
    );
  const featureSize = imageClasses[0]!.images[0]?.length ?? 0;
  const size = Math.round(Math.sqrt(featureSize));
  for (const imageClass of imageClasses) {
    if (imageClass.images.length < instancesPerClass)
      throw new RangeError(
        `${where}: class '${imageClass.name}' has ${imageClass.images.length} images, episodes need instancesPerClass = ${instancesPerClass}`,
      );
    if (imageClass.images.some((image) => image.length !== featureSize) || size * size !== featureSize)
      throw new RangeError(
        `${where}: every image must be square and of ${featureSize} pixels ('${imageClass.name}' is not)`,
      );
  }
  return assembleEpisodes({
    batchSize,
    classes,
    instancesPerClass,
    featureSize,
    rng,
    drawEpisode: (episodeRng) => {
      const chosen = shuffledIndices(imageClasses.length, episodeRng).subarray(0, classes);
      return Array.from(chosen, (classIndex) => {
        const { images } = imageClasses[classIndex]!;
        const picks = shuffledIndices(images.length, episodeRng);
        const turns = rotate ? episodeRng.nextInt(4) : 0;
        return (instance: number) => rotateSquareImage(images[picks[instance]!]!, size, turns);
      });
    },
  });
}
