import { createRng, useBackend } from '@metarl/core';
import { createMannNetwork, createOneShotLearner, sampleSyntheticEpisodes } from '@metarl/memory-augmented';
await useBackend('wasm');
const [memory, writeVector, steps, lr, sigma, dim] = process.argv.slice(2);
const episode = { classes: 3, instancesPerClass: 5, dimension: Number(dim ?? 20), sigma: Number(sigma ?? 0.5) };
const model = createMannNetwork({ inputSize: episode.dimension + 3, outputSize: 3, controllerSize: 32, memorySlots: 16, memoryWidth: 8, heads: 2, memory: memory as 'on', writeVector: writeVector as 'key' });
const learner = createOneShotLearner({ model, learningRate: Number(lr), seed: 1 });
const rng = createRng(2);
const t0 = performance.now();
for (let step = 1; step <= Number(steps); step += 1) {
  const loss = learner.trainStep(sampleSyntheticEpisodes(16, rng, episode));
  if (step % 100 === 0) {
    const acc = learner.evaluate(sampleSyntheticEpisodes(200, createRng(99), episode));
    console.log(`${memory}/${writeVector} step ${step} loss ${loss.toFixed(3)} acc ${Array.from(acc, (a) => a.toFixed(2)).join(' ')} ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
}
