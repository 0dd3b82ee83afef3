/**
 * Parameters as values: a `ParamTree` is a nested record of tensors. Every operation returns a
 * new tree (new tensors the caller owns and disposes); nothing is mutated in place.
 * Leaves are always visited in sorted path order, so two trees with the same names line up
 * however they were built.
 */
import * as tf from '@tensorflow/tfjs-core';

/** A nested record of tensors: a model's parameters, gradients or optimiser moments. */
export type ParamTree = { readonly [name: string]: tf.Tensor | ParamTree };

/** A leaf of a tree with its slash-separated path, e.g. `hidden0/weight`. */
export interface ParamLeaf {
  /** Slash-separated path from the root. */
  readonly path: string;
  /** The tensor. */
  readonly tensor: tf.Tensor;
}

/** Raised for a tree that does not have the structure or shapes an operation needs. */
export class ParamTreeError extends Error {
  override readonly name = 'ParamTreeError';
}

function isTensor(value: unknown): value is tf.Tensor {
  return value instanceof tf.Tensor;
}

/** Leaves in sorted path order. */
export function listLeaves(tree: ParamTree): ParamLeaf[] {
  const leaves: ParamLeaf[] = [];
  const visit = (node: ParamTree, prefix: string) => {
    for (const key of Object.keys(node).sort()) {
      const value = node[key];
      const path = prefix === '' ? key : `${prefix}/${key}`;
      if (isTensor(value)) leaves.push({ path, tensor: value });
      else if (value !== null && typeof value === 'object') visit(value, path);
      else
        throw new ParamTreeError(
          `ParamTree: '${path}' must be a tensor or a nested tree, got ${String(value)}`,
        );
    }
  };
  visit(tree, '');
  return leaves;
}

/** A tree of the same structure as `template` with `tensors` as leaves (sorted path order). */
/** True when `a` and `b` have the same leaf paths with the same shapes (e.g. a checkpoint that fits a learner). */
export function haveSameStructure(a: ParamTree, b: ParamTree): boolean {
  const left = listLeaves(a);
  const right = listLeaves(b);
  return (
    left.length === right.length &&
    left.every(
      (leaf, i) =>
        leaf.path === right[i]!.path && leaf.tensor.shape.join(',') === right[i]!.tensor.shape.join(','),
    )
  );
}

/** Describes a tree's leaves as `path [shape]` for error messages. */
export function describeParams(tree: ParamTree): string {
  return listLeaves(tree)
    .map((leaf) => `${leaf.path} [${leaf.tensor.shape.join(', ')}]`)
    .join(', ');
}

export function rebuildTree(template: ParamTree, tensors: readonly tf.Tensor[]): ParamTree {
  let index = 0;
  const build = (node: ParamTree): ParamTree => {
    const out: Record<string, tf.Tensor | ParamTree> = {};
    for (const key of Object.keys(node).sort()) {
      const value = node[key]!;
      if (isTensor(value)) {
        const replacement = tensors[index];
        index += 1;
        if (replacement === undefined) {
          throw new ParamTreeError(
            `rebuildTree: got ${tensors.length} tensors, the template has more leaves`,
          );
        }
        out[key] = replacement;
      } else out[key] = build(value);
    }
    return out;
  };
  const result = build(template);
  if (index !== tensors.length) {
    throw new ParamTreeError(`rebuildTree: got ${tensors.length} tensors for a template of ${index} leaves`);
  }
  return result;
}

/** `fn` applied to every leaf; a new tree. */
export function mapParams(tree: ParamTree, fn: (tensor: tf.Tensor, path: string) => tf.Tensor): ParamTree {
  const leaves = listLeaves(tree);
  return rebuildTree(
    tree,
    leaves.map((leaf) => fn(leaf.tensor, leaf.path)),
  );
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * `fn` applied leaf by leaf to trees of identical structure and shapes; a clear error names
 * the first path where they differ.
 */
export function zipParams(
  trees: readonly ParamTree[],
  fn: (tensors: tf.Tensor[], path: string) => tf.Tensor,
  operation = 'zipParams',
): ParamTree {
  if (trees.length === 0) throw new ParamTreeError(`${operation}: needs at least one tree`);
  const leafLists = trees.map(listLeaves);
  const first = leafLists[0]!;
  leafLists.forEach((leaves, t) => {
    if (leaves.length !== first.length || leaves.some((leaf, i) => leaf.path !== first[i]!.path)) {
      const firstPaths = first.map((leaf) => leaf.path);
      const otherPaths = leaves.map((leaf) => leaf.path);
      const missing = firstPaths.filter((p) => !otherPaths.includes(p));
      const extra = otherPaths.filter((p) => !firstPaths.includes(p));
      throw new ParamTreeError(
        `${operation}: tree ${t} has different parameters from tree 0 (missing: ${missing.join(', ') || 'none'}; extra: ${extra.join(', ') || 'none'})`,
      );
    }
    leaves.forEach((leaf, i) => {
      const reference = first[i]!.tensor.shape;
      if (!tf.util.arraysEqual(leaf.tensor.shape, reference)) {
        throw new ParamTreeError(
          `${operation}: shape mismatch at '${leaf.path}': tree 0 has ${shapeText(reference)}, tree ${t} has ${shapeText(leaf.tensor.shape)}`,
        );
      }
    });
  });
  return rebuildTree(
    trees[0]!,
    first.map((leaf, i) =>
      fn(
        leafLists.map((leaves) => leaves[i]!.tensor),
        leaf.path,
      ),
    ),
  );
}

/** a + b, leaf by leaf. */
export function addParams(a: ParamTree, b: ParamTree): ParamTree {
  return zipParams([a, b], ([x, y]) => tf.add(x!, y!), 'addParams');
}

/** a - b, leaf by leaf. */
export function subtractParams(a: ParamTree, b: ParamTree): ParamTree {
  return zipParams([a, b], ([x, y]) => tf.sub(x!, y!), 'subtractParams');
}

/** factor * tree, leaf by leaf. */
export function scaleParams(tree: ParamTree, factor: number): ParamTree {
  if (!Number.isFinite(factor)) throw new ParamTreeError(`scaleParams: factor must be finite, got ${factor}`);
  return mapParams(tree, (x) => tf.tidy(() => tf.mul(x, tf.scalar(factor))));
}

/** Sum over leaves of <a, b>, as a scalar tensor. */
export function dotParams(a: ParamTree, b: ParamTree): tf.Scalar {
  return tf.tidy(() => {
    const products = listLeaves(zipParams([a, b], ([x, y]) => tf.sum(tf.mul(x!, y!)), 'dotParams'));
    return tf.addN(products.map((leaf) => leaf.tensor)) as tf.Scalar;
  });
}

/** Number of scalars in the tree. */
export function countParams(tree: ParamTree): number {
  return listLeaves(tree).reduce((total, leaf) => total + leaf.tensor.size, 0);
}

/** All leaves concatenated into one Float32Array, in sorted path order (reads the tensors). */
export function flattenParams(tree: ParamTree): Float32Array {
  const leaves = listLeaves(tree);
  const out = new Float32Array(leaves.reduce((total, leaf) => total + leaf.tensor.size, 0));
  let offset = 0;
  for (const leaf of leaves) {
    out.set(leaf.tensor.dataSync() as Float32Array, offset);
    offset += leaf.tensor.size;
  }
  return out;
}

/**
 * `flattenParams` without blocking: reads the tensors asynchronously, as GPU backends (WebGPU)
 * require.
 */
export async function readParams(tree: ParamTree): Promise<Float32Array> {
  const leaves = listLeaves(tree);
  const values = await Promise.all(leaves.map((leaf) => leaf.tensor.data()));
  const out = new Float32Array(values.reduce((total, v) => total + v.length, 0));
  let offset = 0;
  for (const v of values) {
    out.set(v as Float32Array, offset);
    offset += v.length;
  }
  return out;
}

/** The inverse of `flattenParams`: new tensors shaped like `template`'s leaves. */
export function unflattenParams(template: ParamTree, values: Float32Array): ParamTree {
  const expected = countParams(template);
  if (!(values instanceof Float32Array) || values.length !== expected) {
    throw new ParamTreeError(
      `unflattenParams: values must be a Float32Array of length ${expected} (the template's size), got ${
        values instanceof Float32Array ? `length ${values.length}` : String(values)
      }`,
    );
  }
  let offset = 0;
  return mapParams(template, (leaf) => {
    const slice = values.slice(offset, offset + leaf.size);
    offset += leaf.size;
    return tf.tensor(slice, leaf.shape, 'float32');
  });
}

/** All leaves flattened and concatenated into one 1-D tensor (differentiable). */
export function concatenateParams(tree: ParamTree): tf.Tensor1D {
  return tf.tidy(
    () => tf.concat(listLeaves(tree).map((leaf) => tf.reshape(leaf.tensor, [-1]))) as tf.Tensor1D,
  );
}

/** The inverse of `concatenateParams` (differentiable). */
export function splitParams(template: ParamTree, vector: tf.Tensor1D): ParamTree {
  const leaves = listLeaves(template);
  const expected = leaves.reduce((total, leaf) => total + leaf.tensor.size, 0);
  if (vector.rank !== 1 || vector.size !== expected) {
    throw new ParamTreeError(
      `splitParams: vector must be 1-D of length ${expected}, got shape ${shapeText(vector.shape)}`,
    );
  }
  const parts = tf.split(
    vector,
    leaves.map((leaf) => leaf.tensor.size),
  );
  return rebuildTree(
    template,
    parts.map((part, i) => {
      const reshaped = tf.reshape(part, leaves[i]!.tensor.shape);
      part.dispose();
      return reshaped;
    }),
  );
}

/** Copies of every leaf (new tensors). */
export function cloneParams(tree: ParamTree): ParamTree {
  return mapParams(tree, (x) => tf.clone(x));
}

/** Disposes every leaf. */
export function disposeParams(tree: ParamTree): void {
  for (const leaf of listLeaves(tree)) leaf.tensor.dispose();
}

/** Keeps every leaf alive past the enclosing `tf.tidy`; returns the same tree. */
export function keepParams(tree: ParamTree): ParamTree {
  for (const leaf of listLeaves(tree)) tf.keep(leaf.tensor);
  return tree;
}

/**
 * Throws a `ParamTreeError` naming the first leaf that holds NaN or ±Infinity (reads the tensors).
 * `label` says what is being checked, e.g. 'adam: gradients'.
 */
export function assertFiniteParams(tree: ParamTree, label = 'params'): void {
  const leaves = listLeaves(tree);
  if (leaves.length === 0) return;
  const flags = tf.tidy(() => tf.stack(leaves.map((leaf) => tf.all(tf.isFinite(leaf.tensor)))));
  const finite = flags.dataSync();
  flags.dispose();
  const bad = leaves.findIndex((_leaf, i) => finite[i] === 0);
  if (bad >= 0) {
    const leaf = leaves[bad]!;
    const values = leaf.tensor.dataSync();
    const position = values.findIndex((v) => !Number.isFinite(v));
    throw new ParamTreeError(
      `${label}: '${leaf.path}' (shape ${shapeText(leaf.tensor.shape)}) holds ${values[position]} at flat index ${position}; every value must be finite`,
    );
  }
}

/** Stacks per-task trees into one task-batched tree (leading axis T). */
export function stackParams(trees: readonly ParamTree[]): ParamTree {
  return zipParams(trees, (tensors) => tf.stack(tensors), 'stackParams');
}

/** Splits a task-batched tree (leading axis T) into T trees. */
export function unstackParams(tree: ParamTree): ParamTree[] {
  const leaves = listLeaves(tree);
  const count = leaves[0]?.tensor.shape[0];
  if (count === undefined) throw new ParamTreeError('unstackParams: the tree has no leaves');
  for (const leaf of leaves) {
    if (leaf.tensor.shape[0] !== count) {
      throw new ParamTreeError(
        `unstackParams: every leaf needs the same leading (task) axis; '${leaves[0]!.path}' has ${count}, '${leaf.path}' has shape ${shapeText(leaf.tensor.shape)}`,
      );
    }
  }
  const pieces = leaves.map((leaf) => tf.unstack(leaf.tensor));
  return Array.from({ length: count }, (_v, t) =>
    rebuildTree(
      tree,
      pieces.map((list) => list[t]!),
    ),
  );
}

/** Repeats every leaf `count` times along a new leading (task) axis. */
export function broadcastParams(tree: ParamTree, count: number): ParamTree {
  if (!Number.isInteger(count) || count < 1) {
    throw new ParamTreeError(`broadcastParams: count must be a positive integer, got ${count}`);
  }
  return mapParams(tree, (x) =>
    tf.tidy(() => tf.tile(tf.expandDims(x, 0), [count, ...x.shape.map(() => 1)])),
  );
}
