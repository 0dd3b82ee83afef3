/**
 * A tiny float64 n-dimensional array library: the independent reference that the tensor
 * backends are checked against. Plain loops, row-major, no tfjs.
 */

/** A float64 array with a shape. */
export interface ReferenceArray {
  /** Row-major values. */
  readonly data: Float64Array;
  /** Shape. */
  readonly shape: readonly number[];
}

export function size(shape: readonly number[]): number {
  return shape.reduce((p, s) => p * s, 1);
}

export function array(data: ArrayLike<number>, shape: readonly number[]): ReferenceArray {
  return { data: Float64Array.from(data), shape: [...shape] };
}

function strides(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i -= 1) out[i] = out[i + 1]! * shape[i + 1]!;
  return out;
}

function unravel(index: number, shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  for (let i = shape.length - 1; i >= 0; i -= 1) {
    out[i] = index % shape[i]!;
    index = Math.floor(index / shape[i]!);
  }
  return out;
}

export function map(a: ReferenceArray, fn: (x: number) => number): ReferenceArray {
  return { data: a.data.map(fn), shape: a.shape };
}

export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i += 1) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`reference: cannot broadcast [${a}] with [${b}]`);
    out.push(Math.max(da, db));
  }
  return out;
}

function broadcastIndex(outIndex: readonly number[], shape: readonly number[]): number {
  const offset = outIndex.length - shape.length;
  const st = strides(shape);
  let flat = 0;
  for (let i = 0; i < shape.length; i += 1) flat += (shape[i] === 1 ? 0 : outIndex[i + offset]!) * st[i]!;
  return flat;
}

export function zip(
  a: ReferenceArray,
  b: ReferenceArray,
  fn: (x: number, y: number) => number,
): ReferenceArray {
  const shape = broadcastShape(a.shape, b.shape);
  const data = new Float64Array(size(shape));
  for (let i = 0; i < data.length; i += 1) {
    const index = unravel(i, shape);
    data[i] = fn(a.data[broadcastIndex(index, a.shape)]!, b.data[broadcastIndex(index, b.shape)]!);
  }
  return { data, shape };
}

export function zip3(
  a: ReferenceArray,
  b: ReferenceArray,
  c: ReferenceArray,
  fn: (x: number, y: number, z: number) => number,
): ReferenceArray {
  const shape = broadcastShape(broadcastShape(a.shape, b.shape), c.shape);
  const data = new Float64Array(size(shape));
  for (let i = 0; i < data.length; i += 1) {
    const index = unravel(i, shape);
    data[i] = fn(
      a.data[broadcastIndex(index, a.shape)]!,
      b.data[broadcastIndex(index, b.shape)]!,
      c.data[broadcastIndex(index, c.shape)]!,
    );
  }
  return { data, shape };
}

/** Reduces the given axes with `combine` (keepDims false). */
export function reduce(
  a: ReferenceArray,
  axes: readonly number[],
  combine: (values: number[]) => number,
  keepDims = false,
): ReferenceArray {
  const normalised = axes.map((axis) => (axis < 0 ? a.shape.length + axis : axis));
  const keptShape = a.shape.map((s, i) => (normalised.includes(i) ? 1 : s));
  const groups = new Map<number, number[]>();
  const keptStrides = strides(keptShape);
  for (let i = 0; i < a.data.length; i += 1) {
    const index = unravel(i, a.shape);
    let key = 0;
    index.forEach((v, d) => {
      key += (normalised.includes(d) ? 0 : v) * keptStrides[d]!;
    });
    const list = groups.get(key) ?? [];
    list.push(a.data[i]!);
    groups.set(key, list);
  }
  const data = new Float64Array(size(keptShape));
  for (const [key, values] of groups) data[key] = combine(values);
  return { data, shape: keepDims ? keptShape : a.shape.filter((_s, i) => !normalised.includes(i)) };
}

export const sumOf = (values: number[]) => values.reduce((p, v) => p + v, 0);

export function sum(a: ReferenceArray, axes: readonly number[], keepDims = false): ReferenceArray {
  return reduce(a, axes, sumOf, keepDims);
}

/** Batched matrix product over leading axes (equal batch shapes), with optional transposes. */
export function matMul(
  a: ReferenceArray,
  b: ReferenceArray,
  transposeA = false,
  transposeB = false,
): ReferenceArray {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const batch = broadcastShape(batchA, batchB);
  const [m, k] = transposeA ? [a.shape[ra - 1]!, a.shape[ra - 2]!] : [a.shape[ra - 2]!, a.shape[ra - 1]!];
  const [k2, n] = transposeB ? [b.shape[rb - 1]!, b.shape[rb - 2]!] : [b.shape[rb - 2]!, b.shape[rb - 1]!];
  if (k !== k2) throw new Error(`reference matMul: inner sizes ${k} and ${k2} differ`);
  const batches = size(batch);
  const data = new Float64Array(batches * m * n);
  for (let t = 0; t < batches; t += 1) {
    const index = unravel(t, batch);
    const offsetA = broadcastIndex(index, batchA) * a.shape[ra - 2]! * a.shape[ra - 1]!;
    const offsetB = broadcastIndex(index, batchB) * b.shape[rb - 2]! * b.shape[rb - 1]!;
    for (let i = 0; i < m; i += 1) {
      for (let j = 0; j < n; j += 1) {
        let total = 0;
        for (let p = 0; p < k; p += 1) {
          const av = transposeA ? a.data[offsetA + p * m + i]! : a.data[offsetA + i * k + p]!;
          const bv = transposeB ? b.data[offsetB + j * k + p]! : b.data[offsetB + p * n + j]!;
          total += av * bv;
        }
        data[t * m * n + i * n + j] = total;
      }
    }
  }
  return { data, shape: [...batch, m, n] };
}

export function transpose(a: ReferenceArray, perm: readonly number[]): ReferenceArray {
  const shape = perm.map((p) => a.shape[p]!);
  const st = strides(a.shape);
  const data = new Float64Array(a.data.length);
  for (let i = 0; i < data.length; i += 1) {
    const index = unravel(i, shape);
    let source = 0;
    index.forEach((v, d) => {
      source += v * st[perm[d]!]!;
    });
    data[i] = a.data[source]!;
  }
  return { data, shape };
}

export function reshape(a: ReferenceArray, shape: readonly number[]): ReferenceArray {
  return { data: a.data, shape: [...shape] };
}

/** Values along the last axis transformed row by row. */
export function mapRows(a: ReferenceArray, fn: (row: Float64Array) => Float64Array): ReferenceArray {
  const width = a.shape[a.shape.length - 1]!;
  const data = new Float64Array(a.data.length);
  for (let offset = 0; offset < data.length; offset += width)
    data.set(fn(a.data.subarray(offset, offset + width)), offset);
  return { data, shape: a.shape };
}

export function softmaxRow(row: Float64Array): Float64Array {
  const max = Math.max(...row);
  const exps = row.map((v) => Math.exp(v - max));
  const total = exps.reduce((p, v) => p + v, 0);
  return exps.map((v) => v / total);
}

export function logSoftmaxRow(row: Float64Array): Float64Array {
  const max = Math.max(...row);
  const logTotal = Math.log(row.reduce((p, v) => p + Math.exp(v - max), 0)) + max;
  return row.map((v) => v - logTotal);
}

/** Concatenation along `axis`. */
export function concat(parts: readonly ReferenceArray[], axis: number): ReferenceArray {
  const first = parts[0]!;
  const shape = [...first.shape];
  shape[axis] = parts.reduce((p, part) => p + part.shape[axis]!, 0);
  const outer = size(first.shape.slice(0, axis));
  const data = new Float64Array(size(shape));
  let position = 0;
  for (let o = 0; o < outer; o += 1) {
    for (const part of parts) {
      const chunk = size(part.shape.slice(axis));
      data.set(part.data.subarray(o * chunk, (o + 1) * chunk), position);
      position += chunk;
    }
  }
  return { data, shape };
}

/** Sub-array `[begin, begin + sizes)`. */
export function slice(a: ReferenceArray, begin: readonly number[], sizes: readonly number[]): ReferenceArray {
  const data = new Float64Array(size(sizes));
  const st = strides(a.shape);
  for (let i = 0; i < data.length; i += 1) {
    const index = unravel(i, sizes);
    let source = 0;
    index.forEach((v, d) => {
      source += (v + begin[d]!) * st[d]!;
    });
    data[i] = a.data[source]!;
  }
  return { data, shape: [...sizes] };
}
