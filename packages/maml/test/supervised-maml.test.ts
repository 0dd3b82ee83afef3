import {
  createMlp,
  createRng,
  disposeParams,
  flattenParams,
  type ParamTree,
  type Rng,
  tf,
  useBackend,
} from '@metarl/core';
import {
  FINN_SINUSOIDS,
  REPTILE_SINUSOIDS,
  type SinusoidFamily,
  type SinusoidTask,
  sampleSinusoidPoints,
} from '@metarl/envs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSupervisedMaml, type SupervisedMaml, sampleSinusoidTasks } from '../src/index';

/** The Reptile paper's MAML comparison (docs/benchmarks.md, section 4c). */
const REPTILE_COMPARISON = {
  hiddenSizes: [64, 64],
  activation: 'tanh',
  initialisation: 'fan-in-uniform',
  sinusoids: REPTILE_SINUSOIDS,
  shots: 10,
  innerSteps: 5,
  innerStepSize: 0.02,
  metaBatchSize: 5,
  outerLearningRate: 0.001,
  firstOrder: false,
} as const;

/** Per-task mean squared error of `learner.predict(params, x)` on points `[T * N]`, averaged over tasks. */
function meanSquaredError(
  learner: SupervisedMaml,
  params: ParamTree,
  points: { inputs: Float32Array; targets: Float32Array },
  tasks: number,
): number {
  const perTask = tf.tidy(() => {
    const size = points.inputs.length / tasks;
    const x = tf.tensor3d(points.inputs, [tasks, size, 1]);
    const y = tf.tensor3d(points.targets, [tasks, size, 1]);
    return tf.mean(tf.square(tf.sub(learner.predict(params, x), y)), [1, 2]);
  });
  const values = Array.from(perTask.dataSync());
  perTask.dispose();
  return values.reduce((sum, v) => sum + v, 0) / tasks;
}

/** The tasks and query points of the meta-batch that `metaTrainStep(createRng(seed))` draws. */
function metaBatchOf(seed: number, tasks: number, shots: number, family: SinusoidFamily) {
  const rng: Rng = createRng(seed);
  const sampled: SinusoidTask[] = sampleSinusoidTasks(tasks, { seed: rng.nextSeed(), family });
  sampleSinusoidPoints(sampled, shots, rng, family); // the support points
  return { tasks: sampled, query: sampleSinusoidPoints(sampled, shots, rng, family) };
}

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

  it("the defaults give the recorded numbers (relu, Glorot, Finn et al.'s sinusoids)", () => {
    // Recorded before activation, initialisation and sinusoids became options.
    for (const config of [
      {},
      { activation: 'relu', initialisation: 'glorot-uniform', sinusoids: FINN_SINUSOIDS } as const,
    ]) {
      const maml = createSupervisedMaml(config);
      const rng = createRng(11);
      const first = maml.metaTrainStep(rng);
      const second = maml.metaTrainStep(rng);
      expect(first.lossBefore).toBeCloseTo(4.368561267852783, 5);
      expect(first.lossAfter).toBeCloseTo(4.072935581207275, 5);
      expect(second.lossBefore).toBeCloseTo(4.688962936401367, 5);
      expect(second.lossAfter).toBeCloseTo(4.553091526031494, 5);
      expect(flattenParams(maml.parameters())[0]).toBeCloseTo(-0.0019010482355952263, 8);
      const report = maml.evaluate(sampleSinusoidTasks(7, { seed: 3 }), {
        shots: 5,
        reportSteps: [0, 1, 3],
        seed: 4,
      });
      expect(report.map((r) => r.meanSquaredError)).toEqual([
        expect.closeTo(5.027370027133396, 5),
        expect.closeTo(4.919337357793536, 5),
        expect.closeTo(4.990816252572196, 5),
      ]);
      maml.dispose();
    }
  });

  it("activation 'tanh' and 'fan-in-uniform' give the network y = W2 tanh(W1 x + b1) + b2 with PyTorch's initialisation", () => {
    const seed = 3;
    const tanh = createSupervisedMaml({
      hiddenSizes: [4],
      activation: 'tanh',
      initialisation: 'fan-in-uniform',
      seed,
    });
    const relu = createSupervisedMaml({ hiddenSizes: [4], initialisation: 'fan-in-uniform', seed });
    // The same draws as core's MLP with that initialisation: biases U(+-1 / sqrt(in)) too.
    const reference = createMlp({
      inputSize: 1,
      hiddenSizes: [4],
      outputSize: 1,
      initialisation: 'fan-in-uniform',
    }).init(createRng(seed));
    expect(flattenParams(tanh.parameters().model as ParamTree)).toEqual(flattenParams(reference));
    disposeParams(reference);
    const model = tanh.parameters().model as Record<string, Record<string, tf.Tensor>>;
    const values = (tensor: tf.Tensor | undefined) => Array.from(tensor!.dataSync());
    const [w1, b1, w2, b2] = [
      values(model.hidden0!.weight),
      values(model.hidden0!.bias),
      values(model.output!.weight),
      values(model.output!.bias),
    ] as const;
    expect(b1.every((v) => v !== 0 && Math.abs(v) <= 1)).toBe(true);
    expect(w2.every((v) => Math.abs(v) <= 0.5)).toBe(true); // 1 / sqrt(4)
    const inputs = [-4, -1, 0.5, 3];
    const x = tf.tensor3d(inputs, [2, 2, 1]);
    const tanhOutput = tanh.predict(tanh.parameters().model as ParamTree, x);
    const reluOutput = relu.predict(relu.parameters().model as ParamTree, x);
    expect(tanhOutput.shape).toEqual([2, 2, 1]);
    const byHand = inputs.map(
      (input) => b2[0]! + w1.reduce((sum, w, j) => sum + w2[j]! * Math.tanh(w * input + b1[j]!), 0),
    );
    Array.from(tanhOutput.dataSync()).forEach((value, i) => {
      expect(value).toBeCloseTo(byHand[i]!, 5);
    });
    const gap = Math.max(
      ...Array.from(tanhOutput.dataSync(), (v, i) => Math.abs(v - reluOutput.dataSync()[i]!)),
    );
    expect(gap).toBeGreaterThan(1e-2);
    tf.dispose([x, tanhOutput, reluOutput]);
    tanh.dispose();
    relu.dispose();
  });

  it("'fan-in-uniform' bounds the weights by 1 / sqrt(fan-in) and draws the biases; the default starts them at zero", () => {
    const layer = (initialisation?: 'fan-in-uniform') => {
      const maml = createSupervisedMaml({ hiddenSizes: [64, 64], initialisation });
      const hidden1 = (maml.parameters().model as Record<string, Record<string, tf.Tensor>>).hidden1!;
      const weight = Array.from(hidden1.weight!.dataSync(), Math.abs);
      const bias = Array.from(hidden1.bias!.dataSync(), Math.abs);
      maml.dispose();
      return { weight: Math.max(...weight), bias: Math.max(...bias) };
    };
    const pytorch = layer('fan-in-uniform');
    expect(pytorch.weight).toBeLessThanOrEqual(0.125); // 1 / sqrt(64)
    expect(pytorch.weight).toBeGreaterThan(0.11);
    expect(pytorch.bias).toBeGreaterThan(0.05);
    expect(pytorch.bias).toBeLessThanOrEqual(0.125);
    const glorot = layer();
    expect(glorot.weight).toBeGreaterThan(0.2); // sqrt(6 / 128) = 0.217
    expect(glorot.bias).toBe(0);
  });

  it('meta-training draws its tasks and points from `sinusoids` (REPTILE_SINUSOIDS: phases beyond pi, y = A sin(x + phase))', () => {
    const seed = 21;
    const lossBeforeOf = (family?: SinusoidFamily) => {
      const maml = createSupervisedMaml({ metaBatchSize: 8, shots: 6, seed: 1, sinusoids: family });
      const initial = createSupervisedMaml({ metaBatchSize: 8, shots: 6, seed: 1 });
      const { lossBefore } = maml.metaTrainStep(createRng(seed));
      const model = initial.parameters().model as ParamTree;
      const losses = {
        lossBefore,
        reptile: meanSquaredError(initial, model, metaBatchOf(seed, 8, 6, REPTILE_SINUSOIDS).query, 8),
        finn: meanSquaredError(initial, model, metaBatchOf(seed, 8, 6, FINN_SINUSOIDS).query, 8),
      };
      maml.dispose();
      initial.dispose();
      return losses;
    };
    const { tasks } = metaBatchOf(seed, 8, 6, REPTILE_SINUSOIDS);
    expect(tasks.some((task) => task.phase > Math.PI)).toBe(true);
    const reptile = lossBeforeOf(REPTILE_SINUSOIDS);
    expect(reptile.lossBefore).toBeCloseTo(reptile.reptile, 5);
    expect(Math.abs(reptile.lossBefore - reptile.finn)).toBeGreaterThan(1e-2);
    const finn = lossBeforeOf();
    expect(finn.lossBefore).toBeCloseTo(finn.finn, 5);
    // A family that differs only in the phase sign changes the targets, so the loss.
    const mirrored = lossBeforeOf({ ...FINN_SINUSOIDS, phaseSign: 1 });
    expect(Math.abs(mirrored.lossBefore - finn.lossBefore)).toBeGreaterThan(1e-2);
  });

  it('predict after adapt measures what evaluate measures, on the Reptile comparison configuration', () => {
    const maml = createSupervisedMaml({ ...REPTILE_COMPARISON, seed: 2 });
    const rng = createRng(4);
    const before = tf.memory().numTensors;
    const trained = [0, 1, 2].map(() => maml.metaTrainStep(rng));
    expect(tf.memory().numTensors).toBe(before);
    expect(trained.every((r) => Number.isFinite(r.lossBefore) && Number.isFinite(r.lossAfter))).toBe(true);
    const tasks = sampleSinusoidTasks(6, { seed: 5, family: REPTILE_SINUSOIDS });
    const options = { shots: 10, reportSteps: [0, 1, 5], queryPoints: 50, seed: 8 };
    const report = maml.evaluate(tasks, options);
    // evaluate draws the support points, then the query points, from createRng(seed).
    const sampler = createRng(options.seed);
    const support = sampleSinusoidPoints(tasks, options.shots, sampler, REPTILE_SINUSOIDS);
    const query = sampleSinusoidPoints(tasks, options.queryPoints, sampler, REPTILE_SINUSOIDS);
    for (const { steps, meanSquaredError: expected } of report) {
      const adapted = maml.adapt(support.inputs, support.targets, tasks.length, steps);
      expect(meanSquaredError(maml, adapted, query, tasks.length)).toBeCloseTo(expected, 5);
      disposeParams(adapted);
    }
    // Adaptation moves the figure (untrained, 5 steps at 0.02 need not lower it yet).
    expect(Math.abs(report[2]!.meanSquaredError - report[0]!.meanSquaredError)).toBeGreaterThan(1e-2);
    expect(tf.memory().numTensors).toBe(before);
    maml.dispose();
  });

  it('rejects bad activation, initialisation, sinusoids and predict inputs', () => {
    expect(() => createSupervisedMaml({ activation: 'sigmoid' as never })).toThrow(
      "createSupervisedMaml: activation must be one of 'relu', 'tanh', got 'sigmoid'",
    );
    expect(() => createSupervisedMaml({ initialisation: 'xavier' as never })).toThrow(
      "createSupervisedMaml: initialisation must be one of 'glorot-uniform', 'he-uniform', 'fan-in-uniform', 'zeros', got 'xavier'",
    );
    expect(() => createSupervisedMaml({ sinusoids: 'reptile' as never })).toThrow(
      "createSupervisedMaml: sinusoids must be a SinusoidFamily { amplitude, phase, phaseSign, inputRange } such as FINN_SINUSOIDS or REPTILE_SINUSOIDS, got 'reptile'",
    );
    expect(() =>
      createSupervisedMaml({ sinusoids: { ...REPTILE_SINUSOIDS, phase: [2 * Math.PI, 0] } }),
    ).toThrow(
      `createSupervisedMaml: sinusoids.phase must be [low, high] with finite low <= high, got [${2 * Math.PI}, 0]`,
    );
    expect(() =>
      createSupervisedMaml({ sinusoids: { ...REPTILE_SINUSOIDS, phaseSign: 0 as never } }),
    ).toThrow('createSupervisedMaml: sinusoids.phaseSign must be one of -1, 1, got 0');
    const maml = createSupervisedMaml({ hiddenSizes: [2] });
    const wide = tf.zeros([1, 3, 2]);
    expect(() => maml.predict(maml.parameters().model as ParamTree, wide)).toThrow(
      'predict: inputs must be a tf.Tensor [T, N, 1], got shape [1, 3, 2]',
    );
    expect(() => maml.predict(maml.parameters().model as ParamTree, [1, 2] as never)).toThrow(
      'predict: inputs must be a tf.Tensor [T, N, 1], got [1, 2]',
    );
    wide.dispose();
    maml.dispose();
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
