/**
 * CartPole-v1 family: Gymnasium's CartPole-v1 dynamics exactly (Euler integration, tau 0.02,
 * force 10, gravity 9.8, thresholds 12 degrees and 2.4, reward 1 per step including the
 * terminating one, 500 steps), with the pole's (half) length, the pole's mass and the cart's mass
 * varying per task. The default task (0.5, 0.1, 1.0) is Gymnasium's CartPole-v1. The state
 * [x, xDot, theta, thetaDot] is float64 (as Gymnasium's), the observation its float32 rounding.
 */
import type { BatchedDynamics } from '../batched-dynamics';
import { Box } from '../spaces/box';
import { Discrete } from '../spaces/discrete';
import { defineTaskDistribution, type TaskDistribution } from '../task-distribution';
import { checkOptionNames, checkTaskNumber, readRangeOption } from './options';

/** A CartPole task: the physical parameters. */
export interface CartPoleTask {
  /** Half the pole's length in metres (Gymnasium's `length`, 0.5). */
  readonly poleLength: number;
  /** The pole's mass in kg (Gymnasium's `masspole`, 0.1). */
  readonly poleMass: number;
  /** The cart's mass in kg (Gymnasium's `masscart`, 1.0). */
  readonly cartMass: number;
}

const ID = 'CartPole-v1';
const GRAVITY = 9.8;
const FORCE = 10;
const TAU = 0.02;
const THETA_THRESHOLD = (12 * 2 * Math.PI) / 360;
const X_THRESHOLD = 2.4;
const FLOAT32_MAX = 3.4028234663852886e38;

function createDynamics(tasks: readonly CartPoleTask[]): BatchedDynamics {
  const count = tasks.length;
  const state = new Float64Array(count * 4); // x, x_dot, theta, theta_dot (float64, as Gymnasium)
  const poleLength = Float64Array.from(tasks, (t) => t.poleLength);
  const poleMass = Float64Array.from(tasks, (t) => t.poleMass);
  const totalMass = Float64Array.from(tasks, (t) => t.poleMass + t.cartMass);
  const high = [X_THRESHOLD * 2, FLOAT32_MAX, THETA_THRESHOLD * 2, FLOAT32_MAX];
  return {
    id: ID,
    numEnvs: count,
    observationSpace: new Box(
      high.map((v) => -v),
      high,
    ),
    actionSpace: new Discrete(2),
    maxEpisodeSteps: 500,
    resetEnv(i, rng, observations) {
      for (let j = 0; j < 4; j += 1) {
        const value = -0.05 + 0.1 * rng.next();
        state[4 * i + j] = value;
        observations[4 * i + j] = value;
      }
    },
    stepEnv(i, actions, _rng, observations, terminated) {
      const o = 4 * i;
      let x = state[o]!;
      let xDot = state[o + 1]!;
      let theta = state[o + 2]!;
      let thetaDot = state[o + 3]!;
      const force = actions[i] === 1 ? FORCE : -FORCE;
      const cosTheta = Math.cos(theta);
      const sinTheta = Math.sin(theta);
      const length = poleLength[i]!;
      const mass = totalMass[i]!;
      const poleMassLength = poleMass[i]! * length;
      const temp = (force + poleMassLength * thetaDot ** 2 * sinTheta) / mass;
      const thetaAcc =
        (GRAVITY * sinTheta - cosTheta * temp) /
        (length * (4.0 / 3.0 - (poleMass[i]! * cosTheta ** 2) / mass));
      const xAcc = temp - (poleMassLength * thetaAcc * cosTheta) / mass;
      x = x + TAU * xDot;
      xDot = xDot + TAU * xAcc;
      theta = theta + TAU * thetaDot;
      thetaDot = thetaDot + TAU * thetaAcc;
      state[o] = x;
      state[o + 1] = xDot;
      state[o + 2] = theta;
      state[o + 3] = thetaDot;
      observations[o] = x;
      observations[o + 1] = xDot;
      observations[o + 2] = theta;
      observations[o + 3] = thetaDot;
      terminated[i] =
        x < -X_THRESHOLD || x > X_THRESHOLD || theta < -THETA_THRESHOLD || theta > THETA_THRESHOLD ? 1 : 0;
      return 1;
    },
    stateNames: ['x', 'xDot', 'theta', 'thetaDot'],
    readState(i, out) {
      out.set(state.subarray(4 * i, 4 * i + 4));
    },
    writeState(i, values, observations) {
      for (let j = 0; j < 4; j += 1) {
        state[4 * i + j] = values[j]!;
        observations[4 * i + j] = values[j]!;
      }
    },
  };
}

/**
 * The CartPole-v1 family. Options (sampling ranges, uniform): `poleLength` [0.25, 1.0],
 * `poleMass` [0.05, 0.5], `cartMass` [0.5, 2.0], each as `{ poleLengthLow, poleLengthHigh, ... }`.
 */
export function cartPoleDistribution(options: Record<string, unknown> = {}): TaskDistribution<CartPoleTask> {
  const names = [
    'poleLengthLow',
    'poleLengthHigh',
    'poleMassLow',
    'poleMassHigh',
    'cartMassLow',
    'cartMassHigh',
  ];
  checkOptionNames(ID, options, names);
  const range = (name: string, low: number, high: number) => readRangeOption(ID, options, name, low, high);
  const [lengthLow, lengthHigh] = range('poleLength', 0.25, 1.0);
  const [poleLow, poleHigh] = range('poleMass', 0.05, 0.5);
  const [cartLow, cartHigh] = range('cartMass', 0.5, 2.0);
  return defineTaskDistribution<CartPoleTask>({
    id: ID,
    parameters: {
      poleLengthLow: lengthLow,
      poleLengthHigh: lengthHigh,
      poleMassLow: poleLow,
      poleMassHigh: poleHigh,
      cartMassLow: cartLow,
      cartMassHigh: cartHigh,
    },
    sampleTask: (random) => ({
      poleLength: lengthLow + (lengthHigh - lengthLow) * random.next(),
      poleMass: poleLow + (poleHigh - poleLow) * random.next(),
      cartMass: cartLow + (cartHigh - cartLow) * random.next(),
    }),
    defaultTask: () => ({ poleLength: 0.5, poleMass: 0.1, cartMass: 1.0 }),
    validateTask(task) {
      checkTaskNumber('poleLength', task?.poleLength, 1e-3, 1e3);
      checkTaskNumber('poleMass', task?.poleMass, 1e-3, 1e3);
      checkTaskNumber('cartMass', task?.cartMass, 1e-3, 1e3);
    },
    createDynamics,
  });
}
