// @metarl/evolution-strategies: evolution strategies on core's EvolutionStrategy contract.
export { philox4x32, sampleCounterNormal } from './counter-noise';
export type { Executor } from './executor';
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
export {
  computeOpenAiEsStep,
  createOpenAiEs,
  estimateOpenAiEsGradient,
  type OpenAiEsOptions,
  type OpenAiEsState,
  perturbationMember,
  type ResolvedOpenAiEsOptions,
  resolveOpenAiEsOptions,
} from './openai-es';
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
