/**
 * `checkEnv` mirrors Gymnasium's environment checker: spaces, reset and step return types and
 * shapes, observations inside the observation space, seed determinism, stepping before reset
 * or after the end of an episode, invalid actions and seeds, and (where the environment has
 * `getState`/`setState`) that setting a recorded state restores it. It throws an `EnvCheckError` listing every
 * failed check, and returns the names of the checks that passed.
 */
import { describeValue } from '../describe-value';
import type { Env, EnvAction } from '../env';
import { createRng } from '../rng/rng';
import { Box } from '../spaces/box';
import { Discrete } from '../spaces/discrete';
import { createCheckRunner } from './check-runner';

/** Raised by `checkEnv` and `checkTaskDistribution`; `failures` lists what went wrong. */
export class EnvCheckError extends Error {
  override readonly name = 'EnvCheckError';
  /** One line per failed check. */
  readonly failures: readonly string[];

  constructor(subject: string, failures: readonly string[]) {
    super(`${subject} failed ${failures.length} check(s):\n- ${failures.join('\n- ')}`);
    this.failures = failures;
  }
}

/** Options of `checkEnv`. */
export interface CheckEnvOptions {
  /** Seed of the checks; default 0. */
  readonly seed?: number;
  /** Steps per determinism rollout; default 50. */
  readonly steps?: number;
}

type AnyEnv = Env<Float32Array, EnvAction>;

/** Runs the checks on environments made by `makeEnv` (a fresh one per check). */
export function checkEnv(makeEnv: () => AnyEnv, options: CheckEnvOptions = {}): string[] {
  const seed = options.seed ?? 0;
  const steps = options.steps ?? 50;
  const { check, assert, passed, failures } = createCheckRunner();
  const expectThrow = (run: () => unknown, what: string, mention?: string) => {
    let thrown: unknown;
    try {
      run();
    } catch (error) {
      thrown = error;
    }
    assert(thrown instanceof Error, `${what} did not throw`);
    assert((thrown as Error).message.length > 0, `${what} threw an error without a message`);
    if (mention !== undefined) {
      assert(
        (thrown as Error).message.includes(mention),
        `${what} threw '${(thrown as Error).message}', which does not name ${mention}`,
      );
    }
  };

  const probe = makeEnv();
  const id = probe.id;
  const actionRng = createRng(seed + 1);

  check('spaces are Box or Discrete with shape, sample and contains', () => {
    for (const [name, space] of [
      ['observationSpace', probe.observationSpace],
      ['actionSpace', probe.actionSpace],
    ] as const) {
      assert(space instanceof Box || space instanceof Discrete, `${name} is neither Box nor Discrete`);
      assert(Array.isArray(space.shape), `${name}.shape is not an array`);
      const sample = space.sample(createRng(seed));
      assert(
        space.contains(sample),
        `${name}.sample() returned ${describeValue(sample)}, which ${name}.contains rejects`,
      );
    }
  });

  check('reset returns an observation in the observation space and an info object', () => {
    const env = makeEnv();
    const result = env.reset({ seed });
    assert(result !== null && typeof result === 'object', 'reset did not return an object');
    assert(
      result.observation instanceof Float32Array,
      `observation is ${describeValue(result.observation)}, not a Float32Array`,
    );
    assert(
      env.observationSpace.contains(result.observation),
      `reset observation ${describeValue(result.observation)} is outside ${env.observationSpace.describe()}`,
    );
    assert(result.info !== null && typeof result.info === 'object', 'info is not an object');
  });

  const rollout = (env: AnyEnv, rng: ReturnType<typeof createRng>) => {
    const trace: number[] = [...env.reset({ seed }).observation];
    for (let t = 0; t < steps; t += 1) {
      const action = env.actionSpace.sample(rng);
      const result = env.step(action);
      trace.push(...result.observation, result.reward, Number(result.terminated), Number(result.truncated));
      if (result.terminated || result.truncated) trace.push(...env.reset().observation);
    }
    return trace;
  };

  check('step returns observation, finite reward, boolean terminated/truncated and info', () => {
    const env = makeEnv();
    env.reset({ seed });
    for (let t = 0; t < steps; t += 1) {
      const result = env.step(env.actionSpace.sample(actionRng));
      assert(result.observation instanceof Float32Array, `step ${t}: observation is not a Float32Array`);
      assert(
        env.observationSpace.contains(result.observation),
        `step ${t}: observation ${describeValue(result.observation)} is outside ${env.observationSpace.describe()}`,
      );
      assert(
        typeof result.reward === 'number' && Number.isFinite(result.reward),
        `step ${t}: reward is ${result.reward}`,
      );
      assert(
        typeof result.terminated === 'boolean' && typeof result.truncated === 'boolean',
        `step ${t}: terminated/truncated are not booleans`,
      );
      assert(result.info !== null && typeof result.info === 'object', `step ${t}: info is not an object`);
      if (result.terminated || result.truncated) env.reset();
    }
  });

  check('the same seed gives the same episode', () => {
    const a = rollout(makeEnv(), createRng(seed + 2));
    const b = rollout(makeEnv(), createRng(seed + 2));
    assert(
      a.length === b.length && a.every((v, i) => Object.is(v, b[i])),
      'two rollouts with the same seeds differ',
    );
  });

  check('step before reset is an error', () => {
    const env = makeEnv();
    expectThrow(() => env.step(env.actionSpace.sample(actionRng)), 'step before reset', id);
  });

  check('step after the episode ended is an error', () => {
    const env = makeEnv();
    env.reset({ seed });
    let ended = false;
    const limit = 100_000;
    for (let t = 0; t < limit && !ended; t += 1) {
      const result = env.step(env.actionSpace.sample(actionRng));
      ended = result.terminated || result.truncated;
    }
    assert(ended, `no episode ended within ${limit} steps`);
    expectThrow(() => env.step(env.actionSpace.sample(actionRng)), 'step after the end', id);
  });

  check('a non-integer or negative seed is rejected', () => {
    const env = makeEnv();
    expectThrow(() => env.reset({ seed: 1.5 }), 'reset({ seed: 1.5 })', 'seed');
    expectThrow(() => env.reset({ seed: -1 }), 'reset({ seed: -1 })', 'seed');
  });

  check('invalid actions are rejected with an error naming the environment', () => {
    const env = makeEnv();
    env.reset({ seed });
    const space = env.actionSpace;
    if (space instanceof Discrete) {
      expectThrow(() => env.step(space.start + space.n), 'an out-of-range discrete action', id);
      expectThrow(() => env.step(space.start + 0.5), 'a non-integer discrete action', id);
      expectThrow(() => env.step(space.start + 0.99999999), 'a discrete action just below an integer', id);
      expectThrow(() => env.step(Number.NaN), 'a NaN action', id);
    } else if (space instanceof Box) {
      const nan = space.sample(actionRng);
      nan[0] = Number.NaN;
      expectThrow(() => env.step(nan), 'a NaN action element', id);
      const infinite = space.sample(actionRng);
      infinite[0] = Number.POSITIVE_INFINITY;
      expectThrow(() => env.step(infinite), 'an infinite action element', id);
      expectThrow(() => env.step(new Float32Array(space.size + 1)), 'an action of the wrong length', id);
      if (!env.clipsActions && Number.isFinite(space.high[0])) {
        const outside = space.sample(actionRng);
        outside[0] = space.high[0]! + 1;
        expectThrow(() => env.step(outside), 'an action outside the space', id);
      }
    }
  });

  if (typeof probe.getState === 'function' && typeof probe.setState === 'function') {
    check('setState(getState()) restores a recorded state and its observation', () => {
      const env = makeEnv();
      let observation = env.reset({ seed }).observation;
      for (let t = 0; t < 3; t += 1) {
        const result = env.step(env.actionSpace.sample(actionRng));
        if (result.terminated || result.truncated) break;
        observation = result.observation;
      }
      const recorded = env.getState!();
      const other = makeEnv();
      other.reset({ seed: seed + 1 });
      const restored = other.setState!(recorded);
      const state = other.getState!();
      assert(
        state.length === recorded.length && state.every((v, j) => Object.is(v, recorded[j])),
        `getState() after setState(${describeValue(recorded)}) returned ${describeValue(state)}`,
      );
      assert(
        restored.length === observation.length && restored.every((v, j) => Object.is(v, observation[j])),
        `setState returned the observation ${describeValue(restored)}, recorded ${describeValue(observation)}`,
      );
      expectThrow(
        () => other.setState!(new Float64Array(recorded.length + 1)),
        'setState of the wrong length',
        id,
      );
    });
  }

  if (failures.length > 0) throw new EnvCheckError(`checkEnv(${id})`, failures);
  return passed;
}
