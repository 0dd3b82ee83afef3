import {
  broadcastParams,
  cloneParams,
  collectEpisodes,
  createCategoricalMlpPolicy,
  createGaussianMlpPolicy,
  createPolicyAgent,
  createRng,
  disposeParams,
  disposeTaskBatch,
  type EpisodeBatch,
  evaluateMetaLearner,
  flattenParams,
  hessianVectorProduct,
  innerStep,
  listLeaves,
  mapParams,
  type ParamTree,
  type Policy,
  type TaskBatch,
  taskAdvantages,
  tf,
  toTaskBatch,
  trpoStep,
  useBackend,
  valueAndGradients,
} from '@metarl/core';
import { checkMetaLearner } from '@metarl/core/testing';
import { makeTaskDistribution } from '@metarl/envs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createAutodiffCurvature,
  createMaml,
  createMamlObjective,
  curvatureOf,
  type MamlObjective,
  type PolicyCurvature,
} from '../src/index';
import { resolveMamlSettings } from '../src/maml-config';

const navigation = makeTaskDistribution('Navigation2D-v1');

/** A hand-made batch: task 0 has episodes of 3 and 2 steps, task 1 one of 4. */
function handMadeBatch(): EpisodeBatch {
  const lengths = Int32Array.of(3, 2, 4);
  const steps = 9;
  const rng = createRng(5);
  return {
    observationSize: 2,
    actionSize: 2,
    observations: Float32Array.from(rng.normal(steps * 2)),
    actions: Float32Array.from(rng.normal(steps * 2)),
    rewards: new Float32Array(steps),
    terminated: new Uint8Array(steps),
    truncated: new Uint8Array(steps),
    lengths,
    offsets: Int32Array.of(0, 3, 5),
    envIndex: Int32Array.of(0, 1, 2),
    taskIndex: Int32Array.of(0, 0, 1),
    finalObservations: new Float32Array(6),
    agentInfo: {},
  };
}

/** Sampled meta-batch pieces on Navigation2D for objective-level tests. */
function sampleObjectiveInputs(hiddenSizes: number[], innerStepSize: number, seed: number) {
  const policy = createGaussianMlpPolicy({ observationSize: 2, actionSize: 2, hiddenSizes, initialStd: 0.5 });
  const rng = createRng(seed);
  const meta: ParamTree = { policy: policy.init(rng) };
  const tasks = navigation.sampleTasks(2, { seed });
  const env = navigation.makeVectorEnv([tasks[0]!, tasks[0]!, tasks[1]!, tasks[1]!], {
    autoresetMode: 'disabled',
  });
  const advantages = { gamma: 0.99, lambda: 1 };
  const start = broadcastParams(meta.policy as ParamTree, 2);
  const first = collectEpisodes(env, createPolicyAgent(policy, start, { tasks: 2 }), {
    episodesPerEnv: 1,
    rng,
    seed,
    tasks: 2,
  });
  const train = toTaskBatch(first, taskAdvantages(first, advantages), 'continuous');
  const inner = { innerStepSize, firstOrder: false };
  const phi = tf.tidy(
    () => innerStep(policy, start, train, inner) as unknown as tf.TensorContainer,
  ) as unknown as ParamTree;
  const second = collectEpisodes(env, createPolicyAgent(policy, phi, { tasks: 2 }), {
    episodesPerEnv: 1,
    rng,
    tasks: 2,
  });
  const valid = toTaskBatch(second, taskAdvantages(second, advantages), 'continuous');
  disposeParams(start);
  return { policy, meta, train, valid, phi };
}

/** `policy` without its `architecture`: a policy `curvatureOf` does not know. */
function opaque(policy: Policy): Policy {
  return { ...policy, architecture: undefined };
}

/** The curvature objective's two sources: the MLP policy's cached curvature, and autodiff for a policy maml does not know. */
const curvatureKinds = {
  cached: (policy: Policy) => ({ policy, curvature: curvatureOf(policy)! }),
  autodiff: (policy: Policy) => {
    const unknown = opaque(policy);
    expect(curvatureOf(unknown)).toBeUndefined();
    return { policy: unknown, curvature: createAutodiffCurvature(unknown) };
  },
};

/** TRPO's metrics that two equal outer steps share to float rounding (relative to at least 1e-3). */
const COMPARED_METRICS = [
  'trpo/lossBefore',
  'trpo/lossAfter',
  'trpo/kl',
  'trpo/curvature',
  'trpo/stepFraction',
];

function scalar(t: tf.Tensor): number {
  const v = t.dataSync()[0]!;
  t.dispose();
  return v;
}

describe('MAML for reinforcement learning', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('the second-order meta-gradient matches finite differences; the first-order one does not', () => {
    const { policy, meta, train, valid, phi } = sampleObjectiveInputs([4], 0.5, 11);
    const objectiveOf = (firstOrder: boolean) =>
      createMamlObjective(policy, [train], valid, phi, { innerStepSize: 0.5, firstOrder });
    const exact = objectiveOf(false);
    const firstOrder = objectiveOf(true);
    const gradientOf = (objective: typeof exact) => {
      const { value, gradients } = valueAndGradients(objective.loss, meta);
      value.dispose();
      const flat = flattenParams(gradients);
      disposeParams(gradients);
      return flat;
    };
    const secondOrderGradient = gradientOf(exact);
    const firstOrderGradient = gradientOf(firstOrder);
    const rng = createRng(4);
    const errors = { secondOrder: 0, firstOrder: 0 };
    for (let trial = 0; trial < 3; trial += 1) {
      const direction = Float32Array.from(rng.normal(secondOrderGradient.length));
      const along = (epsilon: number) => {
        let offset = 0;
        const shifted = (sign: number) =>
          mapParams(meta, (p) => {
            const values = p.dataSync().map((v, i) => v + sign * epsilon * direction[offset + i]!);
            offset += p.size;
            return tf.tensor(values, p.shape);
          });
        const plus = shifted(1);
        offset = 0;
        const minus = shifted(-1);
        const difference = (scalar(exact.loss(plus)) - scalar(exact.loss(minus))) / (2 * epsilon);
        disposeParams(plus);
        disposeParams(minus);
        return difference;
      };
      // Richardson extrapolation of two central differences: O(epsilon^4) truncation error.
      const numeric = (4 * along(0.005) - along(0.01)) / 3;
      const dot = (g: Float32Array) => g.reduce((s, v, i) => s + v * direction[i]!, 0);
      const scale = Math.max(Math.abs(numeric), 1e-3);
      errors.secondOrder = Math.max(errors.secondOrder, Math.abs(dot(secondOrderGradient) - numeric) / scale);
      errors.firstOrder = Math.max(errors.firstOrder, Math.abs(dot(firstOrderGradient) - numeric) / scale);
    }
    console.log(
      `meta-gradient vs finite differences: second order ${errors.secondOrder.toExponential(2)}, first order ${errors.firstOrder.toExponential(2)}`,
    );
    expect(errors.secondOrder).toBeLessThan(1e-3);
    expect(errors.firstOrder).toBeGreaterThan(2e-2);
    for (const objective of [exact, firstOrder]) objective.dispose();
    disposeParams(meta);
    disposeParams(phi);
    for (const batch of [train, valid] as TaskBatch[]) disposeTaskBatch(batch);
  });

  it('the KL of the objective is zero with zero gradient at the old parameters', () => {
    const { policy, meta, train, valid, phi } = sampleObjectiveInputs([4], 0.1, 12);
    const objective = createMamlObjective(policy, [train], valid, phi, {
      innerStepSize: 0.1,
      firstOrder: false,
    });
    const { value, gradients } = valueAndGradients(objective.kl, meta);
    expect(Math.abs(scalar(value))).toBeLessThan(1e-6);
    expect(Math.max(...flattenParams(gradients).map(Math.abs))).toBeLessThan(1e-5);
    disposeParams(gradients);
    objective.dispose();
    disposeParams(meta);
    disposeParams(phi);
    disposeTaskBatch(train);
    disposeTaskBatch(valid);
  });

  for (const [kind, curvatureFor] of Object.entries(curvatureKinds))
    it(`the curvature objective (${kind}): its J^T F J Fisher-vector product equals the exact Hessian-vector product of the KL`, () => {
      for (const firstOrder of [false, true]) {
        const inputs = sampleObjectiveInputs([6], 0.5, 13);
        const { meta, train, valid, phi } = inputs;
        const { policy, curvature } = curvatureFor(inputs.policy);
        const objective = createMamlObjective(policy, [train], valid, phi, {
          innerStepSize: 0.5,
          firstOrder,
          curvature,
        });
        const rng = createRng(9);
        const vector = mapParams(meta, (p) => tf.tensor(rng.normal(p.size), p.shape));
        const exact = flattenParams(hessianVectorProduct(objective.kl, meta, vector));
        const fast = flattenParams(objective.fisherVectorProduct(meta, vector));
        let difference = 0;
        let norm = 0;
        exact.forEach((v, i) => {
          difference += (v - fast[i]!) ** 2;
          norm += v * v;
        });
        expect(Math.sqrt(difference / norm)).toBeLessThan(1e-5);
        expect(norm).toBeGreaterThan(0);
        objective.dispose();
        for (const tree of [meta, phi, vector]) disposeParams(tree);
        disposeTaskBatch(train);
        disposeTaskBatch(valid);
      }
    });

  it('the curvature objective takes one train batch and no clip range', () => {
    const { policy, meta, train, valid, phi } = sampleObjectiveInputs([4], 0.5, 14);
    const curvature = curvatureOf(policy)!;
    expect(() =>
      createMamlObjective(policy, [train, train], valid, phi, {
        innerStepSize: 0.5,
        firstOrder: false,
        curvature,
      }),
    ).toThrow(/one train batch and no clipRange \(TRPO\), got 2 and undefined/);
    expect(() =>
      createMamlObjective(policy, [train], valid, phi, {
        innerStepSize: 0.5,
        firstOrder: false,
        clipRange: 0.2,
        curvature,
      }),
    ).toThrow(/got 1 and 0.2/);
    for (const tree of [meta, phi]) disposeParams(tree);
    disposeTaskBatch(train);
    disposeTaskBatch(valid);
  });

  for (const [kind, curvatureFor] of Object.entries(curvatureKinds))
    it(`the curvature objective's (${kind}) gradient and line-search values equal the generic ones`, () => {
      const relative = (a: Float32Array | number[], b: Float32Array | number[]) => {
        let difference = 0;
        let norm = 0;
        b.forEach((v, i) => {
          difference += (v - a[i]!) ** 2;
          norm += v * v;
        });
        expect(norm).toBeGreaterThan(0);
        return Math.sqrt(difference / norm);
      };
      for (const firstOrder of [false, true]) {
        const inputs = sampleObjectiveInputs([6], 0.5, 21);
        const { meta, train, valid, phi } = inputs;
        const { policy, curvature } = curvatureFor(inputs.policy);
        const objective = createMamlObjective(policy, [train], valid, phi, {
          innerStepSize: 0.5,
          firstOrder,
          curvature,
        });
        const generic = valueAndGradients(objective.loss, meta);
        const fast = objective.lossAndGradient(meta);
        expect(Math.abs(fast.value.dataSync()[0]! - generic.value.dataSync()[0]!)).toBeLessThan(1e-6);
        expect(relative(flattenParams(fast.gradients), flattenParams(generic.gradients))).toBeLessThan(1e-5);
        // Away from the old parameters too (a line-search candidate).
        const rng = createRng(4);
        const moved = {
          policy: mapParams(meta.policy as ParamTree, (p) =>
            tf.add(p, tf.mul(tf.tensor(rng.normal(p.size), p.shape), 0.05)),
          ),
        };
        const [loss, kl] = objective.lossAndKl(moved);
        const expected = [objective.loss(moved), objective.kl(moved)];
        expect(
          relative(
            [loss.dataSync()[0]!, kl.dataSync()[0]!],
            expected.map((t) => t.dataSync()[0]!),
          ),
        ).toBeLessThan(1e-5);
        expect(kl.dataSync()[0]!).toBeGreaterThan(0);
        tf.dispose([fast.value, generic.value, loss, kl, ...expected]);
        for (const tree of [fast.gradients, generic.gradients, moved, meta, phi]) disposeParams(tree);
        objective.dispose();
        disposeTaskBatch(train);
        disposeTaskBatch(valid);
      }
    });

  it("a policy maml does not know: the autodiff curvature objective's TRPO step equals the autodiff objective's", () => {
    const before = tf.memory().numTensors;
    const inputs = sampleObjectiveInputs([6], 0.5, 22);
    const { meta, train, valid, phi } = inputs;
    const policy = opaque(inputs.policy);
    // Five conjugate-gradient iterations: the 10 of the default, past the Krylov space of this
    // small network, amplify float rounding in the Fisher products to percent differences.
    const trpo = {
      ...resolveMamlSettings({ distribution: navigation, policy }).trpo,
      conjugateGradientIterations: 5,
    };
    const objectiveOf = (curvature?: PolicyCurvature, firstOrder = false) =>
      createMamlObjective(policy, [train], valid, phi, {
        innerStepSize: 0.5,
        firstOrder,
        ...(curvature === undefined ? {} : { curvature }),
      });
    /** The learner's outer step (`maml.ts`): core's TRPO on the objective's functions. */
    const outerStep = (objective: MamlObjective, fisherVectorProduct = objective.fisherVectorProduct) => {
      const { params, metrics } = trpoStep(meta, objective.loss, objective.kl, {
        ...trpo,
        fisherVectorProduct,
        lossAndKl: objective.lossAndKl,
        lossAndGradient: objective.lossAndGradient,
      });
      const values = flattenParams(params);
      disposeParams(params);
      return { values, metrics };
    };
    const [withCurvature, autodiffObjective, firstOrder] = [
      objectiveOf(createAutodiffCurvature(policy)),
      objectiveOf(),
      objectiveOf(createAutodiffCurvature(policy), true),
    ];
    const curvature = outerStep(withCurvature);
    const autodiff = outerStep(autodiffObjective);
    // A Fisher product that forgets the adaptation's Jacobian (J = I) moves TRPO's step: the comparison can fail.
    const wrong = outerStep(withCurvature, firstOrder.fisherVectorProduct);
    const relative = (step: typeof autodiff, key: string) =>
      Math.abs(step.metrics[key]! - autodiff.metrics[key]!) /
      Math.max(Math.abs(autodiff.metrics[key]!), 1e-3);
    for (const key of COMPARED_METRICS) expect(relative(curvature, key)).toBeLessThan(1e-4);
    expect(curvature.metrics['trpo/accepted']).toBe(1);
    expect(relative(wrong, 'trpo/curvature')).toBeGreaterThan(1e-2);
    const start = flattenParams(meta);
    const largest = (values: Float32Array, other: Float32Array) =>
      Math.max(...values.map((v, i) => Math.abs(v - other[i]!)));
    expect(largest(curvature.values, autodiff.values)).toBeLessThan(1e-3 * largest(autodiff.values, start));
    expect(largest(wrong.values, autodiff.values)).toBeGreaterThan(1e-2 * largest(autodiff.values, start));
    for (const objective of [withCurvature, autodiffObjective, firstOrder]) objective.dispose();
    for (const tree of [meta, phi]) disposeParams(tree);
    disposeTaskBatch(train);
    disposeTaskBatch(valid);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("a policy maml does not know takes the same meta-training step as core's MLP policy", async () => {
    const policy = createGaussianMlpPolicy({ observationSize: 2, actionSize: 2, hiddenSizes: [8] });
    const tasks = navigation.sampleTasks(3, { seed: 5 });
    const step = async (stepPolicy: Policy) => {
      const before = tf.memory().numTensors;
      const maml = createMaml({
        distribution: navigation,
        policy: stepPolicy,
        episodesPerTask: 3,
        seed: 2,
        trpo: { conjugateGradientIterations: 5 }, // see the test above
      });
      const start = flattenParams(maml.parameters());
      const metrics = await maml.metaTrainStep(tasks, createRng(8));
      const values = flattenParams(maml.parameters());
      maml.dispose();
      expect(tf.memory().numTensors).toBe(before);
      return { metrics, start, values };
    };
    const cached = await step(policy);
    const autodiff = await step(opaque(policy));
    for (const key of COMPARED_METRICS)
      expect(Math.abs(autodiff.metrics[key]! - cached.metrics[key]!)).toBeLessThan(
        1e-4 * Math.max(Math.abs(cached.metrics[key]!), 1e-3),
      );
    expect(autodiff.metrics['metaTrain/returnAfter']).toBe(cached.metrics['metaTrain/returnAfter']);
    const largest = (values: Float32Array, other: Float32Array) =>
      Math.max(...values.map((v, i) => Math.abs(v - other[i]!)));
    expect(largest(autodiff.values, cached.values)).toBeLessThan(1e-3 * largest(cached.values, cached.start));
  });

  it('passes checkMetaLearner with TRPO, with PPO and with Meta-SGD', async () => {
    const policy = createGaussianMlpPolicy({ observationSize: 2, actionSize: 2, hiddenSizes: [8] });
    for (const options of [
      {},
      { outerOptimizer: 'ppo' as const, ppo: { epochs: 2 } },
      { learnInnerStepSizes: true },
    ]) {
      const passed = await checkMetaLearner(
        () => createMaml({ distribution: navigation, policy, episodesPerTask: 2, seed: 1, ...options }),
        navigation,
      );
      expect(passed).toHaveLength(6);
    }
  });

  it('Meta-SGD learns its step sizes; first-order and second-order MAML take different steps', async () => {
    const policy = createGaussianMlpPolicy({ observationSize: 2, actionSize: 2, hiddenSizes: [8] });
    const tasks = navigation.sampleTasks(3, { seed: 2 });
    const step = async (options: Parameters<typeof createMaml>[0]) => {
      const maml = createMaml(options);
      await maml.metaTrainStep(tasks, createRng(7));
      const params = Object.fromEntries(
        listLeaves(maml.parameters()).map((l) => [l.path, l.tensor.dataSync()]),
      );
      maml.dispose();
      return params;
    };
    const base = { distribution: navigation, policy, episodesPerTask: 4, seed: 3, innerStepSize: 0.5 };
    const metaSgd = await step({ ...base, learnInnerStepSizes: true });
    const stepSizes = Object.entries(metaSgd).filter(([path]) => path.startsWith('stepSizes/'));
    expect(stepSizes.length).toBeGreaterThan(0);
    expect(stepSizes.some(([, values]) => values.some((v) => Math.abs(v - 0.5) > 1e-6))).toBe(true);
    const second = await step(base);
    const first = await step({ ...base, firstOrder: true });
    const difference = Object.keys(second).reduce(
      (max, path) => Math.max(max, ...second[path]!.map((v, i) => Math.abs(v - first[path]![i]!))),
      0,
    );
    expect(difference).toBeGreaterThan(1e-4);
  });

  it('rejects bad configurations, empty meta-batches, mismatched policies and foreign agents', async () => {
    const policy = createGaussianMlpPolicy({ observationSize: 2, actionSize: 2, hiddenSizes: [4] });
    expect(() => createMaml({ distribution: navigation, policy, innerStepSize: -0.1 })).toThrow(
      /createMaml: innerStepSize must be a finite number > 0, got -0.1/,
    );
    expect(() => createMaml({ distribution: navigation, policy, episodesPerTask: 0 })).toThrow(
      /createMaml: episodesPerTask must be an integer >= 1, got 0/,
    );
    expect(() => createMaml({ distribution: navigation, policy, trpo: { maxKl: 0 } })).toThrow(/trpo.maxKl/);
    const wide = createGaussianMlpPolicy({ observationSize: 2, actionSize: 3, hiddenSizes: [4] });
    expect(() => createMaml({ distribution: navigation, policy: wide })).toThrow(
      /the policy's actions are Box of size 3 but Navigation2D-v1's action space is Box of size 2/,
    );
    const discrete = createCategoricalMlpPolicy({ observationSize: 2, actions: 4, hiddenSizes: [4] });
    expect(() => createMaml({ distribution: navigation, policy: discrete })).toThrow(/Discrete\(4\)/);
    const maml = createMaml({ distribution: navigation, policy, episodesPerTask: 1 });
    await expect(maml.metaTrainStep([], createRng(0))).rejects.toThrow(/tasks must be a non-empty array/);
    const foreign = createPolicyAgent(policy, maml.parameters().policy as ParamTree);
    expect(() => maml.adapt(foreign, handMadeBatch())).toThrow(/not made by this learner/);
    maml.dispose();
  });

  it('fromCheckpoint refuses a checkpoint of another inner step size or policy, naming each difference', async () => {
    const policy = createGaussianMlpPolicy({ observationSize: 2, actionSize: 2, hiddenSizes: [4] });
    const original = createMaml({ distribution: navigation, policy, episodesPerTask: 1 });
    const checkpoint = await original.toCheckpoint();
    expect(checkpoint.setup?.distribution).toEqual({ id: 'Navigation2D-v1', parameters: {} });
    expect(checkpoint.setup?.policy).toMatchObject({ architecture: { layerSizes: [2, 4, 2] } });
    const wider = createGaussianMlpPolicy({ observationSize: 2, actionSize: 2, hiddenSizes: [8] });
    const changed = createMaml({
      distribution: navigation,
      policy: wider,
      episodesPerTask: 1,
      innerStepSize: 0.05,
    });
    await expect(changed.fromCheckpoint(checkpoint)).rejects.toThrow(
      "maml.fromCheckpoint: cannot resume from the checkpoint at step 0: it differs from this run in 2 settings: config.innerStepSize 0.1 (checkpoint) vs 0.05 (now); policy.architecture.layerSizes [2,4,2] (checkpoint) vs [2,8,2] (now); to resume anyway, pass allowChanges: ['config.innerStepSize', 'policy.architecture.layerSizes']",
    );
    const sameShape = createMaml({
      distribution: navigation,
      policy,
      episodesPerTask: 1,
      innerStepSize: 0.05,
    });
    await sameShape.fromCheckpoint(
      { ...checkpoint, params: cloneParams(checkpoint.params) },
      { allowChanges: ['config.innerStepSize'] },
    );
    expect(Array.from(flattenParams(sameShape.parameters()))).toEqual(
      Array.from(flattenParams(original.parameters())),
    );
    original.dispose();
    changed.dispose();
    sameShape.dispose();
  });

  it('learns Navigation2D: adapted returns beat pre-adaptation and the untrained policy (fixed seed)', async () => {
    await useBackend('wasm');
    const policy = createGaussianMlpPolicy({ observationSize: 2, actionSize: 2, hiddenSizes: [32, 32] });
    const maml = createMaml({ distribution: navigation, policy, episodesPerTask: 5, seed: 1 });
    const protocol = { tasks: 20, episodesPerTask: 10, seed: 100 };
    const untrained = evaluateMetaLearner(maml, navigation, protocol);
    const rng = createRng(2);
    for (let iteration = 0; iteration < 20; iteration += 1)
      await maml.metaTrainStep(navigation.sampleTasks(8, { seed: rng.nextSeed() }), rng);
    const trained = evaluateMetaLearner(maml, navigation, protocol);
    maml.dispose();
    const [before, after] = trained.steps;
    console.log(
      `Navigation2D after 20 iterations: untrained ${untrained.steps[0]!.meanReturn.toFixed(1)} -> ${untrained.steps[1]!.meanReturn.toFixed(1)}, trained ${before!.meanReturn.toFixed(1)} -> ${after!.meanReturn.toFixed(1)}`,
    );
    expect(after!.meanReturn).toBeGreaterThan(before!.meanReturn + 10);
    expect(after!.meanReturn).toBeGreaterThan(untrained.steps[1]!.meanReturn + 50);
    await useBackend('cpu');
  });
});
