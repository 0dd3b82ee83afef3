/**
 * The reference agents, a first check of the bandit and MDP environments: their mean total
 * reward per trial must land within its 95% confidence interval of the numbers in Duan et al.
 * 2016 (Tables 1-2) for the cheap settings. Seeds are fixed, so the test is deterministic.
 */
import { describe, expect, it } from 'vitest';
import {
  banditDistribution,
  createGreedyBanditAgent,
  createGreedyMdpAgent,
  createOracleMdpAgent,
  createPsrlMdpAgent,
  createRandomBanditAgent,
  createRandomMdpAgent,
  createThompsonBanditAgent,
  createUcb1BanditAgent,
  playBanditTrials,
  playMdpTrials,
  summarise,
  tabularMdpDistribution,
} from '../src/index';

/**
 * The paper's figure must lie within our 95% confidence interval, widened by the paper's own
 * rounding (it reports one decimal: +-0.05).
 */
function expectWithinInterval(values: Float64Array, paper: number) {
  const { mean, halfWidth95 } = summarise(values);
  const rounding = 0.05;
  expect(
    Math.abs(mean - paper),
    `mean ${mean.toFixed(3)} +- ${halfWidth95.toFixed(3)} vs paper ${paper}`,
  ).toBeLessThanOrEqual(halfWidth95 + rounding);
}

describe('bandit reference agents (n = 10 pulls, k = 5 arms, 4000 trials)', () => {
  const tasks = banditDistribution({ arms: 5 }).sampleTasks(4000, { seed: 2016 });
  it('random scores 5.0 as in the paper', () => {
    expectWithinInterval(playBanditTrials(createRandomBanditAgent(), tasks, { pulls: 10, seed: 1 }), 5.0);
  });
  it('greedy scores 6.6 as in the paper', () => {
    expectWithinInterval(playBanditTrials(createGreedyBanditAgent(), tasks, { pulls: 10, seed: 2 }), 6.6);
  });
  it('UCB1 scores 6.7 as in the paper', () => {
    expectWithinInterval(playBanditTrials(createUcb1BanditAgent(), tasks, { pulls: 10, seed: 3 }), 6.7);
  });
  it('Thompson sampling beats random and every agent stays below the best arm', () => {
    const bestArm =
      (10 * tasks.reduce((total, task) => total + Math.max(...task.probabilities), 0)) / tasks.length;
    const thompson = summarise(
      playBanditTrials(createThompsonBanditAgent(), tasks, { pulls: 10, seed: 4 }),
    ).mean;
    expect(thompson).toBeGreaterThan(5.5);
    expect(thompson).toBeLessThan(bestArm);
  });
});

describe('MDP reference agents (n = 10 episodes, 500 trials)', () => {
  const tasks = tabularMdpDistribution().sampleTasks(500, { seed: 2016 });
  it('random scores 100.1 as in the paper', () => {
    expectWithinInterval(playMdpTrials(createRandomMdpAgent(), tasks, { episodes: 10, seed: 1 }), 100.1);
  });
  it('greedy scores 134.8 as in the paper', () => {
    expectWithinInterval(playMdpTrials(createGreedyMdpAgent(), tasks, { episodes: 10, seed: 2 }), 134.8);
  });
  it('PSRL learns (well above random) and the oracle bounds every agent', () => {
    const psrl = summarise(playMdpTrials(createPsrlMdpAgent(), tasks, { episodes: 10, seed: 3 })).mean;
    const oracle = summarise(playMdpTrials(createOracleMdpAgent(), tasks, { episodes: 10, seed: 4 })).mean;
    expect(psrl).toBeGreaterThan(120);
    expect(oracle).toBeGreaterThan(psrl + 40);
  });
});
