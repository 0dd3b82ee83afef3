/**
 * pnpm bench reference-agents [-- --out <file>] [-- --trials <n>]
 *
 * The non-learning baselines of Duan et al. 2016 (Tables 1-2) on the settings of docs/benchmarks.md
 * section 4, played through the environments: mean total reward per trial with a 95% confidence
 * interval over `trials` new tasks (default 1000), beside the paper's columns. Also the UCB1
 * exploration-coefficient grid behind its default c.
 */
import {
  banditDistribution,
  createGreedyMdpAgent,
  createOracleMdpAgent,
  createPosteriorMeanMdpAgent,
  createPsrlMdpAgent,
  createRandomMdpAgent,
  createUcb1BanditAgent,
  playBanditTrials,
  playMdpTrials,
  summarise,
  tabularMdpDistribution,
} from '@metarl/envs';
import { describeMachine, readFlags, report } from './shared';
import { banditPaper, banditReferenceAgents, mdpPaper } from './shared-paper-tables';

const started = performance.now();
const { trials } = readFlags('reference-agents', {
  trials: { type: 'integer', default: 1000, minimum: 1, description: 'trials per setting' },
});

const format = (s: { mean: number; halfWidth95: number }) => ({
  mean: Number(s.mean.toFixed(3)),
  halfWidth95: Number(s.halfWidth95.toFixed(3)),
});
const bandits: Record<string, unknown>[] = [];
for (const pulls of [10, 100, 500]) {
  for (const arms of [5, 10, 50]) {
    const tasks = banditDistribution({ arms }).sampleTasks(trials, { seed: 1000 + pulls + arms });
    const agents = banditReferenceAgents();
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
