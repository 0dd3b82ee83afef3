// @metarl/evolution-strategies: evolution strategies on core's EvolutionStrategy contract.
export { philox4x32, sampleCounterNormal } from './counter-noise';
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
