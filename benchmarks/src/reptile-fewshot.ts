/**
 * pnpm bench reptile-fewshot [-- --out <file>] [-- --shots 1,5] [-- --iterations 4000]
 *
 * Reptile on synthetic 5-way few-shot classification (the stand-in for Omniglot of
 * `createSyntheticFewShotDataset`: 1,200 training and 423 held-out classes of 20 examples, 400
 * features, class prototypes plus noise plus a nuisance shared by all classes), against the
 * 1-nearest-neighbour baseline on raw inputs, on the same held-out episodes.
 *
 * Training as openai/supervised-reptile trains Omniglot 5-way (scaled to a time budget): meta-batch
 * 5 episodes of 10 examples per class (its train-shots), inner loop 5 steps on mini-batches of
 * 10, eps = 1 annealed linearly to 0; here the inner rule is SGD at 0.1 and the model an MLP
 * 400-64-5 ReLU (the reference's Adam 1e-3 with a wider MLP learned several times slower in a
 * time budget: see docs/benchmarks.md). One training run is evaluated at every number of shots:
 * 1,000 held-out episodes with K shots and 5 queries per class, 50 full-batch inner steps (the
 * reference's `eval-iters`).
 */
import { createMlp, createRng, tf, useBackend } from '@metarl/core';
import {
  createSyntheticFewShotDataset,
  type FewShotDataset,
  type FewShotEpisodes,
  nearestNeighbourAccuracy,
  type Rng,
  sampleFewShotEpisodes,
  splitFewShotDataset,
} from '@metarl/envs';
import {
  createInnerBatches,
  createSupervisedReptile,
  disposeTaskExamples,
  type SupervisedReptile,
  toTaskExamples,
} from '@metarl/reptile';
import { describeMachine, readFlags, report } from './shared';

const started = performance.now();
const flags = readFlags('reptile-fewshot', {
  shots: { type: 'integers', default: [1, 5], description: 'shots per class at test time' },
  iterations: { type: 'integer', default: 4000, minimum: 1, description: 'meta-steps' },
  evaluationEpisodes: { type: 'integer', default: 1000, minimum: 1, description: 'held-out test episodes' },
  seed: { type: 'integer', default: 0, minimum: 0, description: 'seed of the data and of the learner' },
  hidden: { type: 'integers', default: [64], description: 'hidden widths of the MLP' },
  innerOptimizer: {
    type: 'string',
    default: 'sgd',
    choices: ['adam', 'sgd'],
    description: 'inner update rule',
  },
  innerStepSize: { type: 'number', default: 0.1, minimum: 0, description: 'inner step size' },
  metaStepSize: {
    type: 'number',
    default: 1,
    minimum: 0,
    description: 'initial eps (annealed linearly to 0)',
  },
});
await useBackend((process.env.METARL_BACKEND ?? 'wasm') as 'wasm');

const WAYS = 5;
const TRAIN_SHOTS = 10;
const DATA = {
  noise: 1.5,
  nuisanceDimensions: 16,
  nuisanceScale: 0.5,
  classCount: 1623,
  examplesPerClass: 20,
};
const dataset = createSyntheticFewShotDataset({ ...DATA, seed: flags.seed });
const { train, test } = splitFewShotDataset(dataset, { firstClasses: 1200 });

/** Episodes as the learner's arrays: support (or all examples) and query. */
function asArrays(episodes: FewShotEpisodes) {
  return {
    support: {
      tasks: episodes.episodes,
      inputs: episodes.supportInputs,
      targets: episodes.supportLabels,
      inputSize: episodes.inputSize,
    },
    query: {
      tasks: episodes.episodes,
      inputs: episodes.queryInputs,
      targets: episodes.queryLabels,
      inputSize: episodes.inputSize,
    },
  };
}

/** Accuracy after 0 and 50 steps on `count` held-out episodes (in chunks of 100). */
function evaluate(learner: SupervisedReptile, shots: number, rng: Rng) {
  const sums = new Map<number, { accuracy: number; loss: number }>();
  let nearest = 0;
  const chunk = 100;
  for (let done = 0; done < flags.evaluationEpisodes; done += chunk) {
    const count = Math.min(chunk, flags.evaluationEpisodes - done);
    const episodes = sampleFewShotEpisodes(test, { episodes: count, ways: WAYS, shots, queries: 5 }, rng);
    nearest += nearestNeighbourAccuracy(episodes) * count;
    const { support, query } = asArrays(episodes);
    const supportExamples = toTaskExamples(support);
    const queryExamples = toTaskExamples(query);
    for (const result of learner.evaluate(supportExamples, queryExamples, { reportSteps: [0, 50] })) {
      const sum = sums.get(result.steps) ?? { accuracy: 0, loss: 0 };
      sum.accuracy += result.accuracy! * count;
      sum.loss += result.loss * count;
      sums.set(result.steps, sum);
    }
    disposeTaskExamples([supportExamples, queryExamples]);
  }
  const n = flags.evaluationEpisodes;
  return {
    nearestNeighbourAccuracy: Number((nearest / n).toFixed(4)),
    accuracyBeforeAdaptation: Number((sums.get(0)!.accuracy / n).toFixed(4)),
    accuracyAfter50Steps: Number((sums.get(50)!.accuracy / n).toFixed(4)),
  };
}

function train1(learner: SupervisedReptile, source: FewShotDataset, rng: Rng) {
  for (let i = 0; i < flags.iterations; i += 1) {
    // Training episodes hold TRAIN_SHOTS examples of each of the 5 classes (the reference's train-shots).
    const episodes = sampleFewShotEpisodes(
      source,
      { episodes: 5, ways: WAYS, shots: TRAIN_SHOTS, queries: 0 },
      rng,
    );
    const innerBatches = createInnerBatches(asArrays(episodes).support, { batchSize: 10, steps: 5 }, rng);
    learner.metaTrainStep({ innerBatches });
    disposeTaskExamples(innerBatches);
  }
}

const model = createMlp({ inputSize: 400, hiddenSizes: flags.hidden, outputSize: WAYS, activation: 'relu' });
const config = {
  model,
  loss: 'cross-entropy' as const,
  innerOptimizer: flags.innerOptimizer as 'adam' | 'sgd',
  innerStepSize: flags.innerStepSize,
  innerSteps: 5,
  metaStepSize: flags.metaStepSize,
  metaStepSizeFinal: 0,
  annealSteps: flags.iterations,
  seed: flags.seed,
};
// One meta-training run (its episodes hold 10 examples per class whatever the test's shots, as the
// reference's --train-shots), evaluated at every number of shots.
const control = createSupervisedReptile(config);
const learner = createSupervisedReptile(config);
const t0 = performance.now();
train1(learner, train, createRng(1000 + flags.seed));
const trainSeconds = (performance.now() - t0) / 1000;
const rows: Record<string, unknown>[] = [];
for (const shots of flags.shots) {
  const untrained = evaluate(control, shots, createRng(99));
  const trained = evaluate(learner, shots, createRng(99));
  const row = {
    shots,
    nearestNeighbourAccuracy: trained.nearestNeighbourAccuracy,
    untrained: { before: untrained.accuracyBeforeAdaptation, after50: untrained.accuracyAfter50Steps },
    reptile: { before: trained.accuracyBeforeAdaptation, after50: trained.accuracyAfter50Steps },
  };
  rows.push(row);
  console.error(
    `5-way ${shots}-shot: 1-NN ${row.nearestNeighbourAccuracy}, untrained network ${row.untrained.after50}, Reptile ${row.reptile.after50} (trained ${trainSeconds.toFixed(1)} s)`,
  );
}
control.dispose();
learner.dispose();

report({
  name: 'reptile-fewshot',
  config: {
    data: { ...DATA, inputSize: 400, split: '1200 training / 423 held-out classes', seed: flags.seed },
    ways: WAYS,
    trainShots: TRAIN_SHOTS,
    iterations: flags.iterations,
    metaBatchSize: 5,
    inner: '5 steps on mini-batches of 10 (Adam: beta1 = 0, state kept)',
    outer: 'eps -> 0 linearly',
    network: `MLP 400-${flags.hidden.join('-')}-5 ReLU`,
    innerOptimizer: flags.innerOptimizer,
    innerStepSize: flags.innerStepSize,
    metaStepSize: flags.metaStepSize,
    evaluation: `${flags.evaluationEpisodes} held-out episodes, 5 queries per class, 50 full-batch inner steps`,
  },
  backend: 'wasm',
  machine: describeMachine(),
  wallSeconds: Number(((performance.now() - started) / 1000).toFixed(1)),
  trainSeconds: Number(trainSeconds.toFixed(1)),
  results: rows,
});
void tf;
