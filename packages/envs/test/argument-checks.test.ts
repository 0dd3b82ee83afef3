/**
 * What a user sees for malformed actions and seeds: errors that name the environment, the value
 * (strings quoted, bigints with n) and the expected form; every typed array the API names works.
 */
import { describe, expect, it } from 'vitest';
import { makeTaskDistribution } from '../src/index';

const cartPole = makeTaskDistribution('CartPole-v1');
const pendulum = makeTaskDistribution('Pendulum-v1');
const navigation = makeTaskDistribution('Navigation2D-v1');

describe('discrete actions must be integers', () => {
  it('a single Env rejects 0.99999999, "7", 7n and 7, each printed as given', () => {
    const env = cartPole.makeEnv(cartPole.defaultTask());
    env.reset({ seed: 0 });
    const step = (action: unknown) => env.step(action as number);
    expect(() => step(0.99999999)).toThrow(
      'CartPole-v1: action is 0.99999999; expected an integer in Discrete(2)',
    );
    expect(() => step('7')).toThrow('CartPole-v1: action is "7"; expected an integer in Discrete(2)');
    expect(() => step(7n)).toThrow('CartPole-v1: action is 7n; expected an integer in Discrete(2)');
    expect(() => step(7)).toThrow('CartPole-v1: action is 7; expected an integer in Discrete(2)');
    expect(() => step(Float32Array.of(0, 1))).toThrow(
      'CartPole-v1: action must be an integer in Discrete(2) (a number, or an array of 1), got a Float32Array of length 2',
    );
  });

  it('a VectorEnv rejects a Float64Array holding 0.99999999, naming the env index', () => {
    const env = cartPole.makeVectorEnv([cartPole.defaultTask(), cartPole.defaultTask()]);
    env.reset({ seed: 0 });
    expect(() => env.step(Float64Array.of(1, 0.99999999))).toThrow(
      'CartPole-v1: action of env 1 is 0.99999999; expected an integer in Discrete(2)',
    );
  });
});

describe('Int32Array and Float64Array actions work wherever a Float32Array does', () => {
  it('discrete: a number, Int32Array, Float64Array and Float32Array give the same episode', () => {
    const episodes = [
      (a: number) => a,
      (a: number) => Int32Array.of(a),
      (a: number) => Float64Array.of(a),
      (a: number) => Float32Array.of(a),
    ].map((wrap) => {
      const env = cartPole.makeEnv(cartPole.defaultTask());
      env.reset({ seed: 4 });
      return Array.from({ length: 8 }, (_v, t) =>
        Array.from(env.step(wrap(t % 3 === 0 ? 1 : 0)).observation),
      );
    });
    for (const episode of episodes.slice(1)) expect(episode).toEqual(episodes[0]);
  });

  it('continuous: values are checked as given, then rounded to float32 (the action space)', () => {
    const results = [
      Float32Array.of(0.3),
      Float64Array.of(0.3),
      [0.3],
      0.3,
      Float64Array.of(Math.fround(0.3)),
    ].map((action) => {
      const env = pendulum.makeEnv(pendulum.defaultTask());
      env.reset({ seed: 1 });
      const { observation, reward } = env.step(action);
      return [...observation, reward];
    });
    for (const result of results.slice(1)) expect(result).toEqual(results[0]);
    const env = pendulum.makeEnv(pendulum.defaultTask());
    env.reset({ seed: 1 });
    expect(env.step(Int32Array.of(1)).reward).toBeLessThan(0);
    expect(() => env.step(Float64Array.of(2.0000001))).toThrow(
      'Pendulum-v1: action element 0 is 2.0000001, outside the action space Box(-2, 2, [1])',
    );
    expect(() => env.step('0.5' as unknown as number)).toThrow(
      'Pendulum-v1: action must be a Float32Array, Float64Array, Int32Array or number array of length 1, or a number, got "0.5"',
    );
  });

  it('a VectorEnv steps Float64Array actions as their float32 rounding; other arrays are named', () => {
    const tasks = [navigation.defaultTask(), { goal: [-0.2, 0.1] as [number, number] }];
    const precise = Float64Array.of(0.0123456789, -0.05, 0.3, 0.033333333333);
    const a = navigation.makeVectorEnv(tasks);
    const b = navigation.makeVectorEnv(tasks);
    a.reset({ seed: 0 });
    b.reset({ seed: 0 });
    const fromFloat64 = a.step(precise);
    const fromFloat32 = b.step(Float32Array.from(precise));
    expect(Array.from(fromFloat64.observations)).toEqual(Array.from(fromFloat32.observations));
    expect(Array.from(fromFloat64.rewards)).toEqual(Array.from(fromFloat32.rewards));
    expect(() => a.step(new Uint8Array(4) as unknown as Float32Array)).toThrow(
      'Navigation2D-v1: actions must be a Float32Array, Float64Array or Int32Array of length 4 (2 envs x 2), got Uint8Array(4) [0, 0, 0, 0]',
    );
    expect(() => a.step([0, 0, 0, 0] as unknown as Float32Array)).toThrow('got [0, 0, 0, 0]');
  });
});

describe('reset seeds', () => {
  it('a single Env takes integers in [0, 2^53 - 1]', () => {
    const env = cartPole.makeEnv(cartPole.defaultTask());
    expect(() => env.reset({ seed: -1 })).toThrow(
      'CartPole-v1: reset seed must be an integer in [0, 9007199254740991], got -1',
    );
    expect(() => env.reset({ seed: '7' as unknown as number })).toThrow(
      'CartPole-v1: reset seed must be an integer in [0, 9007199254740991], got "7"',
    );
    expect(() => env.reset({ seed: 7n as unknown as number })).toThrow('got 7n');
    expect(() => env.reset({ seed: Number.MAX_SAFE_INTEGER })).not.toThrow();
  });

  it('a VectorEnv of N takes [0, 2^53 - N] (env i gets seed + i) and equals single Envs at the top', () => {
    const tasks = [cartPole.defaultTask(), cartPole.defaultTask(), cartPole.defaultTask()];
    const env = cartPole.makeVectorEnv(tasks);
    expect(() => env.reset({ seed: Number.MAX_SAFE_INTEGER - 1 })).toThrow(
      'CartPole-v1: reset seed must be an integer in [0, 9007199254740989] (env i of 3 is seeded with seed + i, at most 2^53 - 1), got 9007199254740990',
    );
    const top = Number.MAX_SAFE_INTEGER - 2;
    const observations = env.reset({ seed: top });
    const single = cartPole.makeEnv(cartPole.defaultTask());
    expect(Array.from(observations.subarray(8, 12))).toEqual(
      Array.from(single.reset({ seed: Number.MAX_SAFE_INTEGER }).observation),
    );
  });
});
