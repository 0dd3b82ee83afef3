/**
 * The RL² agent: a recurrent policy acting for a whole batch of environments, one GRU step per
 * call, building its own inputs (observation, previous action, previous reward, done flag) from
 * what it did and the rewards the sampler reports. Its memory is carried across the episodes of
 * a trial; "reset" returns an environment to the agent's initial memory: zeros for a fresh
 * agent, the state reached on the exploration episodes for an adapted one.
 */
import { type Agent, applyLinear, type ParamTree, type RecurrentPolicy, tf } from '@metarl/core';
import type { Rng } from '@metarl/envs';
import { type ActionEncoding, encodeAction, trialInputSize } from './trial-inputs';

/**
 * The values of GRU `states` `[..., H]` under `params` `{ value: { weight, bias }, valueScale:
 * { mean, std } }`: the value head predicts returns in normalised units (PopArt-style, so its
 * targets stay near unit scale whether trials return 5 or 150), scaled back here. Shape `[...]`.
 */
export function valuesOf(params: ParamTree, states: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const head = params.value as ParamTree;
    const scale = params.valueScale as ParamTree;
    const normalised = applyLinear(
      head.weight as tf.Tensor,
      head.bias as tf.Tensor,
      states,
      'rl2 value head',
    );
    const values = tf.add(tf.mul(normalised, scale.std as tf.Tensor), scale.mean as tf.Tensor);
    return tf.reshape(values, states.shape.slice(0, -1));
  });
}

/** The memory of every environment of an agent: where a trial (re)starts. */
export interface Rl2Memory {
  /** `[N * H]` hidden states. */
  readonly hidden: Float32Array;
  /** `[N * encoding.size]` the previous actions, encoded. */
  readonly previousActions: Float32Array;
  /** `[N]` the previous rewards. */
  readonly previousRewards: Float32Array;
  /** `[N]` 1 where the previous step ended an episode. */
  readonly done: Float32Array;
}

/** Options of `createRl2Agent`. */
export interface Rl2AgentOptions {
  /** Memory every reset returns to (one row per environment); default zeros for any count. */
  readonly initialMemory?: Rl2Memory;
  /** Act with the distribution's mode instead of sampling; default false. */
  readonly deterministic?: boolean;
  /** Called when the agent is disposed (e.g. to free parameters it owns). */
  readonly onDispose?: () => void;
}

/** An RL² agent with its memory inspectable (for tests and demos). */
export interface Rl2Agent extends Agent {
  /** A copy of the current memory of every environment. */
  memory(): Rl2Memory;
}

/**
 * An agent over `policy` (inputs `trialInputSize(O, encoding)`) and `params` `{ policy, value, valueScale }`
 * (borrowed: keep them alive while acting). Records `logProb` and `value` per step.
 */
export function createRl2Agent(
  policy: RecurrentPolicy,
  params: ParamTree,
  observationSize: number,
  encoding: ActionEncoding,
  options: Rl2AgentOptions = {},
): Rl2Agent {
  const width = trialInputSize(observationSize, encoding);
  const size = policy.hiddenSize;
  const initial = options.initialMemory;
  const fixedCount = initial === undefined ? undefined : initial.done.length;
  let count = -1;
  let hidden: Float32Array = new Float32Array(0);
  let previousActions = new Float32Array(0);
  let previousRewards = new Float32Array(0);
  let done = new Float32Array(0);
  const resetRow = (i: number) => {
    if (initial === undefined) {
      hidden.fill(0, i * size, (i + 1) * size);
      previousActions.fill(0, i * encoding.size, (i + 1) * encoding.size);
      previousRewards[i] = 0;
      done[i] = 0;
    } else {
      hidden.set(initial.hidden.subarray(i * size, (i + 1) * size), i * size);
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
        `rl2 agent: adapted for ${fixedCount} environments, asked to act for ${n} (act on the same environments it explored)`,
      );
    }
    if (n === count) return;
    count = n;
    hidden = new Float32Array(n * size);
    previousActions = new Float32Array(n * encoding.size);
    previousRewards = new Float32Array(n);
    done = new Float32Array(n);
    for (let i = 0; i < n; i += 1) resetRow(i);
  };
  let buffer = new Float32Array(0);
  return {
    act(observations, rng: Rng) {
      const n = observations.length / observationSize;
      if (!Number.isInteger(n) || n < 1) {
        throw new RangeError(
          `rl2 agent: observations length ${observations.length} is not a positive multiple of observationSize ${observationSize}`,
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
        const step = policy.step(
          params.policy as ParamTree,
          tf.tensor2d(buffer, [n, width]),
          tf.tensor2d(hidden, [n, size]),
        );
        const sample = options.deterministic ? step.distribution.mode() : step.distribution.sample(rng);
        const value = valuesOf(params, step.hidden);
        return { sample, logProb: step.distribution.logProb(sample), value, hidden: step.hidden };
      });
      const actionValues = result.sample.dataSync();
      const actions =
        policy.actionKind === 'discrete' ? Int32Array.from(actionValues) : Float32Array.from(actionValues);
      hidden = Float32Array.from(result.hidden.dataSync());
      const logProb = Float32Array.from(result.logProb.dataSync());
      const value = Float32Array.from(result.value.dataSync());
      tf.dispose([result.sample, result.logProb, result.value, result.hidden]);
      const actionSize = policy.actionKind === 'discrete' ? 1 : encoding.size;
      for (let i = 0; i < n; i += 1) {
        encodeAction(encoding, actions, i * actionSize, previousActions, i * encoding.size);
        done[i] = 0;
      }
      return { actions, info: { logProb, value } };
    },
    observeRewards(rewards, envMask) {
      for (let i = 0; i < count; i += 1) if (envMask[i] === 1) previousRewards[i] = rewards[i]!;
    },
    onEpisodeStart(envMask, { keepMemory }) {
      if (count < 0) return;
      for (let i = 0; i < count; i += 1) {
        if (envMask[i] !== 1) continue;
        if (keepMemory) done[i] = 1;
        else resetRow(i);
      }
    },
    memory: () => ({
      hidden: Float32Array.from(hidden),
      previousActions: Float32Array.from(previousActions),
      previousRewards: Float32Array.from(previousRewards),
      done: Float32Array.from(done),
    }),
    dispose() {
      options.onDispose?.();
    },
  };
}
