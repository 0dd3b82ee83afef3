/**
 * pnpm bench reptile-navigation [-- --out <file>] [-- --iterations 150]
 *
 * Reptile for RL on Navigation2D-v1 (docs/benchmarks.md section 2): inner loop 3 VPG steps, each
 * on 20 fresh episodes per task (linear baseline, GAE lambda 1, normalised advantages), meta-batch
 * 20 tasks, Gaussian MLP [64, 64] tanh as pytorch-maml-rl's. Its own control is the pretrained
 * policy: the same learner with one inner step, which is exactly joint training on all tasks (a
 * Reptile step with k = 1 is eps times one joint SGD step), trained for as many iterations.
 * Both are measured with the MAML test protocol: 40 new tasks x 20 episodes, one adaptation step.
 * Our own target (not a paper's): Reptile after adaptation >= -28 and above its control.
 */
import {
  createGaussianMlpPolicy,
  createRng,
  evaluateMetaLearner,
  type MetaMetrics,
  useBackend,
} from '@metarl/core';
import { makeTaskDistribution } from '@metarl/envs';
import { createReptile, type ReptileConfig } from '@metarl/reptile';
import { describeMachine, readFlags, report } from './shared';

const started = performance.now();
const flags = readFlags('reptile-navigation', {
  iterations: { type: 'integer', default: 150, minimum: 1, description: 'meta-iterations of each learner' },
  metaBatch: { type: 'integer', default: 20, minimum: 1, description: 'tasks per meta-iteration' },
  episodes: { type: 'integer', default: 20, minimum: 2, description: 'episodes per task and inner step' },
  innerSteps: {
    type: 'integer',
    default: 3,
    minimum: 2,
    description: "Reptile's inner policy-gradient steps",
  },
  innerStepSize: { type: 'number', default: 0.1, minimum: 0, description: 'inner SGD step size' },
  metaOptimizer: { type: 'string', default: 'sgd', choices: ['sgd', 'adam'], description: 'outer rule' },
  metaStepSize: { type: 'number', default: 1, minimum: 0, description: 'outer step size eps' },
  seed: { type: 'integer', default: 1, minimum: 0, description: 'seed of the learner and of training' },
});
await useBackend('wasm');
const distribution = makeTaskDistribution('Navigation2D-v1');
type Task = ReturnType<typeof distribution.sampleTasks>[number];
const policy = createGaussianMlpPolicy({ observationSize: 2, actionSize: 2, hiddenSizes: [64, 64] });
const protocol = { tasks: 40, episodesPerTask: 20, adaptationSteps: 1, seed: 2024 };

async function run(name: string, config: Partial<ReptileConfig<Task>>) {
  const learner = createReptile({
    distribution,
    policy,
    episodesPerTask: flags.episodes,
    innerStepSize: flags.innerStepSize,
    metaOptimizer: flags.metaOptimizer as 'sgd' | 'adam',
    metaStepSize: flags.metaStepSize,
    seed: flags.seed,
    ...config,
  });
  const rng = createRng(100 + flags.seed);
  const curve: { iteration: number; returnBefore: number; returnLastInnerStep?: number }[] = [];
  const t0 = performance.now();
  for (let i = 0; i < flags.iterations; i += 1) {
    const metrics: MetaMetrics = await learner.metaTrainStep(
      distribution.sampleTasks(flags.metaBatch, { seed: rng.nextSeed() }),
      rng,
    );
    curve.push({
      iteration: i,
      returnBefore: Number(metrics['metaTrain/returnBefore']!.toFixed(2)),
      ...(metrics['metaTrain/returnLastInnerStep'] === undefined
        ? {}
        : { returnLastInnerStep: Number(metrics['metaTrain/returnLastInnerStep'].toFixed(2)) }),
    });
    if (i % 10 === 0 || i === flags.iterations - 1)
      console.error(
        `${name} iteration ${i}: return ${metrics['metaTrain/returnBefore']!.toFixed(1)}${metrics['metaTrain/returnLastInnerStep'] === undefined ? '' : ` -> ${metrics['metaTrain/returnLastInnerStep'].toFixed(1)} at the last inner step`} (${metrics['time/iteration']!.toFixed(2)} s)`,
      );
  }
  const trainSeconds = (performance.now() - t0) / 1000;
  const test = evaluateMetaLearner(learner, distribution, protocol);
  learner.dispose();
  const [before, after] = test.steps;
  const row = {
    name,
    innerSteps: config.innerSteps,
    trainSeconds: Number(trainSeconds.toFixed(1)),
    test: {
      before: {
        mean: Number(before!.meanReturn.toFixed(2)),
        halfWidth95: Number(before!.halfWidth95.toFixed(2)),
      },
      afterOneStep: {
        mean: Number(after!.meanReturn.toFixed(2)),
        halfWidth95: Number(after!.halfWidth95.toFixed(2)),
      },
    },
    curve,
  };
  console.error(
    `${name}: test ${row.test.before.mean} -> ${row.test.afterOneStep.mean} after one step (${row.trainSeconds} s)`,
  );
  return row;
}

const reptile = await run('Reptile', { innerSteps: flags.innerSteps });
const control = await run('pretrained control (k = 1: joint training)', { innerSteps: 1 });
report({
  name: 'reptile-navigation',
  config: {
    environment: 'Navigation2D-v1',
    policy: 'Gaussian MLP [64, 64] tanh, learned log-std',
    iterations: flags.iterations,
    metaBatchSize: flags.metaBatch,
    episodesPerTask: flags.episodes,
    innerSteps: flags.innerSteps,
    innerStepSize: flags.innerStepSize,
    metaOptimizer: flags.metaOptimizer,
    metaStepSize: flags.metaStepSize,
    seed: flags.seed,
    testProtocol: protocol,
  },
  backend: 'wasm',
  machine: describeMachine(),
  wallSeconds: Number(((performance.now() - started) / 1000).toFixed(1)),
  results: [reptile, control],
});
