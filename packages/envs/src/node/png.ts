/**
 * A small PNG decoder (node:zlib's inflateSync for the image data) that returns luminance in
 * [0, 1]: enough for Omniglot (1-bit grayscale, 105 x 105) and ordinary image folders.
 *
 * Supported: non-interlaced images of colour type 0 (grayscale, bit depth 1, 2, 4 or 8),
 * 2 (RGB, 8), 3 (palette, 1, 2, 4 or 8), 4 (grayscale + alpha, 8) and 6 (RGBA, 8), with all
 * five filter types; chunk CRCs are checked. Anything else (interlaced, 16-bit, a malformed
 * file) is an error naming the file.
 *
 * Luminance: gray v / (2^depth - 1); colour (299 R + 587 G + 114 B) / 255000 (ITU-R BT.601
 * weights, as Pillow's convert('L') but without its rounding to integers; computed this way a
 * neutral grey R = G = B = v gives exactly v / 255). Alpha is ignored, as in Pillow's convert('L').
 */
import { inflateSync } from 'node:zlib';

/** A decoded image: luminance in [0, 1], row-major. */
export interface LuminanceImage {
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** Luminance of every pixel, `[height * width]`, row-major, in [0, 1]. */
  readonly pixels: Float64Array;
}

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

/** Bit depths allowed for each colour type (the PNG specification's table), and channels per pixel. */
const COLOR_TYPES: Record<number, { name: string; depths: readonly number[]; channels: number }> = {
  0: { name: 'grayscale', depths: [1, 2, 4, 8, 16], channels: 1 },
  2: { name: 'RGB', depths: [8, 16], channels: 3 },
  3: { name: 'palette', depths: [1, 2, 4, 8], channels: 1 },
  4: { name: 'grayscale + alpha', depths: [8, 16], channels: 2 },
  6: { name: 'RGBA', depths: [8, 16], channels: 4 },
};

let crcTable: Uint32Array | undefined;

/** CRC-32 (ISO 3309, as PNG uses) of `bytes[start, end)`. */
function crc32(bytes: Uint8Array, start: number, end: number): number {
  if (crcTable === undefined) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n += 1) {
      let c = n;
      for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = start; i < end; i += 1) crc = crcTable[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function readUint32(bytes: Uint8Array, offset: number): number {
  return (
    ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>>
    0
  );
}

/** Decodes the PNG file `bytes` to luminance; `file` names it in errors. */
export function decodePngLuminance(bytes: Uint8Array, file: string): LuminanceImage {
  const fail = (reason: string): never => {
    throw new Error(`${file}: ${reason}`);
  };
  if (bytes.length < 8 || SIGNATURE.some((value, i) => bytes[i] !== value))
    fail('not a PNG file (the 8-byte PNG signature is missing)');

  let header: { width: number; height: number; depth: number; colorType: number } | undefined;
  let palette: Uint8Array | undefined;
  const data: Uint8Array[] = [];
  let ended = false;
  let offset = 8;
  while (offset < bytes.length && !ended) {
    if (offset + 12 > bytes.length) fail(`truncated chunk at byte ${offset}`);
    const length = readUint32(bytes, offset);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    const start = offset + 8;
    const end = start + length;
    if (end + 4 > bytes.length) fail(`chunk ${type} at byte ${offset} runs past the end of the file`);
    if (crc32(bytes, offset + 4, end) !== readUint32(bytes, end))
      fail(`chunk ${type} at byte ${offset} has a wrong CRC (the file is damaged)`);
    const body = bytes.subarray(start, end);
    if (header === undefined && type !== 'IHDR') fail(`the first chunk must be IHDR, got ${type}`);
    switch (type) {
      case 'IHDR': {
        if (header !== undefined) fail('more than one IHDR chunk');
        if (length !== 13) fail(`IHDR has length ${length}, expected 13`);
        const width = readUint32(body, 0);
        const height = readUint32(body, 4);
        const depth = body[8]!;
        const colorType = body[9]!;
        const kind = COLOR_TYPES[colorType];
        if (width === 0 || height === 0) fail(`image size ${width} x ${height}: both must be at least 1`);
        if (kind === undefined) fail(`colour type ${colorType} is not a PNG colour type (0, 2, 3, 4 or 6)`);
        if (!kind!.depths.includes(depth)) fail(`bit depth ${depth} is invalid for ${kind!.name} images`);
        if (depth === 16)
          fail(
            `16-bit ${kind!.name} images are not supported (bit depths 1, 2, 4 and 8 are); convert it to 8-bit`,
          );
        if (body[10] !== 0 || body[11] !== 0)
          fail(`unknown compression method ${body[10]} or filter method ${body[11]} (both must be 0)`);
        if (body[12] !== 0)
          fail(
            body[12] === 1
              ? 'interlaced (Adam7) images are not supported; save it without interlacing'
              : `unknown interlace method ${body[12]}`,
          );
        header = { width, height, depth, colorType };
        break;
      }
      case 'PLTE':
        if (length === 0 || length % 3 !== 0 || length > 768)
          fail(`PLTE has length ${length}, expected 3 to 768 bytes in steps of 3`);
        palette = body;
        break;
      case 'IDAT':
        data.push(body);
        break;
      case 'IEND':
        ended = true;
        break;
      default:
        // A critical chunk (upper-case first letter) this decoder does not know cannot be skipped.
        if ((bytes[offset + 4]! & 0x20) === 0) fail(`unknown critical chunk ${type}`);
    }
    offset = end + 4;
  }
  if (header === undefined) fail('no IHDR chunk');
  const { width, height, depth, colorType } = header!;
  if (data.length === 0) fail('no IDAT chunk (no image data)');
  if (colorType === 3 && palette === undefined) fail('palette image without a PLTE chunk');

  let raw: Uint8Array;
  try {
    raw = inflateSync(Buffer.concat(data));
  } catch (error) {
    return fail(`the image data does not inflate: ${(error as Error).message}`);
  }
  const bitsPerPixel = depth * COLOR_TYPES[colorType]!.channels;
  const rowBytes = Math.ceil((width * bitsPerPixel) / 8);
  const expected = height * (rowBytes + 1);
  if (raw.length < expected)
    fail(`the image data has ${raw.length} bytes, expected ${expected} (${height} rows of 1 + ${rowBytes})`);
  const pixelBytes = Math.max(1, bitsPerPixel >> 3);
  const rows = unfilter(raw, height, rowBytes, pixelBytes, fail);
  return { width, height, pixels: luminance(rows, width, height, rowBytes, depth, colorType, palette, fail) };
}

/** Reverses the per-row filters (None, Sub, Up, Average, Paeth); returns the rows back to back. */
function unfilter(
  raw: Uint8Array,
  height: number,
  rowBytes: number,
  pixelBytes: number,
  fail: (reason: string) => never,
): Uint8Array {
  const out = new Uint8Array(height * rowBytes);
  for (let y = 0; y < height; y += 1) {
    const filter = raw[y * (rowBytes + 1)]!;
    const source = y * (rowBytes + 1) + 1;
    const row = y * rowBytes;
    const previous = row - rowBytes; // only read when y > 0
    for (let i = 0; i < rowBytes; i += 1) {
      const value = raw[source + i]!;
      const left = i >= pixelBytes ? out[row + i - pixelBytes]! : 0;
      const up = y > 0 ? out[previous + i]! : 0;
      let predicted: number;
      switch (filter) {
        case 0:
          predicted = 0;
          break;
        case 1:
          predicted = left;
          break;
        case 2:
          predicted = up;
          break;
        case 3:
          predicted = (left + up) >>> 1;
          break;
        case 4: {
          const upLeft = i >= pixelBytes && y > 0 ? out[previous + i - pixelBytes]! : 0;
          const estimate = left + up - upLeft;
          const toLeft = Math.abs(estimate - left);
          const toUp = Math.abs(estimate - up);
          const toUpLeft = Math.abs(estimate - upLeft);
          predicted = toLeft <= toUp && toLeft <= toUpLeft ? left : toUp <= toUpLeft ? up : upLeft;
          break;
        }
        default:
          return fail(`row ${y} has filter type ${filter}; PNG filter types are 0 to 4`);
      }
      out[row + i] = (value + predicted) & 0xff;
    }
  }
  return out;
}

function luminance(
  rows: Uint8Array,
  width: number,
  height: number,
  rowBytes: number,
  depth: number,
  colorType: number,
  palette: Uint8Array | undefined,
  fail: (reason: string) => never,
): Float64Array {
  const pixels = new Float64Array(width * height);
  const rgb = (r: number, g: number, b: number) => (299 * r + 587 * g + 114 * b) / 255000;
  const paletteLuminance =
    palette === undefined
      ? undefined
      : Float64Array.from({ length: palette.length / 3 }, (_v, i) =>
          rgb(palette[3 * i]!, palette[3 * i + 1]!, palette[3 * i + 2]!),
        );
  for (let y = 0; y < height; y += 1) {
    const row = y * rowBytes;
    for (let x = 0; x < width; x += 1) {
      let value: number;
      if (colorType === 0 || colorType === 3) {
        const bit = x * depth;
        const sample =
          depth === 8
            ? rows[row + x]!
            : (rows[row + (bit >> 3)]! >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
        if (colorType === 0) value = sample / ((1 << depth) - 1);
        else {
          const entry = paletteLuminance![sample];
          if (entry === undefined)
            return fail(
              `pixel (${x}, ${y}) uses palette entry ${sample}, but the palette has ${paletteLuminance!.length} entries`,
            );
          value = entry;
        }
      } else if (colorType === 4) value = rows[row + 2 * x]! / 255;
      else {
        const channels = colorType === 2 ? 3 : 4;
        const at = row + channels * x;
        value = rgb(rows[at]!, rows[at + 1]!, rows[at + 2]!);
      }
      pixels[y * width + x] = value;
    }
  }
  return pixels;
}

/**
 * `image` resized to `width` x `height` by area averaging: each output pixel is the mean of the
 * source area it covers (source pixels weighted by their overlap with it), as the mean of a box
 * filter; exact for shrinking by whole factors. Returned as float32, row-major.
 */
export function resizeByAreaAveraging(
  pixels: Float64Array,
  sourceWidth: number,
  sourceHeight: number,
  width: number,
  height: number,
): Float32Array {
  const columns = overlaps(sourceWidth, width);
  const rows = overlaps(sourceHeight, height);
  // Horizontal pass: [sourceHeight * width] sums of overlap * value.
  const horizontal = new Float64Array(sourceHeight * width);
  for (let y = 0; y < sourceHeight; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const { first, weights } = columns[x]!;
      let sum = 0;
      for (let k = 0; k < weights.length; k += 1) sum += weights[k]! * pixels[y * sourceWidth + first + k]!;
      horizontal[y * width + x] = sum;
    }
  }
  const area = (sourceWidth / width) * (sourceHeight / height);
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y += 1) {
    const { first, weights } = rows[y]!;
    for (let x = 0; x < width; x += 1) {
      let sum = 0;
      for (let k = 0; k < weights.length; k += 1) sum += weights[k]! * horizontal[(first + k) * width + x]!;
      out[y * width + x] = sum / area;
    }
  }
  return out;
}

/** For each of `size` output cells, the source cells it covers and by how much (in source units). */
function overlaps(sourceSize: number, size: number): { first: number; weights: Float64Array }[] {
  return Array.from({ length: size }, (_v, i) => {
    const start = (i * sourceSize) / size;
    const end = ((i + 1) * sourceSize) / size;
    const first = Math.floor(start);
    const last = Math.min(sourceSize, Math.ceil(end)) - 1;
    const weights = new Float64Array(last - first + 1);
    for (let s = first; s <= last; s += 1) weights[s - first] = Math.min(end, s + 1) - Math.max(start, s);
    return { first, weights };
  });
}
