import { createRng as createEnvRng, navigation2dDistribution } from '@metarl/envs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  collectEpisodes,
  conjugateGradient,
  createCategoricalMlpPolicy,
  createGaussianMlpPolicy,
  createPolicyAgent,
  createRng,
  type DiagonalGaussian,
  discountedReturns,
  disposeParams,
  type EpisodeBatch,
  fitLinearBaseline,
  flattenParams,
  generalizedAdvantages,
  hessianVectorProduct,
  listLeaves,
  type ParamTree,
  ppoLoss,
  tf,
  unflattenParams,
  useBackend,
} from '../src/index';
import { numericHessianVectorProduct, relativeError } from '../src/testing/index';

function batchOf(rewards: number[][], truncatedLast: boolean[] = []): EpisodeBatch {
  const lengths = Int32Array.from(rewards, (r) => r.length);
  const offsets = new Int32Array(lengths.length);
  for (let e = 1; e < lengths.length; e += 1) offsets[e] = offsets[e - 1]! + lengths[e - 1]!;
  const total = lengths.reduce((p, v) => p + v, 0);
  const truncated = new Uint8Array(total);
  const terminated = new Uint8Array(total);
  rewards.forEach((r, e) => {
    const last = offsets[e]! + r.length - 1;
    if (truncatedLast[e]) truncated[last] = 1;
    else terminated[last] = 1;
  });
  return {
    observationSize: 1,
    actionSize: 1,
    observations: Float32Array.from({ length: total }, (_v, i) => i / 10),
    actions: new Float32Array(total),
    rewards: Float32Array.from(rewards.flat()),
    terminated,
    truncated,
    lengths,
    offsets,
    envIndex: Int32Array.from(rewards, (_r, e) => e),
    taskIndex: new Int32Array(rewards.length),
    finalObservations: new Float32Array(rewards.length),
    agentInfo: {},
  };
}

describe('advantages', () => {
  it('discounted returns and GAE equal a hand computation', () => {
    const batch = batchOf([[1, 0, 2], [3]], [true, false]);
    expect(Array.from(discountedReturns(batch, 0.5))).toEqual([1.5, 1, 2, 3]);
    const values = Float32Array.of(0.5, 1, 1.5, 2);
    // episode 0 truncated: bootstrap V(final) = 4; gamma 0.5, lambda 0.5
    const { advantages, returns } = generalizedAdvantages(batch, values, {
      gamma: 0.5,
      lambda: 0.5,
      bootstrapValues: Float32Array.of(4, 99),
    });
    const d2 = 2 + 0.5 * 4 - 1.5; // 2.5
    const d1 = 0 + 0.5 * 1.5 - 1; // -0.25
    const d0 = 1 + 0.5 * 1 - 0.5; // 1
    const a2 = d2;
    const a1 = d1 + 0.25 * a2;
    const a0 = d0 + 0.25 * a1;
    const a3 = 3 - 2; // terminated: no bootstrap
    [a0, a1, a2, a3].forEach((a, i) => {
      expect(advantages[i]).toBeCloseTo(a, 6);
      expect(returns[i]).toBeCloseTo(a + values[i]!, 6);
    });
    const noBootstrap = generalizedAdvantages(batch, values, { gamma: 0.5, lambda: 0.5 });
    expect(noBootstrap.advantages[2]).toBeCloseTo(2 - 1.5, 6);
    // Terminated on the step that reached the time limit (Gymnasium sets both flags): no bootstrap.
    const both = { ...batch, terminated: Uint8Array.of(0, 0, 1, 1) };
    const terminal = generalizedAdvantages(both, values, {
      gamma: 0.5,
      lambda: 0.5,
      bootstrapValues: Float32Array.of(4, 99),
    });
    expect(terminal.advantages[2]).toBeCloseTo(2 - 1.5, 6);
  });

  it('the linear baseline fit per task recovers a return that is exactly linear in its features', () => {
    // Returns that are an exact linear function of the features [s, s^2, t, t^2, t^3, 1] (t in hundredths).
    const batch = batchOf([
      [0, 0, 0, 0, 0],
      [0, 0, 0],
    ]);
    const w = [0.7, -1.2, 3, -2, 5, 0.4];
    const targets = new Float32Array(batch.rewards.length);
    for (let e = 0; e < 2; e += 1) {
      for (let t = 0; t < batch.lengths[e]!; t += 1) {
        const index = batch.offsets[e]! + t;
        const s = batch.observations[index]!;
        const time = t / 100;
        targets[index] =
          w[0]! * s + w[1]! * s * s + w[2]! * time + w[3]! * time ** 2 + w[4]! * time ** 3 + w[5]!;
      }
    }
    const { values } = fitLinearBaseline(batch, targets, { regularisation: 1e-12 });
    values.forEach((v, i) => {
      expect(v).toBeCloseTo(targets[i]!, 3);
    });
  });
});

describe('policy architecture', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it("describes each MLP policy's network, head and parameter names as init() lays them out", () => {
    const gaussian = createGaussianMlpPolicy({
      observationSize: 3,
      actionSize: 2,
      hiddenSizes: [5, 4],
      activation: 'relu',
    });
    const categorical = createCategoricalMlpPolicy({ observationSize: 4, actions: 3, hiddenSizes: [6] });
    expect(gaussian.architecture).toEqual({
      network: 'mlp',
      layerSizes: [3, 5, 4, 2],
      activation: 'relu',
      layerNames: ['hidden0', 'hidden1', 'output'],
      distribution: 'diagonal-gaussian',
      parameterNames: { network: 'mean', logStd: 'logStd' },
    });
    expect(categorical.architecture?.distribution).toBe('categorical');
    expect(categorical.architecture?.layerSizes).toEqual([4, 6, 3]);
    for (const policy of [gaussian, categorical]) {
      const architecture = policy.architecture!;
      const params = policy.init(createRng(0));
      const shapes = Object.fromEntries(listLeaves(params).map((leaf) => [leaf.path, leaf.tensor.shape]));
      const { network, logStd } = architecture.parameterNames;
      architecture.layerNames.forEach((name, i) => {
        const [input, output] = [architecture.layerSizes[i]!, architecture.layerSizes[i + 1]!];
        expect(shapes[`${network}/${name}/weight`]).toEqual([input, output]);
        expect(shapes[`${network}/${name}/bias`]).toEqual([output]);
      });
      const described = architecture.layerNames.length * 2 + (logStd === undefined ? 0 : 1);
      expect(Object.keys(shapes)).toHaveLength(described); // nothing undescribed
      if (logStd !== undefined) expect(shapes[logStd]).toEqual([policy.actionSize]);
      disposeParams(params);
    }
  });
});

describe('sampling', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('collects whole episodes of every task in one batched pass, reproducible by single envs', () => {
    const navigation = navigation2dDistribution();
    const tasks = navigation.sampleTasks(3, { seed: 0 });
    const perTask = 2;
    const envTasks = tasks.flatMap((t) => Array.from({ length: perTask }, () => t));
    const env = navigation.makeVectorEnv(envTasks, { autoresetMode: 'disabled' });
    const policy = createGaussianMlpPolicy({ observationSize: 2, actionSize: 2, hiddenSizes: [8] });
    const params = policy.init(createRng(0));
    const before = tf.memory().numTensors;
    const batch = collectEpisodes(env, createPolicyAgent(policy, params), {
      episodesPerEnv: 2,
      rng: createRng(1),
      seed: 5,
      tasks: 3,
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(batch.lengths.length).toBe(12);
    expect(Array.from(batch.taskIndex)).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
    expect(batch.agentInfo.logProb!.length).toBe(batch.rewards.length);
    // Replaying each episode's actions in a single environment gives the same rewards.
    for (let e = 0; e < 12; e += 1) {
      const single = navigation.makeEnv(tasks[batch.taskIndex[e]!]!);
      single.reset();
      const start = batch.offsets[e]!;
      for (let t = 0; t < batch.lengths[e]!; t += 1) {
        const result = single.step(batch.actions.slice((start + t) * 2, (start + t + 1) * 2));
        expect(Math.fround(result.reward)).toBe(batch.rewards[start + t]);
        expect(result.terminated || result.truncated).toBe(t === batch.lengths[e]! - 1);
      }
    }
    expect(() =>
      collectEpisodes(navigation.makeVectorEnv(tasks), createPolicyAgent(policy, params), {
        episodesPerEnv: 1,
        rng: createRng(0),
      }),
    ).toThrow(/autoresetMode 'disabled'/);
    disposeParams(params);
  });

  it('a task-batched agent samples every task with its own parameters', () => {
    const policy = createGaussianMlpPolicy({
      observationSize: 2,
      actionSize: 2,
      hiddenSizes: [4],
      initialStd: 1e-3,
    });
    const a = policy.init(createRng(1));
    const b = policy.init(createRng(2));
    const stacked = { mean: { ...(a.mean as ParamTree) }, logStd: a.logStd } as ParamTree;
    const batched: ParamTree = {
      mean: Object.fromEntries(
        Object.keys(a.mean as ParamTree).map((layer) => [
          layer,
          {
            weight: tf.stack([
              ((a.mean as ParamTree)[layer] as ParamTree).weight as tf.Tensor,
              ((b.mean as ParamTree)[layer] as ParamTree).weight as tf.Tensor,
            ]),
            bias: tf.stack([
              ((a.mean as ParamTree)[layer] as ParamTree).bias as tf.Tensor,
              ((b.mean as ParamTree)[layer] as ParamTree).bias as tf.Tensor,
            ]),
          },
        ]),
      ),
      logStd: tf.stack([a.logStd as tf.Tensor, b.logStd as tf.Tensor]),
    };
    const observations = Float32Array.of(0.1, 0.2, 0.3, -0.4);
    const together = createPolicyAgent(policy, batched, { tasks: 2, deterministic: true }).act(
      observations,
      createEnvRng(0),
    );
    const first = createPolicyAgent(policy, stacked, { deterministic: true }).act(
      observations.slice(0, 2),
      createEnvRng(0),
    );
    const second = createPolicyAgent(policy, b, { deterministic: true }).act(
      observations.slice(2),
      createEnvRng(0),
    );
    Array.from(together.actions).forEach((v, i) => {
      expect(v).toBeCloseTo([...first.actions, ...second.actions][i]!, 5);
    });
  });
});

describe('policy-gradient math', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('PPO clipping equals a hand computation', () => {
    // A 1-D Gaussian policy with a constant mean (no hidden layer): log pi known in closed form.
    const policy = createGaussianMlpPolicy({ observationSize: 1, actionSize: 1, hiddenSizes: [] });
    const params: ParamTree = {
      policy: {
        mean: { output: { weight: tf.zeros([1, 1]), bias: tf.tensor1d([0.5]) } },
        logStd: tf.tensor1d([0]),
      },
    };
    const actions = [0.0, 1.5];
    const logPi = actions.map((x) => -0.5 * (x - 0.5) ** 2 - 0.5 * Math.log(2 * Math.PI));
    const oldLogProb = [logPi[0]! - Math.log(1.5), logPi[1]! - Math.log(0.5)]; // ratios 1.5 and 0.5
    const advantages = [2, -1];
    const terms = ppoLoss(
      policy,
      undefined,
      params,
      {
        observations: tf.zeros([2, 1]),
        actions: tf.tensor2d(actions, [2, 1]),
        advantages: tf.tensor1d(advantages),
        oldLogProb: tf.tensor1d(oldLogProb),
      },
      { clipRange: 0.2 },
    );
    // sample 0: min(1.5 * 2, 1.2 * 2) = 2.4; sample 1: min(0.5 * -1, 0.8 * -1) = -0.8
    expect(terms.policyLoss.dataSync()[0]).toBeCloseTo(-(2.4 - 0.8) / 2, 5);
    expect(terms.clipFraction.dataSync()[0]).toBeCloseTo(1, 6);
  });

  it("TRPO's Fisher-vector product (exact HVP of the KL) matches float64 finite differences", () => {
    // Linear Gaussian policy mean = W s + b with log-std; KL(old || new) averaged over 6 states.
    const states = [0.3, -1.2, 0.8, 0.1, -0.5, 1.4, 0.9, -0.2, 0.0, 0.6, -1.0, 0.4];
    const policy = createGaussianMlpPolicy({ observationSize: 2, actionSize: 2, hiddenSizes: [] });
    const old = policy.init(createRng(3));
    const theta = unflattenParams(
      old,
      Float32Array.from(flattenParams(old), (v, i) => v + 0.1 * Math.sin(i + 1)),
    );
    const observations = tf.tensor2d(states, [6, 2]);
    const oldDistribution = policy.apply(old, observations) as DiagonalGaussian;
    const kl = (p: ParamTree) =>
      tf.tidy(() => tf.mean(oldDistribution.kl(policy.apply(p, observations))) as tf.Scalar);
    const v = Float32Array.from({ length: 8 }, (_x, i) => Math.cos(i));
    const product = hessianVectorProduct(kl, theta, unflattenParams(theta, v));
    const oldFlat = Float64Array.from(flattenParams(old));
    const klReference = (flat: Float64Array) => {
      // sorted leaves: logStd [2], mean/output/bias [2], mean/output/weight [2, 2]
      const logStdOld = [oldFlat[0]!, oldFlat[1]!];
      let total = 0;
      for (let n = 0; n < 6; n += 1) {
        for (let d = 0; d < 2; d += 1) {
          const meanOf = (f: Float64Array) =>
            f[2 + d]! + states[2 * n]! * f[4 + d]! + states[2 * n + 1]! * f[6 + d]!;
          const mu1 = meanOf(oldFlat);
          const mu2 = meanOf(flat);
          const s1 = logStdOld[d]!;
          const s2 = flat[d]!;
          total += s2 - s1 + (Math.exp(2 * s1) + (mu1 - mu2) ** 2) / (2 * Math.exp(2 * s2)) - 0.5;
        }
      }
      return total / 6;
    };
    const numeric = numericHessianVectorProduct(
      klReference,
      Float64Array.from(flattenParams(theta)),
      Float64Array.from(v),
      1e-4,
    );
    expect(relativeError(flattenParams(product), numeric)).toBeLessThan(1e-4);
  });

  it('conjugate gradient solves a symmetric positive-definite system', () => {
    const a = [4, 1, 0, 1, 3, 1, 0, 1, 2];
    const product = (x: Float64Array) =>
      Float64Array.from([0, 1, 2], (i) => a[3 * i]! * x[0]! + a[3 * i + 1]! * x[1]! + a[3 * i + 2]! * x[2]!);
    const x = conjugateGradient(product, Float64Array.of(1, 2, 3), 10);
    const ax = product(x);
    [1, 2, 3].forEach((b, i) => {
      expect(ax[i]).toBeCloseTo(b, 8);
    });
  });
});

describe('TRPO objective', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('freezes the old policy: the KL has zero gradient at the old parameters and a Fisher-like (positive) curvature, so a tiny damping still steps', async () => {
    const {
      createTrpoObjective,
      trpoStep,
      gradients: gradientsOf,
      discountedReturns: returnsOf,
      fitLinearBaseline: fit,
      normalizeAdvantages: normalise,
    } = await import('../src/index');
    const navigation = navigation2dDistribution();
    const tasks = navigation.sampleTasks(2, { seed: 4 }).flatMap((t) => [t, t, t]);
    const policy = createGaussianMlpPolicy({ observationSize: 2, actionSize: 2, hiddenSizes: [16] });
    const params = policy.init(createRng(0));
    const env = navigation.makeVectorEnv(tasks, { autoresetMode: 'disabled' });
    const batch = collectEpisodes(env, createPolicyAgent(policy, params), {
      episodesPerEnv: 1,
      rng: createRng(1),
      seed: 0,
      tasks: 2,
    });
    const baseline = fit(batch, returnsOf(batch, 0.99));
    const { advantages } = generalizedAdvantages(batch, baseline.values, { gamma: 0.99, lambda: 1 });
    const objective = createTrpoObjective(policy, params, batch, normalise(advantages));
    const klGradient = flattenParams(gradientsOf(objective.kl, params));
    expect(Math.max(...Array.from(klGradient, Math.abs))).toBeLessThan(1e-6);
    const before = tf.memory().numTensors;
    const result = trpoStep(params, objective.loss, objective.kl, { damping: 1e-5 });
    expect(result.metrics['trpo/accepted']).toBe(1);
    expect(result.metrics['trpo/lossAfter']!).toBeLessThan(result.metrics['trpo/lossBefore']!);
    expect(result.metrics['trpo/kl']!).toBeLessThanOrEqual(0.01);
    disposeParams(result.params);
    expect(tf.memory().numTensors).toBe(before);
    objective.dispose();
    disposeParams(params);
  });
});
