/**
 * The members of tfjs's engine that metarl reads, as verified on tfjs-core 4.22 (see
 * `tfjs-version-gate.ts`): whether and how deeply gradients are being recorded, the tape of
 * recorded kernels, and `runKernelFunc` (an op with several outputs and a written backward pass;
 * the public `tf.customGrad` allows one output only). On an unverified tfjs-core each accessor
 * steps aside as its doc says, and no engine member is read.
 */
import * as tf from '@tensorflow/tfjs-core';
import { isTfjsCoreVerified } from './tfjs-version-gate';

/** A kernel recorded on the tape. */
export interface TapeNode {
  /** Unique, increasing in recording order. */
  readonly id: number;
  /** The kernel's name, or the enclosing scope's for ops with their own backward pass. */
  readonly kernelName: string;
  /** The kernel's inputs by name. */
  readonly inputs: Readonly<Record<string, tf.Tensor>>;
  /** The kernel's outputs. */
  readonly outputs: readonly tf.Tensor[];
}

/** An op run with its own backward pass: `runKernelFunc`'s argument. */
export interface OpWithGradient {
  /** The op's tensor inputs by name; the backward pass returns a gradient for each name. */
  readonly inputs: Record<string, tf.Tensor>;
  /** Computes the outputs; `save` keeps tensors for the backward pass. */
  readonly forwardFunc: (backend: unknown, save: (tensors: tf.Tensor[]) => void) => tf.Tensor | tf.Tensor[];
  /** The gradient of each input, given the outputs' gradients and the saved tensors. */
  readonly backwardsFunc: (
    dy: tf.Tensor | tf.Tensor[],
    saved: tf.Tensor[],
  ) => Record<string, () => tf.Tensor>;
}

interface EngineMembers {
  state: { gradientDepth: number; activeTape: TapeNode[] | null };
  isTapeOn(): boolean;
  runKernelFunc(invocation: OpWithGradient): tf.Tensor | tf.Tensor[];
}

/** The engine's members where tfjs-core is verified and has them all; undefined otherwise. */
function engineMembers(): EngineMembers | undefined {
  if (!isTfjsCoreVerified()) return undefined;
  const engine = tf.engine() as unknown as Partial<EngineMembers>;
  if (
    typeof engine.isTapeOn !== 'function' ||
    typeof engine.runKernelFunc !== 'function' ||
    typeof engine.state?.gradientDepth !== 'number'
  )
    return undefined;
  return engine as EngineMembers;
}

/**
 * True while the ops of a gradient function are themselves recorded, i.e. the gradient will be
 * differentiated again. Unverified tfjs-core: always true, so callers recompute from inputs (exact
 * whatever the tape does, at the cost of some recomputation).
 */
export function isRecordingGradient(): boolean {
  const engine = engineMembers();
  return engine === undefined ? true : engine.isTapeOn();
}

/** How many gradients are being recorded around the caller; undefined on an unverified tfjs-core. */
export function recordedGradientDepth(): number | undefined {
  return engineMembers()?.state.gradientDepth;
}

/**
 * Runs an op with several outputs and its own backward pass through the engine. Only call it where
 * `recordedGradientDepth()` is defined: it throws on an unverified tfjs-core.
 */
export function runOpWithGradient(op: OpWithGradient): tf.Tensor | tf.Tensor[] {
  const engine = engineMembers();
  if (engine === undefined)
    throw new Error(
      'runOpWithGradient: needs the verified tfjs-core (check recordedGradientDepth() before calling)',
    );
  return engine.runKernelFunc(op);
}

/** The kernels recorded on the active tape; undefined when none is active or tfjs-core is unverified. */
export function readActiveTape(): readonly TapeNode[] | undefined {
  const tape = engineMembers()?.state.activeTape;
  return Array.isArray(tape) ? tape : undefined;
}
