import { describe, expect, it } from 'vitest';
import { makeTaskDistribution, type TabularMdpTask } from '../src/index';

describe('TabularMDP-v0 transition rows', () => {
  const mdp = makeTaskDistribution<TabularMdpTask>('TabularMDP-v0', {
    states: 2,
    actions: 1,
    episodeLength: 10_000,
  });
  // Each row sums to 1 - 9e-7 (inside the 1e-6 tolerance) and gives state 1 probability 0.
  const task: TabularMdpTask = {
    states: 2,
    actions: 1,
    transitions: [1 - 9e-7, 0, 1 - 9e-7, 0],
    rewardMeans: [0, 0],
  };

  it('renormalises each row: a state of probability 0 is never reached', () => {
    // With these seeds the draw of a next state lands in the missing 9e-7 twice in 1,024,000
    // steps; before rows were renormalised, that mass went to the last state (state 1).
    const env = mdp.makeVectorEnv(Array.from({ length: 1024 }, () => task));
    env.reset({ seed: 0 });
    const actions = new Int32Array(1024);
    let visits = 0;
    for (let t = 0; t < 1000; t += 1) {
      const { observations } = env.step(actions);
      for (let i = 0; i < 1024; i += 1) visits += observations[2 * i + 1]!;
    }
    expect(visits).toBe(0);
  });

  it('rejects rows that do not sum to 1 within 1e-6, naming the row and its entries', () => {
    expect(() => mdp.makeEnv({ ...task, transitions: [0.5, 0.5, 0.25, 0.75 + 2 ** -18] })).toThrow(
      'TabularMDP-v0: task 0 is invalid: transition row 1 (entries 2 to 3) sums to 1.0000038146972656; each row must sum to 1 within 1e-6',
    );
    expect(() => mdp.makeEnv({ ...task, transitions: [0, 0, 1, 0] })).toThrow(
      'TabularMDP-v0: task 0 is invalid: transition row 0 (entries 0 to 1) sums to 0;',
    );
  });
});
