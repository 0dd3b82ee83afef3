import { describe, expect, it } from 'vitest';
import {
  Box,
  banditDistribution,
  createRng,
  Discrete,
  makeTaskDistribution,
  NormalizeObservation,
  NormalizeReward,
  navigation2dDistribution,
  TimeLimit,
} from '../src/index';

describe('spaces', () => {
  it('Box samples inside its bounds and checks membership', () => {
    const box = new Box([-1, 0], [1, 2]);
    const rng = createRng(0);
    for (let i = 0; i < 1000; i += 1) expect(box.contains(box.sample(rng))).toBe(true);
    expect(box.contains(Float32Array.of(0, 3))).toBe(false);
    expect(box.contains(Float32Array.of(0, Number.NaN))).toBe(false);
    expect(box.contains(Float32Array.of(0))).toBe(false);
    expect(() => new Box([1], [0])).toThrow('Box: need low <= high at index 0, got low 1 and high 0');
    const unbounded = new Box(-Infinity, Infinity, [3]);
    expect(unbounded.sample(rng).every(Number.isFinite)).toBe(true);
  });

  it('Discrete samples every value uniformly', () => {
    const space = new Discrete(4, 1);
    const counts = [0, 0, 0, 0];
    const rng = createRng(1);
    for (let i = 0; i < 8000; i += 1) counts[space.sample(rng) - 1]! += 1;
    for (const count of counts) expect(Math.abs(count - 2000)).toBeLessThan(200);
    expect(space.contains(4)).toBe(true);
    expect(space.contains(5)).toBe(false);
    expect(space.contains(1.5)).toBe(false);
    expect(() => new Discrete(0)).toThrow('Discrete: n must be a positive integer, got 0');
  });
});

describe('VectorEnv', () => {
  const navigation = navigation2dDistribution();
  const goals = [{ goal: [0.05, 0] as [number, number] }, { goal: [0.3, -0.2] as [number, number] }];

  it("'next-step' autoreset: the step after an episode ended resets it, reward 0, flags 0", () => {
    const env = navigation.makeVectorEnv(goals, { maxEpisodeSteps: 3 });
    env.reset({ seed: 0 });
    const toward = Float32Array.of(0.05, 0, 0.1, -0.1);
    let result = env.step(toward);
    expect(Array.from(result.terminated)).toEqual([1, 0]); // env 0 reached (0.05, 0)
    expect(result.rewards[0]).toBeCloseTo(0, 6);
    result = env.step(toward);
    expect(Array.from(result.observations.subarray(0, 2))).toEqual([0, 0]); // env 0 reset
    expect(result.rewards[0]).toBe(0);
    expect(result.terminated[0]).toBe(0);
    expect(Array.from(result.observations.subarray(2, 4)).map((v) => Number(v.toFixed(5)))).toEqual([
      0.2, -0.2,
    ]);
    result = env.step(toward);
    expect(Array.from(result.truncated)).toEqual([0, 1]); // env 1 hit the 3-step limit
  });

  it("'disabled' autoreset refuses to step an ended env until reset({ mask })", () => {
    const env = navigation.makeVectorEnv(goals, { autoresetMode: 'disabled' });
    env.reset({ seed: 0 });
    env.step(Float32Array.of(0.05, 0, 0, 0));
    expect(() => env.step(Float32Array.of(0, 0, 0, 0))).toThrow(
      "Navigation2D-v1: env 0 stepped after its episode ended (autoresetMode 'disabled'); reset it with reset({ mask })",
    );
    env.step(Float32Array.of(0, 0, 0.1, 0), { mask: Uint8Array.of(0, 1) }); // only env 1 steps
    const observations = env.reset({ mask: Uint8Array.of(1, 0) });
    expect(Array.from(observations.subarray(0, 2))).toEqual([0, 0]);
    expect(observations[2]).toBeCloseTo(0.1, 6);
  });

  it('clips Navigation2D actions by definition but rejects NaN, naming the env and index', () => {
    const env = navigation.makeVectorEnv(goals);
    env.reset({ seed: 0 });
    const result = env.step(Float32Array.of(5, -5, 0, 0));
    expect(Array.from(result.observations.subarray(0, 2)).map((v) => Number(v.toFixed(5)))).toEqual([
      0.1, -0.1,
    ]);
    expect(() => env.step(Float32Array.of(0, Number.NaN, 0, 0))).toThrow(
      'Navigation2D-v1: action of env 0 element 1 is NaN; every action element must be a finite number',
    );
    expect(() => env.step(Float32Array.of(0, 0, 0))).toThrow(
      'Navigation2D-v1: actions must be a Float32Array, Float64Array or Int32Array of length 4 (2 envs x 2), got a Float32Array of length 3',
    );
  });

  it('rejects out-of-space actions, stepping before reset, bad seeds and invalid tasks', () => {
    const pendulum = makeTaskDistribution('Pendulum-v1');
    const env = pendulum.makeVectorEnv(pendulum.sampleTasks(2, { seed: 0 }));
    expect(() => env.step(Float32Array.of(0, 0))).toThrow(
      'Pendulum-v1: step before reset; call reset() first',
    );
    env.reset({ seed: 1 });
    expect(() => env.step(Float32Array.of(0, 2.5))).toThrow(
      'Pendulum-v1: action of env 1 element 0 is 2.5, outside the action space Box(-2, 2, [1])',
    );
    expect(() => env.reset({ seed: 0.5 })).toThrow(
      'Pendulum-v1: reset seed must be an integer in [0, 9007199254740990] (env i of 2 is seeded with seed + i, at most 2^53 - 1), got 0.5',
    );
    expect(() => pendulum.makeEnv({ mass: -1, length: 1, gravity: 10 })).toThrow(
      'Pendulum-v1: task 0 is invalid: mass must be a finite number in [0.001, 1000], got -1',
    );
    const bandits = banditDistribution({ arms: 3 });
    const bandit = bandits.makeEnv({ probabilities: [0.1, 0.5, 0.9] });
    bandit.reset({ seed: 0 });
    expect(() => bandit.step(3)).toThrow('Bandit-v0: action is 3; expected an integer in Discrete(3)');
    expect(() => bandits.makeEnv({ probabilities: [0.1, 1.5, 0.2] })).toThrow(
      'Bandit-v0: task 0 is invalid: probabilities[1] must be a finite number in [0, 1], got 1.5',
    );
  });
});

describe('wrappers', () => {
  it('TimeLimit truncates at its limit', () => {
    const pendulum = makeTaskDistribution('Pendulum-v1');
    const env = new TimeLimit(pendulum.makeEnv(pendulum.defaultTask()), 3);
    env.reset({ seed: 0 });
    expect(env.step(Float32Array.of(0)).truncated).toBe(false);
    expect(env.step(Float32Array.of(0)).truncated).toBe(false);
    expect(env.step(Float32Array.of(0)).truncated).toBe(true);
  });

  it('NormalizeObservation standardises with running statistics; NormalizeReward scales by the return std', () => {
    const pendulum = makeTaskDistribution('Pendulum-v1');
    const env = new NormalizeObservation(pendulum.makeEnv(pendulum.defaultTask()));
    env.reset({ seed: 0 });
    const seen: number[] = [];
    const rng = createRng(0);
    for (let t = 0; t < 2000; t += 1) {
      const result = env.step(Float32Array.of(-2 + 4 * rng.next()));
      seen.push(result.observation[2]!);
      if (result.truncated) env.reset();
    }
    const tail = seen.slice(1000);
    const mean = tail.reduce((p, v) => p + v, 0) / tail.length;
    const variance = tail.reduce((p, v) => p + (v - mean) ** 2, 0) / tail.length;
    expect(Math.abs(mean)).toBeLessThan(0.2);
    expect(Math.abs(variance - 1)).toBeLessThan(0.25);
    const scaled = new NormalizeReward(pendulum.makeEnv(pendulum.defaultTask()), { gamma: 0.99 });
    scaled.reset({ seed: 0 });
    const raw = pendulum.makeEnv(pendulum.defaultTask());
    raw.reset({ seed: 0 });
    const a = scaled.step(Float32Array.of(1));
    const b = raw.step(Float32Array.of(1));
    expect(Math.sign(a.reward)).toBe(Math.sign(b.reward));
    expect(Math.abs(a.reward)).not.toBe(Math.abs(b.reward));
  });
});
