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
export type { Executor } from './executor';
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
