/**
 * The PNG decoder and `loadImageFolderDataset` (`@metarl/envs/node`) on PNG files written by an
 * independent encoder below (node:zlib's deflateSync, its own CRC-32 table and filters), laid out
 * like Omniglot (alphabet/character/*.png).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodePng } from '../../../test-support/png';
import { createRng, sampleFewShotEpisodes, splitFewShotDataset } from '../src/index';
import { loadImageFolderDataset } from '../src/node/index';
import { decodePngLuminance, resizeByAreaAveraging } from '../src/node/png';

/** Deterministic pseudo-random integers in [0, bound). */
function samples(count: number, bound: number, seed: number): number[] {
  const rng = createRng(seed);
  return Array.from({ length: count }, () => rng.nextInt(bound));
}

const luma = (r: number, g: number, b: number) => (299 * r + 587 * g + 114 * b) / 255000;
const ALL_FILTERS = [0, 1, 2, 3, 4];

// ── The decoder ────────────────────────────────────────────────────────────────────────────

describe('decodePngLuminance', () => {
  it.each([1, 2, 4, 8])('decodes %i-bit grayscale exactly, with all five filters', (depth) => {
    const values = samples(7 * 10, 2 ** depth, depth);
    const png = encodePng({
      width: 7,
      height: 10,
      depth,
      colorType: 0,
      samples: values,
      filters: ALL_FILTERS,
    });
    const image = decodePngLuminance(png, 'gray.png');
    expect([image.width, image.height]).toEqual([7, 10]);
    expect(Array.from(image.pixels)).toEqual(values.map((v) => v / (2 ** depth - 1)));
  });

  it("breaks Paeth's ties as the specification says (left, then up, then upper left)", () => {
    // Few distinct values make ties between the three predictors frequent.
    for (const depth of [8, 2]) {
      const values = samples(32 * 32, 4, 40 + depth);
      const png = encodePng({ width: 32, height: 32, depth, colorType: 0, samples: values, filters: [4] });
      expect(Array.from(decodePngLuminance(png, 'paeth.png').pixels)).toEqual(
        values.map((v) => v / (2 ** depth - 1)),
      );
    }
  });

  it('decodes 8-bit RGB, RGBA and gray + alpha (alpha ignored), with all filters and split IDAT', () => {
    const rgb = samples(5 * 6 * 3, 256, 11);
    const decoded = decodePngLuminance(
      encodePng({
        width: 5,
        height: 6,
        depth: 8,
        colorType: 2,
        samples: rgb,
        filters: ALL_FILTERS,
        idatChunks: 3,
      }),
      'rgb.png',
    );
    const expected = Array.from({ length: 30 }, (_v, p) =>
      luma(rgb[3 * p]!, rgb[3 * p + 1]!, rgb[3 * p + 2]!),
    );
    expect(Array.from(decoded.pixels)).toEqual(expected);

    const rgba = samples(5 * 6 * 4, 256, 12);
    const rgbaDecoded = decodePngLuminance(
      encodePng({ width: 5, height: 6, depth: 8, colorType: 6, samples: rgba, filters: [4, 3, 2, 1, 0] }),
      'rgba.png',
    );
    expect(Array.from(rgbaDecoded.pixels)).toEqual(
      Array.from({ length: 30 }, (_v, p) => luma(rgba[4 * p]!, rgba[4 * p + 1]!, rgba[4 * p + 2]!)),
    );

    const grayAlpha = samples(5 * 6 * 2, 256, 13);
    const grayAlphaDecoded = decodePngLuminance(
      encodePng({ width: 5, height: 6, depth: 8, colorType: 4, samples: grayAlpha, filters: ALL_FILTERS }),
      'ga.png',
    );
    expect(Array.from(grayAlphaDecoded.pixels)).toEqual(
      Array.from({ length: 30 }, (_v, p) => grayAlpha[2 * p]! / 255),
    );
  });

  it.each([1, 2, 4, 8])('decodes %i-bit palette images', (depth) => {
    const entries = 2 ** depth;
    const palette = samples(entries * 3, 256, 20 + depth);
    const indices = samples(9 * 4, entries, 30 + depth);
    const image = decodePngLuminance(
      encodePng({
        width: 9,
        height: 4,
        depth,
        colorType: 3,
        samples: indices,
        palette,
        filters: ALL_FILTERS,
      }),
      'palette.png',
    );
    expect(Array.from(image.pixels)).toEqual(
      indices.map((i) => luma(palette[3 * i]!, palette[3 * i + 1]!, palette[3 * i + 2]!)),
    );
  });

  it('rejects what it does not support, and damaged files, naming the file', () => {
    const gray = { width: 2, height: 2, depth: 8, colorType: 0, samples: [0, 1, 2, 3] };
    expect(() => decodePngLuminance(encodePng({ ...gray, interlace: 1 }), 'a/b.png')).toThrow(
      'a/b.png: interlaced (Adam7) images are not supported; save it without interlacing',
    );
    expect(() => decodePngLuminance(encodePng({ ...gray, depth: 16 }), 'deep.png')).toThrow(
      'deep.png: 16-bit grayscale images are not supported (bit depths 1, 2, 4 and 8 are); convert it to 8-bit',
    );
    expect(() =>
      decodePngLuminance(
        encodePng({ ...gray, colorType: 2, samples: Array(12).fill(0), depth: 16 }),
        'deep.png',
      ),
    ).toThrow('deep.png: 16-bit RGB images are not supported');
    expect(() => decodePngLuminance(encodePng({ ...gray, depth: 3 }), 'odd.png')).toThrow(
      'odd.png: bit depth 3 is invalid for grayscale images',
    );
    expect(() => decodePngLuminance(Buffer.from('GIF89a....'), 'x.gif')).toThrow(
      'x.gif: not a PNG file (the 8-byte PNG signature is missing)',
    );
    const damaged = encodePng(gray);
    damaged[45] = damaged[45]! ^ 0xff; // inside the data of the tEXt chunk at byte 33
    expect(() => decodePngLuminance(damaged, 'damaged.png')).toThrow(
      'damaged.png: chunk tEXt at byte 33 has a wrong CRC (the file is damaged)',
    );
    expect(() => decodePngLuminance(encodePng(gray).subarray(0, 50), 'short.png')).toThrow(
      'short.png: chunk tEXt at byte 33 runs past the end of the file',
    );
    expect(() =>
      decodePngLuminance(encodePng({ ...gray, colorType: 3, palette: [0, 0, 0, 255, 255, 255] }), 'pal.png'),
    ).toThrow('pal.png: pixel (0, 1) uses palette entry 2, but the palette has 2 entries');
    expect(() => decodePngLuminance(encodePng({ ...gray, colorType: 3 }), 'nopal.png')).toThrow(
      'nopal.png: palette image without a PLTE chunk',
    );
  });
});

describe('resizeByAreaAveraging', () => {
  it('averages whole blocks when shrinking by an integer factor, and overlaps otherwise', () => {
    // 4 x 2 -> 2 x 1: means of 2 x 2 blocks
    expect(
      Array.from(resizeByAreaAveraging(Float64Array.from([0, 1, 0.5, 0.5, 1, 1, 0.25, 0.75]), 4, 2, 2, 1)),
    ).toEqual([0.75, 0.5]);
    // 3 -> 2 in one dimension: [a, b, c] -> [(a + b / 2) / 1.5, (b / 2 + c) / 1.5]
    expect(Array.from(resizeByAreaAveraging(Float64Array.from([0.3, 0.6, 0.9]), 3, 1, 2, 1))).toEqual([
      Math.fround((0.3 + 0.3) / 1.5),
      Math.fround((0.3 + 0.9) / 1.5),
    ]);
    // enlarging repeats values
    expect(Array.from(resizeByAreaAveraging(Float64Array.from([0.25, 1]), 2, 1, 4, 2))).toEqual([
      0.25, 0.25, 1, 1, 0.25, 0.25, 1, 1,
    ]);
  });
});

// ── The loader ─────────────────────────────────────────────────────────────────────────────

const root = mkdtempSync(join(tmpdir(), 'metarl-image-folder-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** An Omniglot-like 105 x 105 1-bit image: white (1) paper, black (0) strokes where `ink(x, y)`. */
function omniglotPng(ink: (x: number, y: number) => boolean): Buffer {
  const values = Array.from({ length: 105 * 105 }, (_v, p) => (ink(p % 105, Math.floor(p / 105)) ? 0 : 1));
  return encodePng({
    width: 105,
    height: 105,
    depth: 1,
    colorType: 0,
    samples: values,
    filters: ALL_FILTERS,
  });
}

function write(path: string, bytes: Buffer): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, bytes);
}

// A black square over source pixels [0, 15)^2 (target pixels [0, 4)^2 at 105 -> 28, 3.75 source
// pixels each) and a black bar over columns [15, 17) of rows [0, 15): 2 of target column 4's 3.75.
const block = (x: number, y: number) => y < 15 && x < 17;
const omniglot = join(root, 'images_background');
// Written out of order on purpose: the loader sorts.
write(
  join(omniglot, 'Latin', 'character02', '0002_01.png'),
  omniglotPng((x) => x >= 100),
);
write(
  join(omniglot, 'Latin', 'character01', '0001_02.png'),
  omniglotPng(() => false),
);
write(join(omniglot, 'Latin', 'character01', '0001_01.png'), omniglotPng(block));
write(join(omniglot, 'Latin', 'character01', '.0001_00.png'), Buffer.from('hidden files are skipped'));
write(join(omniglot, 'Latin', 'character01', 'notes.txt'), Buffer.from('other files are skipped'));
write(
  join(omniglot, 'Greek', 'character01', '0003_01.PNG'),
  omniglotPng((_x, y) => y < 105 / 3),
);
write(
  join(omniglot, 'Greek', 'character01', '0003_02.png'),
  omniglotPng(() => true),
);
write(
  join(omniglot, 'Greek', 'character02', 'rgb.png'),
  // 8-bit RGB 56 x 56 -> 28 x 28: 2 x 2 blocks, a pure red left half and a grey (128) right half
  encodePng({
    width: 56,
    height: 56,
    depth: 8,
    colorType: 2,
    samples: Array.from({ length: 56 * 56 }, (_v, p) => (p % 56 < 28 ? [255, 0, 0] : [128, 128, 128])).flat(),
    filters: ALL_FILTERS,
  }),
);
write(
  join(omniglot, 'Greek', 'character02', 'palette.png'),
  // 4-bit palette 28 x 28, no resizing: entry p % 3 of [black, white, blue]
  encodePng({
    width: 28,
    height: 28,
    depth: 4,
    colorType: 3,
    palette: [0, 0, 0, 255, 255, 255, 0, 0, 255],
    samples: Array.from({ length: 28 * 28 }, (_v, p) => p % 3),
  }),
);

describe('loadImageFolderDataset', () => {
  it('reads Omniglot-style folders: one class per character folder, sorted folder by folder', () => {
    const dataset = loadImageFolderDataset(omniglot);
    expect(dataset.name).toBe('images_background');
    expect(dataset.classCount).toBe(4);
    expect(dataset.inputSize).toBe(28 * 28);
    expect(dataset.classNames).toEqual([
      'Greek/character01',
      'Greek/character02',
      'Latin/character01',
      'Latin/character02',
    ]);
    expect([0, 1, 2, 3].map((c) => dataset.exampleCount(c))).toEqual([2, 2, 2, 1]);
    expect(dataset.imagePath(2, 0)).toBe(join(omniglot, 'Latin', 'character01', '0001_01.png'));
    expect(dataset.imagePath(2, 1)).toBe(join(omniglot, 'Latin', 'character01', '0001_02.png'));
    expect(dataset.imagePath(1, 0)).toBe(join(omniglot, 'Greek', 'character02', 'palette.png'));
  });

  it('gives luminance in [0, 1], inverted on request, resized by area averaging (1-bit 105 x 105)', () => {
    const plain = loadImageFolderDataset(omniglot);
    const inverted = loadImageFolderDataset(omniglot, { invert: true, name: 'strokes' });
    expect(inverted.name).toBe('strokes');
    const image = inverted.readExample(2, 0); // the block
    const expected = new Float32Array(28 * 28);
    for (let y = 0; y < 4; y += 1) {
      for (let x = 0; x < 4; x += 1) expected[y * 28 + x] = 1;
      expected[y * 28 + 4] = 8 / 15; // 2 of 3.75 columns inked
    }
    expect(image).toEqual(expected);
    const expectedPlain = new Float32Array(28 * 28).fill(1);
    for (let y = 0; y < 4; y += 1) {
      for (let x = 0; x < 4; x += 1) expectedPlain[y * 28 + x] = 0;
      expectedPlain[y * 28 + 4] = 7 / 15;
    }
    expect(plain.readExample(2, 0)).toEqual(expectedPlain);
    expect(plain.readExample(2, 1)).toEqual(new Float32Array(784).fill(1)); // blank paper
    expect(inverted.readExample(0, 1)).toEqual(new Float32Array(784).fill(1)); // all ink
    // 35 rows of 105 inked: target rows [0, 9) whole, row 9 one third (35 - 33.75 = 1.25 of 3.75)
    const third = inverted.readExample(0, 0);
    expect(third[8 * 28 + 5]).toBe(1);
    expect(third[9 * 28 + 5]).toBe(Math.fround(1 / 3));
    expect(third[10 * 28 + 5]).toBe(0);
    // the last 5 columns inked: target column 26 covers [97.5, 101.25): 1.25 of 3.75
    const right = inverted.readExample(3, 0);
    expect(right[7 * 28 + 26]).toBe(Math.fround(1 / 3));
    expect(right[7 * 28 + 27]).toBe(1);
    expect(right[7 * 28 + 25]).toBe(0);
  });

  it('reads 8-bit RGB and palette images', () => {
    const dataset = loadImageFolderDataset(omniglot);
    const palette = dataset.readExample(1, 0);
    const blue = Math.fround(luma(0, 0, 255));
    expect(Array.from(palette.subarray(0, 6))).toEqual([0, 1, blue, 0, 1, blue]);
    const rgb = dataset.readExample(1, 1);
    expect(rgb[0]).toBe(Math.fround(luma(255, 0, 0)));
    expect(rgb[13]).toBe(Math.fround(luma(255, 0, 0)));
    expect(rgb[14]).toBe(Math.fround(128 / 255)); // neutral grey: exactly v / 255
    expect(rgb[27 * 28 + 27]).toBe(Math.fround(128 / 255));
  });

  it('resizes to the requested size; readExample returns a copy', () => {
    const dataset = loadImageFolderDataset(omniglot, { width: 7, height: 5, invert: true });
    expect(dataset.inputSize).toBe(35);
    const all = dataset.readExample(0, 1);
    expect(all).toEqual(new Float32Array(35).fill(1));
    all.fill(0);
    expect(dataset.readExample(0, 1)).toEqual(new Float32Array(35).fill(1));
  });

  it('reads root/<class>/*.png too, and feeds sampleFewShotEpisodes', () => {
    const flat = join(root, 'flat');
    for (let c = 0; c < 6; c += 1)
      for (let i = 0; i < 4; i += 1)
        write(
          join(flat, `class${c}`, `${i}.png`),
          omniglotPng((x, y) => x % 6 === c || (y === 10 * i && x < 50)),
        );
    const dataset = loadImageFolderDataset(flat, { invert: true });
    expect(dataset.classNames).toEqual(['class0', 'class1', 'class2', 'class3', 'class4', 'class5']);
    const { train, test } = splitFewShotDataset(dataset, { firstClasses: 4 });
    const episodes = sampleFewShotEpisodes(
      train,
      { episodes: 10, ways: 3, shots: 2, queries: 2 },
      createRng(1),
    );
    expect(episodes.supportInputs.length).toBe(10 * 3 * 2 * 784);
    for (let e = 0; e < 10; e += 1) {
      for (let s = 0; s < 6; s += 1) {
        const label = episodes.supportLabels[e * 6 + s]!;
        const classIndex = episodes.classes[e * 3 + label]!;
        const row = episodes.supportInputs.subarray((e * 6 + s) * 784, (e * 6 + s + 1) * 784);
        const matches = [0, 1, 2, 3].filter((i) =>
          train.readExample(classIndex, i).every((v, k) => v === row[k]),
        );
        expect(matches.length).toBe(1);
      }
    }
    expect(
      sampleFewShotEpisodes(test, { episodes: 2, ways: 2, shots: 1, queries: 3 }, createRng(2)).classes
        .length,
    ).toBe(4);
  });

  it('explains what is wrong, naming the path', () => {
    const missing = join(root, 'missing');
    expect(() => loadImageFolderDataset(missing)).toThrow(
      `loadImageFolderDataset: cannot read the root folder ${missing}`,
    );
    const empty = join(root, 'empty');
    mkdirSync(join(empty, 'alphabet', 'character01'), { recursive: true });
    writeFileSync(join(empty, 'alphabet', 'character01', 'readme.txt'), 'no images');
    expect(() => loadImageFolderDataset(empty)).toThrow(
      `loadImageFolderDataset: no classes under ${empty}: expected folders of .png images`,
    );
    const broken = join(root, 'broken');
    write(
      join(broken, 'alphabet', 'character01', '1.png'),
      omniglotPng(() => false),
    );
    write(join(broken, 'alphabet', 'character02', '1.png'), Buffer.from('not a png'));
    expect(() => loadImageFolderDataset(broken)).toThrow(
      `loadImageFolderDataset: class "alphabet/character02": cannot read image ${join(broken, 'alphabet', 'character02', '1.png')}: not a PNG file`,
    );
    const deep = join(root, 'deep');
    write(
      join(deep, 'a', '1.png'),
      encodePng({ width: 1, height: 1, depth: 16, colorType: 0, samples: [9] }),
    );
    expect(() => loadImageFolderDataset(deep)).toThrow(
      `${join(deep, 'a', '1.png')}: 16-bit grayscale images are not supported`,
    );
    const mixed = join(root, 'mixed');
    write(
      join(mixed, 'a', '1.png'),
      omniglotPng(() => false),
    );
    write(
      join(mixed, 'a', 'b', '1.png'),
      omniglotPng(() => false),
    );
    expect(() => loadImageFolderDataset(mixed)).toThrow(
      `loadImageFolderDataset: folder ${join(mixed, 'a')} holds both .png images and sub-folders`,
    );
    expect(() => loadImageFolderDataset(omniglot, { width: 0 })).toThrow(
      'loadImageFolderDataset: options.width must be an integer in [1, 4096], got 0',
    );
    expect(() => loadImageFolderDataset(omniglot, { invert: 'yes' as never })).toThrow(
      'loadImageFolderDataset: options.invert must be true or false, got "yes"',
    );
    expect(() => loadImageFolderDataset(omniglot, { size: 28 } as never)).toThrow(
      "loadImageFolderDataset: unknown option 'size'; options: width, height, invert, name",
    );
    expect(() => loadImageFolderDataset(omniglot).readExample(3, 1)).toThrow(
      'images_background: exampleIndex of class 3 must be an integer in [0, 0], got 1',
    );
  });
});
