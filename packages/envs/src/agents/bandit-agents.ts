/**
 * Non-learning reference agents for Bernoulli bandits (the baselines of Duan et al. 2016,
 * Table 1): random, greedy, epsilon-greedy, UCB1 and Thompson sampling. They play trials of n
 * pulls through the `Bandit-v0` environment itself, so they also test it.
 */
import { describeValue } from '../describe-value';
import type { BanditTask } from '../distributions/bandit';
import { banditDistribution } from '../distributions/bandit';
import { createRng, type Rng } from '../rng/rng';
import { argmaxRandomTies, sampleBeta } from './sampling';

/** What an agent knows within a trial: pulls and successes per arm, and the pull number. */
export interface BanditHistory {
  /** Pulls of each arm so far. */
  readonly pulls: Int32Array;
  /** Successes (reward 1) of each arm so far. */
  readonly successes: Int32Array;
  /** Pulls made so far in the trial (t). */
  readonly step: number;
  /** Pulls in the whole trial (n). */
  readonly horizon: number;
}

/** A bandit reference agent. */
export interface BanditAgent {
  /** Name for reports, e.g. 'UCB1 (c = 0.2)'. */
  readonly name: string;
  /** The arm to pull next. */
  chooseArm(history: BanditHistory, rng: Rng): number;
}

/** Pulls arms uniformly at random. */
export function createRandomBanditAgent(): BanditAgent {
  return { name: 'random', chooseArm: (history, rng) => rng.nextInt(history.pulls.length) };
}

/** The arm with the highest posterior mean under a Beta(1, 1) prior: (successes + 1) / (pulls + 2). */
export function createGreedyBanditAgent(): BanditAgent {
  return {
    name: 'greedy',
    chooseArm(history, rng) {
      const means = Array.from(history.pulls, (n, i) => (history.successes[i]! + 1) / (n + 2));
      return argmaxRandomTies(means, rng);
    },
  };
}

/** Greedy, except a uniformly random arm with probability `epsilon`. */
export function createEpsilonGreedyBanditAgent(epsilon: number): BanditAgent {
  if (!(epsilon >= 0 && epsilon <= 1))
    throw new RangeError(`epsilon-greedy: epsilon must be in [0, 1], got ${describeValue(epsilon)}`);
  const greedy = createGreedyBanditAgent();
  return {
    name: `epsilon-greedy (epsilon = ${epsilon})`,
    chooseArm: (history, rng) =>
      rng.next() < epsilon ? rng.nextInt(history.pulls.length) : greedy.chooseArm(history, rng),
  };
}

/**
 * UCB1 (Auer et al. 2002) with Beta(1, 1) pseudo-counts, as a Bayesian bandit baseline: every
 * arm starts as if pulled twice with one success, and the arm maximising
 * (successes + 1) / (pulls + 2) + c * sqrt(2 ln t / (pulls + 2)) is pulled (t = 1, 2, ...).
 * Without the pseudo-counts UCB1 must pull every arm once first, which with k >= n arms leaves
 * nothing to exploit. Duan et al. tune c; the default 0.2 is the best of the grid
 * {0, 0.05, 0.1, 0.15, 0.2, 0.3} on n = 100 bandits with k = 5 and 10 (see the package README).
 */
export function createUcb1BanditAgent(c = 0.2): BanditAgent {
  if (!(c >= 0 && Number.isFinite(c)))
    throw new RangeError(`UCB1: c must be a finite number >= 0, got ${describeValue(c)}`);
  return {
    name: `UCB1 (c = ${c})`,
    chooseArm(history, rng) {
      const t = history.step + 1;
      const scores = Array.from(
        history.pulls,
        (n, i) => (history.successes[i]! + 1) / (n + 2) + c * Math.sqrt((2 * Math.log(t)) / (n + 2)),
      );
      return argmaxRandomTies(scores, rng);
    },
  };
}

/** Thompson sampling with Beta(1, 1) priors: pull the arm with the largest posterior draw. */
export function createThompsonBanditAgent(): BanditAgent {
  return {
    name: 'Thompson sampling',
    chooseArm(history, rng) {
      const draws = Array.from(history.pulls, (n, i) =>
        sampleBeta(rng, 1 + history.successes[i]!, 1 + n - history.successes[i]!),
      );
      return argmaxRandomTies(draws, rng);
    },
  };
}

/** Total reward of each trial of `pulls` pulls played by `agent` on `tasks` (one trial per task). */
export function playBanditTrials(
  agent: BanditAgent,
  tasks: readonly BanditTask[],
  options: { readonly pulls: number; readonly seed: number },
): Float64Array {
  const { pulls, seed } = options;
  if (!Number.isInteger(pulls) || pulls < 1)
    throw new RangeError(`playBanditTrials: pulls must be a positive integer, got ${describeValue(pulls)}`);
  const arms = tasks[0]?.probabilities.length ?? 0;
  const distribution = banditDistribution({ arms });
  const totals = new Float64Array(tasks.length);
  const agentRng = createRng(seed);
  tasks.forEach((task, trial) => {
    const env = distribution.makeEnv(task);
    const history = { pulls: new Int32Array(arms), successes: new Int32Array(arms), step: 0, horizon: pulls };
    env.reset({ seed: seed * 1_000_003 + trial });
    for (let t = 0; t < pulls; t += 1) {
      if (t > 0) env.reset();
      const arm = agent.chooseArm(history, agentRng);
      const { reward } = env.step(arm);
      history.pulls[arm]! += 1;
      history.successes[arm]! += reward;
      history.step += 1;
      totals[trial]! += reward;
    }
  });
  return totals;
}
