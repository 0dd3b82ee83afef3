/**
 * @metarl/rl2: RL² (Duan et al. 2016), a recurrent policy whose hidden state learns each task
 * within a trial, trained by PPO (or TRPO) over whole trials sampled in one batched pass.
 */
export {
  createRl2,
  type Rl2,
  type Rl2Config,
  type Rl2LossTerms,
  type Rl2PpoOptions,
  type Rl2Settings,
  type Rl2TrpoOptions,
  rl2LossTerms,
  trialReturns,
  unrollTrials,
} from './rl2';
export { createRl2Agent, type Rl2Agent, type Rl2AgentOptions, type Rl2Memory, valuesOf } from './rl2-agent';
export {
  disposeTrialBatch,
  mergeTrials,
  selectTrials,
  type TrialAdvantageOptions,
  type TrialBatch,
  toTrialBatch,
  trialAdvantages,
} from './trial-batch';
export {
  type ActionEncoding,
  actionEncodingOf,
  encodeAction,
  type TrialRange,
  trialInputSize,
  trialInputs,
  trialRanges,
} from './trial-inputs';
