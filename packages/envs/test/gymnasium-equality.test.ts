/**
 * CartPole-v1 and Pendulum-v1 against trajectories computed here from Gymnasium's published
 * equations (gymnasium/envs/classic_control/cartpole.py and pendulum.py), transcribed
 * independently of the implementation: same constants, integrator, thresholds, rewards and
 * float32 observations. Initial states use the documented reset distributions with the same
 * generator draws.
 */
import { describe, expect, it } from 'vitest';
import {
  type CartPoleTask,
  cartPoleDistribution,
  createRng,
  normaliseAngle,
  type PendulumTask,
  pendulumDistribution,
  type SingleEnv,
} from '../src/index';

/** Gymnasium CartPole-v1 step, parameters substituted. Returns [state, reward, terminated]. */
function gymCartPoleStep(state: number[], action: number, p: CartPoleTask): [number[], number, boolean] {
  const gravity = 9.8;
  const masscart = p.cartMass;
  const masspole = p.poleMass;
  const total_mass = masspole + masscart;
  const length = p.poleLength;
  const polemass_length = masspole * length;
  const force_mag = 10.0;
  const tau = 0.02;
  const theta_threshold_radians = (12 * 2 * Math.PI) / 360;
  const x_threshold = 2.4;
  let [x, x_dot, theta, theta_dot] = state as [number, number, number, number];
  const force = action === 1 ? force_mag : -force_mag;
  const costheta = Math.cos(theta);
  const sintheta = Math.sin(theta);
  const temp = (force + polemass_length * theta_dot ** 2 * sintheta) / total_mass;
  const thetaacc =
    (gravity * sintheta - costheta * temp) / (length * (4.0 / 3.0 - (masspole * costheta ** 2) / total_mass));
  const xacc = temp - (polemass_length * thetaacc * costheta) / total_mass;
  x = x + tau * x_dot;
  x_dot = x_dot + tau * xacc;
  theta = theta + tau * theta_dot;
  theta_dot = theta_dot + tau * thetaacc;
  const terminated =
    x < -x_threshold ||
    x > x_threshold ||
    theta < -theta_threshold_radians ||
    theta > theta_threshold_radians;
  return [[x, x_dot, theta, theta_dot], 1.0, terminated];
}

function angleNormalize(x: number): number {
  const y = (x + Math.PI) % (2 * Math.PI);
  return (y < 0 ? y + 2 * Math.PI : y) - Math.PI;
}

/** Gymnasium Pendulum-v1 step, parameters substituted. Returns [state, reward]. */
function gymPendulumStep(state: number[], u0: number, p: PendulumTask): [number[], number] {
  const [th, thdot] = state as [number, number];
  const g = p.gravity;
  const m = p.mass;
  const l = p.length;
  const dt = 0.05;
  const u = Math.min(Math.max(u0, -2.0), 2.0);
  const costs = angleNormalize(th) ** 2 + 0.1 * thdot ** 2 + 0.001 * u ** 2;
  let newthdot = thdot + (((3 * g) / (2 * l)) * Math.sin(th) + (3.0 / (m * l ** 2)) * u) * dt;
  newthdot = Math.min(Math.max(newthdot, -8), 8);
  const newth = th + newthdot * dt;
  return [[newth, newthdot], -costs];
}

const f32 = (values: number[]) => Array.from(Float32Array.from(values));

describe('CartPole-v1 equals Gymnasium step for step', () => {
  const distribution = cartPoleDistribution();
  const tasks: [string, CartPoleTask][] = [
    ['the default task (Gymnasium CartPole-v1)', distribution.defaultTask()],
    ['a heavier, longer pole', { poleLength: 0.9, poleMass: 0.4, cartMass: 1.7 }],
    ...distribution
      .sampleTasks(2, { seed: 3 })
      .map((task, i): [string, CartPoleTask] => [`sampled task ${i}`, task]),
  ];
  for (const [name, task] of tasks) {
    it(`${name}: random and balancing policies, through termination or the 500-step limit`, () => {
      for (const [seed, policy] of [
        [1, 'random'],
        [2, 'balance'],
      ] as const) {
        const env = distribution.makeEnv(task);
        let { observation } = env.reset({ seed });
        const draws = createRng(seed);
        let state = [0, 1, 2, 3].map(() => -0.05 + 0.1 * draws.next());
        expect(Array.from(observation)).toEqual(f32(state));
        const actions = createRng(seed + 100);
        let steps = 0;
        for (;;) {
          const action =
            policy === 'random' ? actions.nextInt(2) : observation[2]! + 0.5 * observation[3]! > 0 ? 1 : 0;
          const result = env.step(action);
          const [next, reward, terminated] = gymCartPoleStep(state, action, task);
          state = next;
          steps += 1;
          expect(Array.from(result.observation)).toEqual(f32(state));
          expect(result.reward).toBe(reward);
          expect(result.terminated).toBe(terminated);
          expect(result.truncated).toBe(steps >= 500); // Gymnasium's TimeLimit: even when terminated
          expect(Array.from((env as SingleEnv).getState())).toEqual(state); // float64, as Gymnasium's
          observation = result.observation;
          if (result.terminated || result.truncated) break;
        }
        if (policy === 'random') expect(steps).toBeLessThan(500);
      }
    });
  }
  it('the balancing policy reaches the 500-step time limit on the default task', () => {
    const env = distribution.makeEnv(distribution.defaultTask());
    let { observation } = env.reset({ seed: 2 });
    let steps = 0;
    for (;;) {
      const result = env.step(observation[2]! + 0.5 * observation[3]! > 0 ? 1 : 0);
      steps += 1;
      observation = result.observation;
      if (result.terminated || result.truncated) {
        expect(result.truncated).toBe(true);
        break;
      }
    }
    expect(steps).toBe(500);
  });
});

describe('Pendulum-v1 equals Gymnasium step for step', () => {
  const distribution = pendulumDistribution();
  const tasks: [string, PendulumTask][] = [
    ['the default task (Gymnasium Pendulum-v1)', distribution.defaultTask()],
    ['a heavy pendulum on a strong planet', { mass: 1.9, length: 0.6, gravity: 14.5 }],
    ...distribution
      .sampleTasks(2, { seed: 4 })
      .map((task, i): [string, PendulumTask] => [`sampled task ${i}`, task]),
  ];
  for (const [name, task] of tasks) {
    it(`${name}: 200 steps of random torques, truncated at the limit`, () => {
      const env = distribution.makeEnv(task);
      const { observation } = env.reset({ seed: 5 });
      const draws = createRng(5);
      let state = [-Math.PI + 2 * Math.PI * draws.next(), -1 + 2 * draws.next()];
      expect(Array.from(observation)).toEqual(f32([Math.cos(state[0]!), Math.sin(state[0]!), state[1]!]));
      const torques = createRng(6);
      for (let t = 1; t <= 200; t += 1) {
        const u = -2 + 4 * torques.next();
        const result = env.step(Float32Array.of(u));
        const [next, reward] = gymPendulumStep(state, Math.fround(u), task);
        state = next;
        expect(Array.from(result.observation)).toEqual(
          f32([Math.cos(state[0]!), Math.sin(state[0]!), state[1]!]),
        );
        expect(result.reward).toBe(reward);
        expect(result.terminated).toBe(false);
        expect(result.truncated).toBe(t === 200);
        expect(Array.from((env as SingleEnv).getState())).toEqual(state);
      }
    });
  }
  it('normalises angles into [-pi, pi) as Python does (the modulo takes the sign of the divisor)', () => {
    expect(normaliseAngle(-4)).toBeCloseTo(-4 + 2 * Math.PI, 12);
    expect(normaliseAngle(3 * Math.PI + 0.1)).toBeCloseTo(-Math.PI + 0.1, 12);
    expect(normaliseAngle(Math.PI)).toBeCloseTo(-Math.PI, 12);
    expect(normaliseAngle(0.5)).toBe(0.5);
  });
});
