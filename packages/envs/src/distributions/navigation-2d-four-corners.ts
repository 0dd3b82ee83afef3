/**
 * Navigation2DFourCorners-v0: the sparse-reward four-corner navigation of ES-MAML (Song et al.
 * 2020; google-research/es_maml `task.py`, `NavigationTask4corner`), where exploration matters:
 * the goal is one of the four corners (+-2, +-2) of a square, and the reward says nothing until
 * the agent is within distance 2 of it. A point agent starts at (0, 0) (distance 2 sqrt(2) from
 * every corner, so the first steps earn nothing); action in R^2, clipped to [-0.1, 0.1]^2;
 * next position = clip(position + action, -5, 5); reward after the move
 * max(0, 4 - |position - goal|^2): 0 outside the disc of radius 2 around the goal, up to 4 at it.
 * Never terminates; truncated at 100 steps.
 *
 * Differences from es_maml: its reward adds a constant alive penalty of -4 per step (every
 * return shifted by -400, the same optimisation problem); here it is left out so that the reward
 * is 0 until the goal region is reached. Positions are float64.
 */
import type { BatchedDynamics } from '../batched-dynamics';
import { describeValue } from '../describe-value';
import { Box } from '../spaces/box';
import { defineTaskDistribution, type TaskDistribution } from '../task-distribution';
import { checkOptionNames, checkTaskNumber } from './options';

/** A four-corner navigation task: which corner is the goal. */
export interface Navigation2DFourCornersTask {
  /** Goal position (x, y): one of (2, 2), (-2, 2), (-2, -2), (2, -2) when sampled. */
  readonly goal: readonly [number, number];
}

const ID = 'Navigation2DFourCorners-v0';
const ACTION_BOUND = 0.1;
const POSITION_BOUND = 5;
/** Radius of the rewarding disc around the goal (es_maml: reward max(0, 4 - squared distance)). */
const GOAL_RADIUS = 2;
/** The four corners, in es_maml's order (task id modulo 4). */
export const FOUR_CORNERS: readonly (readonly [number, number])[] = [
  [2, 2],
  [-2, 2],
  [-2, -2],
  [2, -2],
];

function createDynamics(tasks: readonly Navigation2DFourCornersTask[]): BatchedDynamics {
  const count = tasks.length;
  const goals = new Float64Array(count * 2);
  tasks.forEach((task, i) => {
    goals[2 * i] = task.goal[0];
    goals[2 * i + 1] = task.goal[1];
  });
  const positions = new Float64Array(count * 2);
  const clip = (value: number, bound: number) => Math.min(Math.max(value, -bound), bound);
  return {
    id: ID,
    numEnvs: count,
    observationSpace: new Box(-POSITION_BOUND, POSITION_BOUND, [2]),
    actionSpace: new Box(-ACTION_BOUND, ACTION_BOUND, [2]),
    maxEpisodeSteps: 100,
    clipsActions: true,
    resetEnv(i, _rng, observations) {
      positions[2 * i] = 0;
      positions[2 * i + 1] = 0;
      observations[2 * i] = 0;
      observations[2 * i + 1] = 0;
    },
    stepEnv(i, actions, _rng, observations, terminated) {
      const x = clip(positions[2 * i]! + clip(actions[2 * i]!, ACTION_BOUND), POSITION_BOUND);
      const y = clip(positions[2 * i + 1]! + clip(actions[2 * i + 1]!, ACTION_BOUND), POSITION_BOUND);
      positions[2 * i] = x;
      positions[2 * i + 1] = y;
      observations[2 * i] = x;
      observations[2 * i + 1] = y;
      terminated[i] = 0;
      const dx = x - goals[2 * i]!;
      const dy = y - goals[2 * i + 1]!;
      return Math.max(0, GOAL_RADIUS * GOAL_RADIUS - (dx * dx + dy * dy));
    },
    stateNames: ['x', 'y'],
    readState(i, out) {
      out[0] = positions[2 * i]!;
      out[1] = positions[2 * i + 1]!;
    },
    writeState(i, state, observations) {
      positions[2 * i] = clip(state[0]!, POSITION_BOUND);
      positions[2 * i + 1] = clip(state[1]!, POSITION_BOUND);
      observations[2 * i] = positions[2 * i]!;
      observations[2 * i + 1] = positions[2 * i + 1]!;
    },
  };
}

/** The Navigation2DFourCorners-v0 distribution (no options): each task's goal is a corner, uniformly. */
export function navigation2dFourCornersDistribution(
  options: Record<string, unknown> = {},
): TaskDistribution<Navigation2DFourCornersTask> {
  checkOptionNames(ID, options, []);
  return defineTaskDistribution<Navigation2DFourCornersTask>({
    id: ID,
    parameters: {},
    sampleTask: (random) => ({
      goal: [...FOUR_CORNERS[Math.floor(random.next() * 4) % 4]!] as [number, number],
    }),
    defaultTask: () => ({ goal: [2, 2] }),
    validateTask(task) {
      if (!Array.isArray(task?.goal) || task.goal.length !== 2) {
        throw new RangeError(`goal must be [x, y], got ${describeValue(task?.goal)}`);
      }
      checkTaskNumber('goal[0]', task.goal[0], -POSITION_BOUND, POSITION_BOUND);
      checkTaskNumber('goal[1]', task.goal[1], -POSITION_BOUND, POSITION_BOUND);
    },
    createDynamics,
  });
}
