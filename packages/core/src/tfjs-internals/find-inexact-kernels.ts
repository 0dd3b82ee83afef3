/**
 * The guarantee that metarl's gradients are exact, kept inside metarl's own differentiation
 * instead of in tfjs's global gradient registry: before a gradient is taken, the kernels recorded
 * between the parameters and the value are checked, and any kernel that tfjs's backend ships but
 * metarl has no exact gradient for is reported (tfjs's own gradient for it may be registered by
 * other code in the process, e.g. `@tensorflow/tfjs`; at second order it can be silently wrong).
 */
import type * as tf from '@tensorflow/tfjs-core';
import { readActiveTape, type TapeNode } from './tfjs-engine';

/** The nodes of `tape` on a path from one of `xs` to `y`, in recording order (tfjs's own filter). */
function filterPath(tape: readonly TapeNode[], xs: readonly tf.Tensor[], y: tf.Tensor): TapeNode[] {
  const fromX = new Set<number>(xs.map((x) => x.id));
  const nodesFromX = new Set<number>();
  for (const node of tape) {
    if (Object.values(node.inputs).some((input) => fromX.has(input.id))) {
      nodesFromX.add(node.id);
      for (const output of node.outputs) fromX.add(output.id);
    }
  }
  const toY = new Set<number>([y.id]);
  const onPath: TapeNode[] = [];
  for (let i = tape.length - 1; i >= 0; i -= 1) {
    const node = tape[i]!;
    if (!node.outputs.some((output) => toY.has(output.id))) continue;
    for (const input of Object.values(node.inputs)) toY.add(input.id);
    if (nodesFromX.has(node.id)) onPath.push(node);
  }
  return onPath.reverse();
}

/**
 * The names of the kernels in `inexact` that are recorded on the active tape on a path from `xs`
 * to `y` (sorted, each once). Empty when there are none, and when the tape cannot be
 * read (unverified tfjs-core: the check steps aside).
 */
export function findInexactKernels(
  xs: readonly tf.Tensor[],
  y: tf.Tensor,
  inexact: ReadonlySet<string>,
): readonly string[] {
  const tape = readActiveTape();
  if (tape === undefined || inexact.size === 0) return [];
  // Most tapes hold none of them with an input (a kernel without inputs, e.g. Fill, is never on the
  // path); only when one does is the path worth computing.
  const candidate = (node: TapeNode) => inexact.has(node.kernelName) && Object.keys(node.inputs).length > 0;
  if (!tape.some(candidate)) return [];
  const names = new Set<string>();
  for (const node of filterPath(tape, xs, y)) if (inexact.has(node.kernelName)) names.add(node.kernelName);
  return [...names].sort();
}
