import { createEvolutionRunner, shapeFitness } from '@metarl/core';
import { checkEvolutionStrategy } from '@metarl/core/testing';
import { createRng } from '@metarl/envs';
import { describe, expect, it } from 'vitest';
import { sampleCounterNormal } from '../src/counter-noise';
import {
  createOpenAiEs,
  estimateOpenAiEsGradient,
  type OpenAiEsOptions,
  type OpenAiEsState,
} from '../src/openai-es';
import { perturbationMember } from '../src/perturbation';

// Printed by benchmarks/peers/evolution/openai_es_fixture.py (the starter's formulas in numpy).
// Noise: sampleCounterNormal(7, k, 5), k = 0, 1, 2; returns pair-major [r+, r-] per pair.
const FIXTURE = {
  theta: [0.5, -0.25, 1.0, 0.0, -2.0],
  sigma: 0.1,
  noiseSeed: 7,
  members: [
    [0.4231269061565399, -0.39082932472229004, 0.9327541589736938, 0.12078949064016342, -2.0821878910064697],
    [0.5768730640411377, -0.10917069017887115, 1.0672458410263062, -0.12078949064016342, -1.9178119897842407],
  ],
  returns: [
    [3.0, -1.0, 0.5, 2.0, 7.0, 1.5],
    [-4.0, 2.5, 1.0, 0.25, 6.0, -3.0],
  ],
  centeredRanks: [
    [0.30000001192092896, -0.5, -0.30000001192092896, 0.10000002384185791, 0.5, -0.09999999403953552],
    [-0.5, 0.30000001192092896, 0.10000002384185791, -0.09999999403953552, 0.5, -0.30000001192092896],
  ],
  gradient: [
    [
      -0.25260719656944275, -0.18315058946609497, -0.11628931760787964, 0.18547363579273224,
      -0.20232529938220978,
    ],
    [
      -0.09810090065002441, 0.1399436742067337, 0.06300843507051468, -0.16671840846538544,
      -0.11788146942853928,
    ],
  ],
  gradientNorm: [0.4315249025821686, 0.2736222743988037],
  adam: {
    updateRatio: [0.009701407880051202, 0.005793416318141574],
    theta: [
      [
        0.49000001320017406, -0.2599999835560234, 0.9900000264748215, 0.00999998294372085,
        -2.0099999846809045,
      ],
      [0.48103671988253016, -0.2607261530825373, 0.9871709534345888, 0.01000469398927688, -2.019484478441188],
    ],
  },
  sgd: {
    updateRatio: [0.00018624112999532372, 0.000189655227586627],
    theta: [
      [
        0.49974489212036133, -0.2501819133758545, 0.9998787045478821, 0.0001854736328823492,
        -2.000192403793335,
      ],
      [
        0.49941468238830566, -0.2502044439315796, 0.9998275637626648, 0.0001856805756688118,
        -2.0004732608795166,
      ],
    ],
  },
};

function expectClose(actual: ArrayLike<number>, expected: readonly number[], tolerance = 1e-6) {
  expect(actual.length).toBe(expected.length);
  for (const [j, value] of expected.entries()) {
    expect(Math.abs(actual[j]! - value)).toBeLessThanOrEqual(tolerance);
  }
}

describe("openai-es: the starter's formulas on a fixed fixture", () => {
  it("core's centred ranks equal the starter's compute_centered_ranks over all 2n returns", () => {
    FIXTURE.returns.forEach((returns, g) => {
      expectClose(shapeFitness(returns, 'centered-ranks'), FIXTURE.centeredRanks[g]!);
    });
  });

  it('tied returns share their average centred rank, so a tied pair adds nothing to the gradient', () => {
    // The starter's argsort would give the tie (2, 2) the distinct ranks 1 and 2 in index order.
    const shaped = shapeFitness([2, 2, 5, -1], 'centered-ranks');
    expectClose(shaped, [0, 0, 0.5, -0.5]);
    const gradient = estimateOpenAiEsGradient(shaped, 7, 5, true);
    const epsilon = sampleCounterNormal(7, 1, 5);
    expectClose(
      gradient,
      Array.from(epsilon, (e) => (e * 1) / 4),
    );
  });

  it('member 2k is theta + sigma eps_k and member 2k+1 theta - sigma eps_k', () => {
    const theta = Float32Array.from(FIXTURE.theta);
    expectClose(perturbationMember(theta, 0.1, 7, 0), FIXTURE.members[0]!);
    expectClose(perturbationMember(theta, 0.1, 7, 1), FIXTURE.members[1]!);
    const epsilon = sampleCounterNormal(7, 2, 5);
    const plus = perturbationMember(theta, 0.1, 7, 4);
    const minus = perturbationMember(theta, 0.1, 7, 5);
    theta.forEach((value, j) => {
      expect(plus[j]).toBe(Math.fround(value + 0.1 * epsilon[j]!));
      expect(minus[j]).toBe(Math.fround(value - 0.1 * epsilon[j]!));
    });
  });

  it('ask builds every member with perturbationMember, bit for bit, from the noise seed in its state', () => {
    const strategy = createOpenAiEs({ populationSize: 6, sigma: 0.2 });
    const theta = Float32Array.from(FIXTURE.theta);
    const state = strategy.init(createRng(0), theta);
    const { population, state: asked } = strategy.ask(createRng(3), state);
    expect(asked.noiseSeed).toBeGreaterThanOrEqual(0);
    for (let i = 0; i < 6; i += 1) {
      const remote = perturbationMember(theta, 0.2, asked.noiseSeed, i);
      expect(Array.from(population.subarray(i * 5, (i + 1) * 5))).toEqual(Array.from(remote));
    }
  });

  it('the gradient is sum_k (r+ - r-) eps_k / (number of returns), without 1/sigma', () => {
    FIXTURE.centeredRanks.forEach((ranks, g) => {
      expectClose(estimateOpenAiEsGradient(ranks, 7, 5, true), FIXTURE.gradient[g]!);
    });
  });

  for (const optimizer of ['adam', 'sgd'] as const) {
    it(`two ${optimizer} steps on -g + l2 theta match the starter's optimizers.py`, () => {
      const options: OpenAiEsOptions = {
        populationSize: 6,
        sigma: 0.1,
        learningRate: 0.01,
        optimizer,
        l2Coefficient: 0.005,
      };
      const strategy = createOpenAiEs(options);
      const runner = createEvolutionRunner(strategy);
      let state = runner.init(createRng(0), Float32Array.from(FIXTURE.theta));
      FIXTURE.returns.forEach((returns, g) => {
        const strategyState: OpenAiEsState = { ...state.strategyState, noiseSeed: FIXTURE.noiseSeed };
        const population = new Float32Array(6 * 5);
        const told = runner.tell(population, returns, { ...state, strategyState });
        expectClose(told.state.strategyState.theta, FIXTURE[optimizer].theta[g]!);
        expect(told.metrics['openai-es/gradientNorm']).toBeCloseTo(FIXTURE.gradientNorm[g]!, 6);
        expect(told.metrics['openai-es/updateRatio']).toBeCloseTo(FIXTURE[optimizer].updateRatio[g]!, 6);
        expect(told.state.strategyState.step).toBe(g + 1);
        state = told.state;
      });
    });
  }
});

describe('openai-es: direction of the update', () => {
  const sphere = (population: Float32Array, dimension: number, sign: number) =>
    Float64Array.from({ length: population.length / dimension }, (_v, m) => {
      let sum = 0;
      for (let j = 0; j < dimension; j += 1) sum += population[m * dimension + j]! ** 2;
      return sign * sum;
    });
  const normOf = (x: Float32Array) => Math.hypot(...x);

  it('maximising ||x||² moves outward, minimising it (negated fitness) moves inward', () => {
    const dimension = 6;
    const start = Float32Array.from({ length: dimension }, (_v, j) => 1 + 0.1 * j);
    for (const sign of [1, -1]) {
      const runner = createEvolutionRunner(createOpenAiEs({ populationSize: 20, l2Coefficient: 0 }));
      const rng = createRng(11);
      let state = runner.init(createRng(0), start);
      for (let g = 0; g < 10; g += 1) {
        const asked = runner.ask(rng, state);
        state = runner.tell(asked.population, sphere(asked.population, dimension, sign), asked.state).state;
      }
      const moved = normOf(runner.mean(state)) - normOf(start);
      if (sign > 0) expect(moved).toBeGreaterThan(0.05);
      else expect(moved).toBeLessThan(-0.05);
    }
  });
});

describe('openai-es: contract and learning', () => {
  it("passes core's checkEvolutionStrategy (Adam, SGD, plain Monte Carlo)", () => {
    expect(() =>
      checkEvolutionStrategy(createOpenAiEs({ populationSize: 16, learningRate: 0.05 })),
    ).not.toThrow();
    expect(() =>
      checkEvolutionStrategy(
        createOpenAiEs({ populationSize: 16, learningRate: 0.5, optimizer: 'sgd', l2Coefficient: 0 }),
      ),
    ).not.toThrow();
    expect(() =>
      checkEvolutionStrategy(createOpenAiEs({ populationSize: 15, learningRate: 0.05, antithetic: false })),
    ).not.toThrow();
  });

  it('solves most of a 20-D sphere in 100 generations (loss below 2% of the start)', () => {
    const dimension = 20;
    const optimum = 1;
    const runner = createEvolutionRunner(
      createOpenAiEs({ populationSize: 40, sigma: 0.1, learningRate: 0.05, l2Coefficient: 0 }),
    );
    const loss = (x: Float32Array) => x.reduce((sum, v) => sum + (v - optimum) ** 2, 0);
    const rng = createRng(5);
    let state = runner.init(createRng(0), new Float32Array(dimension));
    const initialLoss = loss(runner.mean(state));
    for (let g = 0; g < 100; g += 1) {
      const asked = runner.ask(rng, state);
      const fitness = Float64Array.from(
        { length: 40 },
        (_v, m) => -loss(asked.population.subarray(m * dimension, (m + 1) * dimension)),
      );
      state = runner.tell(asked.population, fitness, asked.state).state;
    }
    expect(loss(runner.mean(state))).toBeLessThan(0.02 * initialLoss);
  });

  it('validates its options with errors naming the option, the value and the expected form', () => {
    expect(() => createOpenAiEs({ populationSize: 7 })).toThrow(/populationSize must be even.*got 7/);
    expect(() => createOpenAiEs({ populationSize: 8, sigma: 0 })).toThrow(/sigma.*> 0.*got 0/);
    expect(() => createOpenAiEs({ populationSize: 8, optimizer: 'rmsprop' as 'adam' })).toThrow(/optimizer/);
    expect(() => createOpenAiEs({ populationSize: 8, l2Coefficient: -1 })).toThrow(/l2Coefficient/);
    expect(() => createOpenAiEs({ populationSize: 8, learningrate: 1 } as OpenAiEsOptions)).toThrow(
      /unknown option 'learningrate'/,
    );
  });
});
