// @metarl/evolution-strategies: evolution strategies on core's EvolutionStrategy contract.

// CMA-ES and the one-call minimiser
export {
  type CmaEs,
  type CmaEsOptions,
  type CmaEsParameters,
  type CmaEsState,
  type CmaEsStopLimits,
  type CmaEsTolerances,
  cmaEsStopReasons,
  computeCmaEsParameters,
  createCmaEs,
  defaultCmaEsPopulationSize,
} from './cma-es';
export { philox4x32, sampleCounterNormal } from './counter-noise';
export { decomposeSymmetric, type SymmetricDecomposition } from './decompose-symmetric';
// ES-MAML (zero-order) and its adaptation operators.
export {
  type AdaptationOperator,
  adaptFromQueries,
  climbHill,
  createEsMaml,
  createLinearPolicy,
  createQueryOffsets,
  type EsMaml,
  type EsMamlConfig,
  type EsMamlSettings,
  estimateAntitheticGradient,
  evaluateMembersOnOwnTasks,
  evaluatePostAdaptation,
  type LinearPolicyOptions,
  type PostAdaptationOptions,
  resolveEsMamlSettings,
  type ZeroOrderAdaptationSettings,
} from './es-maml';
// Evolved initialisations: candidates scored by their post-adaptation return, any EvolutionStrategy.
export {
  type BanditTrialFitnessOptions,
  createBanditTrialFitness,
  createPolicyGradientAdaptationFitness,
  createZeroOrderAdaptationFitness,
  describeBanditCandidate,
  type EvolveInitialisationOptions,
  evolveInitialisation,
  type InitialisationFitness,
  type PolicyGradientAdaptationFitnessOptions,
  type ZeroOrderAdaptationFitnessOptions,
} from './evolved-initialisation';
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
// OpenAI-ES, SNES, xNES and the genetic algorithm.
export {
  createGeneticAlgorithm,
  type GeneticAlgorithmOptions,
  type GeneticAlgorithmState,
  type GeneticCrossover,
  type GeneticSelection,
  type ResolvedGeneticAlgorithmOptions,
  resolveGeneticAlgorithmOptions,
} from './genetic-algorithm';
export { type BuiltProblem, buildProblem, handleFitnessJob } from './handle-fitness-job';
export { createInProcessExecutor } from './in-process-executor';
export {
  type InitialSolution,
  type MinimizeOptions,
  type MinimizeResult,
  maximize,
  minimize,
  type Objective,
  type RunSummary,
  type StrategyFactory,
  type StrategySetup,
} from './minimize';
export {
  computeAdamStep,
  computeOpenAiEsStep,
  createOpenAiEs,
  estimateOpenAiEsGradient,
  type OpenAiEsOptions,
  type OpenAiEsState,
  type ResolvedOpenAiEsOptions,
  resolveOpenAiEsOptions,
} from './openai-es';
export { perturbationMember } from './perturbation';
export {
  accumulateObservationStatistics,
  createRunningObservationStatistics,
  normaliseWith,
  type RunningObservationStatistics,
} from './running-observation-statistics';
export {
  computeSnesUtilities,
  createSnes,
  type ResolvedSnesOptions,
  resolveSnesOptions,
  type SnesOptions,
  type SnesState,
} from './snes';
export {
  createXnes,
  matrixExponential,
  type ResolvedXnesOptions,
  resolveXnesOptions,
  type XnesOptions,
  type XnesState,
} from './xnes';
