// Plain-node check of the built ESM entry points (run by scripts/check-built-packages.mjs).
import { useBackend } from '@metarl/core';
import {
  createExecutorFitness,
  createInProcessExecutor,
  handleFitnessJob,
  minimize,
} from '@metarl/evolution-strategies';
import { createWorkerThreadExecutor } from '@metarl/evolution-strategies/node';

// CMA-ES on the 10-D Rosenbrock function, from 0.1 * 1 with sigma 0.3 (pycma needs about 4,850 evaluations).
const rosenbrock = (x) => {
  let f = 0;
  for (let i = 0; i < x.length - 1; i += 1) f += 100 * (x[i] ** 2 - x[i + 1]) ** 2 + (x[i] - 1) ** 2;
  return f;
};
const result = minimize(rosenbrock, new Float32Array(10).fill(0.1), { sigma: 0.3, seed: 1, target: 1e-8 });
if (!(result.value <= 1e-8)) throw new Error(`esm: CMA-ES stopped at f = ${result.value}`);

// One antithetic generation on CartPole-v1, in this thread and on two worker threads: equal.
await useBackend('cpu');
const problem = {
  distribution: { id: 'CartPole-v1' },
  tasks: { kind: 'sampled', seed: 1, count: 1 },
  policy: { kind: 'categorical-mlp', hiddenSizes: [4] },
  maxEpisodeSteps: 50,
};
// Worker threads need the optional peer piscina (installed in the repository; an npm project
// without it gets a clear error, checked here too).
const threads = await createWorkerThreadExecutor({ threads: 2 }).catch((error) => {
  if (/needs the optional peer dependency 'piscina'/.test(error.message)) return undefined;
  throw error;
});
const evaluate = (executor) => {
  const fitness = createExecutorFitness(executor, problem, { run: 'smoke-esm', chunkSize: 2 });
  const theta = new Float32Array(fitness.dimension).fill(0.1);
  return fitness.evaluateAntithetic({
    generation: 0,
    environmentSeed: 3,
    theta,
    sigma: 0.5,
    noiseSeed: 5,
    populationSize: 8,
  });
};
const local = await evaluate(createInProcessExecutor(handleFitnessJob));
let threadsReport = 'worker threads not checked (optional peer piscina not installed)';
if (threads !== undefined) {
  const remote = await evaluate(threads);
  await threads.close();
  if (local.fitness.join() !== remote.fitness.join())
    throw new Error('esm: worker threads disagree with this thread');
  threadsReport = "CartPole fitness on 2 worker threads equals this thread's";
}
console.log(
  `@metarl/evolution-strategies ESM: CMA-ES solved 10-D Rosenbrock in ${result.evaluations} evaluations; ` +
    `${threadsReport} (returns ${Array.from(local.fitness).join(' ')})`,
);
