/**
 * pnpm bench snail -- --task bandit --arms <k> --episodes <n> [--out <file>]
 * pnpm bench snail -- --task tabular-mdp --episodes <n> [--out <file>]
 *
 * SNAIL (Mishra et al. 2018) as the runnable peer builds it (lucaslingle/pytorch_rl2: F = 32, two
 * TC blocks, one attention head, separate policy and value networks), trained with PPO on trials of
 * n episodes by core's trial learner, then evaluated on `--test-trials` (default 1000) new tasks:
 * mean total reward per trial with a 95% confidence interval, beside UCB1, Thompson sampling and
 * the other reference agents (PSRL for MDPs) on the same test tasks and the papers' numbers.
 * `--max-seconds` is the wall-time budget (the issue's: 600 for bandits, 1800 for MDPs);
 * `--evaluate-every k` records the learning curve, `--plot` draws it; `--compare-rl2` trains RL²
 * next on the same budget and tasks. Also `--features` (F), `--context` (T; default the trial's
 * length), and the common flags of `shared-trial-benchmark.ts`.
 */
import { createSnail } from '@metarl/memory-augmented';
import { runTrialBenchmark } from './shared-trial-benchmark';

await runTrialBenchmark({
  name: 'snail',
  label: 'SNAIL',
  paperKey: 'snail',
  learningRate: 1e-3,
  offersRl2Comparison: true,
  flags: {
    features: { type: 'integer', default: 32, minimum: 1, description: 'SNAIL feature size F' },
    context: {
      type: 'integer',
      default: 0,
      minimum: 0,
      description: "SNAIL context T (0: the trial's length)",
    },
  },
  create: (distribution, training, flags) =>
    createSnail({
      distribution,
      featureSize: flags.features,
      ...(flags.context > 0 ? { contextSize: flags.context } : {}),
      ...training,
    }),
});
