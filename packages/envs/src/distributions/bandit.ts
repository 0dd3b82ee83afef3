/**
 * Bandit-v0 (Duan et al. 2016): a Bernoulli k-armed bandit whose arm probabilities p_i ~ U[0, 1]
 * are drawn per task. One pull per episode: the observation is a single 0, the action is an arm,
 * the reward is 1 with probability p_arm (else 0), and the episode terminates. A trial is n pulls
 * of the same task (`TrialWrapper` with `episodesPerTrial: n`).
 */
import type { BatchedDynamics } from '../batched-dynamics';
import { Box } from '../spaces/box';
import { Discrete } from '../spaces/discrete';
import { defineTaskDistribution, type TaskDistribution } from '../task-distribution';
import { checkOptionNames, checkTaskNumber, readNumberOption } from './options';

/** A bandit task: each arm's probability of paying 1. */
export interface BanditTask {
  /** p_i for each arm, in [0, 1]. */
  readonly probabilities: readonly number[];
}

const ID = 'Bandit-v0';

function createDynamics(tasks: readonly BanditTask[]): BatchedDynamics {
  const arms = tasks[0]!.probabilities.length;
  tasks.forEach((task, i) => {
    if (task.probabilities.length !== arms) {
      throw new RangeError(
        `${ID}: task ${i} has ${task.probabilities.length} arms, task 0 has ${arms}; one VectorEnv needs one action space`,
      );
    }
  });
  const probabilities = Float64Array.from(tasks.flatMap((task) => [...task.probabilities]));
  return {
    id: ID,
    numEnvs: tasks.length,
    observationSpace: new Box(0, 0, [1]),
    actionSpace: new Discrete(arms),
    maxEpisodeSteps: 1,
    resetEnv(i, _rng, observations) {
      observations[i] = 0;
    },
    stepEnv(i, actions, rng, observations, terminated) {
      observations[i] = 0;
      terminated[i] = 1;
      return rng.next() < probabilities[i * arms + actions[i]!]! ? 1 : 0;
    },
    stateNames: [], // stateless: every pull is a fresh episode
    readState() {},
    writeState() {},
  };
}

/** Bandit-v0 with `arms` (k, default 5) arms. */
export function banditDistribution(options: Record<string, unknown> = {}): TaskDistribution<BanditTask> {
  checkOptionNames(ID, options, ['arms']);
  const arms = readNumberOption(ID, options, 'arms', 5, { min: 1, max: 1e6, integer: true });
  return defineTaskDistribution<BanditTask>({
    id: ID,
    parameters: { arms },
    sampleTask: (random) => ({ probabilities: Array.from({ length: arms }, () => random.next()) }),
    defaultTask: () => ({
      probabilities: Array.from({ length: arms }, (_v, i) => (arms === 1 ? 0.5 : i / (arms - 1))),
    }),
    validateTask(task) {
      if (!Array.isArray(task?.probabilities) || task.probabilities.length !== arms) {
        throw new RangeError(
          `probabilities must be an array of ${arms} numbers (the distribution has ${arms} arms)`,
        );
      }
      task.probabilities.forEach((p, i) => {
        checkTaskNumber(`probabilities[${i}]`, p, 0, 1);
      });
    },
    createDynamics,
  });
}
