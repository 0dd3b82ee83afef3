import { describe, expect, it } from 'vitest';
import {
  createRng,
  createSyntheticFewShotDataset,
  type FewShotDataset,
  type FewShotEpisodes,
  nearestNeighbourAccuracy,
  sampleFewShotEpisodes,
  splitFewShotDataset,
} from '../src/index';

const small = { classCount: 30, examplesPerClass: 8, inputSize: 16, seed: 3 } as const;

/** Index of the (first) row of `rows` ([n * size]) equal to `row`, or -1. */
function findRow(rows: Float32Array, size: number, row: Float32Array): number {
  for (let r = 0; r * size < rows.length; r += 1) {
    if (row.every((value, i) => value === rows[r * size + i])) return r;
  }
  return -1;
}

describe('createSyntheticFewShotDataset', () => {
  it('has the defaults of the brief: 1200 classes of 20 examples of 400 values', () => {
    const dataset = createSyntheticFewShotDataset({ seed: 1 });
    expect(dataset.classCount).toBe(1200);
    expect(dataset.inputSize).toBe(400);
    expect(dataset.exampleCount(1199)).toBe(20);
    expect(dataset.readExample(1199, 19)).toBeInstanceOf(Float32Array);
    expect(dataset.readExample(1199, 19).length).toBe(400);
    expect(dataset.name).toBe('synthetic (seed 1)');
  });

  it('is deterministic in the seed, whatever the order of reads, and differs across seeds', () => {
    const a = createSyntheticFewShotDataset(small);
    const b = createSyntheticFewShotDataset(small);
    const late = b.readExample(29, 7); // b reads in another order
    expect(a.readExample(0, 0)).toEqual(b.readExample(0, 0));
    expect(a.readExample(29, 7)).toEqual(late);
    expect(a.readExample(3, 1)).not.toEqual(a.readExample(3, 2));
    expect(a.readExample(3, 1)).not.toEqual(a.readExample(4, 1));
    expect(createSyntheticFewShotDataset({ ...small, seed: 4 }).readExample(0, 0)).not.toEqual(
      a.readExample(0, 0),
    );
    // a fresh array at each read: changing one changes nothing else
    const first = a.readExample(5, 5);
    first.fill(0);
    expect(a.readExample(5, 5)).not.toEqual(first);
  });

  it('examples are prototype + noise * N(0, I): noise 0 gives the prototype, noise scales the spread', () => {
    const exact = createSyntheticFewShotDataset({ ...small, inputSize: 2000, noise: 0 });
    const prototype = exact.readExample(2, 0);
    expect(exact.readExample(2, 5)).toEqual(prototype);
    const mean = prototype.reduce((sum, value) => sum + value, 0) / prototype.length;
    const variance = prototype.reduce((sum, value) => sum + (value - mean) ** 2, 0) / prototype.length;
    expect(Math.abs(mean)).toBeLessThan(0.1); // N(0, 1): mean within 4 standard errors
    expect(variance).toBeGreaterThan(0.88);
    expect(variance).toBeLessThan(1.12);
    const noisy = createSyntheticFewShotDataset({ ...small, inputSize: 2000, noise: 3 });
    const example = noisy.readExample(2, 5);
    expect(noisy.readExample(2, 0)).not.toEqual(example);
    const offsets = example.map((value, i) => value - prototype[i]!);
    const spread = Math.sqrt(offsets.reduce((sum, value) => sum + value * value, 0) / offsets.length);
    expect(spread).toBeGreaterThan(2.8);
    expect(spread).toBeLessThan(3.2);
  });
});

describe('the shared nuisance', () => {
  it('adds nuisanceScale * B v with one basis B for all classes: differences of examples lie in a shared m-dimensional span', () => {
    const options = { ...small, inputSize: 50, noise: 0, nuisanceDimensions: 2, nuisanceScale: 1 };
    const data = createSyntheticFewShotDataset(options);
    // With noise 0, example - example' of one class is B (v - v'): every such difference, of any
    // class, lies in the 2-dimensional span of B, so any 3 of them are linearly dependent.
    const differences = [
      [0, 1, 2],
      [1, 3, 4],
      [2, 0, 5],
    ].map(([c, i, j]) => data.readExample(c!, i!).map((v, k) => v - data.readExample(c!, j!)[k]!));
    const [a, b, c] = differences as [Float32Array, Float32Array, Float32Array];
    // Least squares c = x a + y b must fit exactly.
    const dot = (u: Float32Array, w: Float32Array) => u.reduce((sum, v, k) => sum + v * w[k]!, 0);
    const [aa, ab, bb, ac, bc] = [dot(a, a), dot(a, b), dot(b, b), dot(a, c), dot(b, c)];
    const det = aa * bb - ab * ab;
    const x = (ac * bb - bc * ab) / det;
    const y = (aa * bc - ab * ac) / det;
    const residual = Math.sqrt(
      c.reduce((sum, v, k) => sum + (v - x * a[k]! - y * b[k]!) ** 2, 0) / dot(c, c),
    );
    expect(residual).toBeLessThan(1e-4);
    // Without the nuisance and the noise, every example is its prototype.
    const plain = createSyntheticFewShotDataset({ ...options, nuisanceDimensions: 0 });
    expect(plain.readExample(3, 1)).toEqual(plain.readExample(3, 2));
  });

  it('defeats the raw-input nearest neighbour, and is deterministic in the seed', () => {
    const episodesOf = (nuisanceDimensions: number) => {
      const data = createSyntheticFewShotDataset({
        seed: 1,
        classCount: 60,
        inputSize: 100,
        noise: 1,
        nuisanceDimensions,
        nuisanceScale: 1,
      });
      return sampleFewShotEpisodes(data, { episodes: 200, ways: 5, shots: 1, queries: 3 }, createRng(2));
    };
    const clean = nearestNeighbourAccuracy(episodesOf(0));
    const nuisance = nearestNeighbourAccuracy(episodesOf(16));
    expect(clean).toBeGreaterThan(0.9);
    expect(nuisance).toBeLessThan(0.5);
    expect(episodesOf(16).supportInputs).toEqual(episodesOf(16).supportInputs);
    expect(() => createSyntheticFewShotDataset({ seed: 1, inputSize: 10, nuisanceDimensions: 11 })).toThrow(
      /options.nuisanceDimensions must be an integer in \[0, inputSize = 10\], got 11/,
    );
    expect(() => createSyntheticFewShotDataset({ seed: 1, nuisanceScale: -1 })).toThrow(
      /options.nuisanceScale must be a finite number >= 0, got -1/,
    );
  });
});

describe('splitFewShotDataset', () => {
  it('holds out the classes after firstClasses, renumbered from 0, disjoint from the training ones', () => {
    const dataset = createSyntheticFewShotDataset(small);
    const { train, test } = splitFewShotDataset(dataset, { firstClasses: 20 });
    expect([train.classCount, test.classCount]).toEqual([20, 10]);
    expect(train.name).toBe('synthetic (seed 3) classes [0, 20)');
    expect(test.name).toBe('synthetic (seed 3) classes [20, 30)');
    expect(train.readExample(19, 3)).toEqual(dataset.readExample(19, 3));
    expect(test.readExample(0, 3)).toEqual(dataset.readExample(20, 3));
    expect(test.exampleCount(9)).toBe(8);
    // No example of a held-out class is an example of a training class.
    const trainRows = new Float32Array(20 * 8 * 16);
    for (let c = 0; c < 20; c += 1)
      for (let e = 0; e < 8; e += 1) trainRows.set(train.readExample(c, e), (c * 8 + e) * 16);
    for (let c = 0; c < 10; c += 1)
      for (let e = 0; e < 8; e += 1) expect(findRow(trainRows, 16, test.readExample(c, e))).toBe(-1);
    expect(() => test.readExample(10, 0)).toThrow(
      'synthetic (seed 3) classes [20, 30): classIndex must be an integer in [0, 9], got 10',
    );
  });
});

describe('sampleFewShotEpisodes', () => {
  const dataset = createSyntheticFewShotDataset(small);
  const options = { episodes: 50, ways: 5, shots: 2, queries: 3 } as const;
  const sampled = sampleFewShotEpisodes(dataset, options, createRng(7));

  it('has the documented shapes, episode-major', () => {
    expect(sampled).toMatchObject({ episodes: 50, ways: 5, shots: 2, queries: 3, inputSize: 16 });
    expect(sampled.supportInputs).toBeInstanceOf(Float32Array);
    expect(sampled.supportInputs.length).toBe(50 * 5 * 2 * 16);
    expect(sampled.supportLabels).toBeInstanceOf(Int32Array);
    expect(sampled.supportLabels.length).toBe(50 * 5 * 2);
    expect(sampled.queryInputs.length).toBe(50 * 5 * 3 * 16);
    expect(sampled.queryLabels.length).toBe(50 * 5 * 3);
    expect(sampled.classes.length).toBe(50 * 5);
  });

  it('is deterministic in the generator', () => {
    expect(sampleFewShotEpisodes(dataset, options, createRng(7))).toEqual(sampled);
    expect(sampleFewShotEpisodes(dataset, options, createRng(8)).classes).not.toEqual(sampled.classes);
  });

  it('draws distinct classes per episode, labels them afresh, and every example is of the class behind its label', () => {
    const firstLabelClasses = new Set<number>();
    let shuffledEpisodes = 0;
    for (let e = 0; e < 50; e += 1) {
      const classes = Array.from(sampled.classes.subarray(e * 5, e * 5 + 5));
      expect(new Set(classes).size).toBe(5);
      firstLabelClasses.add(classes[0]!);
      // support: every label `shots` times, in a shuffled order
      const support = Array.from(sampled.supportLabels.subarray(e * 10, e * 10 + 10));
      expect([...support].sort()).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
      if (support.join() !== '0,0,1,1,2,2,3,3,4,4') shuffledEpisodes += 1;
      // query: label-major
      expect(Array.from(sampled.queryLabels.subarray(e * 15, e * 15 + 15))).toEqual([
        0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4,
      ]);
      // every input is an example of the class behind its label, and none is used twice
      const used = new Set<string>();
      const check = (inputs: Float32Array, slot: number, label: number) => {
        const row = inputs.subarray(slot * 16, slot * 16 + 16);
        const classIndex = classes[label]!;
        const exampleIndex = Array.from({ length: 8 }, (_v, i) => i).find((i) =>
          dataset.readExample(classIndex, i).every((value, k) => value === row[k]),
        );
        expect(exampleIndex, `episode ${e} slot ${slot}`).toBeDefined();
        expect(used.has(`${classIndex}/${exampleIndex}`)).toBe(false);
        used.add(`${classIndex}/${exampleIndex}`);
      };
      for (let s = 0; s < 10; s += 1) check(sampled.supportInputs, e * 10 + s, support[s]!);
      for (let q = 0; q < 15; q += 1)
        check(sampled.queryInputs, e * 15 + q, sampled.queryLabels[e * 15 + q]!);
    }
    expect(shuffledEpisodes).toBeGreaterThan(45); // class-major order by chance: 1 in 113,400
    expect(firstLabelClasses.size).toBeGreaterThan(10); // label 0 is not always the same class
  });

  it('uses every example of a class when shots + queries equals its count', () => {
    const full = sampleFewShotEpisodes(
      dataset,
      { episodes: 1, ways: 30, shots: 5, queries: 3 },
      createRng(1),
    );
    expect(new Set(full.classes).size).toBe(30);
  });

  it('works on a held-out split', () => {
    const { test } = splitFewShotDataset(dataset, { firstClasses: 20 });
    const held = sampleFewShotEpisodes(test, { episodes: 20, ways: 10, shots: 1, queries: 1 }, createRng(2));
    expect(Math.max(...held.classes)).toBe(9);
    expect(new Set(held.classes).size).toBe(10);
  });
});

describe('nearestNeighbourAccuracy', () => {
  it('labels a query by its nearest support example (hand-made episode)', () => {
    const episodes: FewShotEpisodes = {
      episodes: 1,
      ways: 2,
      shots: 1,
      queries: 1,
      inputSize: 2,
      supportInputs: new Float32Array([10, 10, 0, 0]), // label 1 at (10, 10), label 0 at (0, 0)
      supportLabels: new Int32Array([1, 0]),
      queryInputs: new Float32Array([1, 1, 4, 4]), // nearest: (0, 0) both
      queryLabels: new Int32Array([0, 1]),
    };
    expect(nearestNeighbourAccuracy(episodes)).toBe(0.5);
    expect(nearestNeighbourAccuracy({ ...episodes, queryInputs: new Float32Array([1, 1, 6, 6]) })).toBe(1);
  });

  it('on the synthetic data lies between chance and 1, and grows with shots', () => {
    const { test } = splitFewShotDataset(
      createSyntheticFewShotDataset({ classCount: 300, inputSize: 100, noise: 2, seed: 5 }),
      { firstClasses: 200 },
    );
    const accuracy = (shots: number) =>
      nearestNeighbourAccuracy(
        sampleFewShotEpisodes(test, { episodes: 400, ways: 5, shots, queries: 1 }, createRng(6)),
      );
    const oneShot = accuracy(1);
    const fiveShot = accuracy(5);
    expect(oneShot).toBeGreaterThan(0.3); // chance: 0.2
    expect(fiveShot).toBeGreaterThan(oneShot + 0.05);
    expect(fiveShot).toBeLessThan(1);
    // noise 1 in 400 dimensions: classes far apart, 1-NN all but perfect
    const easy = createSyntheticFewShotDataset({ classCount: 50, noise: 1, seed: 5 });
    expect(
      nearestNeighbourAccuracy(
        sampleFewShotEpisodes(easy, { episodes: 50, ways: 5, shots: 1, queries: 1 }, createRng(6)),
      ),
    ).toBeGreaterThan(0.95);
  });
});

describe('errors name the argument, the value and the expected form', () => {
  const dataset = createSyntheticFewShotDataset(small);
  const tiny: FewShotDataset = { ...dataset, name: 'tiny', exampleCount: (c) => (c === 4 ? 2 : 8) };
  it.each([
    [
      () => createSyntheticFewShotDataset({ seed: 1, classCount: 0 }),
      'createSyntheticFewShotDataset: options.classCount must be a positive integer, got 0',
    ],
    [
      () => createSyntheticFewShotDataset({ seed: 1, noise: -1 }),
      'createSyntheticFewShotDataset: options.noise must be a finite number >= 0, got -1',
    ],
    [
      () => createSyntheticFewShotDataset({ seed: '1' as never }),
      'createSyntheticFewShotDataset: options.seed must be a safe integer, got "1"',
    ],
    [
      () => createSyntheticFewShotDataset({ seed: 1, examples: 5 } as never),
      "createSyntheticFewShotDataset: unknown option 'examples'; options: classCount, examplesPerClass, inputSize, noise, nuisanceDimensions, nuisanceScale, seed, name",
    ],
    [
      () => dataset.readExample(0, 8),
      'synthetic (seed 3): exampleIndex of class 0 must be an integer in [0, 7], got 8',
    ],
    [() => dataset.exampleCount(-1), 'synthetic (seed 3): classIndex must be an integer in [0, 29], got -1'],
    [
      () => splitFewShotDataset(dataset, { firstClasses: 30 }),
      'splitFewShotDataset: options.firstClasses must be an integer in [1, 29] (both parts need a class; "synthetic (seed 3)" has 30), got 30',
    ],
    [
      () => sampleFewShotEpisodes(dataset, { episodes: 1, ways: 31, shots: 1, queries: 1 }, createRng(1)),
      'sampleFewShotEpisodes: options.ways must be an integer in [1, 30] (synthetic (seed 3) has 30 classes), got 31',
    ],
    [
      () => sampleFewShotEpisodes(dataset, { episodes: 1, ways: 2, shots: 0, queries: 1 }, createRng(1)),
      'sampleFewShotEpisodes: options.shots must be an integer in [1, infinity], got 0',
    ],
    [
      () => sampleFewShotEpisodes(dataset, { episodes: 1, ways: 2, shots: 1, queries: -1 }, createRng(1)),
      'sampleFewShotEpisodes: options.queries must be an integer in [0, infinity], got -1',
    ],
    [
      () => sampleFewShotEpisodes(dataset, { episodes: 1, ways: 2, shots: 5, queries: 4 }, createRng(1)),
      'sampleFewShotEpisodes: class ', // which class is drawn first depends on the generator
    ],
    [
      () => sampleFewShotEpisodes(tiny, { episodes: 1, ways: 30, shots: 2, queries: 1 }, createRng(1)),
      'sampleFewShotEpisodes: class 4 of "tiny" has 2 examples; 2 shots + 1 queries need 3 distinct ones',
    ],
    [
      () =>
        sampleFewShotEpisodes(
          { name: 'x' } as never,
          { episodes: 1, ways: 2, shots: 1, queries: 1 },
          createRng(1),
        ),
      'sampleFewShotEpisodes: dataset must be a FewShotDataset { name, classCount, inputSize, exampleCount, readExample }, got {"name":"x"}',
    ],
    [
      () =>
        sampleFewShotEpisodes(
          { ...dataset, name: 'short', readExample: () => new Float32Array(3) },
          { episodes: 1, ways: 2, shots: 1, queries: 1 },
          createRng(1),
        ),
      'must return a Float32Array of inputSize 16, got Float32Array(3) [0, 0, 0]',
    ],
    [
      () =>
        nearestNeighbourAccuracy(
          sampleFewShotEpisodes(dataset, { episodes: 1, ways: 2, shots: 1, queries: 0 }, createRng(1)),
        ),
      'nearestNeighbourAccuracy: episodes.queries must be a positive integer (accuracy is measured on the queries), got 0',
    ],
    [
      () =>
        nearestNeighbourAccuracy({
          ...sampleFewShotEpisodes(dataset, { episodes: 2, ways: 2, shots: 1, queries: 1 }, createRng(1)),
          queryLabels: new Int32Array(3),
        }),
      'nearestNeighbourAccuracy: episodes.queryLabels must be an Int32Array of length 4 (episodes x ways x queries), got Int32Array(3) [0, 0, 0]',
    ],
  ])('%#', (call, message) => {
    expect(call).toThrow(message);
  });
});
