/**
 * pnpm bench maml-trpo-parts [-- --rounds <n>] [-- --threads <n>] [-- --native both|on|off] [-- --kernel-times] [-- --out <file>]
 *
 * The differentiated parts of a MAML-TRPO update on one Navigation2D meta-batch of the peer's
 * size (20 tasks x 20 episodes x 100 steps, Gaussian MLP [64, 64]), timed side by side
 * (interleaved, in one process): the second-order meta-gradient and one Fisher-vector product
 * (TRPO does 11 per update), by MAML's curvature objective (meta-gradient J^T g, Fisher-vector
 * product J^T F J) with the policy's cached curvature ("cached", `curvatureOf`) and with generic
 * autodiff products ("generic", `createAutodiffCurvature`: what a policy maml does not know
 * gets), and by the autodiff objective ("autodiffObjective": generic differentiation through
 * the adaptation, the Fisher-vector product a third-order pass; several inner steps and
 * Meta-SGD take it). (The line search evaluates values only and takes the same path every
 * way.) Reports each median, `ratio` = generic / cached and `autodiffObjectiveRatio` =
 * autodiff objective / generic. With `--native both` (the default where @metarl/native loads)
 * every part runs with the native kernels and without them in each round (`nativeSpeedup` =
 * without / with); `--kernel-times` adds where each variant's time goes, kernel by kernel.
 */
import {
  broadcastParams,
  collectEpisodes,
  createGaussianMlpPolicy,
  createPolicyAgent,
  createRng,
  disposeParams,
  innerStep,
  mapParams,
  type ParamTree,
  taskAdvantages,
  tf,
  toTaskBatch,
  useBackend,
} from '@metarl/core';
import { makeTaskDistribution } from '@metarl/envs';
import { createAutodiffCurvature, createMamlObjective, curvatureOf } from '@metarl/maml';
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

const flags = readFlags('maml-trpo-parts', {
  ...wasmFlags('times each part with and without them'),
  rounds: { type: 'integer', default: 5, minimum: 1, description: 'timed rounds of every part' },
});
const { rounds, threads } = flags;
const modes = (flags.native === 'both' ? ['on', 'off'] : [flags.native]) as ('on' | 'off')[];
const kernelTimes = flags['kernel-times'];
const backendInfo = await useBackend('wasm', { threads, native: modes[0]! });
/** Switches the native kernels on or off (the wasm backend stays; tensors stay valid). */
async function select(mode: 'on' | 'off') {
  const info = await useBackend('wasm', { threads, native: mode });
  if (kernelTimes) timeKernels();
  return info;
}
const tasksPerBatch = 20;
const episodesPerTask = 20;

const distribution = makeTaskDistribution('Navigation2D-v1');
const policy = createGaussianMlpPolicy({ observationSize: 2, actionSize: 2, hiddenSizes: [64, 64] });
const curvature = curvatureOf(policy);
if (curvature === undefined) throw new Error("maml should know the Gaussian MLP policy's curvature");
const rng = createRng(1);
const meta: ParamTree = { policy: policy.init(rng) };
const tasks = distribution.sampleTasks(tasksPerBatch, { seed: 1 });
const env = distribution.makeVectorEnv(
  tasks.flatMap((task) => Array.from({ length: episodesPerTask }, () => task)),
  { autoresetMode: 'disabled' },
);
const advantages = { gamma: 0.99, lambda: 1 };
const inner = { innerStepSize: 0.1, firstOrder: false };
const start = broadcastParams(meta.policy as ParamTree, tasksPerBatch);
const trainEpisodes = collectEpisodes(env, createPolicyAgent(policy, start, { tasks: tasksPerBatch }), {
  episodesPerEnv: 1,
  rng,
  seed: 1,
  tasks: tasksPerBatch,
});
const train = toTaskBatch(trainEpisodes, taskAdvantages(trainEpisodes, advantages), 'continuous');
const phi = innerStep(policy, start, train, inner);
const validEpisodes = collectEpisodes(env, createPolicyAgent(policy, phi, { tasks: tasksPerBatch }), {
  episodesPerEnv: 1,
  rng,
  tasks: tasksPerBatch,
});
const valid = toTaskBatch(validEpisodes, taskAdvantages(validEpisodes, advantages), 'continuous');
const objectives = {
  cached: createMamlObjective(policy, [train], valid, phi, { ...inner, curvature }),
  generic: createMamlObjective(policy, [train], valid, phi, {
    ...inner,
    curvature: createAutodiffCurvature(policy),
  }),
  autodiffObjective: createMamlObjective(policy, [train], valid, phi, inner),
};
const vector = {
  policy: mapParams(meta.policy as ParamTree, (p) => tf.randomNormal(p.shape, 0, 1, 'float32', 2)),
};

const times: Record<string, number[]> = {};
const profiles: Record<string, ReturnType<typeof takeKernelTimes>> = {};
const time = (name: string, round: number, run: () => void) => {
  takeKernelTimes();
  const started = performance.now();
  run();
  const list = times[name] ?? [];
  list.push(performance.now() - started);
  times[name] = list;
  if (kernelTimes && round === rounds) profiles[name] = takeKernelTimes();
};
const nativeInfo: Record<string, unknown> = {};
// Round 0 warms up (and fills the cached objective's caches, as TRPO's first call does).
for (let round = 0; round <= rounds; round += 1) {
  for (const mode of modes) {
    const info = await select(mode);
    nativeInfo[mode] = info.native ?? info.nativeUnavailable;
    for (const [label, objective] of Object.entries(objectives)) {
      time(`${mode}/${label}/gradient`, round, () => {
        const { value, gradients } = objective.lossAndGradient(meta);
        value.dataSync();
        value.dispose();
        disposeParams(gradients);
      });
      time(`${mode}/${label}/fisherVectorProduct`, round, () => {
        const product = objective.fisherVectorProduct(meta, vector);
        flattenAndDispose(product);
      });
    }
  }
}

function flattenAndDispose(tree: ParamTree): void {
  for (const leaf of Object.values(tree)) {
    if (leaf instanceof tf.Tensor) {
      leaf.dataSync();
      leaf.dispose();
    } else flattenAndDispose(leaf);
  }
}

const parts = ['gradient', 'fisherVectorProduct'] as const;
const round = (v: number) => Number(v.toFixed(1));
const results = Object.fromEntries(
  modes.map((mode) => [
    mode === 'on' ? 'native' : 'wasm',
    Object.fromEntries(
      parts.map((part) => {
        const [cached, generic, autodiffObjective] = Object.keys(objectives).map((label) =>
          median(times[`${mode}/${label}/${part}`]!.slice(1)),
        ) as [number, number, number];
        console.error(
          `native ${mode}: ${part}: cached ${cached.toFixed(0)} ms, generic ${generic.toFixed(0)} ms (ratio ${(generic / cached).toFixed(2)}), autodiff objective ${autodiffObjective.toFixed(0)} ms (${(autodiffObjective / generic).toFixed(2)} x generic)`,
        );
        return [
          part,
          {
            cachedMs: round(cached),
            genericMs: round(generic),
            ratio: Number((generic / cached).toFixed(2)),
            autodiffObjectiveMs: round(autodiffObjective),
            autodiffObjectiveRatio: Number((autodiffObjective / generic).toFixed(2)),
          },
        ];
      }),
    ),
  ]),
);
const nativeSpeedup =
  modes.length === 2
    ? Object.fromEntries(
        parts.flatMap((part) =>
          Object.keys(objectives).map((label) => {
            const ratio =
              median(times[`off/${label}/${part}`]!.slice(1)) /
              median(times[`on/${label}/${part}`]!.slice(1));
            return [`${label}/${part}`, Number(ratio.toFixed(2))];
          }),
        ),
      )
    : undefined;
if (nativeSpeedup) console.error(`native speed-up (without / with): ${JSON.stringify(nativeSpeedup)}`);
for (const [name, rows] of Object.entries(profiles))
  console.error(`kernel times, ${name} (last round):\n${formatKernelTimes(rows)}`);
for (const objective of Object.values(objectives)) objective.dispose();
report({
  name: 'maml-trpo-parts',
  backend: 'wasm',
  threads: backendInfo.threads,
  native: nativeInfo,
  config: { tasks: tasksPerBatch, episodesPerTask, horizon: 100, hiddenSizes: [64, 64], rounds },
  machine: describeMachine(),
  results,
  ...(nativeSpeedup ? { nativeSpeedup } : {}),
  ...(kernelTimes ? { kernelTimes: profiles } : {}),
});
