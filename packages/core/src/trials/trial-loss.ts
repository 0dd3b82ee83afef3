/**
 * The outer objectives of trial learners on padded trials (`TrialBatch`), back-propagating
 * through whole trials: PPO's loss with masked means over the real steps (the units of
 * `runPpoEpochs` are whole trials, chosen with `selectTrials`), and TRPO's surrogate and mean KL
 * against a frozen copy of the sampling policy.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Distribution } from '../distributions/distribution';
import type { ParamTree } from '../params/param-tree';
import { type PpoLossSettings, type PpoLossTerms, ppoLossTerms } from '../rl/ppo';
import type { RecurrentPolicy } from '../rl/recurrent-policy';
import { unrollTrials } from './trial-agent';
import type { TrialBatch } from './trial-batch';

/**
 * PPO's loss terms on `batch` at `params` `{ policy, value?, valueScale? }`: one unroll from a
 * zero state, means over the real steps; with a scaled value head, the value loss is in its
 * normalised units (`valueScale`'s std). Unclipped (TRPO's surrogate) when `clipRange` is undefined.
 */
export function trialLossTerms(
  policy: RecurrentPolicy,
  params: ParamTree,
  batch: TrialBatch,
  settings: PpoLossSettings,
): PpoLossTerms {
  return tf.tidy(() => {
    const { distribution, values } = unrollTrials(policy, params, batch);
    const logProb = distribution.logProb(batch.actions);
    const scale = params.valueScale as ParamTree | undefined;
    const terms = ppoLossTerms(
      {
        logProb,
        oldLogProb: batch.oldLogProb,
        advantages: batch.advantages,
        entropy: distribution.entropy(),
        ...(values === undefined ? {} : { values, returns: batch.returns }),
        ...(scale === undefined ? {} : { valueScale: scale.std as tf.Tensor }),
        mask: batch.mask,
      },
      settings,
    );
    return { ...terms };
  });
}

/**
 * TRPO's objective on `batch` as functions of the policy's parameters (the rest of `params`
 * fixed): `loss(p)` = -mean over real steps of pi_p(a|h) / pi_old(a|h) * A, and `kl(p)` = mean
 * KL(pi_old || pi_p) over real steps, pi_old frozen at `params`; `dispose` frees what it holds.
 */
export function createTrialTrpoObjective(
  policy: RecurrentPolicy,
  params: ParamTree,
  batch: TrialBatch,
): {
  loss: (policyParams: ParamTree) => tf.Scalar;
  kl: (policyParams: ParamTree) => tf.Scalar;
  dispose: () => void;
} {
  const old = tf.tidy(
    () => unrollTrials(policy, params, batch).distribution as unknown as tf.TensorContainer,
  ) as unknown as Distribution;
  const count = tf.sum(batch.mask);
  const masked = (t: tf.Tensor) => tf.div(tf.sum(tf.mul(t, batch.mask)), count) as tf.Scalar;
  const withPolicy = (policyParams: ParamTree): ParamTree => ({ ...params, policy: policyParams });
  return {
    loss: (p) =>
      tf.tidy(() => trialLossTerms(policy, withPolicy(p), batch, { clipRange: undefined }).policyLoss),
    kl: (p) => tf.tidy(() => masked(old.kl(unrollTrials(policy, withPolicy(p), batch).distribution))),
    dispose: () => tf.dispose([old as unknown as tf.TensorContainer, count]),
  };
}
