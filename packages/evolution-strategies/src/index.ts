// @metarl/evolution-strategies: evolution strategies on core's EvolutionStrategy contract.
export { philox4x32, sampleCounterNormal } from './counter-noise';
export type { Executor } from './executor';
// OpenAI-ES, SNES and the genetic algorithm.
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
