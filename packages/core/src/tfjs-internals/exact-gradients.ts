/**
 * Gradient definitions for every tfjs kernel that metarl uses, exact to any order.
 *
 * Why this file exists (measured on tfjs 4.22): the Node build of tfjs-core registers no
 * gradients at all, and tfjs's own gradients for tanh, sigmoid, exp, softmax and logSoftmax
 * reuse the op's saved *output*. The saved output is cloned onto the tape before the op's own
 * node is recorded, so when a gradient is differentiated again the path through that output
 * is dropped: second derivatives come out silently wrong (a MAML meta-gradient was off by
 * 31%). Every definition here computes from the op's *inputs* with ops that are themselves
 * registered here whenever the gradient is being recorded for a higher derivative, so
 * differentiating a gradient again is as exact as the first derivative. (The transcendental
 * ops also save their output and reuse it when nothing records the gradient: a plain
 * first-order backward pass then costs no extra tanh or exp.) The conformance suite in `@metarl/core/testing` proves it
 * against float64 finite differences, first and second order, on every backend.
 *
 * These gradients are registered over tfjs's own for these kernels only (they are correct for
 * any caller, so other tfjs code in the process keeps working and gains exact second order);
 * tfjs's gradients of every other kernel stay registered. metarl's own differentiation refuses
 * those other kernels instead (`listInexactKernels`, checked on the tape by `differentiate.ts`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { isRecordingGradient } from './tfjs-engine';

type GradientResult = Record<string, () => tf.Tensor> | (() => tf.Tensor)[];
type GradientFunction = (
  dy: tf.Tensor | tf.Tensor[],
  saved: tf.Tensor[],
  attrs: tf.NamedAttrMap,
) => GradientResult;

interface ExactGradient {
  kernelName: string;
  inputsToSave?: string[];
  outputsToSave?: boolean[];
  saveAllInputs?: boolean;
  gradFunc: GradientFunction;
}

/** Sums `gradient` over the axes that broadcasting added, back to `shape`. */
function reduceToShape(gradient: tf.Tensor, shape: readonly number[]): tf.Tensor {
  const axes = tf.backend_util.getReductionAxes(shape as number[], gradient.shape);
  let reduced = gradient;
  if (axes.length > 0) reduced = tf.sum(gradient, axes);
  return reduced.shape.length === shape.length && reduced.shape.every((d, i) => d === shape[i])
    ? reduced
    : tf.reshape(reduced, shape as number[]);
}

const float = (x: tf.Tensor): tf.Tensor => (x.dtype === 'float32' ? x : tf.cast(x, 'float32'));
const zerosOf = (x: tf.Tensor) => () => tf.zeros(x.shape, 'float32');
const single = (dy: tf.Tensor | tf.Tensor[]): tf.Tensor => (Array.isArray(dy) ? dy[0]! : dy);

/**
 * The gradient of an op whose derivative is cheapest from its output y = f(x): uses the saved
 * output for a first derivative, recomputes f(x) from the input when the gradient is recorded.
 */
function fromOutput(
  kernelName: string,
  forward: (x: tf.Tensor) => tf.Tensor,
  derivative: (y: tf.Tensor, dy: tf.Tensor) => tf.Tensor,
): ExactGradient & { outputsToSave: boolean[] } {
  return {
    kernelName,
    inputsToSave: ['x'],
    outputsToSave: [true],
    gradFunc: (dy, [x, y]) => ({
      x: () => derivative(isRecordingGradient() ? forward(x!) : y!, single(dy)),
    }),
  };
}

function unary(kernelName: string, derivative: (x: tf.Tensor, dy: tf.Tensor) => tf.Tensor): ExactGradient {
  return {
    kernelName,
    inputsToSave: ['x'],
    gradFunc: (dy, [x]) => ({ x: () => derivative(x!, single(dy)) }),
  };
}

function zeroUnary(kernelName: string): ExactGradient {
  return { kernelName, inputsToSave: ['x'], gradFunc: (_dy, [x]) => ({ x: zerosOf(x!) }) };
}

function zeroBinary(kernelName: string): ExactGradient {
  return {
    kernelName,
    inputsToSave: ['a', 'b'],
    gradFunc: (_dy, [a, b]) => ({ a: zerosOf(a!), b: zerosOf(b!) }),
  };
}

function binary(
  kernelName: string,
  derivatives: (a: tf.Tensor, b: tf.Tensor, dy: tf.Tensor) => { a: () => tf.Tensor; b: () => tf.Tensor },
): ExactGradient {
  return {
    kernelName,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => {
      const local = derivatives(a!, b!, single(dy));
      return {
        a: () => reduceToShape(local.a(), a!.shape),
        b: () => reduceToShape(local.b(), b!.shape),
      };
    },
  };
}

function normaliseAxes(axis: unknown, shape: readonly number[]): number[] {
  return tf.util.parseAxisParam(axis as number | number[], shape as number[]);
}

/** dy of a reduction, reshaped to keep the reduced axes (size 1) so it broadcasts over x. */
function keepReducedDims(dy: tf.Tensor, shape: readonly number[], axes: readonly number[]): tf.Tensor {
  const kept = shape.map((size, i) => (axes.includes(i) ? 1 : size));
  return tf.reshape(dy, kept);
}

function reductionExtremum(kernelName: 'Max' | 'Min'): ExactGradient {
  return {
    kernelName,
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => ({
      x: () => {
        const axes = normaliseAxes(kernelName === 'Max' ? attrs.reductionIndices : attrs.axis, x!.shape);
        const extremum = kernelName === 'Max' ? tf.max(x!, axes, true) : tf.min(x!, axes, true);
        const mask = tf.cast(tf.equal(x!, extremum), 'float32');
        return tf.mul(mask, keepReducedDims(single(dy), x!.shape, axes));
      },
    }),
  };
}

function batchMatMulGradient(): ExactGradient {
  return {
    kernelName: 'BatchMatMul',
    inputsToSave: ['a', 'b'],
    gradFunc: (dyRaw, [a, b], attrs) => {
      const dy = single(dyRaw);
      const transposeA = attrs.transposeA === true;
      const transposeB = attrs.transposeB === true;
      let gradA: () => tf.Tensor;
      let gradB: () => tf.Tensor;
      if (!transposeA && !transposeB) {
        gradA = () => tf.matMul(dy, b!, false, true);
        gradB = () => tf.matMul(a!, dy, true, false);
      } else if (!transposeA && transposeB) {
        gradA = () => tf.matMul(dy, b!, false, false);
        gradB = () => tf.matMul(dy, a!, true, false);
      } else if (transposeA && !transposeB) {
        gradA = () => tf.matMul(b!, dy, false, true);
        gradB = () => tf.matMul(a!, dy, false, false);
      } else {
        gradA = () => tf.matMul(b!, dy, true, true);
        gradB = () => tf.matMul(dy, a!, true, true);
      }
      return { a: () => reduceToShape(gradA(), a!.shape), b: () => reduceToShape(gradB(), b!.shape) };
    },
  };
}

function inversePermutation(perm: readonly number[]): number[] {
  const inverse = new Array<number>(perm.length);
  perm.forEach((axis, i) => {
    inverse[axis] = i;
  });
  return inverse;
}

/** Gradient of a gather as a one-hot matrix product (the wasm backend has no UnsortedSegmentSum). */
function gatherGradient(): ExactGradient {
  return {
    kernelName: 'GatherV2',
    inputsToSave: ['x', 'indices'],
    gradFunc: (dyRaw, [x, indices], attrs) => ({
      x: () => {
        const batchDims = (attrs.batchDims as number | undefined) ?? 0;
        if (batchDims !== 0) {
          throw new Error(`metarl: the gradient of gather supports batchDims 0 only, got ${batchDims}`);
        }
        const shape = x!.shape;
        const axis = normaliseAxes(attrs.axis, shape)[0]!;
        const outer = shape.slice(0, axis).reduce((p, s) => p * s, 1);
        const depth = shape[axis]!;
        const inner = shape.slice(axis + 1).reduce((p, s) => p * s, 1);
        const count = indices!.size;
        const dy = tf.reshape(single(dyRaw), [outer, count, inner]);
        const columns = tf.reshape(tf.transpose(dy, [1, 0, 2]), [count, outer * inner]);
        const oneHot = tf.oneHot(tf.reshape(tf.cast(indices!, 'int32'), [count]), depth);
        const scattered = tf.matMul(oneHot, columns, true, false); // [depth, outer * inner]
        const reordered = tf.transpose(tf.reshape(scattered, [depth, outer, inner]), [1, 0, 2]);
        return tf.reshape(reordered, shape);
      },
      indices: zerosOf(indices!),
    }),
  };
}

function tileGradient(): ExactGradient {
  return {
    kernelName: 'Tile',
    inputsToSave: ['x'],
    gradFunc: (dyRaw, [x], attrs) => ({
      x: () => {
        const reps = attrs.reps as number[];
        const shape = x!.shape;
        const interleaved: number[] = [];
        const repAxes: number[] = [];
        shape.forEach((size, i) => {
          repAxes.push(interleaved.length);
          interleaved.push(reps[i]!, size);
        });
        return tf.reshape(tf.sum(tf.reshape(single(dyRaw), interleaved), repAxes), shape);
      },
    }),
  };
}

const comparisonKernels = [
  'Greater',
  'GreaterEqual',
  'Less',
  'LessEqual',
  'Equal',
  'NotEqual',
  'LogicalAnd',
  'LogicalOr',
  'FloorDiv',
  'Mod',
];
const piecewiseConstantKernels = [
  'Step',
  'Sign',
  'Floor',
  'Ceil',
  'Round',
  'IsNan',
  'IsFinite',
  'IsInf',
  'LogicalNot',
];

const exactGradients: ExactGradient[] = [
  // ── elementwise unary ────────────────────────────────────────────────────────
  unary('Neg', (_x, dy) => tf.neg(dy)),
  unary('Square', (x, dy) => tf.mul(dy, tf.mul(tf.scalar(2), float(x)))),
  unary('Sqrt', (x, dy) => tf.div(dy, tf.mul(tf.scalar(2), tf.sqrt(float(x))))),
  unary('Rsqrt', (x, dy) => tf.mul(dy, tf.div(tf.mul(tf.scalar(-0.5), tf.rsqrt(float(x))), float(x)))),
  unary('Reciprocal', (x, dy) => tf.neg(tf.div(dy, tf.square(float(x))))),
  fromOutput('Exp', tf.exp, (y, dy) => tf.mul(dy, y)),
  unary('Expm1', (x, dy) => tf.mul(dy, tf.exp(float(x)))),
  unary('Log', (x, dy) => tf.div(dy, float(x))),
  unary('Log1p', (x, dy) => tf.div(dy, tf.add(tf.scalar(1), float(x)))),
  fromOutput('Tanh', tf.tanh, (y, dy) => tf.mul(dy, tf.sub(tf.scalar(1), tf.square(y)))),
  fromOutput('Sigmoid', tf.sigmoid, (y, dy) => tf.mul(dy, tf.mul(y, tf.sub(tf.scalar(1), y)))),
  unary('Softplus', (x, dy) => tf.mul(dy, tf.sigmoid(x))),
  unary('Relu', (x, dy) => tf.mul(dy, tf.step(float(x)))),
  unary('Relu6', (x, dy) => tf.mul(dy, tf.cast(tf.logicalAnd(tf.greater(x, 0), tf.less(x, 6)), 'float32'))),
  unary('Elu', (x, dy) => tf.where(tf.greater(x, 0), dy, tf.mul(dy, tf.exp(x)))),
  unary('Abs', (x, dy) => tf.mul(dy, tf.sign(float(x)))),
  unary('Sin', (x, dy) => tf.mul(dy, tf.cos(x))),
  unary('Cos', (x, dy) => tf.neg(tf.mul(dy, tf.sin(x)))),
  unary('Cast', (x, dy) => (x.dtype === 'float32' ? tf.clone(dy) : tf.zeros(x.shape, 'float32'))),
  unary('Identity', (_x, dy) => tf.clone(dy)),
  {
    kernelName: 'LeakyRelu',
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => ({
      x: () => tf.where(tf.greater(x!, 0), single(dy), tf.mul(single(dy), tf.scalar(attrs.alpha as number))),
    }),
  },
  {
    kernelName: 'ClipByValue',
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => ({
      x: () => {
        const inside = tf.logicalAnd(
          tf.greaterEqual(x!, attrs.clipValueMin as number),
          tf.lessEqual(x!, attrs.clipValueMax as number),
        );
        return tf.mul(single(dy), tf.cast(inside, 'float32'));
      },
    }),
  },
  ...piecewiseConstantKernels.map(zeroUnary),
  { kernelName: 'ZerosLike', inputsToSave: ['x'], gradFunc: (_dy, [x]) => ({ x: zerosOf(x!) }) },
  { kernelName: 'OnesLike', inputsToSave: ['x'], gradFunc: (_dy, [x]) => ({ x: zerosOf(x!) }) },
  {
    kernelName: 'OneHot',
    inputsToSave: ['indices'],
    gradFunc: (_dy, [indices]) => ({ indices: zerosOf(indices!) }),
  },

  // ── elementwise binary (with broadcasting) ──────────────────────────────────
  binary('Add', (_a, _b, dy) => ({ a: () => dy, b: () => dy })),
  binary('Sub', (_a, _b, dy) => ({ a: () => dy, b: () => tf.neg(dy) })),
  binary('Multiply', (a, b, dy) => ({ a: () => tf.mul(dy, b), b: () => tf.mul(dy, a) })),
  binary('RealDiv', (a, b, dy) => ({
    a: () => tf.div(dy, b),
    b: () => tf.neg(tf.div(tf.mul(dy, a), tf.square(b))),
  })),
  binary('SquaredDifference', (a, b, dy) => {
    const twiceDifference = () => tf.mul(tf.scalar(2), tf.sub(a, b));
    return { a: () => tf.mul(dy, twiceDifference()), b: () => tf.neg(tf.mul(dy, twiceDifference())) };
  }),
  binary('Maximum', (a, b, dy) => {
    const aWins = () => tf.cast(tf.greaterEqual(a, b), 'float32');
    return { a: () => tf.mul(dy, aWins()), b: () => tf.mul(dy, tf.sub(tf.scalar(1), aWins())) };
  }),
  binary('Minimum', (a, b, dy) => {
    const aWins = () => tf.cast(tf.lessEqual(a, b), 'float32');
    return { a: () => tf.mul(dy, aWins()), b: () => tf.mul(dy, tf.sub(tf.scalar(1), aWins())) };
  }),
  binary('Pow', (a, b, dy) => ({
    a: () => tf.mul(dy, tf.mul(b, tf.pow(a, tf.sub(b, tf.scalar(1))))),
    b: () => {
      const positive = tf.greater(a, 0);
      const safeLog = tf.log(tf.where(positive, a, tf.onesLike(a)));
      return tf.mul(dy, tf.where(positive, tf.mul(tf.pow(a, b), safeLog), tf.zerosLike(a)));
    },
  })),
  ...comparisonKernels.map(zeroBinary),
  {
    kernelName: 'Select',
    inputsToSave: ['condition', 't', 'e'],
    gradFunc: (dyRaw, [condition, t, e]) => {
      const dy = single(dyRaw);
      return {
        condition: zerosOf(condition!),
        t: () => reduceToShape(tf.where(condition!, dy, tf.zerosLike(dy)), t!.shape),
        e: () => reduceToShape(tf.where(condition!, tf.zerosLike(dy), dy), e!.shape),
      };
    },
  },
  {
    kernelName: 'AddN',
    saveAllInputs: true,
    gradFunc: (dy, saved) => saved.map(() => () => tf.clone(single(dy))),
  },

  // ── reductions ──────────────────────────────────────────────────────────────
  {
    kernelName: 'Sum',
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => ({
      x: () => {
        const axes = normaliseAxes(attrs.axis, x!.shape);
        return tf.mul(keepReducedDims(single(dy), x!.shape, axes), tf.ones(x!.shape));
      },
    }),
  },
  {
    kernelName: 'Mean',
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => ({
      x: () => {
        const axes = normaliseAxes(attrs.axis, x!.shape);
        const count = axes.reduce((p, axis) => p * x!.shape[axis]!, 1);
        return tf.mul(keepReducedDims(single(dy), x!.shape, axes), tf.fill(x!.shape, 1 / count));
      },
    }),
  },
  reductionExtremum('Max'),
  reductionExtremum('Min'),
  {
    kernelName: 'Softmax',
    inputsToSave: ['logits'],
    outputsToSave: [true],
    gradFunc: (dy, [logits, output], attrs) => ({
      logits: () => {
        const dim = (attrs.dim as number | undefined) ?? -1;
        const y = isRecordingGradient() ? tf.softmax(logits!, dim) : output!;
        const weighted = tf.sum(tf.mul(single(dy), y), dim, true);
        return tf.mul(y, tf.sub(single(dy), weighted));
      },
    }),
  },
  {
    kernelName: 'LogSoftmax',
    inputsToSave: ['logits'],
    gradFunc: (dy, [logits], attrs) => ({
      logits: () => {
        const axis = (attrs.axis as number | undefined) ?? -1;
        const total = tf.sum(single(dy), axis, true);
        return tf.sub(single(dy), tf.mul(tf.softmax(logits!, axis), total));
      },
    }),
  },
  {
    kernelName: 'Cumsum',
    gradFunc: (dy, _saved, attrs) => ({
      x: () =>
        tf.cumsum(single(dy), attrs.axis as number, attrs.exclusive as boolean, !(attrs.reverse as boolean)),
    }),
  },

  // ── linear algebra ──────────────────────────────────────────────────────────
  batchMatMulGradient(),

  // ── shape ───────────────────────────────────────────────────────────────────
  {
    kernelName: 'Reshape',
    inputsToSave: ['x'],
    gradFunc: (dy, [x]) => ({ x: () => tf.reshape(single(dy), x!.shape) }),
  },
  {
    kernelName: 'ExpandDims',
    inputsToSave: ['input'],
    gradFunc: (dy, [input]) => ({ input: () => tf.reshape(single(dy), input!.shape) }),
  },
  {
    kernelName: 'Transpose',
    gradFunc: (dy, _saved, attrs) => ({
      x: () => tf.transpose(single(dy), inversePermutation(attrs.perm as number[])),
    }),
  },
  {
    kernelName: 'BroadcastTo',
    gradFunc: (dy, _saved, attrs) => ({ x: () => reduceToShape(single(dy), attrs.inputShape as number[]) }),
  },
  tileGradient(),
  {
    kernelName: 'Concat',
    saveAllInputs: true,
    gradFunc: (dy, saved, attrs) => {
      const axis = normaliseAxes(attrs.axis, saved[0]!.shape)[0]!;
      // Each input's gradient is its own slice of dy (splitting all of dy per input would cost
      // O(inputs^2): a 100-step GRU unroll spent more time there than in its matrix products).
      let start = 0;
      return saved.map((input) => {
        const begin = input.shape.map((_d, k) => (k === axis ? start : 0));
        start += input.shape[axis]!;
        return () => tf.slice(single(dy), begin, input.shape);
      });
    },
  },
  {
    kernelName: 'Pack',
    saveAllInputs: true,
    gradFunc: (dyRaw, saved, attrs) => {
      const dy = single(dyRaw);
      const axis = normaliseAxes(attrs.axis, dy.shape)[0]!;
      const size = dy.shape.map((d, k) => (k === axis ? 1 : d));
      return saved.map(
        (input, i) => () =>
          tf.reshape(
            tf.slice(
              dy,
              dy.shape.map((_d, k) => (k === axis ? i : 0)),
              size,
            ),
            input.shape,
          ),
      );
    },
  },
  {
    kernelName: 'Unpack',
    // One output (a size-1 axis) arrives as a single tensor, several as a list.
    gradFunc: (dy, _saved, attrs) => ({
      value: () => tf.stack(Array.isArray(dy) ? dy : [dy], attrs.axis as number),
    }),
  },
  {
    kernelName: 'SplitV',
    gradFunc: (dy, _saved, attrs) => ({
      x: () => tf.concat(Array.isArray(dy) ? dy : [dy], attrs.axis as number),
    }),
  },
  {
    kernelName: 'Slice',
    inputsToSave: ['x'],
    gradFunc: (dyRaw, [x], attrs) => ({
      x: () => {
        const dy = single(dyRaw);
        const begin = tf.slice_util.parseSliceParams(x!, attrs.begin as number[], attrs.size as number[])[0]!;
        const paddings = x!.shape.map((size, i) => {
          const start = begin[i]!;
          return [start, size - start - dy.shape[i]!] as [number, number];
        });
        return tf.pad(dy, paddings);
      },
    }),
  },
  {
    kernelName: 'PadV2',
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => ({
      x: () => {
        const begin = (attrs.paddings as [number, number][]).map((pair) => pair[0]);
        return tf.slice(single(dy), begin, x!.shape);
      },
    }),
  },
  {
    kernelName: 'Reverse',
    gradFunc: (dy, _saved, attrs) => ({ x: () => tf.reverse(single(dy), attrs.dims as number[]) }),
  },
  gatherGradient(),
];

const exactKernels = new Set(exactGradients.map((gradient) => gradient.kernelName));
/** Per tfjs backend: the kernels it ships (when metarl's gradients were registered) that have no exact gradient. */
const inexactKernelsByBackend = new Map<string, ReadonlySet<string>>();
let registered = false;

/** Records which of the active backend's kernels have no exact gradient (the user's later kernels stay allowed). */
function recordInexactKernels(backend: string): ReadonlySet<string> {
  const inexact = new Set(
    tf
      .getKernelsForBackend(backend)
      .map(({ kernelName }) => kernelName)
      .filter((kernelName) => !exactKernels.has(kernelName)),
  );
  inexactKernelsByBackend.set(backend, inexact);
  return inexact;
}

/**
 * (Re-)registers metarl's exact gradients with tfjs, replacing tfjs's (or anyone's) gradients
 * of the same kernels and nothing else, and notes the active backend's other kernels: metarl's
 * `gradients` refuses them (`listInexactKernels`), whichever tfjs build registered what, while other
 * tfjs code in the process keeps tfjs's gradients for them. `useBackend` calls it after loading a
 * backend. Kernels (and their gradients) that you register after `useBackend` are yours to
 * differentiate.
 */
export function registerExactGradients(): void {
  for (const gradient of exactGradients) {
    tf.registerGradient(gradient as unknown as tf.GradConfig);
  }
  const backend = tf.engine().backendName;
  if (backend != null) recordInexactKernels(backend);
  registered = true;
}

/** Registers the exact gradients once per process (for entry points that may run first). */
export function ensureExactGradients(): void {
  if (!registered) registerExactGradients();
}

/**
 * The kernels of the active tfjs backend that metarl has no exact gradient for: metarl's
 * differentiation refuses them. Kernels registered after `useBackend` (and the scopes of
 * custom-gradient ops) are not the backend's and are not listed.
 */
export function listInexactKernels(): ReadonlySet<string> {
  const backend = tf.engine().backendName;
  if (backend == null) return new Set();
  return inexactKernelsByBackend.get(backend) ?? recordInexactKernels(backend);
}

/** The tfjs kernel names that have an exact gradient, for error messages and documentation. */
export function listExactGradientKernels(): readonly string[] {
  return exactGradients.map((gradient) => gradient.kernelName).sort();
}
