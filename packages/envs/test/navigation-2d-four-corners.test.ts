import { describe, expect, it } from 'vitest';
import { FOUR_CORNERS, makeTaskDistribution, type Navigation2DFourCornersTask } from '../src/index';
import { checkTaskDistribution } from '../src/testing/index';

const corners = makeTaskDistribution<Navigation2DFourCornersTask>('Navigation2DFourCorners-v0');

describe('Navigation2DFourCorners-v0', () => {
  it('passes checkTaskDistribution', () => {
    expect(checkTaskDistribution(corners).length).toBeGreaterThanOrEqual(8);
  });

  it('samples the four corners, each about a quarter of the time', () => {
    const tasks = corners.sampleTasks(4000, { seed: 3 });
    const counts = FOUR_CORNERS.map(
      ([x, y]) => tasks.filter((task) => task.goal[0] === x && task.goal[1] === y).length,
    );
    expect(counts.reduce((a, b) => a + b, 0)).toBe(4000);
    for (const count of counts) expect(Math.abs(count - 1000)).toBeLessThan(100);
  });

  it('rewards nothing outside the disc of radius 2 around the goal, then 4 - squared distance', () => {
    const env = corners.makeEnv({ goal: [2, 2] });
    env.reset({ seed: 0 });
    // Towards (2, 2) at full speed: after k steps the position is (0.1 k, 0.1 k).
    const rewards: number[] = [];
    for (let k = 1; k <= 30; k += 1) {
      const { observation, reward, terminated, truncated } = env.step(new Float32Array([1, 1]));
      rewards.push(reward);
      expect(terminated).toBe(false);
      expect(truncated).toBe(false);
      const position = 0.1 * k;
      expect(observation[0]).toBeCloseTo(position, 5);
      const squared = 2 * (position - 2) ** 2;
      expect(reward).toBeCloseTo(Math.max(0, 4 - squared), 5);
    }
    // Distance 2 is crossed after 2 - sqrt(2) = 0.586 per axis: steps 1-5 earn nothing.
    expect(rewards.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    expect(rewards[5]).toBeGreaterThan(0);
    expect(rewards[19]).toBeCloseTo(4, 5); // at the corner
  });

  it('keeps the agent inside [-5, 5]^2 and truncates at 100 steps', () => {
    const env = corners.makeEnv({ goal: [-2, 2] });
    env.reset({ seed: 0 });
    let last: ReturnType<typeof env.step> | undefined;
    for (let k = 0; k < 100; k += 1) last = env.step(new Float32Array([-0.1, 0.1]));
    expect(last!.truncated).toBe(true);
    expect(Array.from(last!.observation as Float32Array)).toEqual([-5, 5]);
    expect(last!.reward).toBe(0);
  });
});
