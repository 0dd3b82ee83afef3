/**
 * pnpm bench reference-agents [-- --out <file>] [-- --trials <n>]
 *
 * The non-learning baselines of Duan et al. 2016 (Tables 1-2) on the settings of BENCHMARKS.md
 * section 4, played through the environments: mean total reward per trial with a 95% confidence
 * interval over `trials` new tasks (default 1000), beside the paper's columns. Also the UCB1
 * exploration-coefficient grid behind its default c.
 */
import {
  banditDistribution,
  createEpsilonGreedyBanditAgent,
  createGreedyBanditAgent,
  createGreedyMdpAgent,
  createOracleMdpAgent,
  createPosteriorMeanMdpAgent,
  createPsrlMdpAgent,
  createRandomBanditAgent,
  createRandomMdpAgent,
  createThompsonBanditAgent,
  createUcb1BanditAgent,
  playBanditTrials,
  playMdpTrials,
  summarise,
  tabularMdpDistribution,
} from '@metarl/envs';
import { describeMachine, readFlag, report } from './shared';

const started = performance.now();
const trials = Number(readFlag('trials', '1000'));
if (!Number.isInteger(trials) || trials < 1)
  throw new Error(`--trials must be a positive integer, got ${trials}`);

/** Duan et al. 2016 Table 1: Random, Gittins, TS, UCB1, eps-Greedy, Greedy, RL2. */
const banditPaper: Record<string, Record<string, number>> = {
  '10,5': { random: 5.0, gittins: 6.6, thompson: 5.7, ucb1: 6.7, epsilonGreedy: 6.6, greedy: 6.6, rl2: 6.7 },
  '10,10': { random: 5.0, gittins: 6.6, thompson: 5.5, ucb1: 6.7, epsilonGreedy: 6.6, greedy: 6.6, rl2: 6.7 },
  '10,50': { random: 5.1, gittins: 6.5, thompson: 5.2, ucb1: 6.6, epsilonGreedy: 6.5, greedy: 6.5, rl2: 6.8 },
  '100,5': {
    random: 49.9,
    gittins: 78.3,
    thompson: 74.7,
    ucb1: 78.0,
    epsilonGreedy: 75.4,
    greedy: 74.8,
    rl2: 78.7,
  },
  '100,10': {
    random: 49.9,
    gittins: 82.8,
    thompson: 76.7,
    ucb1: 82.4,
    epsilonGreedy: 77.4,
    greedy: 77.1,
    rl2: 83.5,
  },
  '100,50': {
    random: 49.8,
    gittins: 85.2,
    thompson: 64.5,
    ucb1: 84.3,
    epsilonGreedy: 78.3,
    greedy: 78.0,
    rl2: 84.9,
  },
  '500,5': {
    random: 249.8,
    gittins: 405.8,
    thompson: 402.0,
    ucb1: 405.8,
    epsilonGreedy: 388.2,
    greedy: 380.6,
    rl2: 401.6,
  },
  '500,10': {
    random: 249.0,
    gittins: 437.8,
    thompson: 429.5,
    ucb1: 437.1,
    epsilonGreedy: 408.0,
    greedy: 395.0,
    rl2: 432.5,
  },
  '500,50': {
    random: 249.6,
    gittins: 463.7,
    thompson: 427.2,
    ucb1: 457.6,
    epsilonGreedy: 413.6,
    greedy: 402.8,
    rl2: 438.9,
  },
};
/** Duan et al. 2016 Table 2: Random, PSRL, UCRL2, BEB, eps-Greedy, Greedy, RL2. */
const mdpPaper: Record<string, Record<string, number>> = {
  '10': { random: 100.1, psrl: 138.1, greedy: 134.8, rl2: 156.2 },
  '25': { random: 250.2, psrl: 408.8, greedy: 368.8, rl2: 445.7 },
  '50': { random: 499.7, psrl: 904.4, greedy: 769.3, rl2: 936.1 },
  '75': { random: 749.9, psrl: 1417.1, greedy: 1172.9, rl2: 1428.8 },
  '100': { random: 999.4, psrl: 1939.5, greedy: 1578.5, rl2: 1913.7 },
};

const format = (s: { mean: number; halfWidth95: number }) => ({
  mean: Number(s.mean.toFixed(3)),
  halfWidth95: Number(s.halfWidth95.toFixed(3)),
});
const bandits: Record<string, unknown>[] = [];
for (const pulls of [10, 100, 500]) {
  for (const arms of [5, 10, 50]) {
    const tasks = banditDistribution({ arms }).sampleTasks(trials, { seed: 1000 + pulls + arms });
    const agents = {
      random: createRandomBanditAgent(),
      greedy: createGreedyBanditAgent(),
      epsilonGreedy: createEpsilonGreedyBanditAgent(0.1),
      ucb1: createUcb1BanditAgent(),
      thompson: createThompsonBanditAgent(),
    };
    const row: Record<string, unknown> = { pulls, arms, trials, paper: banditPaper[`${pulls},${arms}`] };
    for (const [name, agent] of Object.entries(agents))
      row[name] = format(summarise(playBanditTrials(agent, tasks, { pulls, seed: 7 })));
    bandits.push(row);
    console.error(
      `bandit n=${pulls} k=${arms}: ${Object.keys(agents)
        .map((name) => `${name} ${(row[name] as { mean: number }).mean.toFixed(2)}`)
        .join(', ')}`,
    );
  }
}

const ucb1Grid: Record<string, unknown>[] = [];
for (const arms of [5, 10]) {
  const tasks = banditDistribution({ arms }).sampleTasks(trials, { seed: 77 + arms });
  for (const c of [0, 0.05, 0.1, 0.15, 0.2, 0.3]) {
    ucb1Grid.push({
      pulls: 100,
      arms,
      c,
      ...format(summarise(playBanditTrials(createUcb1BanditAgent(c), tasks, { pulls: 100, seed: 9 }))),
    });
  }
}

const mdps: Record<string, unknown>[] = [];
for (const episodes of [10, 25, 50, 75, 100]) {
  const tasks = tabularMdpDistribution().sampleTasks(trials, { seed: 2000 + episodes });
  const agents = {
    random: createRandomMdpAgent(),
    greedy: createGreedyMdpAgent(),
    posteriorMeanGreedy: createPosteriorMeanMdpAgent(),
    psrl: createPsrlMdpAgent(),
    oracle: createOracleMdpAgent(),
  };
  const row: Record<string, unknown> = { episodes, trials, paper: mdpPaper[String(episodes)] };
  for (const [name, agent] of Object.entries(agents))
    row[name] = format(summarise(playMdpTrials(agent, tasks, { episodes, seed: 7 })));
  mdps.push(row);
  console.error(
    `mdp n=${episodes}: ${Object.keys(agents)
      .map((name) => `${name} ${(row[name] as { mean: number }).mean.toFixed(1)}`)
      .join(', ')}`,
  );
}

report({
  name: 'reference-agents',
  config: {
    trials,
    bandit:
      'Bandit-v0, p ~ U[0, 1]; greedy = Beta(1,1) posterior mean; epsilon-greedy epsilon 0.1; UCB1 with Beta(1,1) pseudo-counts, c 0.2; Thompson with Beta(1,1) priors',
    mdp: 'TabularMDP-v0 (10 states, 5 actions, 10 steps); greedy = maximum-likelihood model; posterior-mean greedy, PSRL: Dirichlet(1) and N(1,1) priors; oracle knows the task',
    seeds: 'tasks seeded per setting; agents seed 7',
  },
  backend: 'none (plain TypeScript)',
  machine: describeMachine(),
  wallSeconds: Number(((performance.now() - started) / 1000).toFixed(1)),
  bandits,
  ucb1Grid,
  mdps,
});
