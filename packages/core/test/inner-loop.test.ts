import { beforeAll, describe, expect, it } from 'vitest';
import {
  adaptPolicy,
  broadcastParams,
  createGaussianMlpPolicy,
  createRng,
  disposeParams,
  disposeTaskBatch,
  type EpisodeBatch,
  flattenParams,
  innerLoss,
  innerStep,
  listLeaves,
  mapParams,
  type ParamTree,
  taskAdvantages,
  taskRanges,
  tf,
  toTaskBatch,
  useBackend,
  valueAndGradients,
} from '../src/index';

/** A hand-made batch: task 0 has episodes of 3 and 2 steps, task 1 one of 4 (ragged on purpose). */
function handMadeBatch(): EpisodeBatch {
  const lengths = Int32Array.of(3, 2, 4);
  const steps = 9;
  const rng = createRng(5);
  return {
    observationSize: 2,
    actionSize: 2,
    observations: Float32Array.from(rng.normal(steps * 2)),
    actions: Float32Array.from(rng.normal(steps * 2)),
    rewards: Float32Array.from(rng.normal(steps)),
    terminated: new Uint8Array(steps),
    truncated: new Uint8Array(steps),
    lengths,
    offsets: Int32Array.of(0, 3, 5),
    envIndex: Int32Array.of(0, 1, 2),
    taskIndex: Int32Array.of(0, 0, 1),
    finalObservations: new Float32Array(6),
    agentInfo: {},
  };
}

const ADVANTAGES = Float32Array.of(1, -0.5, 2, 0.3, -1, 0.7, -2, 1.5, 0.1);

/** A linear Gaussian policy: mean = s W + b, state-independent log-std. */
const linearPolicy = createGaussianMlpPolicy({
  observationSize: 2,
  actionSize: 2,
  hiddenSizes: [],
  initialStd: 0.7,
});

function leavesOf(tree: ParamTree): Record<string, Float32Array> {
  return Object.fromEntries(listLeaves(tree).map((l) => [l.path, l.tensor.dataSync() as Float32Array]));
}

describe('task-batched inner loop', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('pads ragged tasks: per-task ranges, zero weight on padding, advantages normalised per task', () => {
    const batch = handMadeBatch();
    expect(taskRanges(batch)).toEqual([
      { start: 0, end: 5 },
      { start: 5, end: 9 },
    ]);
    const taskBatch = toTaskBatch(batch, ADVANTAGES, 'continuous');
    expect(taskBatch.tasks).toBe(2);
    expect(taskBatch.observations.shape).toEqual([2, 5, 2]);
    const stepWeights = taskBatch.stepWeights.dataSync();
    expect(Array.from(stepWeights.slice(5))).toEqual([0.25, 0.25, 0.25, 0.25, 0]); // task 1: 4 steps, 1 padding row
    expect(taskBatch.advantageWeights.dataSync()[9]).toBe(0);
    const advantages = taskAdvantages(batch, { gamma: 0.9, lambda: 1 });
    for (const { start, end } of taskRanges(batch)) {
      const mean = advantages.subarray(start, end).reduce((s, v) => s + v, 0) / (end - start);
      expect(Math.abs(mean)).toBeLessThan(1e-5);
    }
    disposeTaskBatch(taskBatch);
    const shuffled = { ...batch, taskIndex: Int32Array.of(1, 0, 0) };
    expect(() => taskRanges(shuffled)).toThrow(/taskRanges: the episodes must be task-major/);
  });

  it('the batched inner step equals a hand-computed VPG step of each task (ragged episodes)', () => {
    const theta = linearPolicy.init(createRng(3));
    const batch = handMadeBatch();
    const taskBatch = toTaskBatch(batch, ADVANTAGES, 'continuous');
    const alpha = 0.3;
    const start = broadcastParams(theta, 2);
    const phi = innerStep(linearPolicy, start, taskBatch, { innerStepSize: alpha });

    const leaves = leavesOf(theta);
    const W = leaves['mean/output/weight']!; // [in 2, out 2]
    const b = leaves['mean/output/bias']!;
    const logStd = leaves.logStd!;
    const adapted = leavesOf(phi);
    for (const [task, first, count] of [
      [0, 0, 5],
      [1, 5, 4],
    ] as const) {
      const gW = new Float64Array(4);
      const gb = new Float64Array(2);
      const gLogStd = new Float64Array(2);
      for (let i = first; i < first + count; i += 1) {
        const s = [batch.observations[2 * i]!, batch.observations[2 * i + 1]!];
        for (let j = 0; j < 2; j += 1) {
          const mean = s[0]! * W[j]! + s[1]! * W[2 + j]! + b[j]!;
          const variance = Math.exp(2 * logStd[j]!);
          const error = batch.actions[2 * i + j]! - mean;
          // d/dparam of -(A / n) log pi(a|s)
          const weight = -ADVANTAGES[i]! / count;
          gb[j] = gb[j]! + weight * (error / variance);
          gW[j] = gW[j]! + weight * (error / variance) * s[0]!;
          gW[2 + j] = gW[2 + j]! + weight * (error / variance) * s[1]!;
          gLogStd[j] = gLogStd[j]! + weight * ((error * error) / variance - 1);
        }
      }
      for (let k = 0; k < 4; k += 1)
        expect(adapted['mean/output/weight']![task * 4 + k]).toBeCloseTo(W[k]! - alpha * gW[k]!, 5);
      for (let j = 0; j < 2; j += 1) {
        expect(adapted['mean/output/bias']![task * 2 + j]).toBeCloseTo(b[j]! - alpha * gb[j]!, 5);
        expect(adapted.logStd![task * 2 + j]).toBeCloseTo(logStd[j]! - alpha * gLogStd[j]!, 5);
      }
    }
    for (const tree of [phi, start, theta]) disposeParams(tree);
    disposeTaskBatch(taskBatch);
  });

  it('adaptPolicy takes one step per batch; per-parameter step sizes replace alpha', () => {
    const before = tf.memory().numTensors;
    const theta = linearPolicy.init(createRng(4));
    const taskBatch = toTaskBatch(handMadeBatch(), ADVANTAGES, 'continuous');
    const options = { innerStepSize: 0.2 };
    // Two steps on the same batch = two innerSteps by hand.
    const adapted = adaptPolicy(linearPolicy, theta, [taskBatch, taskBatch], options);
    const start = broadcastParams(theta, 2);
    const once = innerStep(linearPolicy, start, taskBatch, options);
    const twice = innerStep(linearPolicy, once, taskBatch, options);
    expect(Array.from(flattenParams(adapted))).toEqual(Array.from(flattenParams(twice)));
    // Step sizes of 0.2 everywhere are alpha = 0.2; other step sizes move the parameters differently.
    const same = mapParams(theta, (p) => tf.fill(p.shape, 0.2));
    const withSizes = adaptPolicy(linearPolicy, theta, [taskBatch], { innerStepSize: 1, stepSizes: same });
    expect(Array.from(flattenParams(withSizes))).toEqual(Array.from(flattenParams(once)));
    const larger = mapParams(theta, (p) => tf.fill(p.shape, 0.5));
    const moved = adaptPolicy(linearPolicy, theta, [taskBatch], { innerStepSize: 0.2, stepSizes: larger });
    expect(Array.from(flattenParams(moved))).not.toEqual(Array.from(flattenParams(once)));
    expect(() => adaptPolicy(linearPolicy, theta, [], options)).toThrow(/batches must hold at least one/);
    for (const tree of [theta, adapted, start, once, twice, same, withSizes, larger, moved])
      disposeParams(tree);
    disposeTaskBatch(taskBatch);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('differentiates through the adaptation: the first-order gradient drops the second-order terms', () => {
    const policy = createGaussianMlpPolicy({ observationSize: 2, actionSize: 2, hiddenSizes: [3] });
    const theta = policy.init(createRng(6));
    const taskBatch = toTaskBatch(handMadeBatch(), ADVANTAGES, 'continuous');
    const outer = (firstOrder: boolean) =>
      valueAndGradients((params) => {
        const adapted = adaptPolicy(policy, params, [taskBatch], { innerStepSize: 0.5, firstOrder });
        const loss = innerLoss(policy, adapted, taskBatch);
        disposeParams(adapted);
        return loss;
      }, theta);
    const exact = outer(false);
    const firstOrder = outer(true);
    expect(exact.value.dataSync()[0]).toBe(firstOrder.value.dataSync()[0]); // same adapted point
    // First-order: the gradient at phi, passed straight through (J = I).
    const adapted = adaptPolicy(policy, theta, [taskBatch], { innerStepSize: 0.5 });
    const atPhi = valueAndGradients((p) => innerLoss(policy, p, taskBatch), adapted);
    const summed = mapParams(atPhi.gradients, (g) => tf.sum(g, 0));
    const difference = (a: ParamTree, b: ParamTree) => {
      const x = flattenParams(a);
      const y = flattenParams(b);
      return Math.max(...x.map((v, i) => Math.abs(v - y[i]!)));
    };
    expect(difference(firstOrder.gradients, summed)).toBeLessThan(1e-6);
    expect(difference(exact.gradients, summed)).toBeGreaterThan(1e-4);
    tf.dispose([exact.value, firstOrder.value, atPhi.value]);
    for (const tree of [theta, exact.gradients, firstOrder.gradients, adapted, atPhi.gradients, summed])
      disposeParams(tree);
    disposeTaskBatch(taskBatch);
  });
});
