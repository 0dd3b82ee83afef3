/** The one configuration validator: each check names the owner, the field, the value and the expected form. */
import { describe, expect, it } from 'vitest';
import {
  type ConfigValidator,
  createConfigValidator,
  defaultTrpoSettings,
  describeValue,
  resolveTrpoSettings,
} from '../src/index';

describe('createConfigValidator', () => {
  const check: ConfigValidator = createConfigValidator('createThing');

  it('accepts values of the expected form', () => {
    expect(() => {
      check.integer('steps', 3);
      check.integer('offset', 0, { min: 0 });
      check.number('gamma', 1, { min: 0, max: 1 });
      check.number('rate', 1e-3, { above: 0 });
      check.seed('seed', -5);
      check.boolean('normalize', false);
      check.oneOf('kind', 'ppo', ['ppo', 'trpo']);
    }).not.toThrow();
  });

  it('rejects others with a message naming owner, field, value and form', () => {
    expect(() => check.integer('steps', 0)).toThrow('createThing: steps must be an integer >= 1, got 0');
    expect(() => check.integer('steps', 2.5)).toThrow('createThing: steps must be an integer >= 1, got 2.5');
    expect(() => check.integer('steps', '3')).toThrow("createThing: steps must be an integer >= 1, got '3'");
    expect(() => check.number('gamma', 1.5, { min: 0, max: 1 })).toThrow(
      'createThing: gamma must be a finite number in [0, 1], got 1.5',
    );
    expect(() => check.number('ratio', 1, { above: 0, below: 1 })).toThrow(
      'createThing: ratio must be a finite number in (0, 1), got 1',
    );
    expect(() => check.number('rate', Number.NaN, { above: 0 })).toThrow(
      'createThing: rate must be a finite number > 0, got NaN',
    );
    expect(() => check.number('rate', Number.POSITIVE_INFINITY)).toThrow(
      'createThing: rate must be a finite number, got Infinity',
    );
    expect(() => check.seed('seed', 0.5)).toThrow('createThing: seed must be an integer (a seed), got 0.5');
    expect(() => check.boolean('normalize', 1)).toThrow(
      'createThing: normalize must be true or false, got 1',
    );
    expect(() => check.oneOf('kind', 'sgd', ['ppo', 'trpo'])).toThrow(
      "createThing: kind must be one of 'ppo', 'trpo', got 'sgd'",
    );
    expect(() => check.fail('something else')).toThrow(RangeError);
    expect(describeValue([1, 'a'])).toBe("[1, 'a']");
  });
});

describe('TRPO settings', () => {
  it('fills the one set of defaults and checks overrides', () => {
    expect(resolveTrpoSettings('createThing')).toEqual({ ...defaultTrpoSettings });
    expect(resolveTrpoSettings('createThing', { damping: 0.1, maxKl: undefined }).damping).toBe(0.1);
    expect(resolveTrpoSettings('createThing', { maxKl: undefined }).maxKl).toBe(0.01);
    expect(() => resolveTrpoSettings('createThing', { backtrackRatio: 1 })).toThrow(
      'createThing: trpo.backtrackRatio must be a finite number in (0, 1), got 1',
    );
    expect(() => resolveTrpoSettings('trainer', { lineSearchSteps: 0 }, '')).toThrow(
      'trainer: lineSearchSteps must be an integer >= 1, got 0',
    );
  });
});
