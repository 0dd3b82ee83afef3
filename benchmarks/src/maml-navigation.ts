/**
 * pnpm bench maml-navigation [-- --iterations <n>] [-- --seeds 1,2,3] [-- --task navigation|bandit|tabular-mdp]
 *                            [-- --backend wasm|cpu] [-- --threads n] [-- --native both|on|off]
 *                            [-- --kernel-times] [-- --out <file>]
 *
 * MAML-TRPO in pytorch-maml-rl's configuration (docs/benchmarks.md section 3; its
 * `configs/maml/2d-navigation.yaml`): meta-batch 20 tasks, 20 episodes per task, horizon 100,
 * Gaussian MLP [64, 64] tanh (initial std 1), one inner VPG step with fast-lr 0.1, gamma 0.99,
 * GAE lambda 1 with the linear baseline, second order, TRPO max-KL 0.01, 10 CG iterations,
 * damping 1e-5, 15 line-search steps, ratio 0.8. Reports every iteration's wall seconds (and
 * where they go), the mean return before and after adaptation, then the peer's test protocol
 * (40 new tasks, 20 episodes each, one adaptation step).
 *
 * `--task bandit` (k = 5 arms, n = 10 pulls per task) and `--task tabular-mdp` (10 states, 5
 * actions, 10 episodes of 10 steps) run the same algorithm with a categorical MLP [64, 64].
 *
 * On wasm, `--native both` (the default) trains every seed twice in a row, with the native
 * kernels of @metarl/native and without them (same seed, same work), and reports the ratio;
 * `--kernel-times` adds each run's time per kernel.
 */
import {
  createCategoricalMlpPolicy,
  createGaussianMlpPolicy,
  createRng,
  evaluateMetaLearner,
  type Policy,
  useBackend,
} from '@metarl/core';
import { makeTaskDistribution, type TaskDistribution } from '@metarl/envs';
import { createMaml } from '@metarl/maml';
import {
  describeMachine,
  formatKernelTimes,
  median,
  readFlags,
  report,
  takeKernelTimes,
  timeKernels,
  wasmFlags,
} from './shared';

const flags = readFlags('maml-navigation', {
  ...wasmFlags('trains each seed with and without them'),
  iterations: { type: 'integer', default: 30, minimum: 1, description: 'meta-iterations per seed' },
  seeds: { type: 'integers', default: [1], description: 'training seeds, comma-separated' },
  task: {
    type: 'string',
    default: 'navigation',
    choices: ['navigation', 'bandit', 'tabular-mdp'],
    description: 'task distribution',
  },
  backend: { type: 'string', default: 'wasm', description: 'tensor backend (wasm, cpu, auto, ...)' },
});
const { iterations, seeds, task, backend, threads } = flags;
const modes = (backend !== 'wasm' ? ['off'] : flags.native === 'both' ? ['on', 'off'] : [flags.native]) as (
  | 'on'
  | 'off'
)[];
const metaBatchSize = 20;
const useBackendFor = async (mode: 'on' | 'off') => {
  const info = await useBackend(backend, backend === 'wasm' ? { threads, native: mode } : { threads });
  if (flags['kernel-times']) timeKernels(info.tfjsName);
  return info;
};
const backendInfo = await useBackendFor(modes[0]!);

const setups: Record<
  string,
  () => { distribution: TaskDistribution<unknown>; policy: Policy; episodes: number }
> = {
  navigation: () => ({
    distribution: makeTaskDistribution('Navigation2D-v1') as TaskDistribution<unknown>,
    policy: createGaussianMlpPolicy({ observationSize: 2, actionSize: 2, hiddenSizes: [64, 64] }),
    episodes: 20,
  }),
  bandit: () => ({
    distribution: makeTaskDistribution('Bandit-v0', { arms: 5 }) as TaskDistribution<unknown>,
    policy: createCategoricalMlpPolicy({ observationSize: 1, actions: 5, hiddenSizes: [64, 64] }),
    episodes: 10,
  }),
  'tabular-mdp': () => ({
    distribution: makeTaskDistribution('TabularMDP-v0') as TaskDistribution<unknown>,
    policy: createCategoricalMlpPolicy({ observationSize: 10, actions: 5, hiddenSizes: [64, 64] }),
    episodes: 10,
  }),
};
const setup = setups[task]!;

const runs: Record<string, unknown>[] = [];
for (const seed of seeds)
  for (const mode of modes) {
    const info = await useBackendFor(mode);
    takeKernelTimes();
    const { distribution, policy, episodes } = setup();
    const maml = createMaml({ distribution, policy, episodesPerTask: episodes, seed });
    const rng = createRng(seed);
    const perIteration: Record<string, number>[] = [];
    for (let iteration = 0; iteration < iterations; iteration += 1) {
      const tasks = distribution.sampleTasks(metaBatchSize, { seed: rng.nextSeed() });
      const metrics = await maml.metaTrainStep(tasks, rng);
      const row = {
        iteration,
        seconds: metrics['time/iteration']!,
        sampling: metrics['time/sampling']!,
        advantages: metrics['time/advantages']!,
        innerLoop: metrics['time/adaptation']!,
        trpo: metrics['time/outer']!,
        trpoGradient: metrics['trpo/secondsGradient']!,
        trpoFisherProducts: metrics['trpo/secondsFisherProducts']!,
        trpoLineSearch: metrics['trpo/secondsLineSearch']!,
        lineSearchSteps: metrics['trpo/lineSearchSteps'] ?? Number.NaN,
        returnBefore: metrics['metaTrain/returnBefore']!,
        returnAfter: metrics['metaTrain/returnAfter']!,
        accepted: metrics['trpo/accepted']!,
      };
      perIteration.push(row);
      console.error(
        `seed ${seed}${backend === 'wasm' ? ` native ${mode}` : ''} iteration ${iteration}: ${row.seconds.toFixed(2)} s (sampling ${row.sampling.toFixed(2)}, advantages ${row.advantages.toFixed(2)}, inner ${row.innerLoop.toFixed(2)}, TRPO ${row.trpo.toFixed(2)}: gradient ${row.trpoGradient.toFixed(2)}, ${metrics['trpo/fisherProducts']} Fisher products ${row.trpoFisherProducts.toFixed(2)}, line search ${row.trpoLineSearch.toFixed(2)} with ${row.lineSearchSteps + 1} candidates)  return ${row.returnBefore.toFixed(1)} -> ${row.returnAfter.toFixed(1)}`,
      );
    }
    const test = evaluateMetaLearner(maml, distribution, {
      tasks: 40,
      episodesPerTask: episodes,
      seed: 1000 + seed,
    });
    maml.dispose();
    const [before, after] = test.steps;
    console.error(
      `seed ${seed} test (40 new tasks): ${before!.meanReturn.toFixed(1)} ± ${before!.halfWidth95.toFixed(1)} -> ${after!.meanReturn.toFixed(1)} ± ${after!.halfWidth95.toFixed(1)}`,
    );
    const round = (v: number) => Number(v.toFixed(3));
    const kernels = flags['kernel-times'] ? takeKernelTimes() : undefined;
    if (kernels) console.error(`kernel times, seed ${seed}, native ${mode}:\n${formatKernelTimes(kernels)}`);
    runs.push({
      seed,
      native: info.native ?? null,
      ...(info.nativeUnavailable ? { nativeUnavailable: info.nativeUnavailable } : {}),
      medianSecondsPerIteration: round(median(perIteration.map((r) => r.seconds!))),
      medianBreakdown: Object.fromEntries(
        (
          [
            'sampling',
            'advantages',
            'innerLoop',
            'trpo',
            'trpoGradient',
            'trpoFisherProducts',
            'trpoLineSearch',
          ] as const
        ).map((key) => [key, round(median(perIteration.map((r) => r[key] as number)))]),
      ),
      iterations: perIteration.map((r) =>
        Object.fromEntries(Object.entries(r).map(([k, v]) => [k, round(v)])),
      ),
      test: {
        before: { mean: round(before!.meanReturn), halfWidth95: round(before!.halfWidth95) },
        after: { mean: round(after!.meanReturn), halfWidth95: round(after!.halfWidth95) },
      },
      ...(kernels ? { kernelTimes: kernels } : {}),
    });
  }
// Native against plain wasm for each seed (seconds per iteration, medians).
const nativeSpeedup = seeds.flatMap((seed) => {
  const of = (mode: 'on' | 'off') =>
    runs.find((run) => run.seed === seed && (mode === 'on') === (run.native !== null)) as
      | { medianSecondsPerIteration: number }
      | undefined;
  const [on, off] = [of('on'), of('off')];
  return on && off && on !== off
    ? [{ seed, ratio: Number((off.medianSecondsPerIteration / on.medianSecondsPerIteration).toFixed(2)) }]
    : [];
});
for (const { seed, ratio } of nativeSpeedup)
  console.error(`seed ${seed}: native kernels ${ratio}x faster per iteration than plain wasm`);
report({
  name: 'maml-navigation',
  task,
  backend,
  threads: backendInfo.threads,
  config: {
    iterations,
    seeds,
    metaBatchSize,
    configuration: "pytorch-maml-rl's configs/maml/2d-navigation.yaml (TRPO outer loop, second order)",
  },
  machine: describeMachine(),
  runs,
  ...(nativeSpeedup.length > 0 ? { nativeSpeedup } : {}),
});
