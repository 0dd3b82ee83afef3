/**
 * @metarl/core/testing: conformance checks that every backend and every algorithm package runs.
 * Node only, like `@metarl/core/node`: `checkMetaLearner`'s checkpoint round trip writes to a
 * temporary directory.
 */

export {
  type CheckEvolutionStrategyOptions,
  checkEvolutionStrategy,
  EvolutionStrategyCheckError,
} from './check-evolution-strategy';
export { type CheckMetaLearnerOptions, checkMetaLearner, MetaLearnerCheckError } from './check-meta-learner';
export {
  type ConformanceOptions,
  type ConformanceReport,
  formatConformanceReport,
  runConformanceSuite,
} from './conformance-suite';
export { createFineTuningLearner, type FineTuningLearnerConfig } from './fine-tuning-learner';
export {
  checkGradientCase,
  type GradientCheckCase,
  type GradientCheckResult,
  numericGradient,
  numericHessianVectorProduct,
  relativeError,
} from './gradient-check';
export { checkHessianVectorProduct, checkMamlMetaGradient } from './maml-check';
export { listOpCases, type OpCase, toGradientCase } from './op-cases';
export { requireNativeKernels } from './require-native-kernels';
export { countLiveTensors, measureTensorGrowth } from './tensor-leaks';
