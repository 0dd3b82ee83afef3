// A policy written by hand: a linear Gaussian policy implementing core's `Policy`, trained with
// `trainTrpo` on Navigation2D's default goal. It works wherever core's MLP policies do (agents,
// PPO/TRPO, MAML's batched inner loop), because it follows the tensor-ownership rules below.
//
// Tensor ownership, for a policy author:
// - `init(rng)` returns a NEW tree; whoever calls it owns it and frees it (`disposeParams`).
//   Draw every random number from `rng` (not Math.random) so runs repeat on every backend.
// - `apply(params, observations)` never disposes, keeps or changes `params` or `observations`:
//   they belong to the caller (an optimiser, an inner loop, a user). It creates its tensors in
//   the caller's scope: callers run `apply` inside `tf.tidy` (agents, losses) or a gradient
//   tape, which frees every intermediate. So: no `tf.keep`, no module-level caches of tensors
//   computed from `params`, and no `tf.tidy` inside `apply` around tensors the distribution
//   holds (a tidy returns tensors only; the distribution's would be freed under it).
// - The returned distribution may hold `params`' own leaves (here the log-std) as views; a caller
//   that frees the distribution's tensors by hand must skip them (see `createTrpoObjective`).
// - `apply` must be differentiable in `params` to any order (tfjs ops only, no `dataSync`), so
//   MAML can differentiate through an inner step, and must accept task-batched params: every
//   leaf with a leading task axis T and observations `[T, B, O]` (MAML's batched inner loop).
// - An agent's `act` (createPolicyAgent) returns plain typed arrays and keeps no tensor from one
//   call to the next: it reads `params` (not copied: keep them alive while the agent acts) and
//   frees everything else inside its tidy. Recurrent agents keep their memory tensors and free
//   them in `onEpisodeStart` and `dispose`.
import {
  DiagonalGaussian,
  disposeParams,
  type ParamTree,
  type Policy,
  tf,
  trainTrpo,
  useBackend,
} from '@metarl/core';
import { makeTaskDistribution, type Navigation2DTask, type Rng } from '@metarl/envs';

function createLinearGaussianPolicy(observationSize: number, actionSize: number): Policy {
  return {
    observationSize,
    actionKind: 'continuous',
    actionSize,
    init: (rng: Rng): ParamTree => ({
      weight: tf.tensor2d(
        rng.normal(observationSize * actionSize).map((value) => 0.1 * value),
        [observationSize, actionSize],
      ),
      bias: tf.zeros([actionSize]),
      logStd: tf.fill([actionSize], Math.log(0.5)),
    }),
    apply(params, observations) {
      const weight = params.weight as tf.Tensor;
      const bias = params.bias as tf.Tensor;
      const logStd = params.logStd as tf.Tensor;
      if (weight.rank === 3) {
        // Task-batched: weight [T, O, A], bias and log-std [T, A], observations [T, B, O].
        const mean = tf.add(
          tf.matMul(observations as tf.Tensor3D, weight as tf.Tensor3D),
          tf.expandDims(bias, 1),
        );
        return new DiagonalGaussian(mean, tf.expandDims(logStd, 1));
      }
      const flat = tf.reshape(observations, [-1, observationSize]) as tf.Tensor2D;
      const mean = tf.reshape(tf.add(tf.matMul(flat, weight as tf.Tensor2D), bias), [
        ...observations.shape.slice(0, -1),
        actionSize,
      ]);
      return new DiagonalGaussian(mean, logStd); // logStd: a view of params, not a copy
    },
  };
}

await useBackend('cpu');
const distribution = makeTaskDistribution<Navigation2DTask>('Navigation2D-v1');
const policy = createLinearGaussianPolicy(2, 2);
const { params, history } = trainTrpo({
  distribution,
  task: distribution.defaultTask(), // goal (0.5, 0.5)
  policy,
  environments: 8,
  iterations: 15,
  seed: 1,
});
const first = history[0]!.meanReturn;
const last = history.at(-1)!.meanReturn;
console.log(
  `linear Gaussian policy, TRPO on Navigation2D: mean return ${first.toFixed(1)} at iteration 1, ${last.toFixed(1)} at iteration ${history.length}`,
);
disposeParams(params); // trainTrpo's result is ours to free
