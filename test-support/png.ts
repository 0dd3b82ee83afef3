// A small PNG encoder for tests that write image files (the envs loader's decoder tests, one-shot
// episodes from image folders), written from the specification independently of the decoder.
import { deflateSync } from 'node:zlib';

const CRC_TABLE = Array.from({ length: 256 }, (_v, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  Buffer.from(data).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

export interface PngSpec {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  /** Samples row-major: one per channel per pixel (palette indices for colour type 3). */
  samples: number[];
  palette?: number[];
  /** Filter type of row y: filters[y % filters.length]; default [0]. */
  filters?: number[];
  interlace?: number;
  /** Split the compressed data over this many IDAT chunks; default 1. */
  idatChunks?: number;
}

export function encodePng(spec: PngSpec): Buffer {
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[spec.colorType]!;
  const bitsPerPixel = spec.depth * channels;
  const rowBytes = Math.ceil((spec.width * bitsPerPixel) / 8);
  const bpp = Math.max(1, bitsPerPixel / 8);
  const raw: Uint8Array[] = [];
  for (let y = 0; y < spec.height; y += 1) {
    const row = new Uint8Array(rowBytes);
    for (let x = 0; x < spec.width; x += 1) {
      for (let c = 0; c < channels; c += 1) {
        const sample = spec.samples[(y * spec.width + x) * channels + c]!;
        if (spec.depth === 8) row[x * channels + c] = sample;
        else if (spec.depth === 16) {
          row[2 * (x * channels + c)] = sample >> 8;
          row[2 * (x * channels + c) + 1] = sample & 0xff;
        } else {
          const bit = x * spec.depth; // one channel below 8 bits
          row[bit >> 3] = row[bit >> 3]! | (sample << (8 - spec.depth - (bit & 7)));
        }
      }
    }
    raw.push(row);
  }
  const filters = spec.filters ?? [0];
  const filtered = Buffer.alloc(spec.height * (rowBytes + 1));
  raw.forEach((row, y) => {
    const filter = filters[y % filters.length]!;
    const previous = y > 0 ? raw[y - 1]! : new Uint8Array(rowBytes);
    filtered[y * (rowBytes + 1)] = filter;
    for (let i = 0; i < rowBytes; i += 1) {
      const a = i >= bpp ? row[i - bpp]! : 0;
      const b = previous[i]!;
      const c = i >= bpp ? previous[i - bpp]! : 0;
      const predictor = [0, a, b, (a + b) >> 1, paeth(a, b, c)][filter]!;
      filtered[y * (rowBytes + 1) + 1 + i] = (row[i]! - predictor + 256) & 0xff;
    }
  });
  const header = Buffer.alloc(13);
  header.writeUInt32BE(spec.width, 0);
  header.writeUInt32BE(spec.height, 4);
  header[8] = spec.depth;
  header[9] = spec.colorType;
  header[12] = spec.interlace ?? 0;
  const compressed = deflateSync(filtered);
  const pieces = spec.idatChunks ?? 1;
  const size = Math.ceil(compressed.length / pieces);
  const idat = Array.from({ length: pieces }, (_v, i) =>
    chunk('IDAT', compressed.subarray(i * size, (i + 1) * size)),
  );
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', header),
    ...(spec.palette === undefined ? [] : [chunk('PLTE', Uint8Array.from(spec.palette))]),
    chunk('tEXt', Buffer.from('Comment\0ancillary chunks are skipped', 'latin1')),
    ...idat,
    chunk('IEND', new Uint8Array(0)),
  ]);
}
