/**
 * MANN (Santoro et al. 2016) as core's `RecurrentPolicy`: the MANN's output layer gives the
 * action logits (discrete) or means (continuous, with a learned log standard deviation), and its
 * whole state travels as one flat `hidden` [B, hiddenSize] so that core's recurrent agents and
 * trial machinery carry it unchanged. Layout of a row of `hidden` (C controller units, N×M
 * memory, H heads), in this order:
 *
 *   h [C] | c [C] | memory [N·M, slot-major] | usage [N] | previous read weights [H·N, head-major] | previous reads [H·M, head-major]
 *
 * (mode 'none': h | c only). An all-zero row is MANN's empty initial state, so zeroing the hidden
 * state at an episode boundary empties the memory. `step` returns `features` = h_t ⊕ reads
 * [B, featureSize] for a value head; `unroll` returns them for every step as `states`.
 */
import {
  type ActionKind,
  Categorical,
  DiagonalGaussian,
  type Distribution,
  type ParamTree,
  type RecurrentPolicy,
  type Rng,
  tf,
} from '@metarl/core';
import { createMannNetwork, type MannNetwork, type MannNetworkOptions, type MannState } from './mann-network';

/** Options of `createMannPolicy`: the MANN's own options (its input and output sizes come from the spaces). */
export interface MannPolicyOptions extends Omit<MannNetworkOptions, 'inputSize' | 'outputSize'> {
  /** Floats per observation (the MANN's inputSize). */
  readonly observationSize: number;
  /** 'continuous' or 'discrete'. */
  readonly actionKind: ActionKind;
  /** Action dimension or number of choices (the MANN's outputSize). */
  readonly actionSize: number;
  /** Initial standard deviation of continuous actions; default 1. */
  readonly initialStd?: number;
}

/** Sizes of the parts of a flat hidden row, in layout order. */
function layoutOf(mann: MannNetwork): { name: string; size: number; shape: (batch: number) => number[] }[] {
  const { controllerSize: C, memorySlots: N, memoryWidth: M, heads: H, memory } = mann.options;
  const parts = [
    { name: 'hidden', size: C, shape: (b: number) => [b, C] },
    { name: 'cell', size: C, shape: (b: number) => [b, C] },
  ];
  if (memory === 'none') return parts;
  return [
    ...parts,
    { name: 'memory', size: N * M, shape: (b: number) => [b, N, M] },
    { name: 'usage', size: N, shape: (b: number) => [b, N] },
    { name: 'readWeights', size: H * N, shape: (b: number) => [b, H, N] },
    { name: 'reads', size: H * M, shape: (b: number) => [b, H, M] },
  ];
}

/** A MANN state as one flat [B, hiddenSize] tensor (the layout in the file header). */
export function flattenMannState(mann: MannNetwork, state: MannState): tf.Tensor {
  return tf.tidy(() => {
    const batch = state.controller.hidden.shape[0]!;
    const tensors: Record<string, tf.Tensor | undefined> = { ...state.controller, ...state.memory };
    return tf.concat(
      layoutOf(mann).map((part) => tf.reshape(tensors[part.name]!, [batch, part.size])),
      1,
    );
  });
}

/** The MANN state stored in a flat [B, hiddenSize] tensor. */
export function unflattenMannState(mann: MannNetwork, hidden: tf.Tensor): MannState {
  const layout = layoutOf(mann);
  const total = layout.reduce((sum, part) => sum + part.size, 0);
  if (hidden.rank !== 2 || hidden.shape[1] !== total)
    throw new RangeError(`mann policy: hidden must be [B, ${total}], got [${hidden.shape.join(', ')}]`);
  return tf.tidy(() => {
    const batch = hidden.shape[0]!;
    const pieces = tf.split(
      hidden,
      layout.map((part) => part.size),
      1,
    );
    const parts: Record<string, tf.Tensor> = {};
    layout.forEach((part, i) => {
      parts[part.name] = tf.reshape(pieces[i]!, part.shape(batch));
    });
    const controller = { hidden: parts.hidden!, cell: parts.cell! };
    if (mann.options.memory === 'none') return { controller };
    return {
      controller,
      memory: {
        memory: parts.memory!,
        usage: parts.usage!,
        readWeights: parts.readWeights!,
        reads: parts.reads!,
      },
    };
  });
}

/** A MANN policy: a `RecurrentPolicy` with its network visible. */
export interface MannPolicy extends RecurrentPolicy {
  /** The network (controller, memory, output layer = the action head). */
  readonly mann: MannNetwork;
}

/** A MANN policy; params `{ mann, logStd? }`. */
export function createMannPolicy(options: MannPolicyOptions): MannPolicy {
  if (options.actionKind !== 'continuous' && options.actionKind !== 'discrete')
    throw new RangeError(
      `createMannPolicy: actionKind must be 'continuous' or 'discrete', got '${String(options.actionKind)}'`,
    );
  const initialStd = options.initialStd ?? 1;
  if (!(Number.isFinite(initialStd) && initialStd > 0))
    throw new RangeError(
      `createMannPolicy: initialStd must be a finite number > 0, got ${String(options.initialStd)}`,
    );
  const { observationSize, actionKind, actionSize, initialStd: _std, ...mannOptions } = options;
  const mann = createMannNetwork({ ...mannOptions, inputSize: observationSize, outputSize: actionSize });
  const hiddenSize = layoutOf(mann).reduce((sum, part) => sum + part.size, 0);
  const distributionOf = (params: ParamTree, outputs: tf.Tensor): Distribution =>
    actionKind === 'discrete'
      ? new Categorical(outputs)
      : new DiagonalGaussian(outputs, params.logStd as tf.Tensor);
  return {
    mann,
    observationSize,
    actionKind,
    actionSize,
    hiddenSize,
    featureSize: mann.featureSize,
    init(rng: Rng) {
      const params: Record<string, ParamTree | tf.Tensor> = { mann: mann.init(rng) };
      if (actionKind === 'continuous') params.logStd = tf.fill([actionSize], Math.log(initialStd));
      return params;
    },
    step(params, observations, hidden) {
      const result = tf.tidy(() => {
        const next = mann.step(params.mann as ParamTree, observations, unflattenMannState(mann, hidden));
        return { logits: next.logits, hidden: flattenMannState(mann, next.state), features: next.features };
      });
      return {
        distribution: distributionOf(params, result.logits),
        hidden: result.hidden,
        features: result.features,
      };
    },
    unroll(params, observations, hidden, resets) {
      if (resets !== undefined)
        throw new RangeError(
          'mann policy: unroll does not support resets; run each segment from its own hidden state (zeros = empty memory)',
        );
      const result = tf.tidy(() => {
        const run = mann.unroll(params.mann as ParamTree, observations, unflattenMannState(mann, hidden));
        return { logits: run.logits, states: run.features, hidden: flattenMannState(mann, run.state) };
      });
      return {
        distribution: distributionOf(params, result.logits),
        states: result.states,
        hidden: result.hidden,
      };
    },
  };
}
