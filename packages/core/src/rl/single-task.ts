/**
 * Single-task training loops built from the pieces above: PPO (CleanRL-style, with a value
 * network and GAE) and TRPO (linear baseline, GAE, trust-region step). They are the reference
 * uses of the pieces, the proof that they learn, and a starting point for your own loops.
 */
import { createRng, type Rng, type TaskDistribution, type VectorEnv } from '@metarl/envs';
import * as tf from '@tensorflow/tfjs-core';
import { requireBackend } from '../backend/backend-registry';
import { createAdam } from '../optim/adam';
import { disposeOptimizerState } from '../optim/optimizer';
import { cloneParams, disposeParams, listLeaves, type ParamTree } from '../params/param-tree';
import { discountedReturns, generalizedAdvantages, normalizeAdvantages } from './advantages';
import { createPolicyAgent } from './agent';
import { fitLinearBaseline } from './linear-baseline';
import type { Policy } from './policies';
import { type PpoOptions, ppoUpdate } from './policy-gradient';
import { actionsAsTensor, collectEpisodes, type EpisodeBatch } from './rollouts';
import { resolveTrpoSettings, type TrpoOptions, trpoStep } from './trpo';
import type { ValueFunction } from './value-function';

/** One iteration of a single-task loop. */
export interface SingleTaskIteration {
  /** 1-based iteration. */
  readonly iteration: number;
  /** Mean undiscounted return of the iteration's episodes. */
  readonly meanReturn: number;
  /** Environment steps so far. */
  readonly environmentSteps: number;
}

/** Options shared by `trainPpo` and `trainTrpo`. */
export interface SingleTaskOptions<Task> {
  /** Where environments come from. */
  readonly distribution: TaskDistribution<Task>;
  /** The task to learn (e.g. `distribution.defaultTask()`). */
  readonly task: Task;
  /** The policy to train. */
  readonly policy: Policy;
  /** Parallel environments (one episode each per iteration). */
  readonly environments: number;
  /** Iterations at most. */
  readonly iterations: number;
  /** Seed of parameters, environments and sampling. */
  readonly seed: number;
  /** Discount; default 0.99. */
  readonly gamma?: number;
  /** GAE lambda; default 0.95 (PPO) or 0.97 (TRPO). */
  readonly lambda?: number;
  /** Stop early once the last `window` iterations all reach this mean return. */
  readonly stopAt?: { readonly meanReturn: number; readonly window: number };
  /** Called after every iteration. */
  readonly onIteration?: (iteration: SingleTaskIteration) => void;
  /**
   * The policy parameters to start from instead of `policy.init` (e.g. a meta-learned
   * initialisation to fine-tune: `maml.parameters().policy`). Checked against `policy.init`'s
   * tree (same leaves, same shapes). Copied: the loop never changes or disposes the given tree,
   * which stays the caller's to dispose. The seeded draws are the same as without it, so
   * `initialParams: policy.init(createRng(seed))` reproduces the run that starts from scratch.
   */
  readonly initialParams?: ParamTree;
}

/**
 * The policy's starting parameters: a fresh `policy.init(rng)` (always drawn, so the random stream
 * does not depend on `initialParams`) or, when given, a copy of `initialParams` checked against it.
 */
function initialPolicyParams(
  owner: string,
  policy: Policy,
  rng: Rng,
  initialParams: ParamTree | undefined,
): ParamTree {
  requireBackend(owner);
  const fresh = policy.init(rng);
  if (initialParams === undefined) return fresh;
  try {
    assertParamsFit(owner, fresh, initialParams);
  } finally {
    disposeParams(fresh);
  }
  return cloneParams(initialParams);
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Throws a RangeError naming the first leaf of `given` that is missing, extra or of another shape than in `expected`. */
function assertParamsFit(owner: string, expected: ParamTree, given: ParamTree): void {
  let givenLeaves: ReturnType<typeof listLeaves>;
  try {
    givenLeaves = listLeaves(given);
  } catch (error) {
    throw new TypeError(
      `${owner}: initialParams must be a parameter tree of tensors, got ${String(given)} (${(error as Error).message})`,
    );
  }
  const expectedShapes = new Map(listLeaves(expected).map((leaf) => [leaf.path, leaf.tensor.shape]));
  const givenShapes = new Map(givenLeaves.map((leaf) => [leaf.path, leaf.tensor.shape]));
  for (const [path, shape] of expectedShapes) {
    const other = givenShapes.get(path);
    if (other === undefined)
      throw new RangeError(
        `${owner}: initialParams has no '${path}' (the policy's tree has ${[...expectedShapes.keys()].join(', ')})`,
      );
    if (shapeText(other) !== shapeText(shape))
      throw new RangeError(
        `${owner}: initialParams '${path}' has shape ${shapeText(other)}, the policy expects ${shapeText(shape)}`,
      );
  }
  for (const path of givenShapes.keys()) {
    if (!expectedShapes.has(path))
      throw new RangeError(
        `${owner}: initialParams has '${path}', which the policy's tree has not (it has ${[...expectedShapes.keys()].join(', ')})`,
      );
  }
}

function meanReturn(batch: EpisodeBatch): number {
  return batch.rewards.reduce((p, v) => p + v, 0) / batch.lengths.length;
}

function shouldStop(
  history: readonly SingleTaskIteration[],
  stopAt: SingleTaskOptions<unknown>['stopAt'],
): boolean {
  if (stopAt === undefined || history.length < stopAt.window) return false;
  return history.slice(-stopAt.window).every((h) => h.meanReturn >= stopAt.meanReturn);
}

/**
 * Samples one episode per environment with `params`, appends the iteration's record to `history`
 * and reports it; true when the loop should stop (the target is held).
 */
function sampleIteration<Task>(
  env: VectorEnv,
  policy: Policy,
  params: ParamTree,
  rng: Rng,
  iteration: number,
  history: SingleTaskIteration[],
  options: SingleTaskOptions<Task>,
): { batch: EpisodeBatch; stop: boolean } {
  const batch = collectEpisodes(env, createPolicyAgent(policy, params), {
    episodesPerEnv: 1,
    rng,
    ...(iteration === 1 ? { seed: options.seed } : {}),
  });
  const environmentSteps = (history.at(-1)?.environmentSteps ?? 0) + batch.rewards.length;
  const record = { iteration, meanReturn: meanReturn(batch), environmentSteps };
  history.push(record);
  options.onIteration?.(record);
  return { batch, stop: shouldStop(history, options.stopAt) };
}

/**
 * TRPO's surrogate on a batch: `loss(p)` = -mean(pi_p(a|s) / pi_old(a|s) * A) and `kl(p)` =
 * mean KL(pi_params || pi_p) over the batch's observations; `dispose` frees the batch tensors.
 */
export function createTrpoObjective(
  policy: Policy,
  params: ParamTree,
  batch: EpisodeBatch,
  advantages: Float32Array,
): { loss: (p: ParamTree) => tf.Scalar; kl: (p: ParamTree) => tf.Scalar; dispose: () => void } {
  const steps = batch.rewards.length;
  const observations = tf.tensor2d(batch.observations, [steps, policy.observationSize]);
  const actions = actionsAsTensor(batch, policy.actionKind);
  const advantageTensor = tf.tensor1d(advantages);
  const oldLogProb = tf.tensor1d(batch.agentInfo.logProb!);
  // The old policy must be a constant: a distribution built on `params` itself would share
  // tensors (e.g. the log-std) with the variables being differentiated, and the KL's Hessian
  // would no longer be the Fisher matrix (it can even be indefinite).
  const frozen = cloneParams(params);
  const old = policy.apply(frozen, observations);
  return {
    loss: (p) =>
      tf.tidy(() => {
        const ratio = tf.exp(tf.sub(policy.apply(p, observations).logProb(actions), oldLogProb));
        return tf.neg(tf.mean(tf.mul(ratio, advantageTensor))) as tf.Scalar;
      }),
    kl: (p) => tf.tidy(() => tf.mean(old.kl(policy.apply(p, observations))) as tf.Scalar),
    dispose: () => {
      // The old distribution holds its own outputs and views of `frozen`.
      const views = new Set(listLeaves(frozen).map((leaf) => leaf.tensor));
      const owned = Object.values(old as unknown as Record<string, tf.Tensor>).filter(
        (tensor) => !views.has(tensor),
      );
      tf.dispose([observations, actions, advantageTensor, oldLogProb, ...owned]);
      disposeParams(frozen);
    },
  };
}

/**
 * `trainTrpo`'s damping of the Fisher-vector products (F + 0.1 I), over core's default of 1e-5:
 * Spinning Up's TRPO default for single-task training, with which the TRPO figures of the core
 * README, the single-task benchmark and the Pendulum learning test were measured.
 */
const SINGLE_TASK_TRPO_DAMPING = 0.1;

/**
 * PPO's settings in `trainPpo` over `defaultPpoSettings`: 4 epochs of 256-sample minibatches
 * (a CartPole iteration of 8 episodes is a few hundred to a few thousand steps; the CartPole
 * figures of the core README were measured with them).
 */
const SINGLE_TASK_PPO_SETTINGS = { epochs: 4, minibatchSize: 256 } as const;

/**
 * PPO with a value network: returns the trained params `{ policy, value }` (new tensors, the
 * caller's to dispose) and the history. The policy starts from `initialParams` when given (the
 * value network always starts fresh). Settings: core's
 * `defaultPpoSettings` except 4 epochs of 256-sample minibatches unless `ppo` says otherwise;
 * Adam with `learningRate` (default 1e-3).
 */
export function trainPpo<Task>(
  options: SingleTaskOptions<Task> & {
    readonly valueFunction: ValueFunction;
    readonly learningRate?: number;
    readonly ppo?: PpoOptions;
  },
): { params: ParamTree; history: SingleTaskIteration[] } {
  const { distribution, policy, valueFunction } = options;
  const env = distribution.makeVectorEnv(
    Array.from({ length: options.environments }, () => options.task),
    { autoresetMode: 'disabled' },
  );
  const rng = createRng(options.seed);
  let params: ParamTree = {
    policy: initialPolicyParams('trainPpo', policy, rng, options.initialParams),
    value: valueFunction.init(rng),
  };
  const optimizer = createAdam({ learningRate: options.learningRate ?? 1e-3 });
  let state = optimizer.init(params);
  const history: SingleTaskIteration[] = [];
  const o = policy.observationSize;
  for (let iteration = 1; iteration <= options.iterations; iteration += 1) {
    const { batch, stop } = sampleIteration(
      env,
      policy,
      params.policy as ParamTree,
      rng,
      iteration,
      history,
      options,
    );
    if (stop) break;
    const observations = tf.tensor2d(batch.observations, [batch.rewards.length, o]);
    const values = tf.tidy(() => valueFunction.apply(params.value as ParamTree, observations));
    const finalValues = tf.tidy(() =>
      valueFunction.apply(
        params.value as ParamTree,
        tf.tensor2d(batch.finalObservations, [batch.lengths.length, o]),
      ),
    );
    const { advantages, returns } = generalizedAdvantages(batch, values.dataSync() as Float32Array, {
      gamma: options.gamma ?? 0.99,
      lambda: options.lambda ?? 0.95,
      bootstrapValues: finalValues.dataSync() as Float32Array,
    });
    const data = {
      observations,
      actions: actionsAsTensor(batch, policy.actionKind),
      advantages: tf.tensor1d(advantages),
      oldLogProb: tf.tensor1d(batch.agentInfo.logProb!),
      returns: tf.tensor1d(returns),
    };
    const next = ppoUpdate(policy, valueFunction, params, data, optimizer, state, rng, {
      ...SINGLE_TASK_PPO_SETTINGS,
      ...options.ppo,
    });
    disposeParams(params);
    disposeOptimizerState(state);
    params = next.params;
    state = next.state;
    tf.dispose([values, finalValues, ...Object.values(data)]);
  }
  disposeOptimizerState(state);
  return { params, history };
}

/**
 * TRPO with the linear feature baseline: returns the trained policy params (new tensors, the
 * caller's to dispose) and the history; starts from `initialParams` when given.
 * Settings: core's `defaultTrpoSettings` except a damping of 0.1 (see above) unless `trpo` says otherwise.
 */
export function trainTrpo<Task>(options: SingleTaskOptions<Task> & { readonly trpo?: TrpoOptions }): {
  params: ParamTree;
  history: SingleTaskIteration[];
} {
  const { distribution, policy } = options;
  const env = distribution.makeVectorEnv(
    Array.from({ length: options.environments }, () => options.task),
    { autoresetMode: 'disabled' },
  );
  const rng = createRng(options.seed);
  let params = initialPolicyParams('trainTrpo', policy, rng, options.initialParams);
  const history: SingleTaskIteration[] = [];
  const gamma = options.gamma ?? 0.99;
  const trpoSettings = resolveTrpoSettings('trainTrpo', {
    ...options.trpo,
    damping: options.trpo?.damping ?? SINGLE_TASK_TRPO_DAMPING,
  });
  for (let iteration = 1; iteration <= options.iterations; iteration += 1) {
    const { batch, stop } = sampleIteration(env, policy, params, rng, iteration, history, options);
    if (stop) break;
    const baseline = fitLinearBaseline(batch, discountedReturns(batch, gamma));
    const { advantages } = generalizedAdvantages(batch, baseline.values, {
      gamma,
      lambda: options.lambda ?? 0.97,
      bootstrapValues: baseline.finalValues,
    });
    const objective = createTrpoObjective(policy, params, batch, normalizeAdvantages(advantages));
    const result = trpoStep(params, objective.loss, objective.kl, { ...options.trpo, ...trpoSettings });
    objective.dispose();
    disposeParams(params);
    params = result.params;
  }
  return { params, history };
}
