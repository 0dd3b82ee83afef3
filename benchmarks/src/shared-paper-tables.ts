/**
 * The RL² paper's tables (Duan et al. 2016; docs/benchmarks.md section 4), keyed by setting, and the
 * bandit reference agents every benchmark plays beside them.
 */
import {
  type BanditAgent,
  createEpsilonGreedyBanditAgent,
  createGreedyBanditAgent,
  createRandomBanditAgent,
  createThompsonBanditAgent,
  createUcb1BanditAgent,
} from '@metarl/envs';

/** The paper's bandit baselines: random, greedy, epsilon-greedy (0.1), UCB1, Thompson sampling. */
export function banditReferenceAgents(): Record<string, BanditAgent> {
  return {
    random: createRandomBanditAgent(),
    greedy: createGreedyBanditAgent(),
    epsilonGreedy: createEpsilonGreedyBanditAgent(0.1),
    ucb1: createUcb1BanditAgent(),
    thompson: createThompsonBanditAgent(),
  };
}

/** Duan et al. 2016 Table 1: Random, Gittins, TS, UCB1, eps-Greedy, Greedy, RL2; and SNAIL (Mishra et al. 2018, Table 4). */
export const banditPaper: Record<string, Record<string, number>> = {
  '10,5': {
    random: 5.0,
    gittins: 6.6,
    thompson: 5.7,
    ucb1: 6.7,
    epsilonGreedy: 6.6,
    greedy: 6.6,
    rl2: 6.7,
    snail: 6.6,
  },
  '10,10': {
    random: 5.0,
    gittins: 6.6,
    thompson: 5.5,
    ucb1: 6.7,
    epsilonGreedy: 6.6,
    greedy: 6.6,
    rl2: 6.7,
    snail: 6.7,
  },
  '10,50': {
    random: 5.1,
    gittins: 6.5,
    thompson: 5.2,
    ucb1: 6.6,
    epsilonGreedy: 6.5,
    greedy: 6.5,
    rl2: 6.8,
    snail: 6.7,
  },
  '100,5': {
    random: 49.9,
    gittins: 78.3,
    thompson: 74.7,
    ucb1: 78.0,
    epsilonGreedy: 75.4,
    greedy: 74.8,
    rl2: 78.7,
    snail: 79.1,
  },
  '100,10': {
    random: 49.9,
    gittins: 82.8,
    thompson: 76.7,
    ucb1: 82.4,
    epsilonGreedy: 77.4,
    greedy: 77.1,
    rl2: 83.5,
    snail: 83.5,
  },
  '100,50': {
    random: 49.8,
    gittins: 85.2,
    thompson: 64.5,
    ucb1: 84.3,
    epsilonGreedy: 78.3,
    greedy: 78.0,
    rl2: 84.9,
    snail: 85.1,
  },
  '500,5': {
    random: 249.8,
    gittins: 405.8,
    thompson: 402.0,
    ucb1: 405.8,
    epsilonGreedy: 388.2,
    greedy: 380.6,
    rl2: 401.6,
    snail: 408.1,
  },
  '500,10': {
    random: 249.0,
    gittins: 437.8,
    thompson: 429.5,
    ucb1: 437.1,
    epsilonGreedy: 408.0,
    greedy: 395.0,
    rl2: 432.5,
    snail: 432.4,
  },
  '500,50': {
    random: 249.6,
    gittins: 463.7,
    thompson: 427.2,
    ucb1: 457.6,
    epsilonGreedy: 413.6,
    greedy: 402.8,
    rl2: 438.9,
    snail: 442.6,
  },
};
/** Duan et al. 2016 Table 2: Random, PSRL, UCRL2, BEB, eps-Greedy, Greedy, RL2. */
export const mdpPaper: Record<string, Record<string, number>> = {
  '10': { random: 100.1, psrl: 138.1, greedy: 134.8, rl2: 156.2, snail: 159.1 },
  '25': { random: 250.2, psrl: 408.8, greedy: 368.8, rl2: 445.7, snail: 447.2 },
  '50': { random: 499.7, psrl: 904.4, greedy: 769.3, rl2: 936.1, snail: 942.3 },
  '75': { random: 749.9, psrl: 1417.1, greedy: 1172.9, rl2: 1428.8, snail: 1447.5 },
  '100': { random: 999.4, psrl: 1939.5, greedy: 1578.5, rl2: 1913.7, snail: 1953.1 },
};
