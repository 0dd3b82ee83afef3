/**
 * @metarl/core/testing: conformance checks that every backend and every algorithm package runs.
 */
export {
  type ConformanceOptions,
  type ConformanceReport,
  formatConformanceReport,
  runConformanceSuite,
} from './conformance-suite';
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
export { countLiveTensors, measureTensorGrowth } from './tensor-leaks';
