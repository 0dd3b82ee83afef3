/**
 * `checkMetaLearner`: the contract checks every algorithm package runs on its learner. Contract
 * shape, determinism under a seed, adaptation that leaves the learner untouched, no tensor
 * leaks across iterations, and a checkpoint round trip that resumes exactly.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRng, type TaskDistribution } from '@metarl/envs';
import * as tf from '@tensorflow/tfjs-core';
import type { MetaLearner } from '../meta/meta-learner';
import { loadCheckpoint, saveCheckpoint } from '../node/checkpoint-directory';
import { flattenParams } from '../params/param-tree';
import { collectEpisodes } from '../rl/rollouts';

/** Raised by `checkMetaLearner`; `failures` lists what went wrong. */
export class MetaLearnerCheckError extends Error {
  override readonly name = 'MetaLearnerCheckError';
  /** One line per failed check. */
  readonly failures: readonly string[];

  constructor(kind: string, failures: readonly string[]) {
    super(`checkMetaLearner(${kind}) failed ${failures.length} check(s):\n- ${failures.join('\n- ')}`);
    this.failures = failures;
  }
}

/** Options of `checkMetaLearner`. */
export interface CheckMetaLearnerOptions {
  /** Tasks per step; default 2. */
  readonly metaBatchSize?: number;
  /** Seed of the checks; default 0. */
  readonly seed?: number;
}

async function paramsOf<Task>(learner: MetaLearner<Task>): Promise<Float32Array> {
  return flattenParams((await learner.toCheckpoint()).params);
}

function same(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}

/**
 * Runs the checks on learners made by `createLearner` (each call must build an identical fresh
 * learner). Throws a `MetaLearnerCheckError` listing failures; returns the passed checks.
 */
export async function checkMetaLearner<Task>(
  createLearner: () => MetaLearner<Task>,
  distribution: TaskDistribution<Task>,
  options: CheckMetaLearnerOptions = {},
): Promise<string[]> {
  const size = options.metaBatchSize ?? 2;
  const seed = options.seed ?? 0;
  const failures: string[] = [];
  const passed: string[] = [];
  const check = async (name: string, body: () => Promise<void>) => {
    try {
      await body();
      passed.push(name);
    } catch (error) {
      failures.push(`${name}: ${(error as Error).message}`);
    }
  };
  const assert = (condition: boolean, message: string) => {
    if (!condition) throw new Error(message);
  };
  const tasks = distribution.sampleTasks(size, { seed });
  const trainStep = (learner: MetaLearner<Task>, s: number) => learner.metaTrainStep(tasks, createRng(s));
  const probe = createLearner();
  const kind = typeof probe.kind === 'string' ? probe.kind : String(probe.kind);

  await check('contract shape', async () => {
    assert(typeof probe.kind === 'string' && probe.kind.length > 0, 'kind must be a non-empty string');
    assert(
      probe.adaptation === 'gradient' || probe.adaptation === 'memory',
      `adaptation must be 'gradient' or 'memory', got ${String(probe.adaptation)}`,
    );
    if (probe.adaptation === 'memory') {
      const n = probe.episodesPerTrial;
      assert(
        n === undefined || (Number.isInteger(n) && n >= 1),
        `episodesPerTrial must be a positive integer when given, got ${String(n)}`,
      );
    }
    for (const method of [
      'explorationAgent',
      'adapt',
      'metaTrainStep',
      'toCheckpoint',
      'fromCheckpoint',
      'dispose',
    ] as const) {
      assert(typeof probe[method] === 'function', `${method} is not a function`);
    }
  });

  await check('metaTrainStep returns finite metrics with namespaced keys', async () => {
    const metrics = await trainStep(probe, seed + 1);
    const keys = Object.keys(metrics);
    assert(keys.length > 0, 'no metrics');
    for (const key of keys) {
      assert(/^[A-Za-z]+\/[A-Za-z0-9_.]+$/.test(key), `metric key '${key}' is not 'group/name'`);
      const value: unknown = metrics[key];
      assert(typeof value === 'number', `metric '${key}' is not a number, got ${String(value)}`);
      assert(Number.isFinite(value), `metric '${key}' is ${String(value)}, not finite`);
    }
  });

  await check('the same seed gives the same parameters', async () => {
    const a = createLearner();
    const b = createLearner();
    for (const s of [seed + 2, seed + 3]) {
      await trainStep(a, s);
      await trainStep(b, s);
    }
    const equal = same(await paramsOf(a), await paramsOf(b));
    a.dispose();
    b.dispose();
    assert(equal, 'two learners trained with the same seeds differ');
  });

  await check('adapt returns an acting agent and leaves the learner untouched', async () => {
    const before = await paramsOf(probe);
    const env = distribution.makeVectorEnv(
      tasks.flatMap((t) => [t, t]),
      { autoresetMode: 'disabled' },
    );
    const explorer = probe.explorationAgent(tasks);
    const batch = collectEpisodes(env, explorer, {
      episodesPerEnv: 1,
      rng: createRng(seed),
      seed,
      tasks: size,
    });
    const adapted = probe.adapt(explorer, batch);
    const after = collectEpisodes(env, adapted, { episodesPerEnv: 1, rng: createRng(seed), tasks: size });
    assert(after.lengths.length === 2 * size, 'the adapted agent did not act for every environment');
    adapted.dispose?.();
    explorer.dispose?.();
    assert(same(before, await paramsOf(probe)), 'adapt changed the learner');
  });

  await check('no tensor leaks across iterations', async () => {
    await trainStep(probe, seed + 4);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i += 1) await trainStep(probe, seed + 5 + i);
    const after = tf.memory().numTensors;
    assert(after === before, `live tensors grew from ${before} to ${after} over 3 iterations`);
  });

  await check('checkpoint round trip resumes exactly', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'metarl-check-'));
    try {
      const original = createLearner();
      await trainStep(original, seed + 10);
      await saveCheckpoint(join(directory, 'checkpoint'), await original.toCheckpoint());
      const restored = createLearner();
      await restored.fromCheckpoint(await loadCheckpoint(join(directory, 'checkpoint'), original.kind));
      assert(same(await paramsOf(original), await paramsOf(restored)), 'restored parameters differ');
      await trainStep(original, seed + 11);
      await trainStep(restored, seed + 11);
      const equal = same(await paramsOf(original), await paramsOf(restored));
      original.dispose();
      restored.dispose();
      assert(equal, 'training after the restore diverged from training without it');
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  probe.dispose();
  if (failures.length > 0) throw new MetaLearnerCheckError(kind, failures);
  return passed;
}
