/**
 * The safetensors format (https://huggingface.co/docs/safetensors): an 8-byte little-endian
 * header length, a JSON header `{name: {dtype, shape, data_offsets}, __metadata__?}` padded
 * with spaces to 8 bytes, then the raw little-endian data. Readable by the Python ecosystem.
 */

/** One named array. */
export interface NamedArray {
  /** Values, row-major. */
  readonly data: Float32Array | Int32Array;
  /** Shape; the product equals `data.length`. */
  readonly shape: readonly number[];
}

/** Raised for a buffer that is not a valid safetensors file. */
export class SafetensorsError extends Error {
  override readonly name = 'SafetensorsError';
}

const DTYPES = { F32: Float32Array, I32: Int32Array } as const;

/** Serialises `arrays` (sorted by name) with optional string metadata. */
export function encodeSafetensors(
  arrays: Readonly<Record<string, NamedArray>>,
  metadata?: Record<string, string>,
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) header.__metadata__ = metadata;
  const names = Object.keys(arrays).sort();
  let offset = 0;
  for (const name of names) {
    const array = arrays[name]!;
    const size = array.shape.reduce((p, s) => p * s, 1);
    if (size !== array.data.length) {
      throw new SafetensorsError(
        `encodeSafetensors: '${name}' has ${array.data.length} values for shape [${array.shape.join(', ')}]`,
      );
    }
    const dtype = array.data instanceof Float32Array ? 'F32' : 'I32';
    header[name] = { dtype, shape: [...array.shape], data_offsets: [offset, offset + array.data.byteLength] };
    offset += array.data.byteLength;
  }
  let json = JSON.stringify(header);
  while ((Buffer.byteLength(json) + 8) % 8 !== 0) json += ' ';
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let position = 8 + headerBytes.length;
  for (const name of names) {
    const data = arrays[name]!.data;
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), position);
    position += data.byteLength;
  }
  return out;
}

/** Parses and fully validates a safetensors buffer; `source` names it in errors. */
export function decodeSafetensors(
  bytes: Uint8Array,
  source = 'safetensors',
): { arrays: Record<string, NamedArray>; metadata: Record<string, string> } {
  const fail = (why: string): never => {
    throw new SafetensorsError(`${source}: ${why}`);
  };
  if (bytes.length < 8) fail(`file is ${bytes.length} bytes, too short for a header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > bytes.length - 8)
    fail(`header claims ${headerLength} bytes but the file has ${bytes.length - 8} after the length`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)),
    );
  } catch (error) {
    return fail(`header is not valid JSON (${(error as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header))
    fail('header is not a JSON object');
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const arrays: Record<string, NamedArray> = {};
  const ranges: [number, number, string][] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const {
      dtype,
      shape,
      data_offsets: offsets,
    } = (entry ?? {}) as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (dtype !== 'F32' && dtype !== 'I32') fail(`'${name}' has dtype ${String(dtype)}; supported: F32, I32`);
    if (!Array.isArray(shape) || !shape.every((s) => Number.isInteger(s) && s >= 0))
      fail(`'${name}' has an invalid shape`);
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isInteger(o) && o >= 0)
    ) {
      fail(`'${name}' has invalid data_offsets`);
    }
    const [begin, end] = offsets as [number, number];
    const count = (shape as number[]).reduce((p, s) => p * s, 1);
    if (end < begin || end > dataLength)
      fail(`'${name}' data [${begin}, ${end}) lies outside the ${dataLength} data bytes (truncated?)`);
    if (end - begin !== count * 4)
      fail(
        `'${name}' has ${end - begin} bytes for shape [${(shape as number[]).join(', ')}] (${count * 4} expected)`,
      );
    ranges.push([begin, end, name]);
    const copy = new Uint8Array(end - begin); // a copy: Node's Buffer.slice would share (and misalign) memory
    copy.set(bytes.subarray(dataStart + begin, dataStart + end));
    const Type = DTYPES[dtype as keyof typeof DTYPES];
    arrays[name] = { data: new Type(copy.buffer, 0, count), shape: shape as number[] };
  }
  ranges.sort((a, b) => a[0] - b[0]);
  let expected = 0;
  for (const [begin, end, name] of ranges) {
    if (begin !== expected)
      fail(`'${name}' starts at byte ${begin}, expected ${expected} (overlapping or gapped data)`);
    expected = end;
  }
  if (expected !== dataLength) fail(`${dataLength - expected} trailing bytes after the last array`);
  const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
  return { arrays, metadata };
}
