import { describe, expect, it } from 'vitest';
import { createRng, makeTaskDistribution, type SingleEnv } from '../src/index';

interface Recorded {
  readonly observation: number[];
  readonly reward: number;
  readonly terminated: boolean;
}

/** Steps `env` with `actions`, recording what each step returns. */
function play(env: SingleEnv, actions: readonly (number | Float32Array)[]): Recorded[] {
  return actions.map((action) => {
    const { observation, reward, terminated } = env.step(action);
    return { observation: Array.from(observation), reward, terminated };
  });
}

describe('getState / setState replay a recorded trajectory bit for bit', () => {
  it('CartPole-v1: a state recorded at step 100 replays the 300 steps that followed', () => {
    const cartPole = makeTaskDistribution('CartPole-v1');
    const task = { poleLength: 0.7, poleMass: 0.2, cartMass: 1.3 };
    const env = cartPole.makeEnv(task) as SingleEnv;
    expect(env.stateNames).toEqual(['x', 'xDot', 'theta', 'thetaDot']);
    let { observation } = env.reset({ seed: 3 });
    const balance = () => (observation[2]! + 0.5 * observation[3]! > 0 ? 1 : 0);
    for (let t = 0; t < 100; t += 1) observation = env.step(balance()).observation;
    const state = env.getState();
    const actions: number[] = [];
    const recorded: Recorded[] = [];
    for (let t = 0; t < 300; t += 1) {
      actions.push(balance());
      const [step] = play(env, [actions.at(-1)!]);
      recorded.push(step!);
      observation = Float32Array.from(step!.observation);
    }
    expect(recorded.every((step) => !step.terminated)).toBe(true);

    const replay = cartPole.makeEnv(task) as SingleEnv;
    replay.reset({ seed: 99 });
    expect(Array.from(replay.setState(state))).toEqual(Array.from(Float32Array.from(state)));
    expect(play(replay, actions)).toEqual(recorded);
  });

  it('Pendulum-v1: a state recorded at step 50 replays 150 steps of random torques', () => {
    const pendulum = makeTaskDistribution('Pendulum-v1');
    const env = pendulum.makeEnv(pendulum.defaultTask()) as SingleEnv;
    expect(env.stateNames).toEqual(['theta', 'thetaDot']);
    env.reset({ seed: 5 });
    const torques = createRng(6);
    const torque = () => Float32Array.of(-2 + 4 * torques.next());
    for (let t = 0; t < 50; t += 1) env.step(torque());
    const state = env.getState();
    const actions = Array.from({ length: 150 }, torque);
    const recorded = play(env, actions);

    const replay = pendulum.makeEnv(pendulum.defaultTask()) as SingleEnv;
    replay.reset({ seed: 0 });
    const observation = replay.setState(Array.from(state)); // a plain array works too
    expect(Array.from(observation)).toEqual(
      Array.from(Float32Array.of(Math.cos(state[0]!), Math.sin(state[0]!), state[1]!)),
    );
    expect(play(replay, actions)).toEqual(recorded);
    expect(replay.getState()).toEqual(env.getState());
  });

  it('getState returns a copy; setState rejects bad states naming the env and the element', () => {
    const cartPole = makeTaskDistribution('CartPole-v1');
    const env = cartPole.makeEnv(cartPole.defaultTask()) as SingleEnv;
    expect(() => env.getState()).toThrow('CartPole-v1: getState before reset; call reset() first');
    expect(() => env.setState([0, 0, 0, 0])).toThrow(
      'CartPole-v1: setState before reset; call reset() first',
    );
    env.reset({ seed: 0 });
    const state = env.getState();
    state[0] = 2;
    expect(env.getState()[0]).not.toBe(2);
    expect(() => env.setState(Float64Array.of(0, 0, 0))).toThrow(
      'CartPole-v1: state must be 4 finite numbers [x, xDot, theta, thetaDot], got a Float64Array of length 3',
    );
    expect(() => env.setState([0, 0, Number.NaN, 0])).toThrow(
      'CartPole-v1: state element 2 (theta) is NaN; state must be 4 finite numbers [x, xDot, theta, thetaDot]',
    );
    expect(() => env.setState(['0', 0, 0, 0] as unknown as number[])).toThrow(
      'CartPole-v1: state element 0 (x) is "0"; state must be 4 finite numbers',
    );
    // Past the threshold: the next step terminates, and setState is refused until reset.
    env.setState([3, 0, 0, 0]);
    expect(env.step(0).terminated).toBe(true);
    expect(() => env.setState([0, 0, 0, 0])).toThrow(
      'CartPole-v1: setState after the episode ended; call reset() first',
    );
  });

  it('Navigation2D-v1 rounds a set position to float32; TabularMDP-v0 takes a state index', () => {
    const navigation = makeTaskDistribution('Navigation2D-v1');
    const env = navigation.makeEnv(navigation.defaultTask()) as SingleEnv;
    env.reset({ seed: 0 });
    expect(Array.from(env.setState([0.1, -0.2]))).toEqual([Math.fround(0.1), Math.fround(-0.2)]);
    expect(Array.from(env.getState())).toEqual([Math.fround(0.1), Math.fround(-0.2)]);
    const mdp = makeTaskDistribution('TabularMDP-v0', { states: 4, actions: 2 });
    const mdpEnv = mdp.makeEnv(mdp.defaultTask()) as SingleEnv;
    mdpEnv.reset({ seed: 0 });
    expect(Array.from(mdpEnv.setState([2]))).toEqual([0, 0, 1, 0]);
    expect(Array.from(mdpEnv.getState())).toEqual([2]);
    expect(() => mdpEnv.setState([2.5])).toThrow(
      'TabularMDP-v0: state element 0 (state) is 2.5; expected an integer in [0, 3]',
    );
  });
});
