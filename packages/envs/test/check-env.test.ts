import { describe, expect, it } from 'vitest';
import { Box, type Env, navigation2dDistribution } from '../src/index';
import { checkEnv, checkTaskDistribution, EnvCheckError } from '../src/testing/index';

/** An environment with three classic mistakes: an observation outside its space, an
 * unseeded random start, and no error when stepped after the episode ended. */
function brokenEnv(): Env<Float32Array, Float32Array | number> {
  let steps = 0;
  return {
    id: 'Broken-v0',
    observationSpace: new Box(-1, 1, [1]),
    actionSpace: new Box(-1, 1, [1]),
    reset: () => {
      steps = 0;
      return { observation: Float32Array.of(Math.random() * 0.1), info: {} };
    },
    step: (action) => {
      steps += 1;
      return {
        observation: Float32Array.of(2),
        reward: Number(action instanceof Float32Array ? action[0] : action),
        terminated: steps >= 3,
        truncated: false,
        info: {},
      };
    },
  };
}

describe('checkEnv and checkTaskDistribution catch broken environments', () => {
  it('lists every failed check of a broken environment', () => {
    let error: unknown;
    try {
      checkEnv(brokenEnv);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(EnvCheckError);
    const failures = (error as EnvCheckError).failures.join('\n');
    expect(failures).toMatch(/step returns .*outside Box\(-1, 1, \[1\]\)/);
    expect(failures).toMatch(/the same seed gives the same episode: two rollouts with the same seeds differ/);
    expect(failures).toMatch(/step before reset is an error: step before reset did not throw/);
    expect(failures).toMatch(/step after the episode ended is an error: step after the end did not throw/);
    expect(failures).toMatch(/invalid actions are rejected/);
  });

  it('catches a distribution whose sampling ignores the seed', () => {
    const good = navigation2dDistribution();
    const unseeded = {
      ...good,
      sampleTasks: (count: number) =>
        Array.from({ length: count }, () => ({ goal: [Math.random() - 0.5, 0] as [number, number] })),
    };
    expect(() => checkTaskDistribution(unseeded)).toThrow(
      /sampleTasks is deterministic in its seed: the same seed gave different tasks/,
    );
  });
});
