/**
 * Pendulum-v1 family: Gymnasium's Pendulum-v1 dynamics exactly (dt 0.05, max speed 8, max torque
 * 2, semi-implicit Euler, reward -(theta^2 + 0.1 thetadot^2 + 0.001 u^2) with theta normalised to
 * [-pi, pi), 200 steps, never terminates), with mass, length and gravity varying per task. The
 * default task (1, 1, 10) is Gymnasium's Pendulum-v1. The state [theta, thetaDot] is float64 (as
 * Gymnasium's; theta is not normalised), the observation (cos theta, sin theta, thetaDot) float32.
 */
import type { BatchedDynamics } from '../batched-dynamics';
import { Box } from '../spaces/box';
import { defineTaskDistribution, type TaskDistribution } from '../task-distribution';
import { checkOptionNames, checkTaskNumber, readRangeOption } from './options';

/** A Pendulum task: the physical parameters. */
export interface PendulumTask {
  /** Mass in kg (Gymnasium's `m`, 1.0). */
  readonly mass: number;
  /** Length in metres (Gymnasium's `l`, 1.0). */
  readonly length: number;
  /** Gravitational acceleration (Gymnasium's `g`, 10.0). */
  readonly gravity: number;
}

const ID = 'Pendulum-v1';
const MAX_SPEED = 8;
const MAX_TORQUE = 2;
const DT = 0.05;

/** Python's ((x + pi) % (2 pi)) - pi: the modulo takes the divisor's sign. */
export function normaliseAngle(x: number): number {
  const period = 2 * Math.PI;
  let m = (x + Math.PI) % period;
  if (m < 0) m += period;
  return m - Math.PI;
}

function createDynamics(tasks: readonly PendulumTask[]): BatchedDynamics {
  const count = tasks.length;
  const state = new Float64Array(count * 2); // theta, theta_dot
  const mass = Float64Array.from(tasks, (t) => t.mass);
  const length = Float64Array.from(tasks, (t) => t.length);
  const gravity = Float64Array.from(tasks, (t) => t.gravity);
  const write = (i: number, observations: Float32Array) => {
    const theta = state[2 * i]!;
    observations[3 * i] = Math.cos(theta);
    observations[3 * i + 1] = Math.sin(theta);
    observations[3 * i + 2] = state[2 * i + 1]!;
  };
  return {
    id: ID,
    numEnvs: count,
    observationSpace: new Box([-1, -1, -MAX_SPEED], [1, 1, MAX_SPEED]),
    actionSpace: new Box(-MAX_TORQUE, MAX_TORQUE, [1]),
    maxEpisodeSteps: 200,
    resetEnv(i, rng, observations) {
      state[2 * i] = -Math.PI + 2 * Math.PI * rng.next();
      state[2 * i + 1] = -1 + 2 * rng.next();
      write(i, observations);
    },
    stepEnv(i, actions, _rng, observations, terminated) {
      const theta = state[2 * i]!;
      const thetaDot = state[2 * i + 1]!;
      const u = Math.min(Math.max(actions[i]!, -MAX_TORQUE), MAX_TORQUE);
      const g = gravity[i]!;
      const m = mass[i]!;
      const l = length[i]!;
      const costs = normaliseAngle(theta) ** 2 + 0.1 * thetaDot ** 2 + 0.001 * u ** 2;
      let newThetaDot = thetaDot + (((3 * g) / (2 * l)) * Math.sin(theta) + (3.0 / (m * l ** 2)) * u) * DT;
      newThetaDot = Math.min(Math.max(newThetaDot, -MAX_SPEED), MAX_SPEED);
      state[2 * i] = theta + newThetaDot * DT;
      state[2 * i + 1] = newThetaDot;
      write(i, observations);
      terminated[i] = 0;
      return -costs;
    },
    stateNames: ['theta', 'thetaDot'],
    readState(i, out) {
      out[0] = state[2 * i]!;
      out[1] = state[2 * i + 1]!;
    },
    writeState(i, values, observations) {
      state[2 * i] = values[0]!;
      state[2 * i + 1] = values[1]!;
      write(i, observations);
    },
  };
}

/**
 * The Pendulum-v1 family. Options (sampling ranges, uniform): `mass` [0.5, 2.0], `length`
 * [0.5, 2.0], `gravity` [5, 15], each as `{ massLow, massHigh, ... }`.
 */
export function pendulumDistribution(options: Record<string, unknown> = {}): TaskDistribution<PendulumTask> {
  checkOptionNames(ID, options, [
    'massLow',
    'massHigh',
    'lengthLow',
    'lengthHigh',
    'gravityLow',
    'gravityHigh',
  ]);
  const range = (name: string, low: number, high: number) => readRangeOption(ID, options, name, low, high);
  const [massLow, massHigh] = range('mass', 0.5, 2.0);
  const [lengthLow, lengthHigh] = range('length', 0.5, 2.0);
  const [gravityLow, gravityHigh] = range('gravity', 5, 15);
  return defineTaskDistribution<PendulumTask>({
    id: ID,
    parameters: { massLow, massHigh, lengthLow, lengthHigh, gravityLow, gravityHigh },
    sampleTask: (random) => ({
      mass: massLow + (massHigh - massLow) * random.next(),
      length: lengthLow + (lengthHigh - lengthLow) * random.next(),
      gravity: gravityLow + (gravityHigh - gravityLow) * random.next(),
    }),
    defaultTask: () => ({ mass: 1.0, length: 1.0, gravity: 10.0 }),
    validateTask(task) {
      checkTaskNumber('mass', task?.mass, 1e-3, 1e3);
      checkTaskNumber('length', task?.length, 1e-3, 1e3);
      checkTaskNumber('gravity', task?.gravity, 0, 1e3);
    },
    createDynamics,
  });
}
