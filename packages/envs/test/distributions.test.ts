import { describe, expect, it } from 'vitest';
import { defineTaskDistribution, listTaskDistributions, makeTaskDistribution } from '../src/index';
import { checkTaskDistribution } from '../src/testing/index';

describe('every registered distribution passes checkTaskDistribution', () => {
  for (const [id, options] of [
    ['Bandit-v0', { arms: 5 }],
    ['Bandit-v0', { arms: 2 }],
    ['TabularMDP-v0', {}],
    ['Navigation2D-v1', {}],
    ['Navigation2DFourCorners-v0', {}],
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
      'Navigation2DFourCorners-v0',
      'Pendulum-v1',
      'TabularMDP-v0',
    ]);
    expect(() => makeTaskDistribution('Navigation3D-v0')).toThrow(
      'makeTaskDistribution: unknown id "Navigation3D-v0"; known: Bandit-v0, CartPole-v1, Navigation2D-v1, Navigation2DFourCorners-v0, Pendulum-v1, TabularMDP-v0',
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

describe('parameters', () => {
  it('describe each distribution by its resolved options, defaults filled in', () => {
    expect(makeTaskDistribution('Navigation2D-v1').parameters).toEqual({});
    expect(makeTaskDistribution('Bandit-v0').parameters).toEqual({ arms: 5 });
    expect(makeTaskDistribution('Bandit-v0', { arms: 2 }).parameters).toEqual({ arms: 2 });
    expect(makeTaskDistribution('TabularMDP-v0', { states: 4 }).parameters).toEqual({
      states: 4,
      actions: 5,
      episodeLength: 10,
    });
    expect(makeTaskDistribution('CartPole-v1', { poleMassHigh: 0.4 }).parameters).toEqual({
      poleLengthLow: 0.25,
      poleLengthHigh: 1,
      poleMassLow: 0.05,
      poleMassHigh: 0.4,
      cartMassLow: 0.5,
      cartMassHigh: 2,
    });
    expect(makeTaskDistribution('Pendulum-v1', { gravityLow: 9 }).parameters).toEqual({
      massLow: 0.5,
      massHigh: 2,
      lengthLow: 0.5,
      lengthHigh: 2,
      gravityLow: 9,
      gravityHigh: 15,
    });
    expect(Object.isFrozen(makeTaskDistribution('Bandit-v0').parameters)).toBe(true);
  });

  it('must be plain JSON: defineTaskDistribution and checkTaskDistribution refuse anything else', () => {
    const navigation = makeTaskDistribution('Navigation2D-v1');
    const definition = {
      id: 'Custom-v0' as const,
      sampleTask: () => 0,
      defaultTask: () => 0,
      validateTask: () => undefined,
      createDynamics: () => {
        throw new Error('not used');
      },
    };
    expect(() => defineTaskDistribution({ ...definition, parameters: { scale: [1, Number.NaN] } })).toThrow(
      'Custom-v0: parameters.scale[1] must be plain JSON (a finite number, string, boolean, null, array or plain object), got NaN',
    );
    expect(() =>
      defineTaskDistribution({ ...definition, parameters: undefined as unknown as Record<string, never> }),
    ).toThrow(
      'Custom-v0: parameters must be a plain object of the resolved options ({} when there are none), got undefined',
    );
    expect(
      defineTaskDistribution({ ...definition, parameters: { nested: { a: [1, 'b', null, true] } } })
        .parameters,
    ).toEqual({
      nested: { a: [1, 'b', null, true] },
    });
    expect(() =>
      checkTaskDistribution({ ...navigation, parameters: { size: new Float32Array(2) } as never }),
    ).toThrow(/parameters are plain JSON: parameters\.size is not plain JSON/);
  });
});
