/**
 * TabularMDP-v0 (Duan et al. 2016): 10 states, 5 actions, episodes of 10 steps that all start in
 * state 0. Per task: each transition row P(.|s, a) ~ Dirichlet(1, ..., 1) and each reward mean
 * ~ N(1, 1); a step's reward ~ N(mean(s, a), 1). The observation is the one-hot state. The
 * 10-step horizon is a time limit (`truncated`). A trial is n episodes of the same task.
 *
 * A task's transition rows must each sum to 1 within 1e-6; each row is renormalised by its sum
 * when sampling, so a next state of probability 0 is never reached.
 */
import type { BatchedDynamics } from '../batched-dynamics';
import { describeValue } from '../describe-value';
import { Box } from '../spaces/box';
import { Discrete } from '../spaces/discrete';
import { defineTaskDistribution, type TaskDistribution } from '../task-distribution';
import { checkOptionNames, checkTaskNumber, readNumberOption } from './options';

/** A tabular MDP task. */
export interface TabularMdpTask {
  /** Number of states S. */
  readonly states: number;
  /** Number of actions A. */
  readonly actions: number;
  /** P(s' | s, a) at index (s * A + a) * S + s'; each row sums to 1 (within 1e-6; renormalised). */
  readonly transitions: readonly number[];
  /** Mean reward of (s, a) at index s * A + a. */
  readonly rewardMeans: readonly number[];
}

const ID = 'TabularMDP-v0';
const ROW_SUM_TOLERANCE = 1e-6;

function createDynamics(tasks: readonly TabularMdpTask[], episodeLength: number): BatchedDynamics {
  const { states, actions } = tasks[0]!;
  tasks.forEach((task, i) => {
    if (task.states !== states || task.actions !== actions) {
      throw new RangeError(
        `${ID}: task ${i} has ${task.states} states x ${task.actions} actions, task 0 has ${states} x ${actions}`,
      );
    }
  });
  const rowsPerTask = states * actions;
  const transitions = Float64Array.from(tasks.flatMap((task) => [...task.transitions]));
  const rows = transitions.length / states;
  // Per row: its sum (each draw is scaled by it) and the last state of positive probability.
  const rowTotals = new Float64Array(rows);
  const lastPossible = new Int32Array(rows);
  for (let row = 0; row < rows; row += 1) {
    let total = 0;
    for (let k = 0; k < states; k += 1) {
      const p = transitions[row * states + k]!;
      total += p;
      if (p > 0) lastPossible[row] = k;
    }
    rowTotals[row] = total;
  }
  const rewardMeans = Float64Array.from(tasks.flatMap((task) => [...task.rewardMeans]));
  const current = new Int32Array(tasks.length);
  const writeObservation = (i: number, observations: Float32Array) => {
    observations.fill(0, i * states, (i + 1) * states);
    observations[i * states + current[i]!] = 1;
  };
  return {
    id: ID,
    numEnvs: tasks.length,
    observationSpace: new Box(0, 1, [states]),
    actionSpace: new Discrete(actions),
    maxEpisodeSteps: episodeLength,
    resetEnv(i, _rng, observations) {
      current[i] = 0;
      writeObservation(i, observations);
    },
    stepEnv(i, actionValues, rng, observations, terminated) {
      const s = current[i]!;
      const a = actionValues[i]!;
      const rowIndex = i * rowsPerTask + s * actions + a;
      const reward = rewardMeans[rowIndex]! + rng.nextNormal();
      const row = rowIndex * states;
      const u = rng.next() * rowTotals[rowIndex]!;
      let next = lastPossible[rowIndex]!; // where u lands when rounding leaves it past the last sum
      let cumulative = 0;
      for (let k = 0; k < states; k += 1) {
        cumulative += transitions[row + k]!;
        if (u < cumulative) {
          next = k; // never a state of probability 0: the sum did not grow there
          break;
        }
      }
      current[i] = next;
      writeObservation(i, observations);
      terminated[i] = 0;
      return reward;
    },
    stateNames: ['state'],
    readState(i, out) {
      out[0] = current[i]!;
    },
    writeState(i, values, observations) {
      const s = values[0]!;
      if (!Number.isInteger(s) || s < 0 || s >= states) {
        throw new RangeError(
          `${ID}: state element 0 (state) is ${describeValue(s)}; expected an integer in [0, ${states - 1}]`,
        );
      }
      current[i] = s;
      writeObservation(i, observations);
    },
  };
}

/** TabularMDP-v0. Options: `states` (10), `actions` (5), `episodeLength` (10). */
export function tabularMdpDistribution(
  options: Record<string, unknown> = {},
): TaskDistribution<TabularMdpTask> {
  checkOptionNames(ID, options, ['states', 'actions', 'episodeLength']);
  const states = readNumberOption(ID, options, 'states', 10, { min: 1, max: 1e4, integer: true });
  const actions = readNumberOption(ID, options, 'actions', 5, { min: 1, max: 1e4, integer: true });
  const episodeLength = readNumberOption(ID, options, 'episodeLength', 10, {
    min: 1,
    max: 1e7,
    integer: true,
  });
  return defineTaskDistribution<TabularMdpTask>({
    id: ID,
    parameters: { states, actions, episodeLength },
    sampleTask(random) {
      const transitions: number[] = [];
      for (let row = 0; row < states * actions; row += 1) {
        // Dirichlet(1, ..., 1): normalised Exp(1) draws.
        const draws = Array.from({ length: states }, () => -Math.log(1 - random.next()));
        const total = draws.reduce((p, v) => p + v, 0);
        transitions.push(...draws.map((v) => v / total));
      }
      const rewardMeans = Array.from({ length: states * actions }, () => 1 + random.normal());
      return { states, actions, transitions, rewardMeans };
    },
    defaultTask: () => ({
      states,
      actions,
      transitions: Array.from({ length: states * actions * states }, () => 1 / states),
      rewardMeans: new Array<number>(states * actions).fill(1),
    }),
    validateTask(task) {
      if (task?.states !== states || task.actions !== actions) {
        throw new RangeError(
          `must have ${states} states and ${actions} actions, got ${describeValue(task?.states)} and ${describeValue(task?.actions)}`,
        );
      }
      if (!Array.isArray(task.transitions) || task.transitions.length !== states * actions * states) {
        throw new RangeError(`transitions must have ${states * actions * states} entries`);
      }
      if (!Array.isArray(task.rewardMeans) || task.rewardMeans.length !== states * actions) {
        throw new RangeError(`rewardMeans must have ${states * actions} entries`);
      }
      for (let row = 0; row < states * actions; row += 1) {
        let total = 0;
        for (let k = 0; k < states; k += 1) {
          const p = task.transitions[row * states + k]!;
          checkTaskNumber(`transitions[${row * states + k}]`, p, 0, 1);
          total += p;
        }
        if (!(Math.abs(total - 1) <= ROW_SUM_TOLERANCE)) {
          throw new RangeError(
            `transition row ${row} (entries ${row * states} to ${row * states + states - 1}) sums to ${total}; each row must sum to 1 within 1e-6`,
          );
        }
      }
      task.rewardMeans.forEach((m, i) => {
        checkTaskNumber(`rewardMeans[${i}]`, m, -1e6, 1e6);
      });
    },
    createDynamics: (tasks) => createDynamics(tasks, episodeLength),
  });
}
