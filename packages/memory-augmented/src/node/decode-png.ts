/**
 * A small PNG decoder (PNG specification, W3C 2003) for greyscale glyph images such as
 * Omniglot's: bit depth 8 greyscale, 1-bit greyscale, 8-bit greyscale+alpha, RGB and RGBA, not
 * interlaced. Pixels come back as greyscale intensities in [0, 1] (colour: the mean of R, G, B;
 * alpha is ignored). Anything else fails with an error that says what the file is.
 */
import { inflateSync } from 'node:zlib';

/** A decoded greyscale image. */
export interface GreyImage {
  /** Pixels per row. */
  readonly width: number;
  /** Rows. */
  readonly height: number;
  /** Row-major intensities in [0, 1], width · height. */
  readonly pixels: Float32Array;
}

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];
/** Channels per colour type: 0 grey, 2 RGB, 4 grey+alpha, 6 RGBA (3, palette, is not supported). */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 4: 2, 6: 4 };

/** The Paeth predictor of the PNG filter type 4. */
function paeth(left: number, up: number, upLeft: number): number {
  const p = left + up - upLeft;
  const pa = Math.abs(p - left);
  const pb = Math.abs(p - up);
  const pc = Math.abs(p - upLeft);
  if (pa <= pb && pa <= pc) return left;
  return pb <= pc ? up : upLeft;
}

/** Decodes `bytes` (a whole PNG file); `name` appears in errors. */
export function decodePng(bytes: Uint8Array, name = 'png'): GreyImage {
  const fail = (why: string): never => {
    throw new Error(`decodePng: ${name}: ${why}`);
  };
  if (bytes.length < 8 || SIGNATURE.some((value, i) => bytes[i] !== value))
    fail('not a PNG file (bad signature)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let width = 0;
  let height = 0;
  let bitDepth = 0;
  let colourType = -1;
  const data: Uint8Array[] = [];
  for (let offset = 8; offset + 8 <= bytes.length; ) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    const body = bytes.subarray(offset + 8, offset + 8 + length);
    if (body.length !== length) fail(`chunk ${type} is truncated`);
    if (type === 'IHDR') {
      width = view.getUint32(offset + 8);
      height = view.getUint32(offset + 12);
      bitDepth = body[8]!;
      colourType = body[9]!;
      if (body[12] !== 0) fail('interlaced PNGs are not supported (re-save without interlacing)');
    } else if (type === 'IDAT') data.push(body);
    else if (type === 'IEND') break;
    offset += 12 + length;
  }
  if (width === 0 || height === 0) fail('missing or empty IHDR chunk');
  const channels = CHANNELS[colourType];
  const supported = channels !== undefined && (bitDepth === 8 || (bitDepth === 1 && colourType === 0));
  if (!supported)
    fail(
      `colour type ${colourType} at bit depth ${bitDepth} is not supported (supported: 8-bit greyscale, greyscale+alpha, RGB, RGBA; 1-bit greyscale)`,
    );
  const raw = inflateSync(Buffer.concat(data));
  const bitsPerPixel = bitDepth * channels!;
  const rowBytes = Math.ceil((width * bitsPerPixel) / 8);
  const step = Math.max(1, bitsPerPixel / 8); // bytes back to the same channel of the left pixel
  if (raw.length < height * (rowBytes + 1)) fail(`image data too short for ${width}x${height}`);
  // Undo the per-row filters.
  const rows = new Uint8Array(height * rowBytes);
  for (let y = 0; y < height; y += 1) {
    const filter = raw[y * (rowBytes + 1)]!;
    const source = raw.subarray(y * (rowBytes + 1) + 1, (y + 1) * (rowBytes + 1));
    const out = rows.subarray(y * rowBytes, (y + 1) * rowBytes);
    const previous = y > 0 ? rows.subarray((y - 1) * rowBytes, y * rowBytes) : new Uint8Array(rowBytes);
    for (let x = 0; x < rowBytes; x += 1) {
      const left = x >= step ? out[x - step]! : 0;
      const up = previous[x]!;
      const upLeft = x >= step ? previous[x - step]! : 0;
      const value = source[x]!;
      if (filter === 0) out[x] = value;
      else if (filter === 1) out[x] = value + left;
      else if (filter === 2) out[x] = value + up;
      else if (filter === 3) out[x] = value + ((left + up) >> 1);
      else if (filter === 4) out[x] = value + paeth(left, up, upLeft);
      else fail(`row ${y} has unknown filter type ${filter}`);
    }
  }
  // Intensities.
  const pixels = new Float32Array(width * height);
  for (let y = 0; y < height; y += 1) {
    const row = rows.subarray(y * rowBytes, (y + 1) * rowBytes);
    for (let x = 0; x < width; x += 1) {
      let value: number;
      if (bitDepth === 1) value = (row[x >> 3]! >> (7 - (x & 7))) & 1;
      else if (colourType === 0 || colourType === 4) value = row[x * channels!]! / 255;
      else value = (row[x * channels!]! + row[x * channels! + 1]! + row[x * channels! + 2]!) / (3 * 255);
      pixels[y * width + x] = value;
    }
  }
  return { width, height, pixels };
}

/**
 * Resizes by area averaging: each output pixel is the mean of the input over its rectangle
 * (fractional overlaps weighted by their area), so downsampling 105×105 glyphs to 20×20 keeps
 * thin strokes as grey instead of dropping them.
 */
export function resizeByAreaAverage(image: GreyImage, width: number, height: number): GreyImage {
  const pixels = new Float32Array(width * height);
  const scaleX = image.width / width;
  const scaleY = image.height / height;
  for (let oy = 0; oy < height; oy += 1) {
    const y0 = oy * scaleY;
    const y1 = y0 + scaleY;
    for (let ox = 0; ox < width; ox += 1) {
      const x0 = ox * scaleX;
      const x1 = x0 + scaleX;
      let total = 0;
      for (let y = Math.floor(y0); y < Math.min(Math.ceil(y1), image.height); y += 1) {
        const coverY = Math.min(y + 1, y1) - Math.max(y, y0);
        for (let x = Math.floor(x0); x < Math.min(Math.ceil(x1), image.width); x += 1) {
          const coverX = Math.min(x + 1, x1) - Math.max(x, x0);
          total += coverX * coverY * image.pixels[y * image.width + x]!;
        }
      }
      pixels[oy * width + ox] = total / (scaleX * scaleY);
    }
  }
  return { width, height, pixels };
}
