/**
 * Gymnasium's `TimeLimit` sets `truncated = elapsed >= max_episode_steps` whatever `terminated`
 * says: an episode that terminates on the step that reaches the limit reports both.
 */
import { describe, expect, it } from 'vitest';
import { makeTaskDistribution, type Navigation2DTask, TimeLimit } from '../src/index';

const navigation = makeTaskDistribution<Navigation2DTask>('Navigation2D-v1');
/** 0.00492 per step toward the default goal (0.5, 0.5): within 0.01 first at step 100. */
const SLOW = Float32Array.of(0.00492, 0.00492);

describe('terminating exactly at the time limit reports terminated and truncated', () => {
  it('a single Env at its own 100-step limit', () => {
    const env = navigation.makeEnv(navigation.defaultTask());
    env.reset({ seed: 0 });
    for (let t = 1; t < 100; t += 1) {
      const result = env.step(SLOW);
      expect([result.terminated, result.truncated]).toEqual([false, false]);
    }
    const last = env.step(SLOW);
    expect([last.terminated, last.truncated]).toEqual([true, true]);
    expect(() => env.step(SLOW)).toThrow('Navigation2D-v1: step after the episode ended');
  });

  it('a VectorEnv, then autoreset clears both flags', () => {
    const env = navigation.makeVectorEnv([navigation.defaultTask(), { goal: [-0.5, -0.5] }]);
    env.reset({ seed: 0 });
    const actions = Float32Array.of(...SLOW, ...SLOW);
    for (let t = 1; t < 100; t += 1) env.step(actions);
    const last = env.step(actions);
    expect(Array.from(last.terminated)).toEqual([1, 0]);
    expect(Array.from(last.truncated)).toEqual([1, 1]);
    const next = env.step(actions);
    expect(Array.from(next.terminated)).toEqual([0, 0]);
    expect(Array.from(next.truncated)).toEqual([0, 0]);
  });

  it('the TimeLimit wrapper, and a shorter VectorEnv limit', () => {
    const toward = Float32Array.of(0.1, 0);
    const env = new TimeLimit(navigation.makeEnv({ goal: [0.3, 0] }), 3);
    env.reset({ seed: 0 });
    env.step(toward);
    env.step(toward);
    const last = env.step(toward);
    expect([last.terminated, last.truncated]).toEqual([true, true]);
    const vector = navigation.makeVectorEnv([{ goal: [0.3, 0] }], { maxEpisodeSteps: 3 });
    vector.reset({ seed: 0 });
    vector.step(toward);
    vector.step(toward);
    const step = vector.step(toward);
    expect([step.terminated[0], step.truncated[0]]).toEqual([1, 1]);
  });
});
