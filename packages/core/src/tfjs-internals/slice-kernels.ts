/**
 * Slice, Unpack and SplitV on one slicing function, for the wasm backend: metarl's WebAssembly
 * kernels (`wasm-kernels.ts`, views of the heap) and the native ones (`native-kernels.ts`, one
 * strided copy) differ only in how they copy one slice.
 */
import * as tf from '@tensorflow/tfjs-core';

/** A kernel function as tfjs registers it. */
export type KernelFunction = (args: {
  inputs: tf.NamedTensorInfoMap;
  attrs?: tf.NamedAttrMap;
  backend: unknown;
}) => tf.TensorInfo | tf.TensorInfo[];

/** Copies the part of `x` of `size` from `begin` into a new tensor of shape `size`. */
export type SliceInto = (
  backend: unknown,
  x: tf.TensorInfo,
  begin: readonly number[],
  size: readonly number[],
) => tf.TensorInfo;

/**
 * The Slice, Unpack and SplitV kernels on `sliceInto`, each made from tfjs's own kernel, which
 * takes the tensors `handles` refuses.
 */
export function createSliceKernels(
  sliceInto: SliceInto,
  handles: (x: tf.TensorInfo) => boolean,
): Record<'Slice' | 'Unpack' | 'SplitV', (original: KernelFunction) => KernelFunction> {
  return {
    Slice: (original) => (args) => {
      const { x } = args.inputs as { x: tf.TensorInfo };
      if (!handles(x)) return original(args);
      const [begin, size] = tf.slice_util.parseSliceParams(
        x as tf.TensorInfo as unknown as tf.Tensor,
        args.attrs!.begin as number | number[],
        args.attrs!.size as number | number[],
      ) as [number[], number[]];
      return sliceInto(args.backend, x, begin, size);
    },
    Unpack: (original) => (args) => {
      const { value } = args.inputs as { value: tf.TensorInfo };
      if (!handles(value)) return original(args);
      const rank = value.shape.length;
      const axis = ((args.attrs!.axis as number) + rank) % rank;
      const outShape = value.shape.filter((_s, i) => i !== axis);
      const begin = new Array<number>(rank).fill(0);
      const size = [...value.shape];
      size[axis] = 1;
      return Array.from({ length: value.shape[axis]! }, (_v, i) => {
        begin[axis] = i;
        const { dataId, dtype } = sliceInto(args.backend, value, begin, size);
        return { dataId, dtype, shape: outShape };
      });
    },
    SplitV: (original) => (args) => {
      const { x } = args.inputs as { x: tf.TensorInfo };
      if (!handles(x)) return original(args);
      const axis = tf.util.parseAxisParam(args.attrs!.axis as number, [...x.shape])[0]!;
      const sizes = tf.backend_util.prepareSplitSize(
        x as unknown as tf.Tensor,
        args.attrs!.numOrSizeSplits as number | number[],
        axis,
      );
      const begin = new Array<number>(x.shape.length).fill(0);
      return sizes.map((part) => {
        const size = [...x.shape];
        size[axis] = part;
        const out = sliceInto(args.backend, x, begin, size);
        begin[axis] = begin[axis]! + part;
        return out;
      });
    },
  };
}
