import { createRng, disposeParams, flattenParams, type ParamTree, tf, useBackend } from '@metarl/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSupervisedMaml, sampleSinusoidTasks } from '../src/index';

describe('supervised MAML on sinusoids', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('the inner step equals a hand-computed SGD step on each task', () => {
    // A linear model (no hidden layer): y = w x + b; per-task mean squared error.
    const maml = createSupervisedMaml({ hiddenSizes: [], innerStepSize: 0.1, seed: 1 });
    const theta = flattenParams(maml.parameters()); // sorted: model/output/bias, model/output/weight
    const [b, w] = [theta[0]!, theta[1]!];
    const inputs = Float32Array.of(1, 2, -1, 0.5);
    const targets = Float32Array.of(3, 5, -2, 1);
    const adapted = maml.adapt(inputs, targets, 2, 1);
    const phi = flattenParams(adapted); // [T, ...]: bias [2, 1], weight [2, 1, 1]
    for (let t = 0; t < 2; t += 1) {
      let gw = 0;
      let gb = 0;
      for (let k = 0; k < 2; k += 1) {
        const x = inputs[2 * t + k]!;
        const error = w * x + b - targets[2 * t + k]!;
        gw += (2 * error * x) / 2;
        gb += (2 * error) / 2;
      }
      expect(phi[t]).toBeCloseTo(b - 0.1 * gb, 5);
      expect(phi[2 + t]).toBeCloseTo(w - 0.1 * gw, 5);
    }
    disposeParams(adapted);
    maml.dispose();
  });

  it('first-order MAML takes a different meta-step from second-order MAML', () => {
    const update = (firstOrder: boolean) => {
      const maml = createSupervisedMaml({ firstOrder, seed: 2, metaBatchSize: 4, innerStepSize: 0.1 });
      const before = flattenParams(maml.parameters());
      maml.metaTrainStep(createRng(3));
      const after = flattenParams(maml.parameters());
      maml.dispose();
      return after.map((v, i) => v - before[i]!);
    };
    const second = update(false);
    const first = update(true);
    const difference = Math.sqrt(second.reduce((p, v, i) => p + (v - first[i]!) ** 2, 0));
    const size = Math.sqrt(second.reduce((p, v) => p + v * v, 0));
    expect(difference / size).toBeGreaterThan(1e-3);
  });

  it('meta-training makes K = 5 adaptation work: MSE after adaptation far below before, and below the pretrained baseline', () => {
    const tasks = sampleSinusoidTasks(200, { seed: 99 });
    const train = (innerSteps: number) => {
      // A short budget: outer step size 0.005 (the paper's 0.001 needs tens of thousands of iterations).
      const learner = createSupervisedMaml({
        shots: 5,
        metaBatchSize: 10,
        innerSteps,
        seed: 4,
        outerLearningRate: 0.005,
      });
      const rng = createRng(5);
      const before = tf.memory().numTensors;
      for (let i = 0; i < 600; i += 1) learner.metaTrainStep(rng);
      expect(tf.memory().numTensors).toBe(before);
      const report = learner.evaluate(tasks, { shots: 5, reportSteps: [0, 1, 10], seed: 6 });
      learner.dispose();
      return report;
    };
    const maml = train(1);
    const pretrained = train(0);
    console.log(
      `sinusoid K=5, 600 meta-iterations, 200 new tasks: MAML ${maml.map((r) => `${r.steps} steps ${r.meanSquaredError.toFixed(2)}`).join(', ')}; pretrained ${pretrained.map((r) => `${r.steps} steps ${r.meanSquaredError.toFixed(2)}`).join(', ')}`,
    );
    const [mamlBefore, mamlOne, mamlTen] = maml.map((r) => r.meanSquaredError) as [number, number, number];
    expect(mamlOne).toBeLessThan(0.5 * mamlBefore);
    expect(mamlTen).toBeLessThan(mamlOne);
    expect(mamlOne).toBeLessThan(0.6 * pretrained[1]!.meanSquaredError);
  }, 120_000);

  it('Meta-SGD learns a step size per parameter and adapts with them', () => {
    const metaSgd = createSupervisedMaml({ learnInnerStepSizes: true, metaBatchSize: 4, shots: 5, seed: 7 });
    const stepSizes = () => flattenParams(metaSgd.parameters().stepSizes as ParamTree);
    expect(stepSizes().every((v) => Math.abs(v - 0.01) < 1e-9)).toBe(true);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i += 1) metaSgd.metaTrainStep(createRng(i));
    expect(tf.memory().numTensors).toBe(before);
    const learned = stepSizes();
    expect(learned.some((v) => Math.abs(v - 0.01) > 1e-4)).toBe(true);
    const [result] = metaSgd.evaluate(sampleSinusoidTasks(20, { seed: 1 }), {
      shots: 5,
      reportSteps: [1],
      seed: 2,
    });
    expect(Number.isFinite(result!.meanSquaredError)).toBe(true);
    metaSgd.dispose();
  });

  it('rejects bad configurations', () => {
    expect(() => createSupervisedMaml({ innerStepSize: -1 })).toThrow(
      'createSupervisedMaml: innerStepSize must be a finite number > 0, got -1',
    );
    expect(() => createSupervisedMaml({ metaBatchSize: 0 })).toThrow(
      'createSupervisedMaml: metaBatchSize must be an integer >= 1, got 0',
    );
    expect(() => createSupervisedMaml({ innerSteps: -1 })).toThrow(
      'createSupervisedMaml: innerSteps must be an integer >= 0, got -1',
    );
  });
});
