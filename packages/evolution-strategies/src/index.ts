// @metarl/evolution-strategies: evolution strategies on core's EvolutionStrategy contract.
export { philox4x32, sampleCounterNormal } from './counter-noise';
export type { Executor } from './executor';
// Where fitness is computed: job formats, the worker's handler, chunked fitness through an executor.
export {
  createExecutorFitness,
  type ExecutorFitness,
  type ExecutorFitnessEvaluation,
  type ExecutorFitnessOptions,
  type GenerationRequest,
} from './executor-fitness';
export {
  decodeReturn,
  decodeVector,
  type EncodedReturn,
  type EncodedVector,
  encodeReturn,
  encodeVector,
  type FitnessJob,
  type FitnessJobKey,
  type FitnessJobMembers,
  type FitnessResult,
  formatFitnessJobKey,
  type JsonValue,
  MalformedFitnessMessageError,
  type ObservationNormalisation,
  type ObservationStatistics,
  type ProblemSpec,
  validateFitnessJob,
  validateFitnessResult,
  validateProblemSpec,
} from './fitness-jobs';
export { type BuiltProblem, buildProblem, handleFitnessJob } from './handle-fitness-job';
export { createInProcessExecutor } from './in-process-executor';
export { perturbationMember } from './perturbation';
