// @metarl/evolution-strategies: evolution strategies on core's EvolutionStrategy contract.
export { philox4x32, sampleCounterNormal } from './counter-noise';
export type { Executor } from './executor';
