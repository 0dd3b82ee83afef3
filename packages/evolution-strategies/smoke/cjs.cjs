// Plain-node check of the built CommonJS entry points (run by scripts/check-built-packages.mjs).
const { useBackend } = require('@metarl/core');
const {
  createExecutorFitness,
  createInProcessExecutor,
  handleFitnessJob,
  maximize,
} = require('@metarl/evolution-strategies');
const { createWorkerThreadExecutor } = require('@metarl/evolution-strategies/node');

(async () => {
  // Maximise -||x - 2||^2 with CMA-ES: the optimum is 2 * 1.
  const result = maximize((x) => -x.reduce((sum, v) => sum + (v - 2) ** 2, 0), new Float32Array(5), {
    sigma: 1,
    seed: 2,
    target: -1e-10,
  });
  if (!result.solution.every((v) => Math.abs(v - 2) < 1e-4)) throw new Error('cjs: maximize missed 2 * 1');

  await useBackend('cpu');
  const problem = {
    distribution: { id: 'CartPole-v1' },
    tasks: { kind: 'sampled', seed: 1, count: 1 },
    policy: { kind: 'categorical-mlp', hiddenSizes: [4] },
    maxEpisodeSteps: 50,
  };
  // Worker threads need the optional peer piscina (see smoke/esm.mjs).
  const threads = await createWorkerThreadExecutor({ threads: 2 }).catch((error) => {
    if (/needs the optional peer dependency 'piscina'/.test(error.message)) return undefined;
    throw error;
  });
  const evaluate = (executor) => {
    const fitness = createExecutorFitness(executor, problem, { run: 'smoke-cjs', chunkSize: 3 });
    const population = new Float32Array(4 * fitness.dimension).map((_v, i) => Math.sin(i));
    return fitness.evaluatePopulation(population, { generation: 0, environmentSeed: 9 });
  };
  const local = await evaluate(createInProcessExecutor(handleFitnessJob));
  let threadsReport = 'worker threads not checked (optional peer piscina not installed)';
  if (threads !== undefined) {
    const remote = await evaluate(threads);
    await threads.close();
    if (local.fitness.join() !== remote.fitness.join())
      throw new Error('cjs: worker threads disagree with this thread');
    threadsReport = "CartPole fitness on 2 worker threads equals this thread's";
  }
  console.log(
    `@metarl/evolution-strategies CJS: maximize found 2 * 1 in ${result.evaluations} evaluations; ${threadsReport}`,
  );
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
