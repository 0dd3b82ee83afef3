/**
 * @metarl/envs: Gymnasium-style environments and meta-RL task distributions with fast
 * vectorised stepping. No tensor dependency.
 */

// Reference agents (non-learning baselines)
export {
  type BanditAgent,
  type BanditHistory,
  createEpsilonGreedyBanditAgent,
  createGreedyBanditAgent,
  createRandomBanditAgent,
  createThompsonBanditAgent,
  createUcb1BanditAgent,
  playBanditTrials,
} from './agents/bandit-agents';
export {
  createGreedyMdpAgent,
  createOracleMdpAgent,
  createPosteriorMeanMdpAgent,
  createPsrlMdpAgent,
  createRandomMdpAgent,
  type MdpAgent,
  type MdpHistory,
  playMdpTrials,
  solveFiniteHorizon,
  type TabularModel,
} from './agents/mdp-agents';
export { sampleBeta, sampleGamma, summarise } from './agents/sampling';
export type { BatchedDynamics } from './batched-dynamics';
export { type BanditTask, banditDistribution } from './distributions/bandit';
export { type CartPoleTask, cartPoleDistribution } from './distributions/cart-pole';
export { type Navigation2DTask, navigation2dDistribution } from './distributions/navigation-2d';
export {
  FOUR_CORNERS,
  type Navigation2DFourCornersTask,
  navigation2dFourCornersDistribution,
} from './distributions/navigation-2d-four-corners';
export { normaliseAngle, type PendulumTask, pendulumDistribution } from './distributions/pendulum';
export { type TabularMdpTask, tabularMdpDistribution } from './distributions/tabular-mdp';
export type { ActionArray, Env, EnvAction, Info, StepResult } from './env';
export {
  checkFiniteStep,
  describeNonFiniteValue,
  findNonFinite,
  NonFiniteValueError,
  type NonFiniteValueSource,
} from './non-finite-value-error';
export { listTaskDistributions, makeTaskDistribution, registerTaskDistribution } from './registry';
// Random numbers (shared with @metarl/core, which re-exports them)
export { createRng, createRngFromState, type Rng, type RngState } from './rng/rng';
export { SingleEnv } from './single-env';
export { Box } from './spaces/box';
export { Discrete } from './spaces/discrete';
// Spaces and environments
export type { Space } from './spaces/space';
// Supervised few-shot data (tensor-free): classification episodes and sinusoid regression
export {
  createSyntheticFewShotDataset,
  type FewShotDataset,
  type FewShotEpisodeOptions,
  type FewShotEpisodes,
  nearestNeighbourAccuracy,
  type SampledFewShotEpisodes,
  type SyntheticFewShotOptions,
  sampleFewShotEpisodes,
  splitFewShotDataset,
} from './supervised/few-shot';
export {
  FINN_SINUSOIDS,
  REPTILE_SINUSOIDS,
  SINUSOID_GRID_SIZE,
  type SinusoidFamily,
  type SinusoidGridPoints,
  type SinusoidPoints,
  type SinusoidTask,
  sampleSinusoidGridPoints,
  sampleSinusoidPoints,
  sampleSinusoidTasks,
  sinusoidGrid,
  sinusoidGridTargets,
  sinusoidValue,
} from './supervised/sinusoid';
// Task distributions
export {
  defineTaskDistribution,
  type PlainParameter,
  type TaskDistribution,
  type TaskDistributionDefinition,
} from './task-distribution';
export {
  type AutoresetMode,
  BatchedVectorEnv,
  type VectorEnv,
  type VectorEnvOptions,
  type VectorStepResult,
} from './vector-env';
export { NormalizeObservation, NormalizeReward } from './wrappers/normalize';
export { RunningMeanVariance } from './wrappers/running-statistics';
// Wrappers
export { TimeLimit } from './wrappers/time-limit';
