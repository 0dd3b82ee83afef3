import { createMlp, createRng, createSgd, tf, useBackend } from '@metarl/core';
import { createInnerBatches, createSupervisedReptile, toTaskExamples, disposeTaskExamples } from '@metarl/reptile';
await useBackend((process.argv[3] ?? 'wasm') as 'wasm');
const n = Number(process.argv[2] ?? 2000);
const grid = Float32Array.from({ length: 50 }, (_v, i) => -5 + (10 * i) / 49);
const rng = createRng(0);
const task = () => ({ a: 0.1 + 4.9 * rng.next(), p: 2 * Math.PI * rng.next() });
const arrays = (tasks: { a: number; p: number }[], xs: (t: number) => Float32Array) => {
  const inputs: number[] = []; const targets: number[] = [];
  tasks.forEach((t, i) => { for (const x of xs(i)) { inputs.push(x); targets.push(t.a * Math.sin(x + t.p)); } });
  return { tasks: tasks.length, inputs: Float32Array.from(inputs), targets: Float32Array.from(targets), inputSize: 1 };
};
const model = createMlp({ inputSize: 1, hiddenSizes: [64, 64], outputSize: 1, activation: 'tanh' });
const learner = createSupervisedReptile({ model, loss: 'mean-squared-error', innerOptimizer: 'sgd', innerStepSize: 0.02, innerSteps: 5, metaStepSize: 0.1, metaStepSizeFinal: 0, annealSteps: n });
const t0 = performance.now();
for (let i = 0; i < n; i++) {
  const batches = createInnerBatches(arrays([task()], () => grid), { batchSize: 10, steps: 5 }, rng);
  learner.metaTrainStep({ innerBatches: batches });
  disposeTaskExamples(batches);
}
const secs = (performance.now() - t0) / 1000;
const testRng = createRng(5);
const tests = Array.from({ length: 200 }, () => ({ a: 0.1 + 4.9 * testRng.next(), p: 2 * Math.PI * testRng.next() }));
const support = toTaskExamples(arrays(tests, () => Float32Array.from({ length: 10 }, () => grid[Math.floor(testRng.next() * 50)]!)));
const query = toTaskExamples(arrays(tests, () => grid));
const ev = learner.evaluate(support, query, { reportSteps: [0, 1, 8, 32], optimizer: createSgd({ learningRate: 0.02, checkFinite: false }) });
console.log(n, 'steps', secs.toFixed(1), 's', (secs / n * 1000).toFixed(2), 'ms/step', ev.map((e) => `${e.steps}:${e.loss.toFixed(3)}`).join(' '), tf.memory().numTensors);
