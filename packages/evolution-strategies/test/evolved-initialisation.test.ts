import { createGaussianMlpPolicy, createInitialSolution, createRng, tf, useBackend } from '@metarl/core';
import { type BanditTask, makeTaskDistribution } from '@metarl/envs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createBanditTrialFitness,
  createCmaEs,
  createLinearPolicy,
  createPolicyGradientAdaptationFitness,
  createZeroOrderAdaptationFitness,
  evaluatePostAdaptation,
  evolveInitialisation,
} from '../src/index';

const bandit = makeTaskDistribution<BanditTask>('Bandit-v0', { arms: 5 });

describe('evolved initialisations', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('bandit (k 5, n 10): evolving the initial logits and the per-pull policy-gradient rule lifts the trial return above 5.95 (random: 5.0)', () => {
    const fitness = createBanditTrialFitness({ distribution: bandit, arms: 5, pulls: 10, trialsPerTask: 4 });
    const heldOut = bandit.sampleTasks(500, { seed: 999 });
    const score = (solution: Float32Array) => fitness.evaluate(solution, heldOut, 5)[0]!;
    // Uniform logits and a vanishing step size: the random player.
    expect(Math.abs(score(Float32Array.from([0, 0, 0, 0, 0, -20, 0])) - 5)).toBeLessThan(0.15);
    // The start: uniform logits, step size 1, no baseline (a weak learner).
    const initial = Float32Array.from([0, 0, 0, 0, 0, 0, 0]);
    const before = score(initial);
    // CMA-ES, one of the package's strategies (any of them plugs in); 60 generations lift about 5.55 to 6.13.
    const { solution } = evolveInitialisation({
      strategy: createCmaEs({ dimension: 7, populationSize: 16, sigma: 0.3 }),
      fitness,
      distribution: bandit,
      initialSolution: initial,
      generations: 60,
      tasksPerGeneration: 16,
      seed: 1,
    });
    const after = score(solution);
    expect(after).toBeGreaterThan(before + 0.4);
    expect(after).toBeGreaterThan(5.95);
  });

  it('resumes exactly: k generations, then the rest from the state, equals the whole run', () => {
    const fitness = createBanditTrialFitness({ distribution: bandit, arms: 5, pulls: 10, trialsPerTask: 2 });
    const common = {
      strategy: createCmaEs({ dimension: 7, populationSize: 4, sigma: 0.3 }),
      fitness,
      distribution: bandit,
      initialSolution: new Float32Array(7),
      tasksPerGeneration: 4,
      seed: 7,
    };
    const whole = evolveInitialisation({ ...common, generations: 6 });
    const first = evolveInitialisation({ ...common, generations: 2 });
    const rest = evolveInitialisation({ ...common, generations: 4, resumeFrom: first.state });
    expect(rest.solution).toEqual(whole.solution);
    expect(rest.state.generation).toBe(6);
  });

  it('the zero-order fitness is each candidate’s mean post-adaptation return over the tasks', () => {
    const navigation = makeTaskDistribution('Navigation2D-v1');
    const policy = createLinearPolicy({ observationSize: 2, actionSize: 2 });
    const { solution, layout } = createInitialSolution(policy, createRng(0));
    const adaptation = { operator: 'monte-carlo', sigma: 0.1, stepSize: 0.05, shaping: 'z-score' } as const;
    const fitness = createZeroOrderAdaptationFitness({
      policy,
      layout,
      distribution: navigation,
      adaptation,
      queries: 4,
    });
    const population = Float32Array.from([...solution, ...solution.map((v) => v * 0.5)]);
    const tasks = navigation.sampleTasks(3, { seed: 2 });
    const scores = fitness.evaluate(population, tasks, 11);
    const { after } = evaluatePostAdaptation(population, tasks, {
      policy,
      layout,
      distribution: navigation,
      adaptation,
      queries: 4,
      querySeed: createRng(11).nextSeed() >>> 0,
      seed: 11,
    });
    for (let m = 0; m < 2; m += 1)
      expect(scores[m]).toBeCloseTo((after[3 * m]! + after[3 * m + 1]! + after[3 * m + 2]!) / 3, 4);
  });

  it('the policy-gradient operator adapts: one VPG step beats no step on Navigation2D, with no tensor left behind', () => {
    const navigation = makeTaskDistribution('Navigation2D-v1');
    const policy = createGaussianMlpPolicy({ observationSize: 2, actionSize: 2, hiddenSizes: [16] });
    const { solution, layout } = createInitialSolution(policy, createRng(0));
    const tasks = navigation.sampleTasks(8, { seed: 3 });
    const common = { policy, layout, distribution: navigation, episodesPerTask: 10 };
    const population = Float32Array.from([...solution, ...solution]);
    const live = tf.memory().numTensors;
    const before = createPolicyGradientAdaptationFitness({ ...common, steps: 0 }).evaluate(
      population,
      tasks,
      4,
    );
    const after = createPolicyGradientAdaptationFitness({ ...common, steps: 1 }).evaluate(
      population,
      tasks,
      4,
    );
    expect(tf.memory().numTensors).toBe(live);
    // About -330 before; one step (alpha 0.1, 10 episodes per task) gains about 18.
    const mean = (values: Float32Array) => (values[0]! + values[1]!) / 2;
    expect(mean(after)).toBeGreaterThan(mean(before) + 3);
  });
});
