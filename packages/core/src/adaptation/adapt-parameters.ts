/**
 * The task-batched inner loop for any loss and any elementwise update rule (Reptile,
 * first-order MAML, supervised or RL): T tasks adapt at once, each with its own parameters
 * and its own optimiser state along a leading task axis, in one batched computation per step.
 * A subset of the parameters may adapt while the rest stay where they started (head-only /
 * ANIL-style adaptation, or a frozen shared body). `inner-loop.ts` holds MAML's
 * differentiable SGD step on the VPG loss; this file is its generalisation.
 */
import * as tf from '@tensorflow/tfjs-core';
import { gradients } from '../autodiff/differentiate';
import { stopGradient } from '../ops/ops';
import {
  cloneOptimizerState,
  disposeOptimizerState,
  type Optimizer,
  type OptimizerState,
} from '../optim/optimizer';
import {
  addParams,
  broadcastParams,
  disposeParams,
  listLeaves,
  mapParams,
  type ParamTree,
  ParamTreeError,
} from '../params/param-tree';

/** How every task's parameters take an inner step. */
export interface AdaptationOptions {
  /** The update rule applied to every task (an elementwise rule such as `createSgd` or `createAdam`, built with `checkFinite: false` on hot paths). */
  readonly optimizer: Optimizer;
  /** Which parameters adapt, by path (e.g. `(path) => path.startsWith('mean/output/')`); the others keep their values. Default: all. */
  readonly adapts?: (path: string) => boolean;
  /** Stop the outer gradient at the inner gradients (first order); default false. */
  readonly firstOrder?: boolean;
  /** Also return the loss's gradient with respect to the parameters that do not adapt (in the same backward pass); default false. */
  readonly frozenGradients?: boolean;
}

/** Task-batched parameters and the optimiser state of their adapted part, after a step. */
export interface AdaptedParameters {
  /** New task-batched parameters (leading axis T). */
  readonly params: ParamTree;
  /** New task-batched optimiser state over the adapted parameters only. */
  readonly state: OptimizerState;
  /** With `frozenGradients`: each task's gradient of the step's loss with respect to the parameters that did not adapt (task-batched; the caller disposes it). */
  readonly frozenGradients?: ParamTree;
}

/**
 * The parameters of `tree` whose path `keep` accepts, and the rest, as two trees (a side with no
 * leaves is `{}`). The tensors are shared, not copied.
 */
export function partitionParams(
  tree: ParamTree,
  keep: (path: string) => boolean,
): { selected: ParamTree; rest: ParamTree } {
  const split = (node: ParamTree, prefix: string): { selected?: ParamTree; rest?: ParamTree } => {
    const selected: Record<string, tf.Tensor | ParamTree> = {};
    const rest: Record<string, tf.Tensor | ParamTree> = {};
    for (const [name, child] of Object.entries(node)) {
      const path = prefix === '' ? name : `${prefix}/${name}`;
      if (child instanceof tf.Tensor) {
        (keep(path) ? selected : rest)[name] = child;
        continue;
      }
      const parts = split(child, path);
      if (parts.selected !== undefined) selected[name] = parts.selected;
      if (parts.rest !== undefined) rest[name] = parts.rest;
    }
    return {
      ...(Object.keys(selected).length > 0 ? { selected } : {}),
      ...(Object.keys(rest).length > 0 ? { rest } : {}),
    };
  };
  const parts = split(tree, '');
  return { selected: parts.selected ?? {}, rest: parts.rest ?? {} };
}

/** One tree holding the leaves of `a` and of `b` (disjoint paths, as `partitionParams` makes them); tensors shared. */
export function mergeParams(a: ParamTree, b: ParamTree): ParamTree {
  const merged: Record<string, tf.Tensor | ParamTree> = { ...a };
  for (const [name, child] of Object.entries(b)) {
    const mine = merged[name];
    if (mine === undefined) merged[name] = child;
    else if (mine instanceof tf.Tensor || child instanceof tf.Tensor)
      throw new ParamTreeError(`mergeParams: both trees hold '${name}'`);
    else merged[name] = mergeParams(mine, child);
  }
  return merged;
}

/** The mean of a task-batched tree over its leading (task) axis: one model's tree. */
export function averageOverTasks(tree: ParamTree): ParamTree {
  return mapParams(tree, (x) => tf.mean(x, 0));
}

/** `state` (shaped like one model's parameters) repeated for `tasks` tasks along a new leading axis. */
export function broadcastOptimizerState(state: OptimizerState, tasks: number): OptimizerState {
  return {
    kind: state.kind,
    step: state.step,
    slots: Object.fromEntries(
      Object.entries(state.slots).map(([name, slot]) => [name, broadcastParams(slot, tasks)]),
    ),
  };
}

/** The mean over tasks of a task-batched optimiser state (the step count is kept): one model's state. */
export function averageOptimizerState(state: OptimizerState): OptimizerState {
  return {
    kind: state.kind,
    step: state.step,
    slots: Object.fromEntries(
      Object.entries(state.slots).map(([name, slot]) => [name, averageOverTasks(slot)]),
    ),
  };
}

/** The adapted part of task-batched `params` under `options.adapts`. */
function adaptedPart(
  params: ParamTree,
  options: AdaptationOptions,
): { selected: ParamTree; rest: ParamTree } {
  const parts =
    options.adapts === undefined ? { selected: params, rest: {} } : partitionParams(params, options.adapts);
  if (listLeaves(parts.selected).length === 0) {
    throw new RangeError(
      `adaptationStep: adapts selects none of the parameters (${listLeaves(params)
        .map((leaf) => leaf.path)
        .join(', ')})`,
    );
  }
  return parts;
}

/** A fresh optimiser state for the adapted part of task-batched `params`. */
export function initAdaptationState(params: ParamTree, options: AdaptationOptions): OptimizerState {
  return options.optimizer.init(adaptedPart(params, options).selected);
}

/**
 * One inner step of every task: the gradient of `loss` (the SUM over tasks of each task's loss,
 * so that its gradient is every task's own) with respect to the adapted part of `params`
 * (leading axis T), applied by `options.optimizer` with `state` (task-batched, over the adapted
 * part; `initAdaptationState` or `broadcastOptimizerState` make one). Returns new parameters and
 * state; the inputs are left untouched.
 */
export function adaptationStep(
  loss: (params: ParamTree) => tf.Scalar,
  params: ParamTree,
  state: OptimizerState,
  options: AdaptationOptions,
): AdaptedParameters {
  const { selected, rest } = adaptedPart(params, options);
  const withFrozen = options.frozenGradients === true && listLeaves(rest).length > 0;
  let grads: ParamTree;
  let frozenGradients: ParamTree | undefined;
  if (withFrozen) {
    // One backward pass for both parts: differentiate the whole tree, then split the gradients.
    const all = partitionParams(
      gradients((whole) => loss(whole), params),
      options.adapts!,
    );
    grads = all.selected;
    frozenGradients = all.rest;
  } else grads = gradients((part) => loss(mergeParams(part, rest)), selected);
  const direction = options.firstOrder === true ? mapParams(grads, (g) => stopGradient(g)) : grads;
  const next = options.optimizer.step(selected, direction, state);
  disposeParams(grads);
  if (direction !== grads) disposeParams(direction);
  // The frozen part is copied so that the result owns every tensor it holds.
  return {
    params: mergeParams(
      next.params,
      mapParams(rest, (x) => tf.clone(x)),
    ),
    state: next.state,
    ...(frozenGradients === undefined ? {} : { frozenGradients }),
  };
}

/**
 * `steps` inner steps of every task from task-batched `params`, step s on `loss(params, s)`
 * (e.g. the s-th mini-batch of every task). Returns the adapted parameters, the final state and,
 * with `frozenGradients`, the sum over the steps of the frozen parameters' gradients. The
 * caller's `params` and `state` are left untouched.
 */
export function adaptParameters(
  loss: (params: ParamTree, step: number) => tf.Scalar,
  params: ParamTree,
  state: OptimizerState,
  steps: number,
  options: AdaptationOptions,
): AdaptedParameters {
  if (!Number.isInteger(steps) || steps < 0)
    throw new RangeError(`adaptParameters: steps must be a non-negative integer, got ${steps}`);
  if (steps === 0)
    return { params: mapParams(params, (x) => tf.clone(x)), state: cloneOptimizerState(state) };
  let current: AdaptedParameters = { params, state };
  let frozenSum: ParamTree | undefined;
  for (let s = 0; s < steps; s += 1) {
    const next = adaptationStep((p) => loss(p, s), current.params, current.state, options);
    // The caller's parameters and state are never disposed, only those made here.
    if (s > 0) {
      disposeParams(current.params);
      disposeOptimizerState(current.state);
    }
    if (next.frozenGradients !== undefined) {
      const sum: ParamTree =
        frozenSum === undefined ? next.frozenGradients : addParams(frozenSum, next.frozenGradients);
      if (frozenSum !== undefined) {
        disposeParams(frozenSum);
        disposeParams(next.frozenGradients);
      }
      frozenSum = sum;
    }
    current = { params: next.params, state: next.state };
  }
  return frozenSum === undefined ? current : { ...current, frozenGradients: frozenSum };
}
