import { describe, expect, it } from 'vitest';
import { listTaskDistributions, makeTaskDistribution } from '../src/index';
import { checkTaskDistribution } from '../src/testing/index';

describe('every registered distribution passes checkTaskDistribution', () => {
  for (const [id, options] of [
    ['Bandit-v0', { arms: 5 }],
    ['Bandit-v0', { arms: 2 }],
    ['TabularMDP-v0', {}],
    ['Navigation2D-v1', {}],
    ['CartPole-v1', {}],
    ['Pendulum-v1', {}],
  ] as const) {
    it(`${id} ${JSON.stringify(options)}`, () => {
      const passed = checkTaskDistribution(makeTaskDistribution(id, options));
      expect(passed.length).toBeGreaterThanOrEqual(8);
    });
  }
});

describe('registry', () => {
  it('lists the built-in ids and explains an unknown one', () => {
    expect(listTaskDistributions()).toEqual([
      'Bandit-v0',
      'CartPole-v1',
      'Navigation2D-v1',
      'Pendulum-v1',
      'TabularMDP-v0',
    ]);
    expect(() => makeTaskDistribution('Navigation3D-v0')).toThrow(
      'makeTaskDistribution: unknown id "Navigation3D-v0"; known: Bandit-v0, CartPole-v1, Navigation2D-v1, Pendulum-v1, TabularMDP-v0',
    );
    expect(() => makeTaskDistribution('Navigation2D-v0')).toThrow(
      `makeTaskDistribution: retired id "Navigation2D-v0" (replaced by 'Navigation2D-v1', which matches pytorch-maml-rl's float32 positions and float64 goals exactly); known:`,
    );
    expect(() => makeTaskDistribution('Bandit-v0', { arm: 5 })).toThrow(
      "Bandit-v0: unknown option 'arm'; options: arms",
    );
    expect(() => makeTaskDistribution('Bandit-v0', { arms: 0 })).toThrow(
      "Bandit-v0: option 'arms' must be an integer in [1, 1000000], got 0",
    );
  });
});
