import { createMlp, createRng, createSgd, tf, useBackend } from '@metarl/core';
import {
  createSyntheticFewShotDataset,
  nearestNeighbourAccuracy,
  REPTILE_SINUSOIDS,
  sampleFewShotEpisodes,
  sampleSinusoidGridPoints,
  sampleSinusoidTasks,
  sinusoidGrid,
  sinusoidGridTargets,
  splitFewShotDataset,
} from '@metarl/envs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createInnerBatches,
  createSupervisedReptile,
  disposeTaskExamples,
  type SupervisedReptile,
  type SupervisedReptileConfig,
  toTaskExamples,
} from '../src/index';

const GRID = sinusoidGrid(50, REPTILE_SINUSOIDS);
const model = createMlp({
  inputSize: 1,
  hiddenSizes: [32, 32],
  outputSize: 1,
  activation: 'tanh',
  initialisation: 'fan-in-uniform',
});

/** MSE on the grid after 0 and 8 SGD steps (lr 0.02) on 10 grid points of 100 fixed new tasks. */
function gridError(learner: SupervisedReptile) {
  const tasks = sampleSinusoidTasks(100, { seed: 77, family: REPTILE_SINUSOIDS });
  const shots = sampleSinusoidGridPoints(tasks, 10, createRng(8), REPTILE_SINUSOIDS);
  const support = toTaskExamples({ tasks: 100, inputs: shots.inputs, targets: shots.targets, inputSize: 1 });
  const gridInputs = new Float32Array(100 * 50);
  for (let t = 0; t < 100; t += 1) gridInputs.set(GRID, t * 50);
  const query = toTaskExamples({
    tasks: 100,
    inputs: gridInputs,
    targets: sinusoidGridTargets(tasks, GRID, REPTILE_SINUSOIDS),
    inputSize: 1,
  });
  const results = learner.evaluate(support, query, {
    reportSteps: [0, 8],
    optimizer: createSgd({ learningRate: 0.02, checkFinite: false }),
  });
  disposeTaskExamples([support, query]);
  return results.map((r) => r.loss);
}

/** The sine demo's meta-steps (one task each, 5 SGD steps on shuffled mini-batches of the grid). */
function train(learner: SupervisedReptile, steps: number, seed: number) {
  const rng = createRng(seed);
  for (let i = 0; i < steps; i += 1) {
    const tasks = sampleSinusoidTasks(1, { seed: rng.nextSeed(), family: REPTILE_SINUSOIDS });
    const data = {
      tasks: 1,
      inputs: GRID,
      targets: sinusoidGridTargets(tasks, GRID, REPTILE_SINUSOIDS),
      inputSize: 1,
    };
    const innerBatches = createInnerBatches(data, { batchSize: 10, steps: 5 }, rng);
    learner.metaTrainStep({ innerBatches });
    disposeTaskExamples(innerBatches);
  }
}

describe('supervised Reptile', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });
  afterAll(async () => {
    await useBackend('cpu');
  });

  it('learns to adapt to new sinusoids: after 8 SGD steps five times below the untrained network (fixed seeds)', () => {
    const config: SupervisedReptileConfig = {
      model,
      loss: 'mean-squared-error',
      innerOptimizer: 'sgd',
      innerStepSize: 0.02,
      innerSteps: 5,
      metaOptimizer: 'adam',
      metaStepSize: 0.01,
      seed: 3,
    };
    const control = createSupervisedReptile(config);
    const [controlBefore, controlAfter] = gridError(control);
    control.dispose();
    const learner = createSupervisedReptile(config);
    const tensors = tf.memory().numTensors;
    train(learner, 500, 5);
    // Meta-training allocates nothing that outlives a step.
    expect(tf.memory().numTensors).toBe(tensors);
    const [before, after] = gridError(learner);
    learner.dispose();
    console.log(
      `sine, 500 meta-steps of one task (outer Adam 0.01): MSE after 0 / 8 steps ${before!.toFixed(3)} / ${after!.toFixed(3)} (untrained ${controlBefore!.toFixed(3)} / ${controlAfter!.toFixed(3)})`,
    );
    // Without the meta-update the learner is the control; with it, 8 steps land far lower.
    expect(after!).toBeLessThan(0.2 * controlAfter!);
    expect(after!).toBeLessThan(0.2 * before!);
  });

  it('meta-learns few-shot classification: on held-out classes far above the untrained network and 1-NN (fixed seeds)', () => {
    // Classes with a nuisance shared by all of them (as stroke width in handwriting): raw-input
    // distances drown in it, a meta-learned initialisation learns to discount it.
    const dataset = createSyntheticFewShotDataset({
      seed: 1,
      classCount: 100,
      inputSize: 20,
      noise: 0.5,
      nuisanceDimensions: 4,
      nuisanceScale: 1.5,
    });
    const { train: trainClasses, test } = splitFewShotDataset(dataset, { firstClasses: 70 });
    const config: SupervisedReptileConfig = {
      model: createMlp({ inputSize: 20, hiddenSizes: [16], outputSize: 3, activation: 'relu' }),
      loss: 'cross-entropy',
      innerOptimizer: 'sgd',
      innerStepSize: 0.3,
      innerSteps: 3,
      metaStepSize: 1,
      metaStepSizeFinal: 0,
      annealSteps: 1000,
    };
    const episodes = sampleFewShotEpisodes(
      test,
      { episodes: 100, ways: 3, shots: 1, queries: 5 },
      createRng(9),
    );
    const accuracy = (learner: SupervisedReptile) => {
      const support = toTaskExamples({
        tasks: 100,
        inputs: episodes.supportInputs,
        targets: episodes.supportLabels,
        inputSize: 20,
      });
      const query = toTaskExamples({
        tasks: 100,
        inputs: episodes.queryInputs,
        targets: episodes.queryLabels,
        inputSize: 20,
      });
      const results = learner.evaluate(support, query, { reportSteps: [0, 20] });
      disposeTaskExamples([support, query]);
      return results.map((r) => r.accuracy!);
    };
    const control = createSupervisedReptile(config);
    const [, controlAfter] = accuracy(control);
    control.dispose();
    const learner = createSupervisedReptile(config);
    const rng = createRng(4);
    const tensors = tf.memory().numTensors;
    for (let i = 0; i < 1000; i += 1) {
      const batch = sampleFewShotEpisodes(trainClasses, { episodes: 4, ways: 3, shots: 4, queries: 0 }, rng);
      const innerBatches = createInnerBatches(
        { tasks: 4, inputs: batch.supportInputs, targets: batch.supportLabels, inputSize: 20 },
        { batchSize: 6, steps: 3 },
        rng,
      );
      learner.metaTrainStep({ innerBatches });
      disposeTaskExamples(innerBatches);
    }
    expect(tf.memory().numTensors).toBe(tensors);
    const [before, after] = accuracy(learner);
    learner.dispose();
    const nearest = nearestNeighbourAccuracy(episodes);
    console.log(
      `3-way 1-shot on held-out classes: 1-NN ${nearest.toFixed(2)}, untrained ${controlAfter!.toFixed(2)}, meta-trained ${before!.toFixed(2)} -> ${after!.toFixed(2)}`,
    );
    // Labels are drawn afresh per episode, so before adaptation the network is at chance.
    expect(before!).toBeLessThan(0.45);
    expect(after!).toBeGreaterThan(controlAfter! + 0.2);
    expect(after!).toBeGreaterThan(nearest + 0.2);
  });

  it('runs side by side: two runs in one learner equal two learners of seeds s and s + 1 (inner Adam state kept)', () => {
    const config: SupervisedReptileConfig = {
      model,
      loss: 'mean-squared-error',
      innerOptimizer: 'adam',
      innerStepSize: 0.01,
      innerSteps: 2,
      metaStepSize: 0.5,
      seed: 7,
    };
    const together = createSupervisedReptile({ ...config, runs: 2 });
    const apart = [createSupervisedReptile(config), createSupervisedReptile({ ...config, seed: 8 })];
    const inputs = new Float32Array(2 * 50);
    inputs.set(GRID, 0);
    inputs.set(GRID, 50);
    const rng = createRng(3);
    for (let i = 0; i < 5; i += 1) {
      // Run r's two tasks; the combined batch is run-major.
      const tasks = sampleSinusoidTasks(4, { seed: rng.nextSeed(), family: REPTILE_SINUSOIDS });
      const targets = sinusoidGridTargets(tasks, GRID, REPTILE_SINUSOIDS);
      const all = createInnerBatches(
        { tasks: 4, inputs: new Float32Array([...inputs, ...inputs]), targets, inputSize: 1 },
        { batchSize: 25, steps: 2 },
        rng,
      );
      together.metaTrainStep({ innerBatches: all });
      apart.forEach((learner, r) => {
        const own = all.map((batch) => ({
          inputs: tf.slice(batch.inputs, [2 * r, 0, 0], [2, -1, -1]),
          targets: tf.slice(batch.targets, [2 * r, 0, 0], [2, -1, -1]),
        }));
        learner.metaTrainStep({ innerBatches: own });
        disposeTaskExamples(own);
      });
      disposeTaskExamples(all);
    }
    const joint = together.parameters();
    apart.forEach((learner, r) => {
      const own = learner.parameters();
      for (const layer of Object.keys(own)) {
        for (const name of ['weight', 'bias']) {
          const mine = (own[layer] as Record<string, tf.Tensor>)[name]!.dataSync();
          const theirs = tf.tidy(() =>
            tf.gather((joint[layer] as Record<string, tf.Tensor>)[name]!, [r]).dataSync(),
          );
          mine.forEach((v, i) => {
            expect(Math.abs(v - theirs[i]!)).toBeLessThan(1e-5);
          });
        }
      }
      learner.dispose();
    });
    expect(() =>
      together.metaTrainStep({
        innerBatches: [
          toTaskExamples({
            tasks: 3,
            inputs: new Float32Array(150),
            targets: new Float32Array(150),
            inputSize: 1,
          }),
          toTaskExamples({
            tasks: 3,
            inputs: new Float32Array(150),
            targets: new Float32Array(150),
            inputSize: 1,
          }),
        ],
      }),
    ).toThrow(/a meta-batch of 3 tasks cannot be split among 2 runs/);
    together.dispose();
  });

  it('draws inner mini-batches as the reference: without replacement, epoch after epoch', () => {
    const inputs = Float32Array.from({ length: 2 * 5 }, (_v, i) => i);
    const targets = Float32Array.from(inputs);
    const batches = createInnerBatches(
      { tasks: 2, inputs, targets, inputSize: 1 },
      { batchSize: 2, steps: 5 },
      createRng(1),
    );
    const seen = batches.map((b) => Array.from(b.inputs.dataSync()));
    disposeTaskExamples(batches);
    for (const task of [0, 1]) {
      const rows = seen.flatMap((values) => values.slice(task * 2, task * 2 + 2));
      // The first 5 draws of a task are a permutation of its 5 examples (one epoch, then the next begins).
      expect([...rows.slice(0, 5)].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4].map((v) => v + 5 * task));
      expect(rows.every((v) => v >= 5 * task && v < 5 * task + 5)).toBe(true);
    }
    expect(() =>
      createInnerBatches(
        { tasks: 2, inputs, targets, inputSize: 1 },
        { batchSize: 6, steps: 1 },
        createRng(1),
      ),
    ).toThrow(/batchSize must be an integer in \[1, 5\] \(the examples per task\), got 6/);
    expect(() => toTaskExamples({ tasks: 3, inputs, targets, inputSize: 1 })).toThrow(
      /inputs hold 10 values, not 3 tasks x N examples x 1 features/,
    );
  });
});
