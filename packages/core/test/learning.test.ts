/**
 * Proof that the single-task RL pieces learn, with small budgets and fixed seeds: PPO solves
 * CartPole-v1 to the classic threshold (mean return >= 195), TRPO improves Pendulum-v1 clearly
 * over the untrained policy. Each would fail if its algorithm stopped learning.
 */
import { cartPoleDistribution, pendulumDistribution } from '@metarl/envs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  collectEpisodes,
  createAdam,
  createCategoricalMlpPolicy,
  createGaussianMlpPolicy,
  createMlpValueFunction,
  createPolicyAgent,
  createRng,
  discountedReturns,
  disposeParams,
  fitLinearBaseline,
  generalizedAdvantages,
  normalizeAdvantages,
  type ParamTree,
  ppoUpdate,
  tf,
  trpoStep,
  useBackend,
} from '../src/index';

function meanEpisodeReturn(rewards: Float32Array, lengths: Int32Array): number {
  return rewards.reduce((p, v) => p + v, 0) / lengths.length;
}

describe('learning', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('PPO reaches a mean return >= 195 on CartPole-v1', () => {
    const distribution = cartPoleDistribution();
    const env = distribution.makeVectorEnv(
      Array.from({ length: 8 }, () => distribution.defaultTask()),
      { autoresetMode: 'disabled' },
    );
    const policy = createCategoricalMlpPolicy({ observationSize: 4, actions: 2, hiddenSizes: [64, 64] });
    const valueFunction = createMlpValueFunction({ observationSize: 4 });
    const rng = createRng(1);
    let params: ParamTree = { policy: policy.init(rng), value: valueFunction.init(rng) };
    const optimizer = createAdam({ learningRate: 1e-3 });
    let state = optimizer.init(params);
    const history: number[] = [];
    let steps = 0;
    for (let iteration = 0; iteration < 60; iteration += 1) {
      const batch = collectEpisodes(env, createPolicyAgent(policy, params.policy as ParamTree), {
        episodesPerEnv: 1,
        rng,
        ...(iteration === 0 ? { seed: 0 } : {}),
      });
      steps += batch.rewards.length;
      const meanReturn = meanEpisodeReturn(batch.rewards, batch.lengths);
      history.push(meanReturn);
      if (history.slice(-3).length === 3 && history.slice(-3).every((r) => r >= 195)) break;
      const observations = tf.tensor2d(batch.observations, [batch.rewards.length, 4]);
      const values = tf.tidy(() => valueFunction.apply(params.value as ParamTree, observations));
      const finalValues = tf.tidy(() =>
        valueFunction.apply(
          params.value as ParamTree,
          tf.tensor2d(batch.finalObservations, [batch.lengths.length, 4]),
        ),
      );
      const { advantages, returns } = generalizedAdvantages(batch, values.dataSync() as Float32Array, {
        gamma: 0.99,
        lambda: 0.95,
        bootstrapValues: finalValues.dataSync() as Float32Array,
      });
      const data = {
        observations,
        actions: tf.tensor1d(Int32Array.from(batch.actions), 'int32'),
        advantages: tf.tensor1d(advantages),
        oldLogProb: tf.tensor1d(batch.agentInfo.logProb!),
        returns: tf.tensor1d(returns),
      };
      const next = ppoUpdate(policy, valueFunction, params, data, optimizer, state, rng, {
        epochs: 4,
        minibatchSize: 256,
        entropyCoefficient: 0.0,
      });
      disposeParams(params);
      for (const slot of Object.values(state.slots)) disposeParams(slot);
      params = next.params;
      state = next.state;
      tf.dispose([values, finalValues, ...Object.values(data)]);
    }
    console.log(
      `PPO CartPole-v1: ${history.length} iterations, ${steps} env steps, returns ${history.map((r) => r.toFixed(0)).join(' ')}`,
    );
    expect(history[0]).toBeLessThan(60);
    expect(history.slice(-3).every((r) => r >= 195)).toBe(true);
  }, 180_000);

  it('TRPO improves Pendulum-v1 clearly over the untrained policy', () => {
    const distribution = pendulumDistribution();
    const env = distribution.makeVectorEnv(
      Array.from({ length: 16 }, () => distribution.defaultTask()),
      { autoresetMode: 'disabled' },
    );
    const policy = createGaussianMlpPolicy({
      observationSize: 3,
      actionSize: 1,
      hiddenSizes: [32, 32],
      initialStd: 0.5,
    });
    const rng = createRng(2);
    let params = policy.init(rng);
    const history: number[] = [];
    for (let iteration = 0; iteration < 40; iteration += 1) {
      const batch = collectEpisodes(env, createPolicyAgent(policy, params), {
        episodesPerEnv: 1,
        rng,
        ...(iteration === 0 ? { seed: 0 } : {}),
      });
      history.push(meanEpisodeReturn(batch.rewards, batch.lengths));
      const returns = discountedReturns(batch, 0.99);
      const baseline = fitLinearBaseline(batch, returns);
      const { advantages } = generalizedAdvantages(batch, baseline.values, {
        gamma: 0.99,
        lambda: 0.97,
        bootstrapValues: baseline.finalValues,
      });
      const observations = tf.tensor2d(batch.observations, [batch.rewards.length, 3]);
      const actions = tf.tensor2d(batch.actions, [batch.rewards.length, 1]);
      const advantageTensor = tf.tensor1d(normalizeAdvantages(advantages));
      const old = policy.apply(params, observations);
      const oldLogProb = tf.tensor1d(batch.agentInfo.logProb!);
      const loss = (p: ParamTree) =>
        tf.tidy(() => {
          const ratio = tf.exp(tf.sub(policy.apply(p, observations).logProb(actions), oldLogProb));
          return tf.neg(tf.mean(tf.mul(ratio, advantageTensor))) as tf.Scalar;
        });
      const kl = (p: ParamTree) => tf.tidy(() => tf.mean(old.kl(policy.apply(p, observations))) as tf.Scalar);
      const result = trpoStep(params, loss, kl, { maxKl: 0.01, damping: 0.1 });
      disposeParams(params);
      params = result.params;
      tf.dispose([observations, actions, advantageTensor, oldLogProb]);
    }
    const first = history.slice(0, 3).reduce((p, v) => p + v, 0) / 3;
    const last = history.slice(-3).reduce((p, v) => p + v, 0) / 3;
    console.log(`TRPO Pendulum-v1: returns ${history.map((r) => r.toFixed(0)).join(' ')}`);
    expect(last).toBeGreaterThan(first + 300);
  }, 180_000);
});
