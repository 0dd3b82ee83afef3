import { createRng, useBackend } from '@metarl/core';
import { requireNativeKernels } from '@metarl/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createMannNetwork,
  createOneShotLearner,
  evaluateAccuracyByInstance,
  type MannMemoryMode,
  sampleSyntheticEpisodes,
} from '../src/index';

// The one-shot protocol at sigma 1 (5 classes x 10 instances, 400 features) with the paper's sizes,
// add vectors (the reference's curve setting) and Adam 3e-3: where the memory is measured to matter.
const episode = { classes: 5, instancesPerClass: 10, dimension: 400, sigma: 1 };
const STEPS = 2000;
const network = (memory: MannMemoryMode) =>
  createMannNetwork({ inputSize: 405, outputSize: 5, writeVector: 'add', memory });

function trainAndEvaluate(memory: MannMemoryMode): Float64Array {
  const learner = createOneShotLearner({ model: network(memory), learningRate: 3e-3, seed: 1 });
  const rng = createRng(2);
  for (let step = 0; step < STEPS; step += 1) learner.trainStep(sampleSyntheticEpisodes(16, rng, episode));
  const accuracy = learner.evaluate(sampleSyntheticEpisodes(200, createRng(99), episode));
  learner.dispose();
  return accuracy;
}

/** Mean accuracy from the 3rd sight of a class to the 10th. */
const laterSights = (accuracy: Float64Array) =>
  accuracy.slice(2).reduce((p, a) => p + a, 0) / (accuracy.length - 2);
const show = (accuracy: Float64Array) => Array.from(accuracy, (a) => a.toFixed(2)).join(' ');

// The default suite's version: the same model and learning rate at batch 4, where a step costs
// ~0.07 s with the native products (measured, 200 fixed episodes, sights 1-10 after 1,500 steps:
// MANN 31 34 42 48 48 49 48 48 48 49%, its reads-zeroed ablation 45 31 28 27 26 27 28 25 24 23%;
// MANN leaves the plateau between steps 750 and 1,250 with either of two seeds). ~3 minutes; it
// is skipped where the native kernels are absent (the JavaScript products take ~10x longer).
const FAST_STEPS = 1500;

describe('MANN learns one-shot classification through its memory (batch 4)', () => {
  it('rises above the plateau only with its memory, and falls back to it when the reads are zeroed', async (context) => {
    const info = await useBackend('wasm');
    if (!requireNativeKernels(info)) return context.skip();
    const test = sampleSyntheticEpisodes(200, createRng(99), episode);
    const train = (memory: MannMemoryMode) => {
      const learner = createOneShotLearner({ model: network(memory), learningRate: 3e-3, seed: 1 });
      const rng = createRng(2);
      for (let step = 0; step < FAST_STEPS; step += 1)
        learner.trainStep(sampleSyntheticEpisodes(4, rng, episode));
      return learner;
    };
    const mann = train('on');
    const accuracy = mann.evaluate(test);
    // The trained MANN's own params with nothing read: what its accuracy owes to the memory.
    const withoutReads = evaluateAccuracyByInstance(network('reads-zeroed'), mann.params(), test);
    mann.dispose();
    const ablation = train('reads-zeroed');
    const ablationAccuracy = ablation.evaluate(test);
    ablation.dispose();
    console.log(
      `after ${FAST_STEPS} steps of 4 episodes, accuracy by instance: mann ${show(accuracy)}; its params with reads zeroed ${show(withoutReads)}; trained reads-zeroed ${show(ablationAccuracy)}`,
    );
    // The plateau (a memoryless model at this budget) sits near 0.26-0.32 from the 3rd sight on.
    expect(laterSights(accuracy)).toBeGreaterThan(0.4);
    expect(laterSights(withoutReads)).toBeLessThan(laterSights(accuracy) - 0.1);
    expect(laterSights(ablationAccuracy)).toBeLessThan(laterSights(accuracy) - 0.1);
  }, 1_200_000);
});

// The acceptance test of MANN's memory; ~10 minutes on 2 cores, so it runs only with
// METARL_MANN_LEARNING=1. Measured (docs/benchmarks.md section 4e): at Adam 3e-3 MANN leaves the
// plateau within ~1,000 steps (2,000 steps: 24 / 41 / 55 / 64 / 63% at the 1st / 2nd / 3rd / 5th /
// 10th sight) while its reads-zeroed ablation stays on it (39 / 37 / 32 / 28 / 31%); at the
// paper's Adam 1e-3 MANN stays on the plateau for 10,000 steps and more. Smaller networks and
// problems (5 classes x 5 or 10 instances, 100 or 400 features, controllers of 32-64 units with 1 or
// 4 heads of width 16-40) stayed on the plateau for 1,500-2,000 steps at 3e-3 (and at 1e-2 for the
// smallest), with the memory as without; the default suite's version above keeps the paper's sizes
// and takes smaller batches instead.
describe.skipIf(process.env.METARL_MANN_LEARNING !== '1')(
  'MANN learns one-shot classification through its memory',
  () => {
    beforeAll(async () => {
      await useBackend('wasm');
    });

    it('is clearly more accurate from the 3rd sight on than the reads-zeroed ablation, and above chance', () => {
      const mann = trainAndEvaluate('on');
      const ablation = trainAndEvaluate('reads-zeroed');
      console.log(
        `accuracy by instance after ${STEPS} steps: mann ${Array.from(mann, (a) => a.toFixed(3)).join(' ')}; reads-zeroed ${Array.from(ablation, (a) => a.toFixed(3)).join(' ')}`,
      );
      expect(laterSights(mann)).toBeGreaterThan(0.45);
      expect(laterSights(mann)).toBeGreaterThan(laterSights(ablation) + 0.15);
    }, 1_800_000);
  },
);
