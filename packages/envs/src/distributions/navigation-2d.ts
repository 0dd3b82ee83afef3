/**
 * Navigation2D-v1 (Finn et al. 2017): exactly pytorch-maml-rl's `Navigation2DEnv`, the MAML
 * reference, in numpy's precision. A point agent starts at (0, 0) and must reach a goal drawn
 * from U[-0.5, 0.5]^2. Action in R^2, clipped to [-0.1, 0.1]^2 by definition; next position =
 * position + clipped action; reward = -Euclidean distance to the goal after the move; terminated
 * when |dx| < 0.01 and |dy| < 0.01; truncated at 100 steps.
 *
 * Precision of each quantity, as the reference computes it (float32 actions, as its policies give):
 * - action: float32; clipped in float32, so the bound is float32(0.1) = 0.10000000149011612;
 * - position (the state and the observation): float32; next = float32(position + action);
 * - goal: float64, the task's numbers as given (the reference samples them in float64);
 * - dx = position - goal, dy, the reward -sqrt(dx^2 + dy^2) and the termination test: float64.
 *
 * Navigation2D-v0 clipped to float64 0.1 and rounded goals to float32: positions differed from
 * the reference by up to 1.2e-7, rewards by up to 1.4e-7, and termination at the 0.01 edge.
 */
import type { BatchedDynamics } from '../batched-dynamics';
import { describeValue } from '../describe-value';
import { Box } from '../spaces/box';
import { defineTaskDistribution, type TaskDistribution } from '../task-distribution';
import { checkOptionNames, checkTaskNumber } from './options';

/** A Navigation2D task: where the goal is. */
export interface Navigation2DTask {
  /** Goal position (x, y), float64; sampled from U[-0.5, 0.5]^2. */
  readonly goal: readonly [number, number];
}

const ID = 'Navigation2D-v1';
const ACTION_BOUND = Math.fround(0.1);
const GOAL_TOLERANCE = 0.01;

function createDynamics(tasks: readonly Navigation2DTask[]): BatchedDynamics {
  const count = tasks.length;
  const goals = new Float64Array(count * 2);
  tasks.forEach((task, i) => {
    goals[2 * i] = task.goal[0];
    goals[2 * i + 1] = task.goal[1];
  });
  const positions = new Float32Array(count * 2); // float32 state, as the reference
  return {
    id: ID,
    numEnvs: count,
    observationSpace: new Box(-Infinity, Infinity, [2]),
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
      // float32 + float32 computed in float64 and stored as float32 is float32 addition exactly.
      const ax = Math.min(Math.max(actions[2 * i]!, -ACTION_BOUND), ACTION_BOUND);
      const ay = Math.min(Math.max(actions[2 * i + 1]!, -ACTION_BOUND), ACTION_BOUND);
      positions[2 * i] = positions[2 * i]! + ax;
      positions[2 * i + 1] = positions[2 * i + 1]! + ay;
      const x = positions[2 * i]!;
      const y = positions[2 * i + 1]!;
      observations[2 * i] = x;
      observations[2 * i + 1] = y;
      const dx = x - goals[2 * i]!;
      const dy = y - goals[2 * i + 1]!;
      terminated[i] = Math.abs(dx) < GOAL_TOLERANCE && Math.abs(dy) < GOAL_TOLERANCE ? 1 : 0;
      return -Math.sqrt(dx * dx + dy * dy);
    },
    stateNames: ['x', 'y'],
    readState(i, out) {
      out[0] = positions[2 * i]!;
      out[1] = positions[2 * i + 1]!;
    },
    writeState(i, state, observations) {
      positions[2 * i] = state[0]!; // rounded to float32, the position's precision
      positions[2 * i + 1] = state[1]!;
      observations[2 * i] = positions[2 * i]!;
      observations[2 * i + 1] = positions[2 * i + 1]!;
    },
  };
}

/** The Navigation2D-v1 distribution (no options). */
export function navigation2dDistribution(
  options: Record<string, unknown> = {},
): TaskDistribution<Navigation2DTask> {
  checkOptionNames(ID, options, []);
  return defineTaskDistribution<Navigation2DTask>({
    id: ID,
    parameters: {},
    sampleTask: (random) => ({ goal: [random.next() - 0.5, random.next() - 0.5] }),
    defaultTask: () => ({ goal: [0.5, 0.5] }),
    validateTask(task) {
      if (!Array.isArray(task?.goal) || task.goal.length !== 2) {
        throw new RangeError(`goal must be [x, y], got ${describeValue(task?.goal)}`);
      }
      checkTaskNumber('goal[0]', task.goal[0], -1e6, 1e6);
      checkTaskNumber('goal[1]', task.goal[1], -1e6, 1e6);
    },
    createDynamics,
  });
}
