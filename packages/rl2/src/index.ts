/**
 * @metarl/rl2: RL² (Duan et al. 2016), a recurrent policy whose hidden state learns each task
 * within a trial, trained by PPO (or TRPO) over whole trials sampled in one batched pass.
 */

// The trial machinery moved to @metarl/core; the names this package documented are re-exported
// from there so that existing imports keep working (new code imports them from @metarl/core).
export {
  disposeTrialBatch,
  selectTrials,
  type TrialBatch,
  toTrialBatch,
  trialAdvantages,
  trialInputs,
  trialRanges,
  trialReturns,
  unrollTrials,
} from '@metarl/core';
export { createRl2, type Rl2 } from './rl2';
export {
  type Rl2Config,
  type Rl2PpoOptions,
  type Rl2Settings,
  type Rl2TrpoOptions,
  resolveRl2Settings,
} from './rl2-config';
