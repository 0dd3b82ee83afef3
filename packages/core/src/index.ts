/**
 * @metarl/core: tensors on a pluggable backend with exact higher-order gradients, functional
 * modules, distributions, optimisers, seeded RNG and checkpoints.
 */

// Tensors and backends
export * as tf from '@tensorflow/tfjs-core';
export {
  type BackendCapabilities,
  type BackendInfo,
  type BackendRegistration,
  BackendUnavailableError,
  currentBackend,
  listBackends,
  registerBackend,
  useBackend,
} from './backend/backend-registry';

// Exact gradients
export { listExactGradientKernels, registerExactGradients } from './autodiff/exact-gradients';
export {
  GradientError,
  gradients,
  hessianVectorProduct,
  type ValueAndGradients,
  valueAndGradients,
} from './autodiff/differentiate';
export { logSoftmax, logSumExp, selectLastAxis, stopGradient, sumOfSquares } from './ops/ops';

// Random numbers
export { createRng, createRngFromState, type Rng, type RngState } from './rng/rng';

// Parameters and modules
export {
  addParams,
  assertFiniteParams,
  broadcastParams,
  cloneParams,
  concatenateParams,
  countParams,
  disposeParams,
  dotParams,
  flattenParams,
  keepParams,
  listLeaves,
  mapParams,
  type ParamLeaf,
  type ParamTree,
  ParamTreeError,
  rebuildTree,
  scaleParams,
  splitParams,
  stackParams,
  subtractParams,
  unflattenParams,
  unstackParams,
  zipParams,
} from './params/param-tree';
export type { Module } from './nn/module';
export { applyLinear, createLinear, type LinearOptions, type WeightInitialisation } from './nn/linear';
export { type Activation, createMlp, type MlpOptions } from './nn/mlp';
export { createGru, type GruInput, type GruOptions } from './nn/gru';

// Distributions
export type { Distribution } from './distributions/distribution';
export { Categorical } from './distributions/categorical';
export { DiagonalGaussian } from './distributions/diagonal-gaussian';

// Optimisers
export type { Optimizer, OptimizerState, OptimizerStep } from './optim/optimizer';
export { createSgd, type SgdOptions } from './optim/sgd';
export { type AdamOptions, createAdam } from './optim/adam';
export { clipByGlobalNorm } from './optim/clip-by-global-norm';

// Checkpoints
export {
  type Checkpoint,
  CheckpointError,
  type JsonValue,
  loadCheckpoint,
  saveCheckpoint,
} from './checkpoint/checkpoint';
export { decodeSafetensors, encodeSafetensors, type NamedArray, SafetensorsError } from './checkpoint/safetensors';
