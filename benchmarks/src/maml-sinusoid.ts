/**
 * pnpm bench maml-sinusoid [-- --out <file>] [-- --iterations <n>]
 *
 * Supervised few-shot sinusoid regression (Finn et al. 2017, section 5.1): MAML, first-order MAML,
 * Meta-SGD and the pretrained-on-all-tasks baseline, each meta-trained for `iterations` meta-batches
 * of 25 tasks (K examples each, MLP [40, 40] ReLU, inner step 0.01, Adam 0.001 as the paper), then
 * evaluated on 1000 new tasks: mean squared error on 100 query points after 0, 1, 5 and 10 steps
 * of adaptation on K examples, with 95% intervals.
 */
import { createRng, useBackend } from '@metarl/core';
import { createSupervisedMaml, sampleSinusoidTasks } from '@metarl/maml';
import { describeMachine, readFlags, report } from './shared';

const started = performance.now();
const { iterations } = readFlags('maml-sinusoid', {
  iterations: { type: 'integer', default: 5000, minimum: 1, description: 'meta-iterations per variant' },
});
const shotsList = [5, 10];
await useBackend('wasm');
const testTasks = sampleSinusoidTasks(1000, { seed: 2017 });
const variants = [
  { name: 'MAML', config: {} },
  { name: 'first-order MAML', config: { firstOrder: true } },
  { name: 'Meta-SGD', config: { learnInnerStepSizes: true } },
  { name: 'pretrained baseline', config: { innerSteps: 0 } },
] as const;
const results: Record<string, unknown>[] = [];
for (const shots of shotsList) {
  for (const variant of variants) {
    const t0 = performance.now();
    const learner = createSupervisedMaml({ shots, seed: 0, ...variant.config });
    const rng = createRng(1);
    for (let i = 0; i < iterations; i += 1) learner.metaTrainStep(rng);
    const trainSeconds = (performance.now() - t0) / 1000;
    const evaluation = learner.evaluate(testTasks, { shots, reportSteps: [0, 1, 5, 10], seed: 3 });
    learner.dispose();
    const row = {
      method: variant.name,
      shots,
      iterations,
      trainSeconds: Number(trainSeconds.toFixed(1)),
      meanSquaredError: Object.fromEntries(
        evaluation.map((e) => [
          `after${e.steps}`,
          { mean: Number(e.meanSquaredError.toFixed(3)), halfWidth95: Number(e.halfWidth95.toFixed(3)) },
        ]),
      ),
    };
    results.push(row);
    console.error(
      `K=${shots} ${variant.name}: ${evaluation.map((e) => `${e.steps} steps ${e.meanSquaredError.toFixed(3)}`).join(', ')} (${row.trainSeconds} s)`,
    );
  }
}
report({
  name: 'maml-sinusoid',
  config: {
    iterations,
    metaBatchSize: 25,
    network: 'MLP 1-40-40-1 ReLU',
    innerStepSize: 0.01,
    outerLearningRate: 0.001,
    testTasks: 1000,
    queryPoints: 100,
    shots: shotsList,
    seeds: { init: 0, training: 1, testTasks: 2017, evaluation: 3 },
  },
  backend: 'wasm',
  machine: describeMachine(),
  wallSeconds: Number(((performance.now() - started) / 1000).toFixed(1)),
  results,
});
