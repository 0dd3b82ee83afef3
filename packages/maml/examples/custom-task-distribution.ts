// A task distribution of your own, meta-trained with MAML: "Target1D", walk along a line to a
// target that differs per task and is not observed (the policy sees only its position, so it
// must adapt from rewards). Written in user code with `defineTaskDistribution` (argument checks,
// seeding, single and vector environments, time limits and autoreset come from it; you supply
// the tasks and the batched dynamics), then checked with @metarl/envs/testing's checkers.
import { createGaussianMlpPolicy, evaluateMetaLearner, trainMetaLearner, useBackend } from '@metarl/core';
import { type BatchedDynamics, Box, defineTaskDistribution, type TaskDistribution } from '@metarl/envs';
import { checkEnv, checkTaskDistribution } from '@metarl/envs/testing';
import { createMaml } from '@metarl/maml';

/** One task: where the target is. */
interface Target1DTask {
  /** Target position in [-1, 1]. */
  readonly target: number;
}

const STEP = 0.2;

function createTarget1DDynamics(tasks: readonly Target1DTask[]): BatchedDynamics {
  const positions = new Float32Array(tasks.length);
  return {
    id: 'Target1D-v0',
    numEnvs: tasks.length,
    observationSpace: new Box(-Infinity, Infinity, [1]),
    actionSpace: new Box(-STEP, STEP, [1]),
    maxEpisodeSteps: 20,
    clipsActions: true, // any finite action is clipped into [-0.2, 0.2] by definition
    resetEnv(i, _rng, observations) {
      positions[i] = 0;
      observations[i] = 0;
    },
    stepEnv(i, actions, _rng, observations, terminated) {
      positions[i] = positions[i]! + Math.min(Math.max(actions[i]!, -STEP), STEP);
      observations[i] = positions[i]!;
      const distance = Math.abs(positions[i]! - tasks[i]!.target);
      terminated[i] = 0; // the episode ends at the time limit only
      return -distance;
    },
    // State access (getState/setState on the environments; the checkers test it round-trips).
    stateNames: ['position'],
    readState(i, out) {
      out[0] = positions[i]!;
    },
    writeState(i, state, observations) {
      positions[i] = state[0]!;
      observations[i] = positions[i]!;
    },
  };
}

const target1d: TaskDistribution<Target1DTask> = defineTaskDistribution<Target1DTask>({
  id: 'Target1D-v0',
  parameters: {}, // the distribution's options as plain JSON (none here); checkpoints record them
  sampleTask: (random) => ({ target: 2 * random.next() - 1 }),
  defaultTask: () => ({ target: 0.5 }),
  validateTask(task) {
    if (!(Math.abs(task?.target) <= 1))
      throw new RangeError(`target must be in [-1, 1], got ${String(task?.target)}`);
  },
  createDynamics: createTarget1DDynamics,
});

// The checkers return the checks that passed and throw an EnvCheckError listing every failure.
const envChecks = checkEnv(() => target1d.makeEnv(target1d.defaultTask()));
const distributionChecks = checkTaskDistribution(target1d);
console.log(
  `Target1D-v0 passes ${envChecks.length} env checks and ${distributionChecks.length} distribution checks`,
);

await useBackend('cpu');
const policy = createGaussianMlpPolicy({ observationSize: 1, actionSize: 1, hiddenSizes: [16] });
const maml = createMaml({ distribution: target1d, policy, episodesPerTask: 10, innerStepSize: 0.5, seed: 1 });
await trainMetaLearner(maml, target1d, { iterations: 10, metaBatchSize: 10, seed: 2, progress: 'none' });
const report = evaluateMetaLearner(maml, target1d, { tasks: 20, episodesPerTask: 10 });
const before = report.steps[0]!.meanReturn;
const after = report.steps[1]!.meanReturn;
console.log(
  `MAML on Target1D, 20 new targets: before adaptation ${before.toFixed(2)}, after one step ${after.toFixed(2)}`,
);
maml.dispose();
