/**
 * Few-shot classification data for meta-learners (Reptile, MAML, ...): datasets of many classes
 * with few examples each, and N-way K-shot episodes drawn from them. Tensor-free: inputs are
 * `Float32Array`s, labels `Int32Array`s; every random choice comes from an explicit `Rng`.
 *
 * `createSyntheticFewShotDataset` is a stand-in for Omniglot that needs no download;
 * `loadImageFolderDataset` in `@metarl/envs/node` reads the real one from disk.
 */
import { describeValue } from '../describe-value';
import { checkOptionNames } from '../distributions/options';
import { createRng, type Rng } from '../rng/rng';
import { splitMix64 } from '../rng/split-mix';

/** A classification dataset of many classes, each with a few examples (Omniglot's shape of problem). */
export interface FewShotDataset {
  /** A name for messages and reports. */
  readonly name: string;
  /** How many classes: they are numbered 0 ... classCount - 1. */
  readonly classCount: number;
  /** The length of every example (e.g. 28 * 28 = 784 pixels). */
  readonly inputSize: number;
  /** How many examples class `classIndex` has: they are numbered 0 ... exampleCount - 1. */
  exampleCount(classIndex: number): number;
  /** Example `exampleIndex` of class `classIndex`: a fresh `Float32Array [inputSize]`, the caller's to keep or change. */
  readExample(classIndex: number, exampleIndex: number): Float32Array;
}

/** Options of `createSyntheticFewShotDataset`. */
export interface SyntheticFewShotOptions {
  /** How many classes; default 1200 (Reptile's Omniglot training classes). */
  readonly classCount?: number;
  /** Examples of every class; default 20 (as Omniglot). */
  readonly examplesPerClass?: number;
  /** Length of every example; default 400. */
  readonly inputSize?: number;
  /** Standard deviation of an example around its class prototype; default 1. */
  readonly noise?: number;
  /**
   * Dimensions of the nuisance shared by all classes (as pen pressure, position or slant in
   * handwriting); default 0. Every example adds `nuisanceScale * B v`, with one fixed random
   * basis B `[inputSize, nuisanceDimensions]` (entries N(0, 1)) for the whole dataset and
   * v ~ N(0, I) drawn per example: raw-input distances drown in it, while a learned feature map
   * can project it out, which is what meta-learning across classes can discover.
   */
  readonly nuisanceDimensions?: number;
  /** Scale of the shared nuisance; default 1 when `nuisanceDimensions` > 0. */
  readonly nuisanceScale?: number;
  /** Seed of everything: the same seed gives the same dataset, value for value. */
  readonly seed: number;
  /** The dataset's name; default `synthetic (seed <seed>)`. */
  readonly name?: string;
}

/** N-way K-shot episodes, episode-major: episode e's block of every array comes before episode e + 1's. */
export interface FewShotEpisodes {
  /** How many episodes (E). */
  readonly episodes: number;
  /** Classes per episode (N), labelled 0 ... ways - 1. */
  readonly ways: number;
  /** Support (training) examples per class (K). */
  readonly shots: number;
  /** Query (test) examples per class. */
  readonly queries: number;
  /** Length of every example. */
  readonly inputSize: number;
  /** Support inputs `[E * ways * shots * inputSize]`; within an episode in a random order (shuffled). */
  readonly supportInputs: Float32Array;
  /** Support labels `[E * ways * shots]`, in 0 ... ways - 1, aligned with `supportInputs`. */
  readonly supportLabels: Int32Array;
  /** Query inputs `[E * ways * queries * inputSize]`; within an episode label-major (label 0's queries first). */
  readonly queryInputs: Float32Array;
  /** Query labels `[E * ways * queries]`: within an episode 0 (queries times), 1, ..., ways - 1. */
  readonly queryLabels: Int32Array;
}

/** Episodes as `sampleFewShotEpisodes` draws them: `FewShotEpisodes` plus the classes behind the labels. */
export interface SampledFewShotEpisodes extends FewShotEpisodes {
  /** The dataset class behind every label, `[E * ways]`: `classes[e * ways + label]`. */
  readonly classes: Int32Array;
}

/** Options of `sampleFewShotEpisodes`. */
export interface FewShotEpisodeOptions {
  /** How many episodes to draw (E >= 1). */
  readonly episodes: number;
  /** Classes per episode (N, 1 ... classCount), distinct within an episode. */
  readonly ways: number;
  /** Support examples per class (K >= 1). */
  readonly shots: number;
  /** Query examples per class (>= 0), distinct from the support examples. */
  readonly queries: number;
}

const SYNTHETIC_OPTIONS = [
  'classCount',
  'examplesPerClass',
  'inputSize',
  'noise',
  'nuisanceDimensions',
  'nuisanceScale',
  'seed',
  'name',
];

/**
 * A synthetic stand-in for Omniglot that needs no download: the same shape of problem (many
 * classes, few examples each, N-way K-shot episodes with classes held out for meta-testing)
 * without the images. Class c has a prototype p_c ~ N(0, I) in R^inputSize; its example i is
 * p_c + noise * N(0, I), plus, with `nuisanceDimensions` m > 0, a nuisance shared by all classes:
 * nuisanceScale * B v with a fixed random basis B `[inputSize, m]` and v ~ N(0, I_m) per example.
 *
 * Deterministic in `seed`: the prototype of class c comes from a generator seeded from
 * (seed, c), example i's noise from one seeded from (seed, c, i), so any example is produced on
 * demand, in any order, with the same values. Only the prototypes of the classes read so far are
 * kept (at most classCount * inputSize floats); examples are made afresh at each read.
 *
 * Difficulty: the 1-nearest-neighbour baseline (`nearestNeighbourAccuracy`) on 5-way episodes
 * falls from about 1 at noise 1 to chance as the noise grows (see the README for measured
 * figures); raise `noise` for a harder problem.
 */
export function createSyntheticFewShotDataset(options: SyntheticFewShotOptions): FewShotDataset {
  const id = 'createSyntheticFewShotDataset';
  if (typeof options !== 'object' || options === null)
    throw new TypeError(
      `${id}: options must be an object { seed, classCount?, examplesPerClass?, inputSize?, noise?, name? }, got ${describeValue(options)}`,
    );
  checkOptionNames(id, options as unknown as Record<string, unknown>, SYNTHETIC_OPTIONS);
  const classCount = readCount(id, 'options.classCount', options.classCount ?? 1200);
  const examplesPerClass = readCount(id, 'options.examplesPerClass', options.examplesPerClass ?? 20);
  const inputSize = readCount(id, 'options.inputSize', options.inputSize ?? 400);
  const noise = options.noise ?? 1;
  if (typeof noise !== 'number' || !Number.isFinite(noise) || noise < 0)
    throw new RangeError(`${id}: options.noise must be a finite number >= 0, got ${describeValue(noise)}`);
  const seed = options.seed;
  if (!Number.isSafeInteger(seed))
    throw new RangeError(`${id}: options.seed must be a safe integer, got ${describeValue(seed)}`);
  const nuisanceDimensions = options.nuisanceDimensions ?? 0;
  if (!Number.isInteger(nuisanceDimensions) || nuisanceDimensions < 0 || nuisanceDimensions > inputSize)
    throw new RangeError(
      `${id}: options.nuisanceDimensions must be an integer in [0, inputSize = ${inputSize}], got ${describeValue(nuisanceDimensions)}`,
    );
  const nuisanceScale = options.nuisanceScale ?? 1;
  if (typeof nuisanceScale !== 'number' || !Number.isFinite(nuisanceScale) || nuisanceScale < 0)
    throw new RangeError(
      `${id}: options.nuisanceScale must be a finite number >= 0, got ${describeValue(nuisanceScale)}`,
    );
  // The shared nuisance basis, row-major [inputSize, nuisanceDimensions], from its own stream.
  const basis =
    nuisanceDimensions > 0
      ? createRng(deriveSeed(seed, 3, 0)).normal(inputSize * nuisanceDimensions)
      : undefined;
  const name = options.name ?? `synthetic (seed ${seed})`;
  if (typeof name !== 'string')
    throw new TypeError(`${id}: options.name must be a string, got ${describeValue(name)}`);

  const prototypes: (Float32Array | undefined)[] = new Array(classCount);
  const prototypeOf = (classIndex: number): Float32Array => {
    let prototype = prototypes[classIndex];
    if (prototype === undefined) {
      prototype = createRng(deriveSeed(seed, 1, classIndex)).normal(inputSize);
      prototypes[classIndex] = prototype;
    }
    return prototype;
  };
  const dataset: FewShotDataset = {
    name,
    classCount,
    inputSize,
    exampleCount(classIndex) {
      checkClassIndex(dataset, classIndex);
      return examplesPerClass;
    },
    readExample(classIndex, exampleIndex) {
      checkClassIndex(dataset, classIndex);
      checkExampleIndex(dataset, classIndex, exampleIndex, examplesPerClass);
      const prototype = prototypeOf(classIndex);
      const example = createRng(deriveSeed(seed, 2, classIndex, exampleIndex)).normal(inputSize);
      for (let i = 0; i < inputSize; i += 1) example[i] = prototype[i]! + noise * example[i]!;
      if (basis !== undefined) {
        const v = createRng(deriveSeed(seed, 4, classIndex, exampleIndex)).normal(nuisanceDimensions);
        for (let i = 0; i < inputSize; i += 1) {
          let shift = 0;
          for (let j = 0; j < nuisanceDimensions; j += 1) shift += basis[i * nuisanceDimensions + j]! * v[j]!;
          example[i]! += nuisanceScale * shift;
        }
      }
      return example;
    },
  };
  return dataset;
}

/**
 * Splits `dataset` by class: `train` holds classes [0, firstClasses), `test` the rest (classes
 * held out for meta-testing), each renumbered from 0. Both read through to `dataset`; nothing is
 * copied. Reptile's Omniglot split is `{ firstClasses: 1200 }` of 1623 classes.
 */
export function splitFewShotDataset(
  dataset: FewShotDataset,
  options: { readonly firstClasses: number },
): { train: FewShotDataset; test: FewShotDataset } {
  const id = 'splitFewShotDataset';
  checkDataset(id, dataset);
  const firstClasses = (options as { firstClasses?: unknown } | null)?.firstClasses;
  if (
    typeof firstClasses !== 'number' ||
    !Number.isInteger(firstClasses) ||
    firstClasses < 1 ||
    firstClasses > dataset.classCount - 1
  )
    throw new RangeError(
      `${id}: options.firstClasses must be an integer in [1, ${dataset.classCount - 1}] (both parts need a class; ${describeValue(dataset.name)} has ${dataset.classCount}), got ${describeValue(firstClasses)}`,
    );
  return {
    train: classRange(dataset, 0, firstClasses, `${dataset.name} classes [0, ${firstClasses})`),
    test: classRange(
      dataset,
      firstClasses,
      dataset.classCount,
      `${dataset.name} classes [${firstClasses}, ${dataset.classCount})`,
    ),
  };
}

/**
 * `episodes` N-way K-shot episodes of `dataset` drawn with `rng`. Per episode, in this order of
 * draws: `ways` distinct classes (without replacement; label j is the j-th class drawn, so every
 * episode labels its classes afresh in a random order); for each label in turn `shots + queries`
 * distinct examples of its class (without replacement: the first `shots` for the support, the
 * rest for the query); then a random permutation of the support.
 *
 * Order within an episode: the support is shuffled (as openai/supervised-reptile shuffles its
 * inner-loop examples); the query is label-major (label 0's `queries` examples, then label 1's,
 * ...). A class with fewer than `shots + queries` examples is an error naming it.
 */
export function sampleFewShotEpisodes(
  dataset: FewShotDataset,
  options: FewShotEpisodeOptions,
  rng: Rng,
): SampledFewShotEpisodes {
  const id = 'sampleFewShotEpisodes';
  checkDataset(id, dataset);
  if (typeof options !== 'object' || options === null)
    throw new TypeError(
      `${id}: options must be an object { episodes, ways, shots, queries }, got ${describeValue(options)}`,
    );
  const { classCount, inputSize } = dataset;
  const episodes = readInteger(id, 'options.episodes', options.episodes, 1);
  const ways = readInteger(
    id,
    'options.ways',
    options.ways,
    1,
    classCount,
    ` (${dataset.name} has ${classCount} classes)`,
  );
  const shots = readInteger(id, 'options.shots', options.shots, 1);
  const queries = readInteger(id, 'options.queries', options.queries, 0);
  if (typeof rng !== 'object' || rng === null || typeof rng.nextInt !== 'function')
    throw new TypeError(`${id}: rng must be an Rng (createRng(seed)), got ${describeValue(rng)}`);

  const perClass = shots + queries;
  const supportSize = ways * shots;
  const querySize = ways * queries;
  const supportInputs = new Float32Array(episodes * supportSize * inputSize);
  const supportLabels = new Int32Array(episodes * supportSize);
  const queryInputs = new Float32Array(episodes * querySize * inputSize);
  const queryLabels = new Int32Array(episodes * querySize);
  const classes = new Int32Array(episodes * ways);
  const classOrder = new Int32Array(classCount);
  const drawnExamples = new Int32Array(ways * perClass);
  const supportSlots = new Int32Array(supportSize);
  let exampleOrder = new Int32Array(0);

  const copyExample = (classIndex: number, exampleIndex: number, target: Float32Array, offset: number) => {
    const example = dataset.readExample(classIndex, exampleIndex);
    if (!(example instanceof Float32Array) || example.length !== inputSize)
      throw new TypeError(
        `${id}: ${describeValue(dataset.name)}.readExample(${classIndex}, ${exampleIndex}) must return a Float32Array of inputSize ${inputSize}, got ${describeValue(example)}`,
      );
    target.set(example, offset);
  };

  for (let e = 0; e < episodes; e += 1) {
    // Classes: a partial Fisher-Yates shuffle of 0 ... classCount - 1.
    for (let c = 0; c < classCount; c += 1) classOrder[c] = c;
    for (let j = 0; j < ways; j += 1) {
      const pick = j + rng.nextInt(classCount - j);
      const chosen = classOrder[pick]!;
      classOrder[pick] = classOrder[j]!;
      classOrder[j] = chosen;
      classes[e * ways + j] = chosen;
    }
    // Examples of every class, without replacement.
    for (let j = 0; j < ways; j += 1) {
      const classIndex = classes[e * ways + j]!;
      const available = dataset.exampleCount(classIndex);
      if (!Number.isInteger(available) || available < perClass)
        throw new RangeError(
          `${id}: class ${classIndex} of ${describeValue(dataset.name)} has ${describeValue(available)} examples; ${shots} shots + ${queries} queries need ${perClass} distinct ones`,
        );
      if (exampleOrder.length < available) exampleOrder = new Int32Array(available);
      for (let i = 0; i < available; i += 1) exampleOrder[i] = i;
      for (let i = 0; i < perClass; i += 1) {
        const pick = i + rng.nextInt(available - i);
        const chosen = exampleOrder[pick]!;
        exampleOrder[pick] = exampleOrder[i]!;
        exampleOrder[i] = chosen;
        drawnExamples[j * perClass + i] = chosen;
      }
    }
    // Support order: a uniformly random permutation (Fisher-Yates).
    for (let i = 0; i < supportSize; i += 1) supportSlots[i] = i;
    for (let i = supportSize - 1; i > 0; i -= 1) {
      const pick = rng.nextInt(i + 1);
      const slot = supportSlots[pick]!;
      supportSlots[pick] = supportSlots[i]!;
      supportSlots[i] = slot;
    }
    for (let j = 0; j < ways; j += 1) {
      const classIndex = classes[e * ways + j]!;
      for (let s = 0; s < shots; s += 1) {
        const slot = e * supportSize + supportSlots[j * shots + s]!;
        copyExample(classIndex, drawnExamples[j * perClass + s]!, supportInputs, slot * inputSize);
        supportLabels[slot] = j;
      }
      for (let q = 0; q < queries; q += 1) {
        const slot = e * querySize + j * queries + q;
        copyExample(classIndex, drawnExamples[j * perClass + shots + q]!, queryInputs, slot * inputSize);
        queryLabels[slot] = j;
      }
    }
  }
  return {
    episodes,
    ways,
    shots,
    queries,
    inputSize,
    supportInputs,
    supportLabels,
    queryInputs,
    queryLabels,
    classes,
  };
}

/**
 * The 1-nearest-neighbour baseline on raw inputs: each query gets the label of the support
 * example of its own episode nearest in Euclidean distance (the first one on a tie). Returns the
 * fraction of queries labelled correctly over all episodes. Chance is 1 / ways.
 */
export function nearestNeighbourAccuracy(episodes: FewShotEpisodes): number {
  const id = 'nearestNeighbourAccuracy';
  if (typeof episodes !== 'object' || episodes === null)
    throw new TypeError(
      `${id}: episodes must be the result of sampleFewShotEpisodes, got ${describeValue(episodes)}`,
    );
  const { ways, shots, queries, inputSize, supportInputs, supportLabels, queryInputs, queryLabels } =
    episodes;
  const count = episodes.episodes;
  for (const [name, value] of [
    ['episodes', count],
    ['ways', ways],
    ['shots', shots],
    ['inputSize', inputSize],
  ] as const) {
    if (!Number.isInteger(value) || value < 1)
      throw new RangeError(`${id}: episodes.${name} must be a positive integer, got ${describeValue(value)}`);
  }
  if (!Number.isInteger(queries) || queries < 1)
    throw new RangeError(
      `${id}: episodes.queries must be a positive integer (accuracy is measured on the queries), got ${describeValue(queries)}`,
    );
  const supportSize = ways * shots;
  const querySize = ways * queries;
  for (const [name, array, kind, length] of [
    ['supportInputs', supportInputs, Float32Array, count * supportSize * inputSize],
    ['supportLabels', supportLabels, Int32Array, count * supportSize],
    ['queryInputs', queryInputs, Float32Array, count * querySize * inputSize],
    ['queryLabels', queryLabels, Int32Array, count * querySize],
  ] as const) {
    if (!(array instanceof kind) || array.length !== length)
      throw new TypeError(
        `${id}: episodes.${name} must be ${kind === Int32Array ? 'an' : 'a'} ${kind.name} of length ${length} (episodes x ways x ${name.startsWith('support') ? 'shots' : 'queries'}${name.endsWith('Inputs') ? ' x inputSize' : ''}), got ${describeValue(array)}`,
      );
  }
  let correct = 0;
  for (let e = 0; e < count; e += 1) {
    for (let q = 0; q < querySize; q += 1) {
      const queryOffset = (e * querySize + q) * inputSize;
      let best = Number.POSITIVE_INFINITY;
      let bestLabel = -1;
      for (let s = 0; s < supportSize; s += 1) {
        const supportOffset = (e * supportSize + s) * inputSize;
        let distance = 0;
        for (let i = 0; i < inputSize; i += 1) {
          const difference = queryInputs[queryOffset + i]! - supportInputs[supportOffset + i]!;
          distance += difference * difference;
        }
        if (distance < best) {
          best = distance;
          bestLabel = supportLabels[e * supportSize + s]!;
        }
      }
      if (bestLabel === queryLabels[e * querySize + q]) correct += 1;
    }
  }
  return correct / (count * querySize);
}

/** Classes [start, end) of `dataset`, renumbered from 0. */
function classRange(dataset: FewShotDataset, start: number, end: number, name: string): FewShotDataset {
  const view: FewShotDataset = {
    name,
    classCount: end - start,
    inputSize: dataset.inputSize,
    exampleCount(classIndex) {
      checkClassIndex(view, classIndex);
      return dataset.exampleCount(start + classIndex);
    },
    readExample(classIndex, exampleIndex) {
      checkClassIndex(view, classIndex);
      return dataset.readExample(start + classIndex, exampleIndex);
    },
  };
  return view;
}

/** A 53-bit seed mixed from `parts` with SplitMix64 (unrelated streams for neighbouring parts). */
function deriveSeed(...parts: number[]): number {
  let state = 0n;
  for (const part of parts) state = splitMix64(state ^ BigInt.asUintN(64, BigInt(part))).value;
  return Number(state >> 11n);
}

function readCount(id: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
    throw new RangeError(`${id}: ${name} must be a positive integer, got ${describeValue(value)}`);
  return value;
}

function readInteger(
  id: string,
  name: string,
  value: unknown,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
  context = '',
): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw new RangeError(
      `${id}: ${name} must be an integer in [${min}, ${max === Number.MAX_SAFE_INTEGER ? 'infinity' : max}]${context}, got ${describeValue(value)}`,
    );
  return value;
}

/** Throws unless `dataset` looks like a FewShotDataset. */
export function checkDataset(id: string, dataset: FewShotDataset): void {
  if (
    typeof dataset !== 'object' ||
    dataset === null ||
    typeof dataset.exampleCount !== 'function' ||
    typeof dataset.readExample !== 'function'
  )
    throw new TypeError(
      `${id}: dataset must be a FewShotDataset { name, classCount, inputSize, exampleCount, readExample }, got ${describeValue(dataset)}`,
    );
  for (const name of ['classCount', 'inputSize'] as const) {
    if (!Number.isInteger(dataset[name]) || dataset[name] < 1)
      throw new RangeError(
        `${id}: dataset.${name} must be a positive integer, got ${describeValue(dataset[name])}`,
      );
  }
}

/** Throws unless `classIndex` is a class of `dataset`. */
export function checkClassIndex(dataset: FewShotDataset, classIndex: number): void {
  if (!Number.isInteger(classIndex) || classIndex < 0 || classIndex >= dataset.classCount)
    throw new RangeError(
      `${dataset.name}: classIndex must be an integer in [0, ${dataset.classCount - 1}], got ${describeValue(classIndex)}`,
    );
}

/** Throws unless `exampleIndex` is one of the `count` examples of class `classIndex`. */
export function checkExampleIndex(
  dataset: FewShotDataset,
  classIndex: number,
  exampleIndex: number,
  count: number,
): void {
  if (!Number.isInteger(exampleIndex) || exampleIndex < 0 || exampleIndex >= count)
    throw new RangeError(
      `${dataset.name}: exampleIndex of class ${classIndex} must be an integer in [0, ${count - 1}], got ${describeValue(exampleIndex)}`,
    );
}
