/**
 * `checkTaskDistribution`: the contract of a task distribution. Seeded task sampling, argument
 * checks, `checkEnv` on environments of several tasks, and a `VectorEnv` of mixed tasks that
 * reproduces single environments step for step (environment i reset with seed + i), including
 * the 'next-step' autoreset.
 */
import { createRng } from '../rng/rng';
import type { TaskDistribution } from '../task-distribution';
import { checkEnv, EnvCheckError } from './check-env';
import { createCheckRunner } from './check-runner';

/** Options of `checkTaskDistribution`. */
export interface CheckTaskDistributionOptions {
  /** Seed of the checks; default 0. */
  readonly seed?: number;
  /** Vector steps compared with single environments; default 300. */
  readonly steps?: number;
}

/** Runs the checks; throws an `EnvCheckError` listing failures, returns the passed checks. */
export function checkTaskDistribution<Task>(
  distribution: TaskDistribution<Task>,
  options: CheckTaskDistributionOptions = {},
): string[] {
  const seed = options.seed ?? 0;
  const steps = options.steps ?? 300;
  const { check, assert, passed, failures } = createCheckRunner((error) =>
    error instanceof EnvCheckError ? error.failures.join('; ') : (error as Error).message,
  );
  const throwsNaming = (run: () => unknown, what: string) => {
    try {
      run();
    } catch (error) {
      assert(
        (error as Error).message.includes(distribution.id),
        `${what} threw '${(error as Error).message}' without naming ${distribution.id}`,
      );
      return;
    }
    throw new Error(`${what} did not throw`);
  };

  check('id is versioned (Name-vN)', () => {
    assert(/^[A-Za-z0-9_.]+-v\d+$/.test(distribution.id), `id '${distribution.id}' does not end in -vN`);
  });

  check('parameters are plain JSON', () => {
    const parameters: unknown = distribution.parameters;
    const where = Array.isArray(parameters) ? 'parameters' : firstNonPlainValue(parameters, 'parameters');
    assert(
      where === undefined,
      `${where} is not plain JSON (finite numbers, strings, booleans, null, arrays, plain objects)`,
    );
  });

  check('sampleTasks is deterministic in its seed', () => {
    const a = JSON.stringify(distribution.sampleTasks(5, { seed }));
    const b = JSON.stringify(distribution.sampleTasks(5, { seed }));
    const c = JSON.stringify(distribution.sampleTasks(5, { seed: seed + 1 }));
    assert(a === b, 'the same seed gave different tasks');
    assert(a !== c, 'different seeds gave the same tasks');
    assert(distribution.sampleTasks(3, { seed }).length === 3, 'sampleTasks(3) did not return 3 tasks');
  });

  check('bad arguments are rejected naming the distribution', () => {
    throwsNaming(() => distribution.sampleTasks(-1, { seed }), 'sampleTasks(-1)');
    throwsNaming(() => distribution.sampleTasks(2, { seed: 0.5 }), 'sampleTasks with seed 0.5');
    throwsNaming(() => distribution.makeEnv({} as Task), 'makeEnv({})');
    throwsNaming(() => distribution.makeVectorEnv([]), 'makeVectorEnv([])');
  });

  const tasks = [...distribution.sampleTasks(3, { seed }), distribution.defaultTask()];
  tasks.forEach((task, i) => {
    check(`checkEnv on task ${i}`, () => {
      checkEnv(() => distribution.makeEnv(task), { seed: seed + i });
    });
  });

  check('a VectorEnv of mixed tasks equals single environments step for step', () => {
    const vector = distribution.makeVectorEnv(tasks);
    const singles = tasks.map((task) => distribution.makeEnv(task));
    assert(vector.numEnvs === tasks.length, `numEnvs is ${vector.numEnvs}, expected ${tasks.length}`);
    const size = vector.observationSize;
    const same = (a: ArrayLike<number>, b: ArrayLike<number>, what: string) => {
      for (let j = 0; j < b.length; j += 1) {
        assert(Object.is(a[j], b[j]), `${what}: ${a[j]} != ${b[j]} at element ${j}`);
      }
    };
    const first = vector.reset({ seed });
    singles.forEach((env, i) => {
      same(
        first.subarray(i * size, (i + 1) * size),
        env.reset({ seed: seed + i }).observation,
        `reset observation of env ${i}`,
      );
    });
    const rng = createRng(seed + 7);
    const ended = new Array<boolean>(tasks.length).fill(false);
    let boundaries = 0;
    for (let t = 0; t < steps; t += 1) {
      const actions = new Float32Array(vector.numEnvs * vector.actionSize);
      singles.forEach((env, i) => {
        const action = env.actionSpace.sample(rng);
        if (typeof action === 'number') actions[i] = action;
        else actions.set(action, i * vector.actionSize);
      });
      const result = vector.step(actions);
      singles.forEach((env, i) => {
        if (ended[i]) {
          // 'next-step' autoreset: the vector env reset this one; the single env does the same.
          const { observation } = env.reset();
          same(
            result.observations.subarray(i * size, (i + 1) * size),
            observation,
            `autoreset observation of env ${i} at step ${t}`,
          );
          assert(
            result.rewards[i] === 0 && result.terminated[i] === 0 && result.truncated[i] === 0,
            `autoreset step of env ${i} has reward or flags`,
          );
          ended[i] = false;
          boundaries += 1;
          return;
        }
        const action =
          env.actionSpace.shape.length === 0
            ? actions[i]!
            : actions.subarray(i * vector.actionSize, (i + 1) * vector.actionSize);
        const single = env.step(action);
        same(
          result.observations.subarray(i * size, (i + 1) * size),
          single.observation,
          `observation of env ${i} at step ${t}`,
        );
        assert(
          Object.is(result.rewards[i], single.reward),
          `reward of env ${i} at step ${t}: ${result.rewards[i]} != ${single.reward}`,
        );
        assert(result.terminated[i] === Number(single.terminated), `terminated of env ${i} at step ${t}`);
        assert(result.truncated[i] === Number(single.truncated), `truncated of env ${i} at step ${t}`);
        ended[i] = single.terminated || single.truncated;
      });
    }
    assert(boundaries > 0 || steps < 2, `no episode ended in ${steps} steps, so autoreset was not exercised`);
  });

  check('a VectorEnv rejects actions of the wrong length naming the distribution', () => {
    const vector = distribution.makeVectorEnv(tasks);
    vector.reset({ seed });
    throwsNaming(
      () => vector.step(new Float32Array(vector.numEnvs * vector.actionSize + 1)),
      'step with one action too many',
    );
  });

  if (failures.length > 0) throw new EnvCheckError(`checkTaskDistribution(${distribution.id})`, failures);
  return passed;
}

/** The path of the first value in `value` that is not plain JSON, or undefined when all are. */
function firstNonPlainValue(value: unknown, path: string): string | undefined {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : path;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = firstNonPlainValue(item, `${path}[${i}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [key, item] of Object.entries(value)) {
      const found = firstNonPlainValue(item, `${path}.${key}`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  return path;
}
