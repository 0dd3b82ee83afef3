import { createEvolutionRunner, createRng } from '@metarl/core';
import { checkEvolutionStrategy } from '@metarl/core/testing';
import { describe, expect, it } from 'vitest';
import {
  type CmaEsOptions,
  type CmaEsState,
  cmaEsStopReasons,
  computeCmaEsParameters,
  createCmaEs,
  defaultCmaEsPopulationSize,
} from '../src/cma-es';
import { decomposeSymmetric } from '../src/decompose-symmetric';

/** Runs CMA-ES on `f` (minimised) until f <= target, a stopping criterion or `budget` evaluations. */
function runCmaEs(
  f: (x: Float32Array) => number,
  initial: number[],
  options: Omit<CmaEsOptions, 'dimension'>,
  seed: number,
  target = 1e-8,
  budget = 100_000,
) {
  const n = initial.length;
  const strategy = createCmaEs({ dimension: n, ...options });
  const rng = createRng(seed);
  let state = strategy.init(rng, Float32Array.from(initial));
  let best = Infinity;
  while (best > target && state.evaluations < budget && state.stopReasons.length === 0) {
    const asked = strategy.ask(rng, state);
    const values = Float64Array.from({ length: strategy.populationSize }, (_v, k) =>
      f(asked.population.subarray(k * n, (k + 1) * n)),
    );
    for (const v of values) best = Math.min(best, v);
    state = strategy.tell(
      asked.population,
      values.map((v) => -v),
      asked.state,
    ).state;
  }
  return { evaluations: state.evaluations, best, state };
}

const sphere = (x: Float32Array) => x.reduce((s, v) => s + v * v, 0);
const rosenbrock = (x: Float32Array) => {
  let s = 0;
  for (let i = 0; i < x.length - 1; i += 1) s += 100 * (x[i]! ** 2 - x[i + 1]!) ** 2 + (1 - x[i]!) ** 2;
  return s;
};
/** Ellipsoid with condition number 1e6: sum 1e6^(i / (n - 1)) x_i^2, rotated by nothing. */
const ellipsoid = (x: Float32Array) => {
  let s = 0;
  for (let i = 0; i < x.length; i += 1) s += 1e6 ** (i / (x.length - 1)) * x[i]! ** 2;
  return s;
};
const medianOf = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

describe('createCmaEs: the core contract', () => {
  it('passes checkEvolutionStrategy with full covariance', () => {
    const passed = checkEvolutionStrategy(createCmaEs({ dimension: 8, sigma: 0.5 }));
    expect(passed.length).toBeGreaterThan(5);
  });

  it('passes checkEvolutionStrategy when separable (diagonal)', () => {
    const passed = checkEvolutionStrategy(createCmaEs({ dimension: 8, sigma: 0.5, diagonal: true }));
    expect(passed.length).toBeGreaterThan(5);
  });

  it('keeps ask and tell pure: the input state is unchanged, the same inputs give the same output', () => {
    const strategy = createCmaEs({ dimension: 5, sigma: 0.3 });
    const runner = createEvolutionRunner(strategy);
    let state = runner.init(createRng(1), new Float32Array(5).fill(1));
    for (let g = 0; g < 3; g += 1) {
      const asked = runner.ask(createRng(g), state);
      state = runner.tell(
        asked.population,
        Float64Array.from({ length: 8 }, (_v, k) => -k),
        asked.state,
      ).state;
    }
    const before = JSON.stringify(runner.toCheckpoint(state));
    const a = strategy.ask(createRng(9), state.strategyState);
    const b = strategy.ask(createRng(9), state.strategyState);
    expect(Array.from(a.population)).toEqual(Array.from(b.population));
    const fitness = Float64Array.from({ length: 8 }, (_v, k) => Math.sin(k));
    const t1 = strategy.tell(a.population, fitness, a.state);
    const t2 = strategy.tell(a.population, fitness, a.state);
    expect(Array.from(t1.state.covariance)).toEqual(Array.from(t2.state.covariance));
    expect(JSON.stringify(runner.toCheckpoint(state))).toBe(before);
    expect(t1.metrics['cmaes/sigma']).toBeGreaterThan(0);
    expect(t1.metrics['cmaes/axisRatio']).toBeGreaterThanOrEqual(1);
  });

  it('refuses a population other than the one ask drew', () => {
    const strategy = createCmaEs({ dimension: 3, sigma: 1 });
    const rng = createRng(0);
    const asked = strategy.ask(rng, strategy.init(rng, new Float32Array(3)));
    const changed = asked.population.slice();
    changed[0] = changed[0]! + 1;
    expect(() => strategy.tell(changed, new Float64Array(strategy.populationSize), asked.state)).toThrow(
      /differs from what ask drew/,
    );
    // Any coordinate of any member: here the last coordinate of member 4.
    const shifted = asked.population.slice();
    shifted[4 * 3 + 2] = shifted[4 * 3 + 2]! + 5;
    expect(() => strategy.tell(shifted, new Float64Array(strategy.populationSize), asked.state)).toThrow(
      /population member 4 differs from what ask drew \(coordinate 2:/,
    );
    expect(() => strategy.tell(asked.population, new Float64Array(2), asked.state)).toThrow(
      /populationSize = 7/,
    );
  });
});

describe('CMA-ES parameters (pycma 4.4.0 and the tutorial, exact numbers)', () => {
  it('matches pycma for n = 20, lambda = 12 (its CMAParameters doctest)', () => {
    const p = computeCmaEsParameters(20, 12);
    expect(defaultCmaEsPopulationSize(20)).toBe(12);
    expect(p.parents).toBe(6);
    // The doctest prints leading digits followed by '...': compare those digits.
    const digits = (value: number, count: number) => Math.trunc(value * 10 ** count) / 10 ** count;
    expect(digits(p.rankOneRate, 8)).toBe(0.00437235);
    expect(digits(p.rankMuRate, 8)).toBe(0.00921656);
    expect(digits(p.pathCovarianceRate, 6)).toBe(0.171767);
    const pycmaWeights = [
      0.4024029428, 0.253389084, 0.1662215645, 0.1043752252, 0.05640347757, 0.01720770576, -0.05018713636,
      -0.1406167894, -0.2203813963, -0.2917332686, -0.3562788884, -0.4152044225,
    ];
    for (let i = 0; i < 12; i += 1) expect(p.weights[i]).toBeCloseTo(pycmaWeights[i]!, 9);
    const separable = computeCmaEsParameters(20, 12, { diagonal: true });
    expect(digits(separable.rankOneRate, 7)).toBe(0.0343279);
    expect(digits(separable.rankMuRate, 7)).toBe(0.0565385);
    expect(digits(separable.pathCovarianceRate, 6)).toBe(0.252594);
  });

  it('scales the negative weights by min(alpha_mu, alpha_mueff, alpha_posdef) for n = 10, lambda = 10', () => {
    const n = 10;
    const lambda = 10;
    const active = computeCmaEsParameters(n, lambda);
    const passive = computeCmaEsParameters(n, lambda, { active: false });
    // The tutorial's formulas (eqs. 49-53), with pycma's min(1, lambda / 6) in c1 (1 here).
    const raw = Array.from({ length: lambda }, (_v, i) => Math.log((lambda + 1) / 2) - Math.log(i + 1));
    const positive = raw.slice(0, 5);
    const negative = raw.slice(5);
    const sumPositive = positive.reduce((a, b) => a + b, 0);
    const mueff = sumPositive ** 2 / positive.reduce((a, b) => a + b * b, 0);
    const sumNegative = negative.reduce((a, b) => a + b, 0);
    const mueffMinus = sumNegative ** 2 / negative.reduce((a, b) => a + b * b, 0);
    const c1 = 2 / ((n + 1.3) ** 2 + mueff);
    const cmu = Math.min(1 - c1, (2 * (0.25 + mueff - 2 + 1 / mueff)) / ((n + 2) ** 2 + mueff));
    const alphaMu = 1 + c1 / cmu;
    const alphaMueff = 1 + (2 * mueffMinus) / (mueff + 2);
    const alphaPosdef = (1 - c1 - cmu) / (n * cmu);
    const alpha = Math.min(alphaMu, alphaMueff, alphaPosdef);
    expect(active.effectiveParents).toBeCloseTo(mueff, 12);
    expect(active.rankOneRate).toBeCloseTo(c1, 14);
    expect(active.rankMuRate).toBeCloseTo(cmu, 14);
    for (let i = 0; i < 5; i += 1) {
      expect(active.weights[i]).toBeCloseTo(positive[i]! / sumPositive, 14);
      expect(passive.weights[i]).toBeCloseTo(positive[i]! / sumPositive, 14);
    }
    for (let i = 5; i < lambda; i += 1) {
      expect(active.weights[i]).toBeCloseTo((alpha * negative[i - 5]!) / Math.abs(sumNegative), 14);
      expect(passive.weights[i]).toBe(0);
    }
    const sum = (w: Float64Array) => w.reduce((a, b) => a + b, 0);
    expect(sum(active.weights)).toBeCloseTo(1 - alpha, 12);
    expect(sum(passive.weights)).toBeCloseTo(1, 12);
    // Here alpha_mu^- binds: c1 + c_mu sum w = 0, no decay of C.
    expect(alpha).toBe(alphaMu);
    expect(active.rankOneRate + active.rankMuRate * sum(active.weights)).toBeCloseTo(0, 14);
    // pycma's c_sigma (n + mu_eff + 3) and d_sigma, chi_n.
    expect(active.pathSigmaRate).toBeCloseTo((mueff + 2) / (n + mueff + 3), 14);
    expect(active.sigmaDamping).toBeCloseTo(1 + active.pathSigmaRate, 14);
    expect(active.expectedNormLength).toBeCloseTo(Math.sqrt(10) * (1 - 1 / 40 + 1 / 2100), 14);
  });
});

describe('CMA-ES learns', () => {
  it('solves the 10-D sphere in a pycma-like number of evaluations, and not without step-size adaptation', () => {
    const initial = new Array<number>(10).fill(1);
    const counts = [0, 1, 2].map((seed) => runCmaEs(sphere, initial, { sigma: 1 }, seed).evaluations);
    // pycma 4.4.0 needs about 1,300-1,500 evaluations here; a broken CSA or C update leaves this band.
    expect(medianOf(counts)).toBeGreaterThan(1100);
    expect(medianOf(counts)).toBeLessThan(1600);
    // Reaching 1e-8 from sigma0 = 1 in that many evaluations needs sigma to shrink by orders of magnitude.
    const run = runCmaEs(sphere, initial, { sigma: 1 }, 0);
    expect(run.state.sigma).toBeLessThan(1e-3);
  });

  it('needs the rank-mu update: without it the ellipsoid takes clearly longer', () => {
    const initial = new Array<number>(10).fill(1);
    const withRankMu = medianOf(
      [0, 1, 2].map((seed) => runCmaEs(ellipsoid, initial, { sigma: 1 }, seed).evaluations),
    );
    const withoutRankMu = medianOf(
      [0, 1, 2].map((seed) => runCmaEs(ellipsoid, initial, { sigma: 1, rankMuFactor: 0 }, seed).evaluations),
    );
    expect(withoutRankMu).toBeGreaterThan(1.3 * withRankMu);
  });

  it('gains from active CMA: passive weights need clearly more evaluations on the ellipsoid', () => {
    const initial = new Array<number>(10).fill(1);
    const active = medianOf(
      [0, 1, 2].map((seed) => runCmaEs(ellipsoid, initial, { sigma: 1 }, seed).evaluations),
    );
    const passive = medianOf(
      [0, 1, 2].map((seed) => runCmaEs(ellipsoid, initial, { sigma: 1, active: false }, seed).evaluations),
    );
    // Measured: about 3,900 against 5,450.
    expect(passive).toBeGreaterThan(1.2 * active);
  });

  it('reaches 1e-8 on the 10-D Rosenbrock function from 0.1 ones with sigma0 0.3', () => {
    const run = runCmaEs(rosenbrock, new Array<number>(10).fill(0.1), { sigma: 0.3 }, 0);
    expect(run.best).toBeLessThanOrEqual(1e-8);
    expect(run.evaluations).toBeLessThan(7000);
  });

  it('learns the covariance: the 1e6-conditioned ellipsoid is solved far faster than with C frozen', () => {
    const initial = new Array<number>(10).fill(1);
    const adapted = runCmaEs(ellipsoid, initial, { sigma: 1 }, 0);
    expect(adapted.best).toBeLessThanOrEqual(1e-8);
    expect(adapted.state.stopReasons).toEqual([]);
    // The learned C's axis ratio approaches sqrt(1e6) = 1e3.
    const axes = adapted.state.axisLengths;
    expect(axes[axes.length - 1]! / axes[0]!).toBeGreaterThan(300);
    const frozen = runCmaEs(
      ellipsoid,
      initial,
      { sigma: 1, rankOneFactor: 0, rankMuFactor: 0 },
      0,
      1e-8,
      5 * adapted.evaluations,
    );
    expect(frozen.best).toBeGreaterThan(1e-4);
  });

  it('solves a separable 30-D ellipsoid with the diagonal (separable) model', () => {
    const initial = new Array<number>(30).fill(1);
    const separable = runCmaEs(ellipsoid, initial, { sigma: 1, diagonal: true }, 0, 1e-8, 60_000);
    expect(separable.best).toBeLessThanOrEqual(1e-8);
    expect(separable.state.covariance.length).toBe(30);
    expect(separable.state.eigenvectors.length).toBe(0);
  });
});

describe("CMA-ES through core's runner", () => {
  it('keeps double precision: a large offset does not stop it early (the runner passes raw fitness as float64)', () => {
    // f = 1000 + |x - 0.5|^2: in float32 the values near the optimum all round to 1000 and the
    // flat-fitness criterion would fire about 1e-3 away from the optimum.
    const strategy = createCmaEs({ dimension: 5, sigma: 0.5 });
    const runner = createEvolutionRunner(strategy);
    const rng = createRng(3);
    let state = runner.init(rng, new Float32Array(5));
    let distance = Infinity;
    for (let generation = 0; generation < 400; generation += 1) {
      const asked = runner.ask(rng, state);
      const fitness = new Float64Array(strategy.populationSize);
      for (let k = 0; k < fitness.length; k += 1) {
        let sum = 0;
        for (let i = 0; i < 5; i += 1) sum += (asked.population[k * 5 + i]! - 0.5) ** 2;
        fitness[k] = -(1000 + sum);
      }
      state = runner.tell(asked.population, fitness, asked.state).state;
      const mean = runner.mean(state);
      distance = Math.hypot(...Array.from(mean, (v) => v - 0.5));
      if (strategy.stopReasons(state.strategyState).length > 0) break;
    }
    expect(strategy.stopReasons(state.strategyState)).not.toContain('tolflatfitness');
    expect(distance).toBeLessThan(1e-5);
  });
});

describe('CMA-ES stopping criteria', () => {
  it('stops on a flat function with tolflatfitness and tolfun, and the driver limits', () => {
    const run = runCmaEs(() => 3, [0, 0, 0, 0], { sigma: 1 }, 0, -Infinity);
    // As pycma: f range 0 now and over the history at once.
    expect(run.state.generation).toBe(1);
    expect(run.state.stopReasons).toEqual(['tolfun']);
    const strategy = createCmaEs({ dimension: 4, sigma: 1 });
    const asked = strategy.ask(createRng(1), run.state);
    const next = strategy.tell(
      asked.population,
      new Float64Array(strategy.populationSize).fill(-3),
      asked.state,
    );
    // A second flat generation: more than tolflatfitness = 1.
    expect(next.state.stopReasons).toEqual(['tolfun', 'tolflatfitness']);
    expect(next.metrics['cmaes/stop']).toBe(1);
    // Infinity switches the criterion off (the same two flat generations).
    const patient = createCmaEs({ dimension: 4, sigma: 1, flatFitnessGenerations: Number.POSITIVE_INFINITY });
    const patientNext = patient.tell(
      asked.population,
      new Float64Array(patient.populationSize).fill(-3),
      asked.state,
    );
    expect(patientNext.state.stopReasons).toEqual(['tolfun']);
    expect(() => createCmaEs({ dimension: 4, sigma: 1, flatFitnessGenerations: 1.5 })).toThrow(
      /flatFitnessGenerations/,
    );
    const reasons = cmaEsStopReasons(next.state, {
      maxEvaluations: 10,
      maxGenerations: 2,
      targetFitness: -3,
    });
    expect(reasons.slice(0, 3)).toEqual(['ftarget', 'maxfevals', 'maxiter']);
  });

  it('stops a converged sphere run by tolfun and reports the axis ratio', () => {
    const run = runCmaEs(sphere, [1, 1, 1, 1, 1], { sigma: 1 }, 3, -Infinity);
    expect(run.state.stopReasons.length).toBeGreaterThan(0);
    expect(run.state.stopReasons).toContain('tolfun');
  });

  it('stops with tolconditioncov when the condition limit is low', () => {
    const run = runCmaEs(
      ellipsoid,
      new Array<number>(6).fill(1),
      { sigma: 1, conditionLimit: 1e3 },
      0,
      -Infinity,
    );
    expect(run.state.stopReasons).toContain('tolconditioncov');
  });

  it('gives clear errors for bad options', () => {
    expect(() => createCmaEs({ dimension: 0, sigma: 1 })).toThrow(
      'createCmaEs: dimension must be an integer >= 1, got 0',
    );
    expect(() => createCmaEs({ dimension: 3, sigma: -1 })).toThrow(
      'createCmaEs: sigma must be a finite number > 0, got -1',
    );
    expect(() => createCmaEs({ dimension: 3, sigma: 1, populationSize: 1 })).toThrow(
      'createCmaEs: populationSize must be an integer >= 2, got 1',
    );
    expect(() => createCmaEs({ dimension: 3, sigma: 1, sigmaa: 1 } as unknown as CmaEsOptions)).toThrow(
      /unknown option 'sigmaa'/,
    );
    expect(() => createCmaEs({ dimension: 3, sigma: 1, active: 'yes' } as unknown as CmaEsOptions)).toThrow(
      "createCmaEs: active must be true or false, got 'yes'",
    );
    expect(() => cmaEsStopReasons(null as unknown as CmaEsState)).toThrow(/must be a CmaEsState/);
  });
});

describe('decomposeSymmetric', () => {
  it('reconstructs a random symmetric matrix with orthonormal eigenvectors, eigenvalues ascending', () => {
    const n = 12;
    const rng = createRng(4);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i += 1)
      for (let j = 0; j <= i; j += 1) {
        const v = rng.nextNormal();
        a[i * n + j] = v;
        a[j * n + i] = v;
      }
    const { values, vectors } = decomposeSymmetric(a, n);
    for (let k = 1; k < n; k += 1) expect(values[k]).toBeGreaterThanOrEqual(values[k - 1]!);
    for (let i = 0; i < n; i += 1)
      for (let j = 0; j < n; j += 1) {
        let product = 0;
        let reconstructed = 0;
        for (let k = 0; k < n; k += 1) {
          product += vectors[k * n + i]! * vectors[k * n + j]!;
          reconstructed += vectors[i * n + k]! * values[k]! * vectors[j * n + k]!;
        }
        expect(product).toBeCloseTo(i === j ? 1 : 0, 12);
        expect(reconstructed).toBeCloseTo(a[i * n + j]!, 12);
      }
    expect(Array.from(decomposeSymmetric(Float64Array.of(2, 1, 1, 2), 2).values)).toEqual([
      expect.closeTo(1, 14),
      expect.closeTo(3, 14),
    ]);
  });
});
