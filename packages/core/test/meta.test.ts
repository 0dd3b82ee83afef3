import { cpSync, existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type BanditTask,
  banditDistribution,
  navigation2dDistribution,
  type TaskDistribution,
} from '@metarl/envs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Checkpoint,
  cloneParams,
  createGaussianMlpPolicy,
  evaluateMetaLearner,
  flattenParams,
  type MetaLearner,
  tf,
  trainMetaLearner,
  useBackend,
} from '../src/index';
import { MetricsLog, readMetrics, trainMetaLearnerInDirectory } from '../src/node/index';
import { checkMetaLearner, createFineTuningLearner, MetaLearnerCheckError } from '../src/testing/index';

const navigation = navigation2dDistribution();
const policy = createGaussianMlpPolicy({ observationSize: 2, actionSize: 2, hiddenSizes: [16] });
const makeLearner = () =>
  createFineTuningLearner({ distribution: navigation, policy, seed: 3, episodesPerTask: 2 });
let directory = '';
/** A checkpoint with its own tensors (a handed-out checkpoint's are the learner's). */
const copyCheckpoint = (checkpoint: Checkpoint): Checkpoint => ({
  ...checkpoint,
  params: cloneParams(checkpoint.params),
  ...(checkpoint.optimizer === undefined
    ? {}
    : {
        optimizer: {
          ...checkpoint.optimizer,
          slots: Object.fromEntries(
            Object.entries(checkpoint.optimizer.slots).map(([slot, tree]) => [slot, cloneParams(tree)]),
          ),
        },
      }),
});

describe('MetaLearner machinery', () => {
  beforeAll(async () => {
    await useBackend('cpu');
    directory = await mkdtemp(join(tmpdir(), 'metarl-meta-'));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('the reference learner passes checkMetaLearner', async () => {
    const passed = await checkMetaLearner(makeLearner, navigation);
    expect(passed).toEqual([
      'contract shape',
      'metaTrainStep returns finite metrics with namespaced keys',
      'the same seed gives the same parameters',
      'adapt returns an acting agent and leaves the learner untouched',
      'no tensor leaks across iterations',
      'checkpoint round trip resumes exactly',
    ]);
  }, 60_000);

  it('checkMetaLearner catches a leaking, nondeterministic learner', async () => {
    const leaky = (): MetaLearner<unknown> => {
      const inner = makeLearner() as MetaLearner<unknown>;
      return {
        ...inner,
        kind: inner.kind,
        async metaTrainStep(tasks, rng) {
          tf.keep(tf.scalar(Math.random())); // a leaked tensor, and randomness outside the seed
          return inner.metaTrainStep(tasks, rng);
        },
        async toCheckpoint() {
          const checkpoint = await inner.toCheckpoint();
          return { ...checkpoint, params: { ...checkpoint.params, noise: tf.scalar(Math.random()) } };
        },
      };
    };
    const error = await checkMetaLearner(leaky, navigation).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MetaLearnerCheckError);
    const failures = (error as MetaLearnerCheckError).failures.join('\n');
    expect(failures).toMatch(/no tensor leaks across iterations: live tensors grew/);
    expect(failures).toMatch(
      /the same seed gives the same parameters: two learners trained with the same seeds differ/,
    );
  }, 60_000);

  it('evaluateMetaLearner reports before/after returns per task with intervals', () => {
    const learner = makeLearner();
    const report = evaluateMetaLearner(learner, navigation, {
      tasks: 4,
      episodesPerTask: 2,
      adaptationSteps: 2,
      seed: 5,
    });
    expect(report.protocol).toEqual({
      adaptation: 'gradient',
      tasks: 4,
      episodesPerTask: 2,
      adaptationSteps: 2,
      seed: 5,
    });
    expect(report.steps.map((s) => s.adaptationStep)).toEqual([0, 1, 2]);
    expect(report.trial).toBeUndefined();
    for (const step of report.steps) {
      expect(step.perTask).toHaveLength(4);
      expect(Number.isFinite(step.meanReturn) && step.meanReturn < 0).toBe(true);
      expect(step.halfWidth95).toBeGreaterThan(0);
    }
    expect(() => evaluateMetaLearner(learner, navigation, { tasks: 0 })).toThrow(
      'evaluateMetaLearner: protocol.tasks must be an integer >= 1, got 0',
    );
    expect(() => evaluateMetaLearner(learner, navigation, { episodesPerTrial: 3 })).toThrow(
      'evaluateMetaLearner: protocol.episodesPerTrial (3) does not apply to fine-tuning, which adapts by gradient (use episodesPerTask, adaptationSteps)',
    );
    const unknown = { ...learner, adaptation: 'context' } as unknown as MetaLearner<unknown>;
    expect(() => evaluateMetaLearner(unknown, navigation)).toThrow(
      "evaluateMetaLearner: learner.adaptation must be 'gradient' or 'memory', got context (learner fine-tuning)",
    );
    learner.dispose();
  });

  it('evaluateMetaLearner plays whole trials for a memory learner: memory kept within a trial, reset between trials', () => {
    // Two-armed bandits that pay surely: even tasks pay on arm 1 only, odd tasks on arm 0 only.
    const bandit = banditDistribution({ arms: 2 });
    const sure: TaskDistribution<BanditTask> = {
      ...bandit,
      sampleTasks: (count) =>
        Array.from({ length: count }, (_v, i) => ({ probabilities: i % 2 === 0 ? [0, 1] : [1, 0] })),
    };
    // The agent pulls arm 0 first and remembers whether it paid: then it keeps it, else switches.
    // Its memory (one arm per environment) is kept across episodes only when the sampler says so.
    const agents: { arm: Int32Array; pulls: number }[] = [];
    const learner: MetaLearner<BanditTask> = {
      kind: 'remember-the-arm',
      adaptation: 'memory',
      episodesPerTrial: 3,
      explorationAgent() {
        const state = { arm: new Int32Array(0), pulls: 0 };
        agents.push(state);
        return {
          act(observations) {
            if (state.arm.length !== observations.length) state.arm = new Int32Array(observations.length);
            state.pulls += observations.length;
            return { actions: Int32Array.from(state.arm), info: {} };
          },
          observeRewards(rewards, envMask) {
            rewards.forEach((reward, i) => {
              if (envMask[i] === 1 && reward === 0) state.arm[i] = 1 - state.arm[i]!;
            });
          },
          onEpisodeStart(envMask, { keepMemory }) {
            if (keepMemory) return;
            envMask.forEach((start, i) => {
              if (start === 1) state.arm[i] = 0;
            });
          },
        };
      },
      adapt: (agent) => agent,
      metaTrainStep: async () => ({}),
      toCheckpoint: async () => {
        throw new Error('not used');
      },
      fromCheckpoint: async () => {},
      dispose: () => {},
    };
    const report = evaluateMetaLearner(learner, sure, { tasks: 4, trialsPerTask: 2, seed: 3 });
    expect(report.protocol).toEqual({
      adaptation: 'memory',
      tasks: 4,
      episodesPerTrial: 3,
      trialsPerTask: 2,
      seed: 3,
    });
    // One agent acted for 4 tasks x 2 trials over 3 one-pull episodes.
    expect(agents.map((a) => a.pulls)).toEqual([8 * 3]);
    // Episode 0 from empty memory pays on odd tasks only; later episodes remember the paying arm.
    expect(report.steps.map((s) => s.adaptationStep)).toEqual([0, 1, 2]);
    expect(report.steps.map((s) => s.perTask)).toEqual([
      [0, 1, 0, 1],
      [1, 1, 1, 1],
      [1, 1, 1, 1],
    ]);
    expect(report.steps.map((s) => s.meanReturn)).toEqual([0.5, 1, 1]);
    expect(report.steps[1]!.halfWidth95).toBe(0);
    expect(report.trial!.perTask).toEqual([2, 3, 2, 3]);
    expect(report.trial!.meanReturn).toBe(2.5);
    expect(report.trial!.halfWidth95).toBeCloseTo((1.96 * Math.sqrt(1 / 3)) / 2, 12);
    // Longer trials from the protocol; the gradient fields are refused.
    const longer = evaluateMetaLearner(learner, sure, { tasks: 2, episodesPerTrial: 5 });
    expect(longer.trial!.perTask).toEqual([4, 5]);
    expect(longer.steps).toHaveLength(5);
    expect(() => evaluateMetaLearner(learner, sure, { adaptationSteps: 2 })).toThrow(
      'evaluateMetaLearner: protocol.adaptationSteps (2) does not apply to remember-the-arm, which adapts by memory (use episodesPerTrial, trialsPerTask)',
    );
    expect(() => evaluateMetaLearner(learner, sure, { trialsPerTask: 0 })).toThrow(
      'evaluateMetaLearner: protocol.trialsPerTask must be an integer >= 1, got 0',
    );
    const { episodesPerTrial: _n, ...withoutLength } = learner;
    expect(() => evaluateMetaLearner(withoutLength, sure)).toThrow(
      'evaluateMetaLearner: remember-the-arm adapts by memory but has no episodesPerTrial; give protocol.episodesPerTrial',
    );
  });

  it('trainMetaLearner stops after the iteration in progress when its signal aborts, and hands out the last checkpoint', async () => {
    const learner = makeLearner();
    const controller = new AbortController();
    const steps: number[] = [];
    const result = await trainMetaLearner(learner, navigation, {
      iterations: 10,
      metaBatchSize: 2,
      seed: 3,
      progress: 'none',
      signal: controller.signal,
      onIteration: (record) => {
        if (record.iteration === 3) controller.abort();
      },
      onCheckpoint: (checkpoint) => {
        steps.push(checkpoint.step!);
      },
    });
    expect(result.iterations).toBe(3);
    expect(result.records.map((r) => r.iteration)).toEqual([1, 2, 3]);
    expect(steps).toEqual([3]);
    learner.dispose();
  });

  it('trainMetaLearner stops on AbortSignal.timeout even when no iteration waits for I/O', async () => {
    const learner = makeLearner();
    const started = performance.now();
    const result = await trainMetaLearner(learner, navigation, {
      iterations: 10_000,
      metaBatchSize: 2,
      seed: 3,
      progress: 'none',
      signal: AbortSignal.timeout(300),
    });
    expect(result.iterations).toBeGreaterThan(0);
    expect(result.iterations).toBeLessThan(10_000);
    expect(performance.now() - started).toBeLessThan(20_000);
    learner.dispose();
  });

  it('trainMetaLearner hands out checkpoints in memory and resumes exactly from one (no file system)', async () => {
    const straight = makeLearner();
    const full = await trainMetaLearner(straight, navigation, {
      iterations: 4,
      metaBatchSize: 2,
      seed: 9,
      progress: 'none',
    });
    expect(full.records.map((r) => r.iteration)).toEqual([1, 2, 3, 4]);
    const first = makeLearner();
    const handedOut: { step: number; params: Float32Array; rng: Checkpoint['rng'] }[] = [];
    let kept: Checkpoint | undefined;
    await trainMetaLearner(first, navigation, {
      iterations: 3,
      metaBatchSize: 2,
      seed: 9,
      progress: 'none',
      checkpointEvery: 2,
      onCheckpoint: (checkpoint) => {
        handedOut.push({
          step: checkpoint.step,
          params: flattenParams(checkpoint.params),
          rng: checkpoint.rng,
        });
        // The tensors are the learner's own: copy them to keep them.
        if (checkpoint.step === 2) kept = copyCheckpoint(checkpoint);
      },
    });
    expect(handedOut.map((c) => c.step)).toEqual([2, 3]);
    expect(Object.keys(handedOut[0]!.rng)).toContain('trainer');
    first.dispose();
    const resumed = makeLearner();
    const rest = await trainMetaLearner(resumed, navigation, {
      iterations: 4,
      metaBatchSize: 2,
      seed: 9,
      progress: 'none',
      resumeFrom: kept!,
    });
    expect(rest.iterations).toBe(4);
    expect(rest.records.map((r) => r['metaTrain/returnBefore'])).toEqual(
      full.records.slice(2).map((r) => r['metaTrain/returnBefore']),
    );
    expect(Array.from(flattenParams((await resumed.toCheckpoint()).params))).toEqual(
      Array.from(flattenParams((await straight.toCheckpoint()).params)),
    );
    const other = makeLearner();
    await expect(
      trainMetaLearner(other, navigation, {
        iterations: 1,
        metaBatchSize: 2,
        seed: 9,
        resumeFrom: { ...(await other.toCheckpoint()), kind: 'maml' },
      }),
    ).rejects.toThrow(/trainMetaLearner: resumeFrom is a 'maml' checkpoint, this learner is '/);
    await expect(
      trainMetaLearner(other, navigation, {
        iterations: 1,
        metaBatchSize: 2,
        seed: 9,
        resumeFrom: await other.toCheckpoint(),
      }),
    ).rejects.toThrow(/resumeFrom has no 'trainer' generator state/);
    straight.dispose();
    resumed.dispose();
    other.dispose();
  }, 60_000);

  it('trainMetaLearnerInDirectory logs fixed-key metrics and resumes exactly: 4 iterations == 2, save, load, 2', async () => {
    const straight = makeLearner();
    const lines: string[] = [];
    const full = await trainMetaLearnerInDirectory(straight, navigation, {
      iterations: 4,
      metaBatchSize: 2,
      seed: 9,
      outputDirectory: join(directory, 'straight'),
      progress: 'none',
      onIteration: (record) => lines.push(String(record.iteration)),
    });
    expect(full.iterations).toBe(4);
    expect(lines).toEqual(['1', '2', '3', '4']);
    const records = readMetrics(join(directory, 'straight', 'metrics.jsonl'));
    expect(records).toHaveLength(4);
    expect(Object.keys(records[0]!)).toEqual([
      'iteration',
      'metaTrain/returnBefore',
      'losses/policy',
      'time/iterationSeconds',
      'time/totalSeconds',
    ]);
    const csv = readFileSync(join(directory, 'straight', 'metrics.csv'), 'utf8')
      .trim()
      .split('\n');
    expect(csv).toHaveLength(5);
    expect(csv[0]).toBe(
      'iteration,metaTrain/returnBefore,losses/policy,time/iterationSeconds,time/totalSeconds',
    );

    const first = makeLearner();
    await trainMetaLearnerInDirectory(first, navigation, {
      iterations: 2,
      metaBatchSize: 2,
      seed: 9,
      outputDirectory: join(directory, 'split'),
      progress: 'none',
    });
    expect(existsSync(join(directory, 'split', 'checkpoint', 'state.json'))).toBe(true);
    expect(existsSync(join(directory, 'split', 'learning-curve.png'))).toBe(false); // charts: @metarl/plot
    cpSync(join(directory, 'split', 'checkpoint'), join(directory, 'checkpoint-at-2'), { recursive: true });
    first.dispose();
    const resumed = makeLearner();
    const rest = await trainMetaLearnerInDirectory(resumed, navigation, {
      iterations: 4,
      metaBatchSize: 2,
      seed: 9,
      outputDirectory: join(directory, 'split'),
      resumeFrom: join(directory, 'split', 'checkpoint'),
      progress: 'none',
    });
    expect(rest.records.map((r) => r.iteration)).toEqual([3, 4]);
    const a = flattenParams((await straight.toCheckpoint()).params);
    const b = flattenParams((await resumed.toCheckpoint()).params);
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(
      readMetrics(join(directory, 'split', 'metrics.jsonl')).map((r) => r['metaTrain/returnBefore']),
    ).toEqual(records.map((r) => r['metaTrain/returnBefore']));
    straight.dispose();
    resumed.dispose();

    // Resuming the 2-iteration checkpoint again drops records 3 and 4 (written after it) first;
    // a new run in the same folder starts the metrics afresh instead of appending to the old run.
    const again = makeLearner();
    await trainMetaLearnerInDirectory(again, navigation, {
      iterations: 3,
      metaBatchSize: 2,
      seed: 9,
      outputDirectory: join(directory, 'split'),
      resumeFrom: join(directory, 'checkpoint-at-2'),
      progress: 'none',
    });
    again.dispose();
    expect(readMetrics(join(directory, 'split', 'metrics.jsonl')).map((r) => r.iteration)).toEqual([1, 2, 3]);
    const fresh = makeLearner();
    await trainMetaLearnerInDirectory(fresh, navigation, {
      iterations: 1,
      metaBatchSize: 2,
      seed: 9,
      outputDirectory: join(directory, 'split'),
      progress: 'none',
    });
    fresh.dispose();
    expect(readMetrics(join(directory, 'split', 'metrics.jsonl')).map((r) => r.iteration)).toEqual([1]);
    expect(
      readFileSync(join(directory, 'split', 'metrics.csv'), 'utf8')
        .trim()
        .split('\n'),
    ).toHaveLength(2);
  }, 60_000);

  it('shows progress as plain lines or as a bar', async () => {
    const written: string[] = [];
    const original = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      for (const progress of ['lines', 'bar'] as const) {
        const learner = makeLearner();
        await trainMetaLearner(learner, navigation, { iterations: 2, metaBatchSize: 2, seed: 1, progress });
        learner.dispose();
      }
    } finally {
      process.stderr.write = original;
    }
    const text = written.join('');
    expect(text).toMatch(
      /iteration 1\/2 {2}returnBefore -\d+\.\d\d\niteration 2\/2 {2}returnBefore -\d+\.\d\d\n/,
    );
    expect(text).toMatch(/\r\[#{12}-{12}\] 1\/2 {2}returnBefore/);
    expect(text).toMatch(/\r\[#{24}\] 2\/2 {2}returnBefore -\d+\.\d\d {3}\n/);
  });

  it('metrics JSONL keeps NaN and Infinity; CSV keys must stay fixed', () => {
    const log = new MetricsLog(join(directory, 'm.jsonl'), join(directory, 'm.csv'));
    log.append({ 'losses/a': Number.NaN, 'losses/b': Number.POSITIVE_INFINITY, 'losses/c': -1 });
    const [record] = readMetrics(join(directory, 'm.jsonl'));
    expect(record!['losses/a']).toBeNaN();
    expect(record!['losses/b']).toBe(Number.POSITIVE_INFINITY);
    expect(() => log.append({ 'losses/a': 1 })).toThrow(
      /metrics keys must stay fixed \(missing: losses\/b, losses\/c; new: none\)/,
    );
  });
});
