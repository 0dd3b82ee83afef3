/**
 * @metarl/core: tensors on a pluggable backend with exact higher-order gradients, functional
 * modules, distributions, optimisers, seeded RNG and checkpoints.
 */

// Random numbers
export { createRng, createRngFromState, type Rng, type RngState } from '@metarl/envs';
// Tensors and backends
export * as tf from '@tensorflow/tfjs-core';
// Task-batched inner loop (MAML, Meta-SGD, Reptile)
export {
  type AdaptationOptions,
  type AdaptedParameters,
  adaptationStep,
  adaptParameters,
  averageOptimizerState,
  averageOverTasks,
  broadcastOptimizerState,
  initAdaptationState,
  mergeParams,
  partitionParams,
} from './adaptation/adapt-parameters';
export {
  adaptPolicy,
  type InnerLoopOptions,
  innerLoss,
  innerPpoLoss,
  innerStep,
  taskLogProbs,
} from './adaptation/inner-loop';
export {
  disposeTaskBatch,
  type TaskAdvantageOptions,
  type TaskBatch,
  taskAdvantages,
  taskRanges,
  toTaskBatch,
} from './adaptation/task-batch';
export {
  GradientError,
  gradients,
  hessianVectorProduct,
  type ValueAndGradients,
  valueAndGradients,
} from './autodiff/differentiate';
export {
  type BackendCapabilities,
  type BackendInfo,
  type BackendRegistration,
  BackendUnavailableError,
  currentBackend,
  listBackends,
  registerBackend,
  requireBackend,
  type UseBackendOptions,
  useBackend,
} from './backend/backend-registry';
// Checkpoints (in memory; on disk: saveCheckpoint/loadCheckpoint in @metarl/core/node)
export {
  assertCheckpointFits,
  type Checkpoint,
  CheckpointError,
  type CheckpointExpectation,
  type JsonValue,
} from './checkpoint/checkpoint';
export {
  assertCheckpointMatches,
  type CheckpointDifference,
  CheckpointMismatchError,
  type CheckpointSetup,
  describePolicy,
  describeTaskDistribution,
  findCheckpointDifferences,
  type ResumeOptions,
  type RunDescription,
} from './checkpoint/checkpoint-setup';
export {
  decodeSafetensors,
  encodeSafetensors,
  type NamedArray,
  SafetensorsError,
} from './checkpoint/safetensors';
// Configuration checks
export {
  type ConfigValidator,
  createConfigValidator,
  describeValue,
  type NumberBounds,
} from './config/validate-config';
export { Categorical } from './distributions/categorical';
export { DiagonalGaussian } from './distributions/diagonal-gaussian';
// Distributions
export type { Distribution } from './distributions/distribution';
// Evolution strategies
export {
  type EvaluatePopulationOptions,
  evaluatePopulation,
  type PopulationEvaluation,
} from './evolution/evaluate-population';
export {
  createEvolutionRunner,
  type EvolutionAskResult,
  type EvolutionCheckpoint,
  type EvolutionMetrics,
  type EvolutionRunner,
  type EvolutionRunnerOptions,
  type EvolutionState,
  type EvolutionTellResult,
} from './evolution/evolution-runner';
export type { AskResult, EvolutionStrategy, TellResult } from './evolution/evolution-strategy';
export {
  createInitialSolution,
  createParamLayout,
  type ParamLayout,
  type ParamLayoutEntry,
  stackPopulation,
  unflattenSolution,
} from './evolution/param-layout';
export { PlainValueError } from './evolution/plain-value';
export { FITNESS_SHAPINGS, type FitnessShaping, shapeFitness } from './evolution/shape-fitness';
export {
  type AdaptationResult,
  type EvaluationProtocol,
  type EvaluationReport,
  evaluateMetaLearner,
  type GradientEvaluationProtocol,
  type MemoryEvaluationProtocol,
  meanReturnPerTask,
  type ResolvedEvaluationProtocol,
  type ReturnSummary,
} from './meta/evaluate-meta-learner';
// Meta-learning contract, evaluation and training
export type { MetaLearner, MetaMetrics } from './meta/meta-learner';
// (metrics files and trainMetaLearnerInDirectory: @metarl/core/node; charts: @metarl/plot)
export {
  type MetricsRecord,
  type TrainOptions,
  type TrainResult,
  trainMetaLearner,
} from './meta/train-meta-learner';
export { applyGruSequence, createGru, type GruInput, type GruOptions } from './nn/gru';
export {
  applyLinear,
  createLinear,
  initialiseBiases,
  initialiseWeights,
  type LinearOptions,
  type WeightInitialisation,
} from './nn/linear';
export {
  applyLstmCell,
  applyLstmSequence,
  createLstm,
  type LstmInput,
  type LstmOptions,
  type LstmState,
} from './nn/lstm';
export { type Activation, createMlp, type MlpOptions } from './nn/mlp';
export type { Module } from './nn/module';
export { type MatrixProduct, multiplyMatrices } from './nn/multiply-matrices';
export { logSoftmax, logSumExp, selectLastAxis, stopGradient, sumOfSquares } from './ops/ops';
export { type AdamOptions, createAdam } from './optim/adam';
export { clipByGlobalNorm } from './optim/clip-by-global-norm';
// Optimisers
export {
  cloneOptimizerState,
  disposeOptimizerState,
  type Optimizer,
  type OptimizerState,
  type OptimizerStep,
} from './optim/optimizer';
export { createSgd, type SgdOptions } from './optim/sgd';
// Parameters and modules
export {
  addParams,
  assertFiniteParams,
  broadcastParams,
  cloneParams,
  concatenateParams,
  countParams,
  describeParams,
  disposeParams,
  dotParams,
  flattenParams,
  haveSameStructure,
  keepParams,
  listLeaves,
  mapParams,
  type ParamLeaf,
  type ParamTree,
  ParamTreeError,
  readParams,
  rebuildTree,
  scaleParams,
  splitParams,
  stackParams,
  subtractParams,
  unflattenParams,
  unstackParams,
  zipParams,
} from './params/param-tree';
export {
  discountedReturns,
  type GaeOptions,
  generalizedAdvantages,
  normalizeAdvantages,
} from './rl/advantages';
export {
  type Agent,
  type AgentSizes,
  type AgentStep,
  checkAgentMatchesEnv,
  createPolicyAgent,
  type PolicyAgentOptions,
} from './rl/agent';
export { baselineFeatures, fitLinearBaseline } from './rl/linear-baseline';
// Reinforcement learning
export {
  type ActionKind,
  type CategoricalMlpPolicyOptions,
  createCategoricalMlpPolicy,
  createGaussianMlpPolicy,
  type GaussianMlpPolicyOptions,
  type Policy,
  type PolicyArchitecture,
} from './rl/policies';
export {
  type PolicyGradientData,
  type PpoOptions,
  policyGradientLoss,
  ppoLoss,
  ppoUpdate,
  vpgStep,
} from './rl/policy-gradient';
export {
  clippedSurrogate,
  defaultPpoSettings,
  type PpoEpochsMetrics,
  type PpoEpochsOptions,
  type PpoLossInputs,
  type PpoLossSettings,
  type PpoLossTerms,
  type PpoObjective,
  type PpoSettings,
  ppoLossTerms,
  type ResolvedPpoSettings,
  resolvePpoSettings,
  runPpoEpochs,
} from './rl/ppo';
export {
  createGruPolicy,
  createRecurrentAgent,
  featureSizeOf,
  type GruPolicyOptions,
  type RecurrentPolicy,
} from './rl/recurrent-policy';
export { actionsAsTensor, type CollectOptions, collectEpisodes, type EpisodeBatch } from './rl/rollouts';
export {
  createTrpoObjective,
  type SingleTaskIteration,
  type SingleTaskOptions,
  trainPpo,
  trainTrpo,
} from './rl/single-task';
export {
  conjugateGradient,
  defaultTrpoSettings,
  resolveTrpoSettings,
  type TrpoOptions,
  type TrpoResult,
  type TrpoSettings,
  trpoStep,
} from './rl/trpo';
export { createMlpValueFunction, type ValueFunction } from './rl/value-function';
// Exact gradients and the tfjs version gate (all tfjs patches live in tfjs-internals/)
export { listExactGradientKernels, registerExactGradients } from './tfjs-internals/exact-gradients';
export type { NativeInfo, NativeMode } from './tfjs-internals/native-kernels';
export { recordedGradientDepth } from './tfjs-internals/tfjs-engine';
export { type TfjsVersionCheck, VERIFIED_TFJS_VERSION } from './tfjs-internals/tfjs-version-gate';
// Trials: the shared middle of memory-based learners (RL², SNAIL- and MANN-style)
export {
  createTrialAgent,
  type TrialAgent,
  type TrialAgentOptions,
  type TrialMemory,
  trialMemoryAfter,
  unrollTrials,
} from './trials/trial-agent';
export {
  disposeTrialBatch,
  mergeTrials,
  selectTrials,
  type TrialAdvantageOptions,
  type TrialBatch,
  toTrialBatch,
  trialAdvantages,
  trialReturns,
} from './trials/trial-batch';
export {
  type ActionEncoding,
  actionEncodingOf,
  encodeAction,
  type TrialRange,
  trialInputSize,
  trialInputs,
  trialRanges,
} from './trials/trial-inputs';
export {
  createTrialLearner,
  type TrialLearner,
  type TrialLearnerOptions,
  type TrialShape,
} from './trials/trial-learner';
export {
  resolveTrialLearnerSettings,
  type TrialLearnerConfig,
  type TrialLearnerDefaults,
  type TrialLearnerSettings,
  type TrialPpoOptions,
  type TrialTrpoOptions,
} from './trials/trial-learner-config';
export { createTrialTrpoObjective, trialLossTerms } from './trials/trial-loss';
export {
  fitScaledValueHead,
  initialiseScaledValueHead,
  scaledValues,
  updateValueScale,
  type ValueHeadFitOptions,
  type ValueScaleUpdate,
} from './trials/value-scale';
