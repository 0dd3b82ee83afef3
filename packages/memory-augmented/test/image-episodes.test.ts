import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { createRng } from '@metarl/core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  decodePng,
  loadImageClasses,
  resizeByAreaAverage,
  rotateSquareImage,
  sampleImageEpisodes,
} from '../src/node/index';

// A minimal PNG encoder for the test (plot's PNGs come from resvg, which only renders charts).
const CRC_TABLE = Array.from({ length: 256 }, (_v, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, body.length);
  out.set(Buffer.from(type, 'ascii'), 4);
  out.set(body, 8);
  view.setUint32(8 + body.length, crc32(out.subarray(4, 8 + body.length)));
  return out;
}
/** Encodes rows of raw samples (already packed for the bit depth); `filters[y]` is row y's filter, applied here. */
function encodePng(
  width: number,
  height: number,
  options: { bitDepth: number; colourType: number; interlace?: number; bytesPerPixel: number },
  rows: Uint8Array[],
  filters: number[],
): Uint8Array {
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([options.bitDepth, options.colourType, 0, 0, options.interlace ?? 0], 8);
  const step = options.bytesPerPixel;
  const filtered = rows.map((row, y) => {
    const previous = y > 0 ? rows[y - 1]! : new Uint8Array(row.length);
    const out = new Uint8Array(row.length + 1);
    out[0] = filters[y]!;
    for (let x = 0; x < row.length; x += 1) {
      const left = x >= step ? row[x - step]! : 0;
      const up = previous[x]!;
      const upLeft = x >= step ? previous[x - step]! : 0;
      const predictor = [
        0,
        left,
        up,
        (left + up) >> 1,
        (() => {
          const p = left + up - upLeft;
          const [pa, pb, pc] = [Math.abs(p - left), Math.abs(p - up), Math.abs(p - upLeft)];
          return pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
        })(),
      ][filters[y]!]!;
      out[x + 1] = (row[x]! - predictor) & 0xff;
    }
    return out;
  });
  const parts = [
    new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(filtered))),
    chunk('IEND', new Uint8Array()),
  ];
  return Buffer.concat(parts);
}

const grey = (width: number, height: number, value: (x: number, y: number) => number) =>
  Array.from({ length: height }, (_r, y) => Uint8Array.from({ length: width }, (_c, x) => value(x, y)));

describe('decodePng', () => {
  it('decodes 8-bit greyscale through every filter type', () => {
    const rows = grey(5, 5, (x, y) => (x * 37 + y * 53) % 256);
    const image = decodePng(
      encodePng(5, 5, { bitDepth: 8, colourType: 0, bytesPerPixel: 1 }, rows, [0, 1, 2, 3, 4]),
    );
    expect(image.width).toBe(5);
    expect(Array.from(image.pixels, (v) => Math.round(v * 255))).toEqual(rows.flatMap((r) => Array.from(r)));
  });

  it('decodes 1-bit greyscale, RGB and RGBA', () => {
    // 1-bit: 10 pixels per row, packed MSB first into 2 bytes.
    const bits = [1, 0, 1, 1, 0, 0, 1, 0, 1, 1];
    const packed = new Uint8Array(2);
    bits.forEach((bit, x) => {
      packed[x >> 3]! |= bit << (7 - (x & 7));
    });
    const oneBit = decodePng(
      encodePng(10, 1, { bitDepth: 1, colourType: 0, bytesPerPixel: 1 }, [packed], [1]),
    );
    expect(Array.from(oneBit.pixels)).toEqual(bits);
    const rgb = decodePng(
      encodePng(
        2,
        1,
        { bitDepth: 8, colourType: 2, bytesPerPixel: 3 },
        [Uint8Array.from([255, 0, 0, 30, 60, 90])],
        [4],
      ),
    );
    expect(Array.from(rgb.pixels)).toEqual([Math.fround(1 / 3), Math.fround(60 / 255)]);
    const rgba = decodePng(
      encodePng(
        1,
        2,
        { bitDepth: 8, colourType: 6, bytesPerPixel: 4 },
        [Uint8Array.from([255, 255, 255, 0]), Uint8Array.from([0, 0, 51, 255])],
        [0, 2],
      ),
    );
    expect(Array.from(rgba.pixels)).toEqual([1, Math.fround(17 / 255)]);
  });

  it('rejects interlaced, palette and 16-bit images and non-PNG bytes with a clear error', () => {
    const rows = grey(2, 2, () => 0);
    expect(() =>
      decodePng(
        encodePng(2, 2, { bitDepth: 8, colourType: 0, interlace: 1, bytesPerPixel: 1 }, rows, [0, 0]),
        'a.png',
      ),
    ).toThrow('decodePng: a.png: interlaced PNGs are not supported');
    expect(() =>
      decodePng(encodePng(2, 2, { bitDepth: 8, colourType: 3, bytesPerPixel: 1 }, rows, [0, 0])),
    ).toThrow(/colour type 3 at bit depth 8 is not supported/);
    expect(() =>
      decodePng(encodePng(1, 2, { bitDepth: 16, colourType: 0, bytesPerPixel: 2 }, rows, [0, 0])),
    ).toThrow(/colour type 0 at bit depth 16 is not supported/);
    expect(() => decodePng(new Uint8Array([1, 2, 3]), 'b.png')).toThrow('decodePng: b.png: not a PNG file');
  });
});

describe('resizeByAreaAverage and rotateSquareImage', () => {
  it('averages over each output pixel area, fractional overlaps weighted', () => {
    const image = { width: 3, height: 1, pixels: Float32Array.from([0, 1, 0.5]) };
    // 3 -> 2: [0, 1/2 of 1] / 1.5 and [1/2 of 1, 0.5] / 1.5.
    const resized = resizeByAreaAverage(image, 2, 1);
    expect(resized.pixels[0]).toBeCloseTo(0.5 / 1.5, 6);
    expect(resized.pixels[1]).toBeCloseTo(1 / 1.5, 6);
    const square = resizeByAreaAverage(
      { width: 4, height: 4, pixels: Float32Array.from({ length: 16 }, (_v, i) => i) },
      2,
      2,
    );
    expect(Array.from(square.pixels)).toEqual([2.5, 4.5, 10.5, 12.5]);
  });

  it('rotates by quarter turns (four turns = identity)', () => {
    const image = Float32Array.from([1, 2, 3, 4]); // [[1, 2], [3, 4]]
    expect(Array.from(rotateSquareImage(image, 2, 1))).toEqual([2, 4, 1, 3]);
    expect(Array.from(rotateSquareImage(image, 2, 2))).toEqual([4, 3, 2, 1]);
    expect(Array.from(rotateSquareImage(rotateSquareImage(image, 2, 3), 2, 1))).toEqual([1, 2, 3, 4]);
  });
});

describe('loadImageClasses and sampleImageEpisodes', () => {
  const root = mkdtempSync(join(tmpdir(), 'metarl-omniglot-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  // 2 alphabets x 2 characters x 3 drawings of 40x40: character c of alphabet a is a bar at row 10a + 5c.
  for (const alphabet of ['Alpha', 'Beta'])
    for (const character of ['character01', 'character02']) {
      mkdirSync(join(root, alphabet, character), { recursive: true });
      const band = (alphabet === 'Alpha' ? 0 : 20) + (character === 'character01' ? 0 : 10);
      for (let drawing = 0; drawing < 3; drawing += 1) {
        const rows = grey(40, 40, (_x, y) => (y >= band && y < band + 10 ? 0 : 255));
        writeFileSync(
          join(root, alphabet, character, `d${drawing}.png`),
          encodePng(
            40,
            40,
            { bitDepth: 8, colourType: 0, bytesPerPixel: 1 },
            rows,
            rows.map((_r, y) => y % 5),
          ),
        );
      }
      writeFileSync(join(root, alphabet, character, 'notes.txt'), 'not an image');
    }

  it('reads one class per character directory, resized to 20x20 and inverted', () => {
    const classes = loadImageClasses(root);
    expect(classes.map((c) => c.name)).toEqual([
      'Alpha/character01',
      'Alpha/character02',
      'Beta/character01',
      'Beta/character02',
    ]);
    expect(classes.every((c) => c.images.length === 3 && c.images[0]!.length === 400)).toBe(true);
    // Beta/character01: a black bar on rows 20..29 of 40 -> rows 10..14 of 20 are 1 after inversion.
    const image = classes[2]!.images[0]!;
    for (let y = 0; y < 20; y += 1) expect(image[y * 20 + 7]).toBe(y >= 10 && y < 15 ? 1 : 0);
    expect(() => loadImageClasses(join(root, 'Alpha', 'character01'))).toThrow(/no classes under/);
  });

  it('assembles episodes of distinct classes with the one-shot layout', () => {
    const classes = loadImageClasses(root);
    const batch = sampleImageEpisodes(classes, 6, createRng(1), {
      classes: 2,
      instancesPerClass: 3,
      rotate: false,
    });
    expect(batch).toMatchObject({ batchSize: 6, steps: 6, inputSize: 402, classes: 2, instancesPerClass: 3 });
    for (let b = 0; b < 6; b += 1) {
      // Same label -> same image (this data has identical drawings); different labels -> different bars.
      const imageOf = (t: number) =>
        Array.from(batch.inputs.subarray((b * 6 + t) * 402, (b * 6 + t) * 402 + 400)).join();
      const byLabel = new Map<number, Set<string>>();
      for (let t = 0; t < 6; t += 1) {
        const label = batch.labels[b * 6 + t]!;
        byLabel.set(label, (byLabel.get(label) ?? new Set()).add(imageOf(t)));
      }
      expect([...byLabel.values()].map((s) => s.size)).toEqual([1, 1]);
      const [first, second] = [...byLabel.values()].map((s) => [...s][0]);
      expect(first).not.toBe(second);
    }
    const rotated = sampleImageEpisodes(classes, 20, createRng(2), { classes: 2, instancesPerClass: 3 });
    const orientations = new Set<string>();
    for (let b = 0; b < 20; b += 1) {
      const image = rotated.inputs.subarray(b * 6 * 402, b * 6 * 402 + 400);
      orientations.add(image[0 * 20 + 10] === image[10 * 20 + 0] ? 'same' : 'rotated');
    }
    expect(orientations.size).toBe(2);
    expect(() => sampleImageEpisodes(classes, 1, createRng(1), { instancesPerClass: 4, classes: 2 })).toThrow(
      "class 'Alpha/character01' has 3 images, episodes need instancesPerClass = 4",
    );
  });
});
