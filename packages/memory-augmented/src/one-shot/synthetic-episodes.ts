/**
 * Synthetic one-shot episodes (a stand-in for Omniglot with no data on disk): each class is a
 * random prototype p ~ N(0, I) in R^dimension, each instance p + σ·N(0, I). Fresh classes and a
 * fresh label permutation every episode (see `one-shot-batch.ts` for the episode layout).
 */
import type { Rng } from '@metarl/core';
import { assembleEpisodes, checkPositiveInteger, type OneShotBatch } from './one-shot-batch';

/** Options of `sampleSyntheticEpisodes`. */
export interface SyntheticEpisodeOptions {
  /** Classes per episode C; default 5. */
  readonly classes?: number;
  /** Instances per class K; default 10 (an episode has C·K steps). */
  readonly instancesPerClass?: number;
  /** Features per instance; default 400 (a 20×20 image's worth). */
  readonly dimension?: number;
  /** σ, the standard deviation of the instance noise around its prototype; default 1. */
  readonly sigma?: number;
}

/** `batchSize` synthetic episodes drawn with `rng`: inputs [B, C·K, dimension + C]. */
export function sampleSyntheticEpisodes(
  batchSize: number,
  rng: Rng,
  options: SyntheticEpisodeOptions = {},
): OneShotBatch {
  const where = 'sampleSyntheticEpisodes';
  checkPositiveInteger(where, 'batchSize', batchSize);
  const classes = checkPositiveInteger(where, 'classes', options.classes ?? 5);
  const instancesPerClass = checkPositiveInteger(where, 'instancesPerClass', options.instancesPerClass ?? 10);
  const dimension = checkPositiveInteger(where, 'dimension', options.dimension ?? 400);
  const sigma = options.sigma ?? 1;
  if (!(Number.isFinite(sigma) && sigma >= 0))
    throw new RangeError(`${where}: sigma must be a finite number >= 0, got ${String(options.sigma)}`);
  return assembleEpisodes({
    batchSize,
    classes,
    instancesPerClass,
    featureSize: dimension,
    rng,
    drawEpisode: (episodeRng) =>
      Array.from({ length: classes }, () => {
        const prototype = episodeRng.normal(dimension);
        return () => {
          const instance = episodeRng.normal(dimension);
          for (let i = 0; i < dimension; i += 1) instance[i] = prototype[i]! + sigma * instance[i]!;
          return instance;
        };
      }),
  });
}
