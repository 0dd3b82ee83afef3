import {
  cloneParams,
  createCategoricalMlpPolicy,
  createGaussianMlpPolicy,
  createRng,
  disposeParams,
  flattenParams,
  gradients,
  hessianVectorProduct,
  listLeaves,
  mapParams,
  type ParamTree,
  type Policy,
  stackParams,
  tf,
  useBackend,
} from '@metarl/core';
import { describe, expect, it } from 'vitest';
import { createAutodiffCurvature } from '../src/curvature/autodiff-curvature';
import {
  createCategoricalMlpCurvature,
  curvatureOf,
  type PolicyCurvature,
} from '../src/curvature/policy-curvature';

const GROUPS = 3;
const STEPS = 7;

/** Largest absolute difference relative to the largest magnitude of `expected`. */
function relativeError(actual: ParamTree, expected: ParamTree): number {
  const a = flattenParams(actual);
  const b = flattenParams(expected);
  expect(a.length).toBe(b.length);
  let difference = 0;
  let scale = 0;
  b.forEach((v, i) => {
    difference = Math.max(difference, Math.abs(a[i]! - v));
    scale = Math.max(scale, Math.abs(v));
  });
  expect(scale).toBeGreaterThan(1e-3); // the comparison is not between zeros
  return difference / scale;
}

function listShapes(tree: ParamTree): number[][] {
  return listLeaves(tree).map((leaf) => leaf.tensor.shape);
}

function randomLike(tree: ParamTree, seed: number): ParamTree {
  let offset = 0;
  return mapParams(tree, (x) => {
    offset += 1;
    return tf.randomNormal(x.shape, 0, 1, 'float32', seed + offset);
  });
}

/** Per-group params: independent initialisations stacked along a leading axis. */
function groupParams(policy: Policy, seed: number): ParamTree {
  const trees = Array.from({ length: GROUPS }, (_, g) => policy.init(createRng(seed + g)));
  const stacked = stackParams(trees);
  trees.forEach(disposeParams);
  // A log-std away from its initial zeros, so its terms are exercised.
  const logStd = stacked.logStd;
  if (!(logStd instanceof tf.Tensor)) return stacked;
  const moved = tf.randomUniform(logStd.shape, -0.5, 0.3, 'float32', seed);
  logStd.dispose();
  return { ...stacked, logStd: moved };
}

interface Case {
  name: string;
  policy: Policy;
  observations: (shape: number[]) => tf.Tensor;
  actions: (shape: number[]) => tf.Tensor;
}

const cases: Case[] = [
  {
    name: 'Gaussian MLP (tanh)',
    policy: createGaussianMlpPolicy({ observationSize: 3, actionSize: 2, hiddenSizes: [5, 4] }),
    observations: (shape) => tf.randomNormal([...shape, 3], 0, 1, 'float32', 11),
    actions: (shape) => tf.randomNormal([...shape, 2], 0, 1.5, 'float32', 12),
  },
  {
    name: 'Gaussian MLP (relu)',
    policy: createGaussianMlpPolicy({
      observationSize: 3,
      actionSize: 2,
      hiddenSizes: [6],
      activation: 'relu',
    }),
    observations: (shape) => tf.randomNormal([...shape, 3], 0, 1, 'float32', 13),
    actions: (shape) => tf.randomNormal([...shape, 2], 0, 1.5, 'float32', 14),
  },
  {
    name: 'categorical MLP (tanh)',
    policy: createCategoricalMlpPolicy({ observationSize: 4, actions: 3, hiddenSizes: [5, 5] }),
    observations: (shape) => tf.randomNormal([...shape, 4], 0, 1, 'float32', 15),
    actions: (shape) => tf.randomUniformInt(shape, 0, 3, 16),
  },
];

const weightedLogLikelihood =
  (policy: Policy, observations: tf.Tensor, actions: tf.Tensor, weights: tf.Tensor) => (params: ParamTree) =>
    tf.tidy(() => tf.sum(tf.mul(policy.apply(params, observations).logProb(actions), weights)) as tf.Scalar);

const weightedKl =
  (policy: Policy, observations: tf.Tensor, old: ParamTree, weights: tf.Tensor) => (params: ParamTree) =>
    tf.tidy(
      () =>
        tf.sum(
          tf.mul(policy.apply(old, observations).kl(policy.apply(params, observations)), weights),
        ) as tf.Scalar,
    );

/** The cached curvature of core's MLP policies and the autodiff curvature of any policy. */
const curvatures: Record<string, (policy: Policy) => PolicyCurvature> = {
  cached: (policy) => curvatureOf(policy)!,
  autodiff: createAutodiffCurvature,
};

for (const backend of ['cpu', 'wasm']) {
  describe(`policy curvature on ${backend}`, () => {
    for (const [kind, curvatureFor] of Object.entries(curvatures))
      for (const { name, policy, observations: makeObservations, actions: makeActions } of cases) {
        it(`${name}, ${kind}: per-group gradient, Hessian and Fisher products equal the generic ones`, async () => {
          await useBackend(backend);
          const before = tf.memory().numTensors;
          const params = groupParams(policy, 1);
          const observations = makeObservations([GROUPS, STEPS]);
          const actions = makeActions([GROUPS, STEPS]);
          const weights = tf.randomNormal([GROUPS, STEPS], 0, 1, 'float32', 17);
          const positive = tf.randomUniform([GROUPS, STEPS], 0.1, 1, 'float32', 18);
          const tangent = randomLike(params, 100);

          const linear = curvatureFor(policy).linearize(params, observations);
          // The cached distribution is the policy's own at these observations.
          const [cachedLogProb, logProb] = tf.tidy(() => [
            linear.distribution.logProb(actions).dataSync(),
            policy.apply(params, observations).logProb(actions).dataSync(),
          ]) as unknown as [Float32Array, Float32Array];
          cachedLogProb.forEach((v, i) => {
            expect(Math.abs(v - logProb[i]!)).toBeLessThan(1e-5);
          });
          const likelihood = linear.logLikelihood(actions, weights);
          const f = weightedLogLikelihood(policy, observations, actions, weights);
          const expectedGradient = gradients(f, params);
          expect(relativeError(likelihood.gradient, expectedGradient)).toBeLessThan(2e-5);
          const hessian = likelihood.hessianProduct(tangent);
          const expectedHessian = hessianVectorProduct(f, params, tangent);
          expect(relativeError(hessian, expectedHessian)).toBeLessThan(2e-4);
          const old = cloneParams(params);
          const fisher = linear.fisherProduct(tangent, positive);
          const expectedFisher = hessianVectorProduct(
            weightedKl(policy, observations, old, positive),
            params,
            tangent,
          );
          expect(relativeError(fisher, expectedFisher)).toBeLessThan(2e-4);

          // A wrong tangent direction changes the product (the comparison can fail).
          const other = randomLike(params, 200);
          const otherHessian = likelihood.hessianProduct(other);
          expect(relativeError(otherHessian, expectedHessian)).toBeGreaterThan(0.1);

          for (const tree of [
            expectedGradient,
            hessian,
            expectedHessian,
            old,
            fisher,
            expectedFisher,
            other,
            otherHessian,
            tangent,
            params,
          ])
            disposeParams(tree);
          likelihood.dispose();
          linear.dispose();
          expect(observations.isDisposed).toBe(false); // the caller's tensors stay the caller's
          expect(weights.isDisposed).toBe(false);
          tf.dispose([observations, actions, weights, positive]);
          expect(tf.memory().numTensors).toBe(before);
        });

        it(`${name}, ${kind}: shared params and tangent give each group's share of the whole product`, async () => {
          await useBackend(backend);
          const before = tf.memory().numTensors;
          const params = policy.init(createRng(3));
          const observations = makeObservations([GROUPS, STEPS]);
          const actions = makeActions([GROUPS, STEPS]);
          const weights = tf.randomNormal([GROUPS, STEPS], 0, 1, 'float32', 19);
          const tangent = randomLike(params, 300);
          const linear = curvatureFor(policy).linearize(params, observations);
          const likelihood = linear.logLikelihood(actions, weights);
          const perGroup = likelihood.hessianProduct(tangent);
          const leaves = flattenParams(perGroup);
          expect(leaves.length).toBe(GROUPS * flattenParams(params).length); // one product per group
          const summed = mapParams(perGroup, (x) => tf.sum(x, 0));
          const expected = hessianVectorProduct(
            weightedLogLikelihood(policy, observations, actions, weights),
            params,
            tangent,
          );
          expect(relativeError(summed, expected)).toBeLessThan(2e-4);

          // Ungrouped observations [N, O] give unbatched products.
          const flatObservations = tf.reshape(observations, [GROUPS * STEPS, -1]);
          const flatActions = tf.reshape(actions, [GROUPS * STEPS, ...actions.shape.slice(2)]);
          const flatWeights = tf.reshape(weights, [GROUPS * STEPS]);
          const flatLinear = curvatureFor(policy).linearize(params, flatObservations);
          const flatLikelihood = flatLinear.logLikelihood(flatActions, flatWeights);
          const flatProduct = flatLikelihood.hessianProduct(tangent);
          expect(relativeError(flatProduct, expected)).toBeLessThan(2e-4);
          const old = cloneParams(params);
          const positive = tf.abs(flatWeights);
          const flatFisher = flatLinear.fisherProduct(tangent, positive);
          const expectedFisher = hessianVectorProduct(
            weightedKl(policy, flatObservations, old, positive),
            params,
            tangent,
          );
          expect(relativeError(flatFisher, expectedFisher)).toBeLessThan(2e-4);

          for (const tree of [
            params,
            tangent,
            perGroup,
            summed,
            expected,
            flatProduct,
            old,
            flatFisher,
            expectedFisher,
          ])
            disposeParams(tree);
          likelihood.dispose();
          linear.dispose();
          flatLikelihood.dispose();
          flatLinear.dispose();
          tf.dispose([observations, actions, weights, flatObservations, flatActions, flatWeights, positive]);
          expect(tf.memory().numTensors).toBe(before);
        });
      }

    for (const { name, policy, observations: makeObservations, actions: makeActions } of cases) {
      it(`${name}: the autodiff curvature's products equal the cached ones, group by group`, async () => {
        await useBackend(backend);
        const before = tf.memory().numTensors;
        const shared = policy.init(createRng(7));
        const perGroup = groupParams(policy, 8);
        const observations = makeObservations([GROUPS, STEPS]);
        const actions = makeActions([GROUPS, STEPS]);
        const weights = tf.randomNormal([GROUPS, STEPS], 0, 1, 'float32', 41);
        const positive = tf.randomUniform([GROUPS, STEPS], 0.1, 1, 'float32', 42);
        const sharedTangent = randomLike(shared, 400);
        const groupTangent = randomLike(perGroup, 500);
        const flatObservations = tf.reshape(observations, [GROUPS * STEPS, -1]);
        const flatActions = tf.reshape(actions, [GROUPS * STEPS, ...actions.shape.slice(2)]);
        const flatWeights = tf.reshape(weights, [GROUPS * STEPS]);
        const flatPositive = tf.reshape(positive, [GROUPS * STEPS]);
        const grouped = { observations, actions, weights, positive };
        const flat = {
          observations: flatObservations,
          actions: flatActions,
          weights: flatWeights,
          positive: flatPositive,
        };
        // Shared or per-group params and tangents on grouped observations; shared ones on [N, O].
        const settings = [
          { params: shared, tangent: sharedTangent, data: grouped },
          { params: shared, tangent: groupTangent, data: grouped },
          { params: perGroup, tangent: sharedTangent, data: grouped },
          { params: perGroup, tangent: groupTangent, data: grouped },
          { params: shared, tangent: sharedTangent, data: flat },
        ];
        for (const { params, tangent, data } of settings) {
          const [cached, autodiff] = [curvatureOf(policy)!, createAutodiffCurvature(policy)].map((c) =>
            c.linearize(params, data.observations),
          );
          const [cachedLikelihood, autodiffLikelihood] = [cached!, autodiff!].map((linear) =>
            linear.logLikelihood(data.actions, data.weights),
          );
          const [cachedLogProb, autodiffLogProb] = [cached!, autodiff!].map((linear) =>
            tf.tidy(() => linear.distribution.logProb(data.actions)),
          );
          expect(autodiffLogProb!.shape).toEqual(cachedLogProb!.shape);
          const logProbDifference = tf.tidy(() => tf.max(tf.abs(tf.sub(autodiffLogProb!, cachedLogProb!))));
          expect(logProbDifference.dataSync()[0]).toBeLessThan(1e-5);
          logProbDifference.dispose();
          expect(relativeError(autodiffLikelihood!.gradient, cachedLikelihood!.gradient)).toBeLessThan(2e-5);
          const products = [cachedLikelihood!, autodiffLikelihood!].map((l) => l.hessianProduct(tangent));
          const fishers = [cached!, autodiff!].map((l) => l.fisherProduct(tangent, data.positive));
          // One product per group (unbatched on [N, O]), shaped alike.
          const leading = data === grouped ? [GROUPS] : [];
          expect(listShapes(products[1]!)).toEqual(listShapes(products[0]!));
          expect(listShapes(fishers[1]!)).toEqual(listShapes(fishers[0]!));
          expect(listShapes(fishers[1]!)).toEqual(listShapes(shared).map((shape) => [...leading, ...shape]));
          expect(relativeError(products[1]!, products[0]!)).toBeLessThan(2e-4);
          expect(relativeError(fishers[1]!, fishers[0]!)).toBeLessThan(2e-4);
          for (const tree of [...products, ...fishers]) disposeParams(tree);
          for (const disposable of [cachedLikelihood!, autodiffLikelihood!, cached!, autodiff!])
            disposable.dispose();
          tf.dispose([cachedLogProb!, autodiffLogProb!]);
        }
        for (const tree of [shared, perGroup, sharedTangent, groupTangent]) disposeParams(tree);
        tf.dispose([...Object.values(grouped), ...Object.values(flat)]);
        expect(tf.memory().numTensors).toBe(before);
      });
    }

    it('bad weights or actions get clear errors', async () => {
      await useBackend(backend);
      const policy = cases[0]!.policy;
      const params = policy.init(createRng(0));
      const observations = tf.zeros([GROUPS, STEPS, 3]);
      const linear = curvatureOf(policy)!.linearize(params, observations);
      const tangent = cloneParams(params);
      expect(() => linear.fisherProduct(tangent, tf.ones([STEPS]))).toThrow(/weights must be \[3, 7\]/);
      expect(() => linear.logLikelihood(tf.zeros([GROUPS, STEPS]), tf.ones([GROUPS, STEPS]))).toThrow(
        /actions must be \[3, 7, 2\]/,
      );
      expect(() => curvatureOf(policy)!.linearize({ mean: {} }, observations)).toThrow(/MLP/);
      const autodiff = createAutodiffCurvature(policy);
      const generic = autodiff.linearize(params, observations);
      expect(() => generic.fisherProduct(tangent, tf.ones([STEPS]))).toThrow(/weights must be \[3, 7\]/);
      for (const shape of [
        [GROUPS, 2],
        [GROUPS, STEPS, 2, 1],
        [GROUPS, STEPS, GROUPS, STEPS, 2],
      ])
        expect(() => generic.logLikelihood(tf.zeros(shape), tf.ones([GROUPS, STEPS]))).toThrow(
          `actions must be [3, 7, ...] with one log-probability per step, got [${shape.join(', ')}]`,
        );
      const mixed = { ...params, logStd: tf.zeros([GROUPS, 2]) };
      expect(() => autodiff.linearize(mixed, observations)).toThrow(
        /params must be shaped like the policy's params, all shared or all with a leading group axis/,
      );
      expect(() => autodiff.linearize(params, tf.zeros([3]))).toThrow(
        /observations must be \[N, O\] or \[G, N, O\], got \[3\]/,
      );
      generic.dispose();
      mixed.logStd.dispose();
      linear.dispose();
      disposeParams(params);
      disposeParams(tangent);
      observations.dispose();
    });
  });
}

describe('curvatureOf', () => {
  it("builds the curvature of core's MLP policies from their architecture, and of no other policy", async () => {
    await useBackend('cpu');
    const gaussian = cases[0]!.policy;
    const categorical = cases[2]!.policy;
    expect(curvatureOf(gaussian)).toBeDefined();
    expect(curvatureOf(categorical)).toBeDefined();
    // No architecture, an unknown layer layout, or a head that contradicts the action kind: generic.
    const { architecture, ...opaque } = gaussian;
    expect(architecture?.distribution).toBe('diagonal-gaussian');
    expect(curvatureOf(opaque)).toBeUndefined();
    expect(
      curvatureOf({
        ...gaussian,
        architecture: { ...architecture!, layerNames: ['first', 'second', 'last'] },
      }),
    ).toBeUndefined();
    expect(
      curvatureOf({ ...gaussian, architecture: { ...architecture!, distribution: 'categorical' } }),
    ).toBeUndefined();
  });

  it('reads the parameter names from the architecture', async () => {
    await useBackend('cpu');
    const { policy } = cases[2]!;
    const params = policy.init(createRng(5));
    const renamed = { network: params.logits as ParamTree };
    const observations = tf.randomNormal([GROUPS, STEPS, 4], 0, 1, 'float32', 31);
    const actions = tf.randomUniformInt([GROUPS, STEPS], 0, 3, 32);
    const weights = tf.randomNormal([GROUPS, STEPS], 0, 1, 'float32', 33);
    const standard = curvatureOf(policy)!.linearize(params, observations);
    const custom = createCategoricalMlpCurvature('tanh', { network: 'network' }).linearize(
      renamed,
      observations,
    );
    const expected = standard.logLikelihood(actions, weights);
    const got = custom.logLikelihood(actions, weights);
    expect(Object.keys(got.gradient)).toEqual(['network']);
    expect(relativeError({ logits: got.gradient.network! }, expected.gradient)).toBe(0);
    for (const disposable of [expected, got, standard, custom]) disposable.dispose();
    disposeParams(params);
    tf.dispose([observations, actions, weights]);
  });
});
