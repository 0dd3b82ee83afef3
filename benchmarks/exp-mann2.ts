import { createRng, useBackend } from '@metarl/core';
import { createMannNetwork, createOneShotLearner, sampleSyntheticEpisodes } from '@metarl/memory-augmented';
await useBackend('wasm');
const [memory, steps, lr, classes, instances, dim, sigma, controller, slots, width, heads, batch] = process.argv.slice(2);
const episode = { classes: Number(classes), instancesPerClass: Number(instances), dimension: Number(dim), sigma: Number(sigma) };
const model = createMannNetwork({ inputSize: episode.dimension + episode.classes, outputSize: episode.classes, controllerSize: Number(controller), memorySlots: Number(slots), memoryWidth: Number(width), heads: Number(heads), memory: memory as 'on' });
const learner = createOneShotLearner({ model, learningRate: Number(lr), seed: 1 });
const rng = createRng(2);
const t0 = performance.now();
for (let step = 1; step <= Number(steps); step += 1) {
  const loss = learner.trainStep(sampleSyntheticEpisodes(Number(batch), rng, episode));
  if (step % 100 === 0) {
    const acc = learner.evaluate(sampleSyntheticEpisodes(200, createRng(99), episode));
    console.log(`${memory} step ${step} loss ${loss.toFixed(3)} acc ${Array.from(acc, (a) => a.toFixed(2)).join(' ')} ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
}
