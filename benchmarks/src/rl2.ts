/**
 * pnpm bench rl2 -- --task bandit --arms <k> --episodes <n> [--out <file>]
 * pnpm bench rl2 -- --task tabular-mdp --episodes <n> [--out <file>]
 *
 * RL² (Duan et al. 2016) trained with PPO on trials of n episodes (docs/benchmarks.md section 4), then
 * evaluated on `--test-trials` (default 1000) new tasks: mean total reward per trial with a 95%
 * confidence interval, beside the reference agents played on the same test tasks and the paper's
 * numbers. The documented budget (the defaults): bandits 100 updates of 500 trials, tabular MDPs
 * 250 updates of 250 trials, GRU 128, Adam 1e-2 (`--iterations`, `--trials`, `--hidden`,
 * `--learning-rate`). `--evaluate-every k` also evaluates on the test tasks every k iterations
 * (the learning curve); `--plot <file.png>` draws it beside the references. Also: `--seed`,
 * `--backend`, `--threads` (wasm matrix-product threads, default 1), `--native auto|on|off` (wasm's
 * native kernels), `--kernel-times`, `--max-seconds`, `--epochs`, `--minibatches`, `--entropy`,
 * `--value-coefficient`, `--gamma`, `--lambda`. The shared runner is `shared-trial-benchmark.ts`.
 */
import { createRl2 } from '@metarl/rl2';
import { runTrialBenchmark } from './shared-trial-benchmark';

await runTrialBenchmark({
  name: 'rl2',
  label: 'RL²',
  paperKey: 'rl2',
  learningRate: 1e-2,
  flags: { hidden: { type: 'integer', default: 128, minimum: 1, description: 'GRU hidden size' } },
  create: (distribution, training, flags) =>
    createRl2({ distribution, hiddenSize: flags.hidden, ...training }),
});
