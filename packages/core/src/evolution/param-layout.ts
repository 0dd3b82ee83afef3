/**
 * Parameter trees as flat solution vectors for evolution strategies. A `ParamLayout` records
 * where each leaf sits in the vector (the order of `flattenParams`: sorted paths), as a plain
 * value without tensors, so it can be kept next to a strategy's state and checkpointed.
 */
import type { Rng } from '@metarl/envs';
import * as tf from '@tensorflow/tfjs-core';
import { disposeParams, flattenParams, listLeaves, type ParamTree } from '../params/param-tree';

/** One leaf's place in a flat vector. */
export interface ParamLayoutEntry {
  /** Slash-separated path from the root, e.g. `logits/output/bias`. */
  readonly path: string;
  /** The leaf's shape. */
  readonly shape: readonly number[];
  /** Index of its first value in the flat vector. */
  readonly offset: number;
  /** Number of values (the product of `shape`). */
  readonly size: number;
}

/** Where each leaf of a parameter tree sits in its flat vector (`flattenParams` order). */
export interface ParamLayout {
  /** The leaves in sorted path order. */
  readonly entries: readonly ParamLayoutEntry[];
  /** Length of the flat vector: the search dimension. */
  readonly size: number;
}

/** The layout of `tree`'s float32 leaves; throws for an empty tree, an int leaf or a key that is empty or holds '/'. */
export function createParamLayout(tree: ParamTree): ParamLayout {
  const entries: ParamLayoutEntry[] = [];
  let offset = 0;
  for (const leaf of listLeaves(tree)) {
    if (leaf.path.split('/').some((part) => part.length === 0)) {
      throw new RangeError(
        `createParamLayout: parameter names must be non-empty and contain no '/', got '${leaf.path}'`,
      );
    }
    if (leaf.tensor.dtype !== 'float32') {
      throw new TypeError(
        `createParamLayout: '${leaf.path}' is ${leaf.tensor.dtype}; only float32 parameters can be searched`,
      );
    }
    entries.push({ path: leaf.path, shape: [...leaf.tensor.shape], offset, size: leaf.tensor.size });
    offset += leaf.tensor.size;
  }
  if (entries.length === 0) throw new RangeError('createParamLayout: the tree has no leaves');
  return { entries, size: offset };
}

/**
 * A policy's (or any module's) initial parameters as a flat initial solution and its layout.
 * The parameters are read and disposed.
 *
 * @example
 * const { solution, layout } = createInitialSolution(policy, createRng(0));
 * const params = unflattenSolution(layout, solution); // the same parameters again
 */
export function createInitialSolution(
  module: { init(rng: Rng): ParamTree },
  rng: Rng,
): { readonly solution: Float32Array; readonly layout: ParamLayout } {
  const params = module.init(rng);
  try {
    return { solution: flattenParams(params), layout: createParamLayout(params) };
  } finally {
    disposeParams(params);
  }
}

function checkLayout(layout: ParamLayout, where: string): void {
  if (!Array.isArray(layout?.entries) || !Number.isInteger(layout.size) || layout.size < 1) {
    throw new TypeError(
      `${where}: layout must be a ParamLayout from createParamLayout or createInitialSolution`,
    );
  }
}

function buildTree(layout: ParamLayout, leaf: (entry: ParamLayoutEntry) => tf.Tensor): ParamTree {
  const root: Record<string, unknown> = {};
  for (const entry of layout.entries) {
    const parts = entry.path.split('/');
    let node = root;
    for (const part of parts.slice(0, -1)) {
      node[part] ??= {};
      node = node[part] as Record<string, unknown>;
    }
    node[parts[parts.length - 1]!] = leaf(entry);
  }
  return root as ParamTree;
}

/** New tensors (the caller disposes them) holding `solution` `[layout.size]` in the layout's shapes. */
export function unflattenSolution(layout: ParamLayout, solution: Float32Array): ParamTree {
  checkLayout(layout, 'unflattenSolution');
  if (!(solution instanceof Float32Array) || solution.length !== layout.size) {
    throw new RangeError(
      `unflattenSolution: solution must be a Float32Array of length ${layout.size} (the layout's size), got ${
        solution instanceof Float32Array ? `length ${solution.length}` : String(solution)
      }`,
    );
  }
  return buildTree(layout, (entry) =>
    tf.tensor(solution.slice(entry.offset, entry.offset + entry.size), [...entry.shape], 'float32'),
  );
}

/**
 * The members of `population` `[M * layout.size]` stacked on a new leading axis: each leaf is
 * `[M, ...shape]` (task-batched parameters, one "task" per member). New tensors; the caller
 * disposes them. Equal to `stackParams` of every member's `unflattenSolution`, without the copies.
 */
export function stackPopulation(layout: ParamLayout, population: Float32Array): ParamTree {
  checkLayout(layout, 'stackPopulation');
  const dimension = layout.size;
  const members = population instanceof Float32Array ? population.length / dimension : Number.NaN;
  if (!Number.isInteger(members) || members < 1) {
    throw new RangeError(
      `stackPopulation: population must be a non-empty Float32Array whose length is a multiple of the layout's size ${dimension}, got ${
        population instanceof Float32Array ? `length ${population.length}` : String(population)
      }`,
    );
  }
  return buildTree(layout, (entry) => {
    const values = new Float32Array(members * entry.size);
    for (let m = 0; m < members; m += 1) {
      const from = m * dimension + entry.offset;
      values.set(population.subarray(from, from + entry.size), m * entry.size);
    }
    return tf.tensor(values, [members, ...entry.shape], 'float32');
  });
}
