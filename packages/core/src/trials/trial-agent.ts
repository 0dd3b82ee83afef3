/**
 * The memory-carrying agent of trial learners (RL² and any learner whose policy is recurrent
 * over trial inputs): one policy step per call for a whole batch of environments, building its
 * own inputs (observation, previous action, previous reward, done flag) from what it did and the
 * rewards the sampler reports. Its memory is carried across the episodes of a trial; "reset"
 * returns an environment to the agent's initial memory: zeros for a fresh agent, the memory
 * reached on exploration episodes (`trialMemoryAfter`) for an adapted one.
 */
import type { Rng } from '@metarl/envs';
import * as tf from '@tensorflow/tfjs-core';
import type { Distribution } from '../distributions/distribution';
import type { ParamTree } from '../params/param-tree';
import type { Agent } from '../rl/agent';
import type { RecurrentPolicy } from '../rl/recurrent-policy';
import type { EpisodeBatch } from '../rl/rollouts';
import type { TrialBatch } from './trial-batch';
import { type ActionEncoding, encodeAction, trialInputSize, trialInputs, trialRanges } from './trial-inputs';
import { scaledValues } from './value-scale';

/** The memory of every environment of an agent: where a trial (re)starts. */
export interface TrialMemory {
  /** `[N * H]` hidden states. */
  readonly hidden: Float32Array;
  /** `[N * encoding.size]` the previous actions, encoded. */
  readonly previousActions: Float32Array;
  /** `[N]` the previous rewards. */
  readonly previousRewards: Float32Array;
  /** `[N]` 1 where the previous step ended an episode. */
  readonly done: Float32Array;
}

/** Options of `createTrialAgent`. */
export interface TrialAgentOptions {
  /** Memory every reset returns to (one row per environment); default zeros for any count. */
  readonly initialMemory?: TrialMemory;
  /** Act with the distribution's mode instead of sampling; default false. */
  readonly deterministic?: boolean;
  /** Called when the agent is disposed (e.g. to free parameters it owns). */
  readonly onDispose?: () => void;
}

/** A trial agent with its memory inspectable (for `adapt`, tests and demos). */
export interface TrialAgent extends Agent {
  /** A copy of the current memory of every environment. */
  memory(): TrialMemory;
}

/**
 * An agent over `policy` (inputs `trialInputSize(O, encoding)`) and `params` `{ policy, value?,
 * valueScale? }` (borrowed: keep them alive while acting). Records `logProb` per step, and
 * `value` when the params carry a scaled value head on the policy's state (`scaledValues`).
 * Throws a `RangeError` naming both sizes when the policy's input size, action kind or action
 * size does not fit `observationSize` and `encoding`; its `sizes` let samplers check the env.
 */
export function createTrialAgent(
  policy: RecurrentPolicy,
  params: ParamTree,
  observationSize: number,
  encoding: ActionEncoding,
  options: TrialAgentOptions = {},
): TrialAgent {
  const width = trialInputSize(observationSize, encoding);
  if (policy.observationSize !== width) {
    throw new RangeError(
      `createTrialAgent: policy expects inputs of size ${policy.observationSize} but observations of size ${observationSize} with ${encoding.kind} actions of size ${encoding.size} make trial inputs of size ${width} (observation + action + reward + done)`,
    );
  }
  if (policy.actionKind !== encoding.kind || policy.actionSize !== encoding.size) {
    throw new RangeError(
      `createTrialAgent: policy emits ${policy.actionKind} actions of size ${policy.actionSize} but the action encoding is ${encoding.kind} of size ${encoding.size}`,
    );
  }
  const size = policy.hiddenSize;
  const withValues = params.value !== undefined;
  const initial = options.initialMemory;
  const fixedCount = initial === undefined ? undefined : initial.done.length;
  let count = -1;
  // The memory stays a tensor between steps (a SNAIL cache or a MANN memory is large: no copies
  // to and from JavaScript per step); the inputs' side (action, reward, done) is kept here.
  let hidden: tf.Tensor2D | undefined;
  let previousActions = new Float32Array(0);
  let previousRewards = new Float32Array(0);
  let done = new Float32Array(0);
  /** The memory a reset returns the rows to: the initial memory's, or zeros. */
  const initialHidden = (n: number): tf.Tensor2D =>
    initial === undefined ? tf.zeros([n, size]) : tf.tensor2d(initial.hidden, [n, size]);
  const resetRow = (i: number) => {
    if (initial === undefined) {
      previousActions.fill(0, i * encoding.size, (i + 1) * encoding.size);
      previousRewards[i] = 0;
      done[i] = 0;
    } else {
      previousActions.set(
        initial.previousActions.subarray(i * encoding.size, (i + 1) * encoding.size),
        i * encoding.size,
      );
      previousRewards[i] = initial.previousRewards[i]!;
      done[i] = initial.done[i]!;
    }
  };
  const ensure = (n: number) => {
    if (fixedCount !== undefined && n !== fixedCount) {
      throw new RangeError(
        `trial agent: adapted for ${fixedCount} environments, asked to act for ${n} (act on the same environments it explored)`,
      );
    }
    if (n === count) return;
    count = n;
    hidden?.dispose();
    hidden = initialHidden(n);
    previousActions = new Float32Array(n * encoding.size);
    previousRewards = new Float32Array(n);
    done = new Float32Array(n);
    for (let i = 0; i < n; i += 1) resetRow(i);
  };
  let buffer = new Float32Array(0);
  return {
    sizes: { observationSize, actionKind: encoding.kind, actionSize: encoding.size },
    act(observations, rng: Rng) {
      const n = observations.length / observationSize;
      if (!Number.isInteger(n) || n < 1) {
        throw new RangeError(
          `trial agent: observations length ${observations.length} is not a positive multiple of observationSize ${observationSize}`,
        );
      }
      ensure(n);
      if (buffer.length !== n * width) buffer = new Float32Array(n * width);
      for (let i = 0; i < n; i += 1) {
        const row = i * width;
        buffer.set(observations.subarray(i * observationSize, (i + 1) * observationSize), row);
        buffer.set(
          previousActions.subarray(i * encoding.size, (i + 1) * encoding.size),
          row + observationSize,
        );
        buffer[row + observationSize + encoding.size] = previousRewards[i]!;
        buffer[row + observationSize + encoding.size + 1] = done[i]!;
      }
      const result = tf.tidy(() => {
        const step = policy.step(params.policy as ParamTree, tf.tensor2d(buffer, [n, width]), hidden!);
        const sample = options.deterministic ? step.distribution.mode() : step.distribution.sample(rng);
        const value = withValues ? scaledValues(params, step.features ?? step.hidden) : undefined;
        return { sample, logProb: step.distribution.logProb(sample), value, hidden: step.hidden };
      });
      const actionValues = result.sample.dataSync();
      const actions =
        policy.actionKind === 'discrete' ? Int32Array.from(actionValues) : Float32Array.from(actionValues);
      hidden!.dispose();
      hidden = result.hidden as tf.Tensor2D;
      const logProb = Float32Array.from(result.logProb.dataSync());
      const value = result.value === undefined ? undefined : Float32Array.from(result.value.dataSync());
      tf.dispose([result.sample, result.logProb]);
      result.value?.dispose();
      const actionSize = policy.actionKind === 'discrete' ? 1 : encoding.size;
      for (let i = 0; i < n; i += 1) {
        encodeAction(encoding, actions, i * actionSize, previousActions, i * encoding.size);
        done[i] = 0;
      }
      const info: Record<string, Float32Array> = { logProb };
      if (value !== undefined) info.value = value;
      return { actions, info };
    },
    observeRewards(rewards, envMask) {
      for (let i = 0; i < count; i += 1) if (envMask[i] === 1) previousRewards[i] = rewards[i]!;
    },
    onEpisodeStart(envMask, { keepMemory }) {
      if (count < 0) return;
      let resets = 0;
      for (let i = 0; i < count; i += 1) {
        if (envMask[i] !== 1) continue;
        if (keepMemory) done[i] = 1;
        else {
          resetRow(i);
          resets += 1;
        }
      }
      if (resets === 0) return;
      const current = hidden!;
      hidden = tf.tidy(() => {
        const mask = tf.reshape(tf.tensor1d(envMask, 'float32'), [count, 1]);
        return tf.add(tf.mul(current, tf.sub(1, mask)), tf.mul(initialHidden(count), mask)) as tf.Tensor2D;
      });
      current.dispose();
    },
    memory: () => ({
      hidden: hidden === undefined ? new Float32Array(0) : Float32Array.from(hidden.dataSync()),
      previousActions: Float32Array.from(previousActions),
      previousRewards: Float32Array.from(previousRewards),
      done: Float32Array.from(done),
    }),
    dispose() {
      hidden?.dispose();
      hidden = undefined;
      count = -1;
      options.onDispose?.();
    },
  };
}

/**
 * Runs `policy` over whole padded trials from a zero state, as in training: the action
 * distributions `[B, L]` and, when `params` carry a scaled value head, the values `[B, L]`
 * (new tensors: dispose the distribution with `tf.dispose` and the values).
 */
export function unrollTrials(
  policy: RecurrentPolicy,
  params: ParamTree,
  batch: TrialBatch,
): { distribution: Distribution; values: tf.Tensor2D | undefined } {
  type Unrolled = { distribution: Distribution; values: tf.Tensor2D | undefined };
  return tf.tidy(() => {
    const { distribution, states } = policy.unroll(
      params.policy as ParamTree,
      batch.inputs,
      tf.zeros([batch.trials, policy.hiddenSize]),
    );
    const values = params.value === undefined ? undefined : (scaledValues(params, states) as tf.Tensor2D);
    return { distribution, values } as unknown as tf.TensorContainer;
  }) as unknown as Unrolled;
}

/**
 * The memory each environment reaches at the end of its episodes in `episodes` (its trial so
 * far) under `policyParams`, starting from `start` (an adapted agent's memory) or zeros: one
 * unroll over the trial's inputs. An agent created with it as `initialMemory` continues those
 * trials: its next step sees the last action and reward and a done flag of 1. Errors start with
 * `owner` (e.g. 'rl2.adapt').
 */
export function trialMemoryAfter(
  policy: RecurrentPolicy,
  policyParams: ParamTree,
  episodes: EpisodeBatch,
  encoding: ActionEncoding,
  start?: TrialMemory,
  owner = 'trialMemoryAfter',
): TrialMemory {
  const ranges = trialRanges(episodes);
  const count = ranges.length;
  ranges.forEach((range, i) => {
    if (range.env !== i)
      throw new RangeError(`${owner}: the episodes must cover environments 0..${count - 1} in order`);
  });
  if (start !== undefined && start.done.length !== count) {
    throw new RangeError(
      `${owner}: the agent acted for ${start.done.length} environments but the episodes hold ${count}`,
    );
  }
  const observationSize = episodes.observationSize;
  const size = policy.hiddenSize;
  const width = trialInputSize(observationSize, encoding);
  const flat = trialInputs(episodes, encoding);
  const a = episodes.actionSize;
  const memory: TrialMemory = {
    hidden: new Float32Array(count * size),
    previousActions: new Float32Array(count * encoding.size),
    previousRewards: new Float32Array(count),
    done: new Float32Array(count).fill(1),
  };
  ranges.forEach((range, i) => {
    const last = range.start + range.length - 1;
    encodeAction(encoding, episodes.actions, last * a, memory.previousActions, i * encoding.size);
    memory.previousRewards[i] = episodes.rewards[last]!;
  });
  // One unroll per trial length: the last hidden state of each group is every member's own
  // (no padding after a trial's end, which would move a policy's memory on).
  const lengths = [...new Set(ranges.map((r) => r.length))];
  for (const length of lengths) {
    const members = ranges.flatMap((range, i) => (range.length === length ? [i] : []));
    const inputs = new Float32Array(members.length * length * width);
    const startHidden = new Float32Array(members.length * size);
    members.forEach((i, k) => {
      const range = ranges[i]!;
      inputs.set(flat.subarray(range.start * width, (range.start + length) * width), k * length * width);
      if (start !== undefined) {
        // The trial began before these episodes: its first step saw the start memory's inputs.
        const row = k * length * width + observationSize;
        inputs.set(start.previousActions.subarray(i * encoding.size, (i + 1) * encoding.size), row);
        inputs[row + encoding.size] = start.previousRewards[i]!;
        inputs[row + encoding.size + 1] = start.done[i]!;
        startHidden.set(start.hidden.subarray(i * size, (i + 1) * size), k * size);
      }
    });
    const last = tf.tidy(
      () =>
        policy.unroll(
          policyParams,
          tf.tensor3d(inputs, [members.length, length, width]),
          tf.tensor2d(startHidden, [members.length, size]),
        ).hidden,
    );
    const values = last.dataSync();
    last.dispose();
    members.forEach((i, k) => {
      memory.hidden.set(values.subarray(k * size, (k + 1) * size), i * size);
    });
  }
  return memory;
}
