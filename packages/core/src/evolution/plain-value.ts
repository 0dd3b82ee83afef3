/**
 * Plain values to and from JSON, exactly: an evolution strategy's state (numbers, strings,
 * booleans, null, arrays, plain objects and typed arrays) becomes a `JsonValue` that
 * `JSON.stringify` / `JSON.parse` carry without loss, and back, bit for bit.
 *
 * - Typed arrays become `{ "$typedArray": "Float32Array", "base64": "..." }` (little-endian bytes,
 *   so NaN payloads and -0 survive).
 * - NaN, ±Infinity and -0 become `{ "$number": "NaN" | "Infinity" | "-Infinity" | "-0" }`.
 * - Object keys starting with '$' are reserved for these tags; `undefined` object members are dropped.
 */
import type { JsonValue } from '../checkpoint/checkpoint';

/** Raised when a value is not plain data or a JSON form is malformed; the message names the path. */
export class PlainValueError extends TypeError {
  override readonly name = 'PlainValueError';
}

type TypedArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint8Array
  | Uint16Array
  | Uint32Array;

const TYPED_ARRAYS = {
  Float32Array,
  Float64Array,
  Int8Array,
  Int16Array,
  Int32Array,
  Uint8Array,
  Uint16Array,
  Uint32Array,
} as const;

type TypedArrayName = keyof typeof TYPED_ARRAYS;

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function encodeBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i]!;
    const b = i + 1 < bytes.length ? bytes[i + 1]! : 0;
    const c = i + 2 < bytes.length ? bytes[i + 2]! : 0;
    const triple = (a << 16) | (b << 8) | c;
    out += BASE64[(triple >> 18) & 63]! + BASE64[(triple >> 12) & 63]!;
    out += i + 1 < bytes.length ? BASE64[(triple >> 6) & 63]! : '=';
    out += i + 2 < bytes.length ? BASE64[triple & 63]! : '=';
  }
  return out;
}

function decodeBase64(text: string, path: string): Uint8Array {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    throw new PlainValueError(`${path}: base64 must be a padded base64 string, got '${text.slice(0, 40)}'`);
  }
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const bytes = new Uint8Array((text.length / 4) * 3 - padding);
  let j = 0;
  for (let i = 0; i < text.length; i += 4) {
    let triple = 0;
    for (let k = 0; k < 4; k += 1) {
      const character = text[i + k]!;
      triple = (triple << 6) | (character === '=' ? 0 : BASE64.indexOf(character));
    }
    for (let k = 0; k < 3 && j < bytes.length; k += 1, j += 1) bytes[j] = (triple >> (16 - 8 * k)) & 255;
  }
  return bytes;
}

function typedArrayName(value: unknown): TypedArrayName | undefined {
  for (const name of Object.keys(TYPED_ARRAYS) as TypedArrayName[]) {
    if (value instanceof TYPED_ARRAYS[name]) return name;
  }
  return undefined;
}

/** How each element type is read and written little-endian through a DataView. */
const ELEMENT_ACCESS: Record<
  TypedArrayName,
  {
    readonly get: (view: DataView, at: number) => number;
    readonly set: (view: DataView, at: number, value: number) => void;
  }
> = {
  Float32Array: { get: (v, at) => v.getFloat32(at, true), set: (v, at, x) => v.setFloat32(at, x, true) },
  Float64Array: { get: (v, at) => v.getFloat64(at, true), set: (v, at, x) => v.setFloat64(at, x, true) },
  Int8Array: { get: (v, at) => v.getInt8(at), set: (v, at, x) => v.setInt8(at, x) },
  Int16Array: { get: (v, at) => v.getInt16(at, true), set: (v, at, x) => v.setInt16(at, x, true) },
  Int32Array: { get: (v, at) => v.getInt32(at, true), set: (v, at, x) => v.setInt32(at, x, true) },
  Uint8Array: { get: (v, at) => v.getUint8(at), set: (v, at, x) => v.setUint8(at, x) },
  Uint16Array: { get: (v, at) => v.getUint16(at, true), set: (v, at, x) => v.setUint16(at, x, true) },
  Uint32Array: { get: (v, at) => v.getUint32(at, true), set: (v, at, x) => v.setUint32(at, x, true) },
};

/** Little-endian bytes of a typed array (whatever the platform's byte order). */
function toBytes(name: TypedArrayName, array: TypedArray): Uint8Array {
  const width = array.BYTES_PER_ELEMENT;
  const bytes = new Uint8Array(array.length * width);
  const view = new DataView(bytes.buffer);
  const { set } = ELEMENT_ACCESS[name];
  for (let i = 0; i < array.length; i += 1) set(view, i * width, array[i]!);
  return bytes;
}

function fromBytes(name: TypedArrayName, bytes: Uint8Array, path: string): TypedArray {
  const Constructor = TYPED_ARRAYS[name];
  const width = Constructor.BYTES_PER_ELEMENT;
  if (bytes.length % width !== 0) {
    throw new PlainValueError(`${path}: ${bytes.length} bytes is not a whole number of ${name} elements`);
  }
  const out = new Constructor(bytes.length / width);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { get } = ELEMENT_ACCESS[name];
  for (let i = 0; i < out.length; i += 1) out[i] = get(view, i * width);
  return out;
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'bigint') return `a bigint (${value})`;
  if (typeof value === 'symbol') return 'a symbol';
  const constructorName = (value as { constructor?: { name?: string } }).constructor?.name;
  return constructorName ? `a ${constructorName}` : 'an object without a prototype';
}

function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * `value` as a `JsonValue` that survives `JSON.stringify`/`JSON.parse` exactly; throws a
 * `PlainValueError` naming the path of the first member that is not plain data (a tensor, a Map,
 * a class instance, a function...). `path` names the root in messages.
 */
export function encodePlainValue(value: unknown, path = 'value'): JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return { $number: 'NaN' };
    if (value === Infinity) return { $number: 'Infinity' };
    if (value === -Infinity) return { $number: '-Infinity' };
    if (Object.is(value, -0)) return { $number: '-0' };
    return value;
  }
  if (typeof value === 'object') {
    const name = typedArrayName(value);
    if (name !== undefined)
      return { $typedArray: name, base64: encodeBase64(toBytes(name, value as TypedArray)) };
    if (Array.isArray(value)) {
      return value.map((item, i) => {
        if (item === undefined) throw new PlainValueError(`${path}[${i}] is undefined; arrays must be dense`);
        return encodePlainValue(item, `${path}[${i}]`);
      });
    }
    if (isPlainObject(value)) {
      const out: { [key: string]: JsonValue } = {};
      for (const key of Object.keys(value).sort()) {
        const member = (value as Record<string, unknown>)[key];
        if (member === undefined) continue;
        if (key.startsWith('$')) {
          throw new PlainValueError(
            `${path}.${key}: keys starting with '$' are reserved for the JSON form's tags; rename it`,
          );
        }
        out[key] = encodePlainValue(member, `${path}.${key}`);
      }
      return out;
    }
  }
  throw new PlainValueError(
    `${path} is ${describe(value)}; expected plain data (numbers, strings, booleans, null, arrays, plain objects, typed arrays)`,
  );
}

/** The inverse of `encodePlainValue`: new typed arrays, objects and arrays. */
export function decodePlainValue(json: unknown, path = 'value'): unknown {
  if (json === null || typeof json === 'string' || typeof json === 'boolean') return json;
  if (typeof json === 'number') {
    if (!Number.isFinite(json)) throw new PlainValueError(`${path}: ${json} is not a JSON number`);
    return json;
  }
  if (Array.isArray(json)) return json.map((item, i) => decodePlainValue(item, `${path}[${i}]`));
  if (typeof json === 'object' && isPlainObject(json)) {
    const record = json as Record<string, unknown>;
    if ('$number' in record) {
      const tag = record.$number;
      if (tag === 'NaN') return Number.NaN;
      if (tag === 'Infinity') return Infinity;
      if (tag === '-Infinity') return -Infinity;
      if (tag === '-0') return -0;
      throw new PlainValueError(
        `${path}.$number must be 'NaN', 'Infinity', '-Infinity' or '-0', got ${JSON.stringify(tag)}`,
      );
    }
    if ('$typedArray' in record) {
      const name = record.$typedArray;
      if (typeof name !== 'string' || !(name in TYPED_ARRAYS)) {
        throw new PlainValueError(
          `${path}.$typedArray must be one of ${Object.keys(TYPED_ARRAYS).join(', ')}, got ${JSON.stringify(name)}`,
        );
      }
      if (typeof record.base64 !== 'string') {
        throw new PlainValueError(`${path}.base64 must be a string, got ${JSON.stringify(record.base64)}`);
      }
      return fromBytes(name as TypedArrayName, decodeBase64(record.base64, `${path}.base64`), path);
    }
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(record)) {
      if (key.startsWith('$')) throw new PlainValueError(`${path}: unknown tag '${key}'`);
      out[key] = decodePlainValue(record[key], `${path}.${key}`);
    }
    return out;
  }
  throw new PlainValueError(`${path} is ${describe(json)}; expected a JSON value`);
}
