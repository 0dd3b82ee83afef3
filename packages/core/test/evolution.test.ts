import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type BanditTask,
  banditDistribution,
  cartPoleDistribution,
  createRng,
  createRngFromState,
  navigation2dDistribution,
  type TaskDistribution,
} from '@metarl/envs';
import { beforeAll, describe, expect, it } from 'vitest';
import { meaningfulStderr, runExample } from '../../../test-support/examples';
import { decodePlainValue, encodePlainValue } from '../src/evolution/plain-value';
import {
  collectEpisodes,
  createCategoricalMlpPolicy,
  createEvolutionRunner,
  createGaussianMlpPolicy,
  createInitialSolution,
  createParamLayout,
  createPolicyAgent,
  disposeParams,
  type EvolutionStrategy,
  evaluatePopulation,
  flattenParams,
  type ParamLayout,
  PlainValueError,
  type Policy,
  shapeFitness,
  stackParams,
  stackPopulation,
  unflattenParams,
  unflattenSolution,
  useBackend,
} from '../src/index';
import {
  checkEvolutionStrategy,
  countLiveTensors,
  EvolutionStrategyCheckError,
  measureTensorGrowth,
} from '../src/testing/index';

// ── A minimal reference strategy: isotropic OpenAI-ES with antithetic sampling ─────────────
// (Salimans et al. 2017): x_i = mean ± sigma * eps_i; mean += lr / (n sigma) * sum_i f_i eps_i.
interface TestEsState {
  readonly mean: Float32Array;
}

function createTestOpenAiEs(
  populationSize = 16,
  sigma = 0.1,
  learningRate = 0.05,
): EvolutionStrategy<TestEsState> {
  return {
    kind: 'test-openai-es',
    populationSize,
    fitnessShaping: 'centered-ranks',
    init: (_rng, solution) => ({ mean: Float32Array.from(solution) }),
    ask(rng, state) {
      const d = state.mean.length;
      const half = populationSize / 2;
      const noise = rng.normal(half * d);
      const population = new Float32Array(populationSize * d);
      for (let i = 0; i < half; i += 1) {
        for (let j = 0; j < d; j += 1) {
          population[2 * i * d + j] = state.mean[j]! + sigma * noise[i * d + j]!;
          population[(2 * i + 1) * d + j] = state.mean[j]! - sigma * noise[i * d + j]!;
        }
      }
      return { population, state };
    },
    tell(population, fitness, state) {
      const d = state.mean.length;
      const mean = Float32Array.from(state.mean);
      let squares = 0;
      for (let j = 0; j < d; j += 1) {
        let gradient = 0;
        for (let i = 0; i < populationSize; i += 1)
          gradient += (fitness[i]! * (population[i * d + j]! - state.mean[j]!)) / sigma;
        const step = (learningRate * gradient) / (populationSize * sigma);
        mean[j] = mean[j]! + step;
        squares += step * step;
      }
      return { state: { mean }, metrics: { 'test-openai-es/stepNorm': Math.sqrt(squares) } };
    },
    mean: (state) => state.mean,
  };
}

const sphere = (population: Float32Array, dimension: number) =>
  Float32Array.from({ length: population.length / dimension }, (_v, m) => {
    let loss = 0;
    for (let j = 0; j < dimension; j += 1) loss += (population[m * dimension + j]! - 1) ** 2;
    return -loss;
  });

describe('fitness shaping', () => {
  it('centered ranks follow OpenAI-ES (ranks / (n - 1) - 0.5) on a hand-computed example', () => {
    // sorted: -5 (rank 0), 1 (1), 2 (2), 3 (3), 10 (4)
    expect(Array.from(shapeFitness([3, 1, 2, 10, -5], 'centered-ranks'))).toEqual([
      0.25, -0.25, 0, 0.5, -0.5,
    ]);
    // ties share their average rank: 1, 1 -> (0 + 1) / 2 = 0.5 -> 0.5 / 2 - 0.5
    expect(Array.from(shapeFitness([1, 1, 2], 'centered-ranks'))).toEqual([-0.25, -0.25, 0.5]);
    expect(Array.from(shapeFitness([7], 'centered-ranks'))).toEqual([0]);
  });

  it('z-score and raw', () => {
    const z = Array.from(shapeFitness([1, 2, 3], 'z-score'));
    const std = Math.sqrt(2 / 3);
    expect(z[0]).toBeCloseTo(-1 / std, 6);
    expect(z[1]).toBe(0);
    expect(z[2]).toBeCloseTo(1 / std, 6);
    expect(Array.from(shapeFitness([4, 4], 'z-score'))).toEqual([0, 0]);
    expect(Array.from(shapeFitness([1.5, -2], 'raw'))).toEqual([1.5, -2]);
  });

  it('non-finite fitness is the worst: ranked below every finite value, or replaced by the lowest finite one', () => {
    // NaN and -Infinity tie at ranks 0 and 1 (average 0.5): 0.5 / 3 - 0.5
    const ranks = Array.from(shapeFitness([Number.NaN, 1, -Infinity, 2], 'centered-ranks'));
    expect(ranks[0]).toBeCloseTo(0.5 / 3 - 0.5, 6);
    expect(ranks[2]).toBeCloseTo(0.5 / 3 - 0.5, 6);
    expect(ranks[1]).toBeCloseTo(2 / 3 - 0.5, 6);
    expect(ranks[3]).toBe(0.5);
    // +Infinity is not trusted either.
    expect(Array.from(shapeFitness([Infinity, 0, 1], 'centered-ranks'))).toEqual([-0.5, 0, 0.5]);
    expect(Array.from(shapeFitness([Number.NaN, 1, 3], 'raw'))).toEqual([1, 1, 3]);
    const z = Array.from(shapeFitness([Number.NaN, 1, 3], 'z-score'));
    expect(z[0]).toBeCloseTo(-Math.SQRT1_2, 6);
    expect(z[2]).toBeCloseTo(Math.SQRT2, 6);
    expect(() => shapeFitness([Number.NaN, -Infinity], 'raw')).toThrow(
      /none of the 2 fitness values is finite/,
    );
    expect(() => shapeFitness([1], 'ranks' as never)).toThrow(/'centered-ranks', 'z-score', 'raw'.*"ranks"/);
  });
});

describe('plain values', () => {
  it('round-trip through JSON bit for bit: typed arrays, NaN, ±Infinity, -0, nesting', () => {
    const value = {
      mean: Float32Array.from([1.5, -0, Number.NaN, 3.4028234663852886e38, 1e-45]),
      covariance: Float64Array.from([Math.PI, -Infinity]),
      counts: Int32Array.from([-7, 2147483647]),
      flags: Uint8Array.from([0, 255, 1]),
      nested: [{ sigma: 0.3, best: -Infinity, zero: -0 }, null, 'text', true],
      skipped: undefined,
    };
    const back = decodePlainValue(JSON.parse(JSON.stringify(encodePlainValue(value)))) as typeof value;
    expect(back.mean).toBeInstanceOf(Float32Array);
    expect(Array.from(back.mean).map((v) => Object.is(v, -0) || v)).toEqual(
      Array.from(value.mean).map((v) => Object.is(v, -0) || v),
    );
    expect(Number.isNaN(back.mean[2])).toBe(true);
    expect(back.covariance).toEqual(value.covariance);
    expect(back.counts).toEqual(value.counts);
    expect(back.flags).toEqual(value.flags);
    expect(Object.is(back.nested[0] && (back.nested[0] as { zero: number }).zero, -0)).toBe(true);
    expect(back.nested).toEqual(value.nested);
    expect('skipped' in back).toBe(false);
  });

  it('refuses what is not plain data, naming the path', () => {
    expect(() => encodePlainValue({ a: { b: new Map() } }, 'state')).toThrow(/state\.a\.b is a Map/);
    expect(() => encodePlainValue({ $x: 1 }, 'state')).toThrow(/reserved/);
    expect(() => decodePlainValue({ $typedArray: 'BigInt64Array', base64: '' }, 'state')).toThrow(
      /state\.\$typedArray must be one of/,
    );
  });
});

describe('createEvolutionRunner', () => {
  const dimension = 3;
  const strategy = createTestOpenAiEs(16);
  const runner = createEvolutionRunner(strategy);
  const start = () => runner.init(createRng(0), new Float32Array(dimension));

  it('reports fixed metric keys, counts generations and keeps the best solution so far', () => {
    let state = start();
    const rng = createRng(1);
    let bestSeen = -Infinity;
    let bestMember = new Float32Array(0);
    for (let g = 0; g < 5; g += 1) {
      const asked = runner.ask(rng, state);
      const fitness = sphere(asked.population, dimension);
      fitness.forEach((f, i) => {
        if (f > bestSeen) {
          bestSeen = f;
          bestMember = asked.population.slice(i * dimension, (i + 1) * dimension);
        }
      });
      const told = runner.tell(asked.population, fitness, asked.state);
      expect(Object.keys(told.metrics).sort()).toEqual(
        [
          'es/bestFitness',
          'es/evaluations',
          'es/fitnessMax',
          'es/fitnessMean',
          'es/fitnessMin',
          'es/fitnessStd',
          'es/generation',
          'es/nanCount',
          'test-openai-es/stepNorm',
        ].sort(),
      );
      expect(told.metrics['es/generation']).toBe(g + 1);
      expect(told.metrics['es/evaluations']).toBe(16 * (g + 1));
      expect(told.metrics['es/fitnessMax']).toBe(Math.max(...fitness));
      expect(told.metrics['es/fitnessMin']).toBe(Math.min(...fitness));
      expect(told.metrics['es/fitnessMean']).toBeCloseTo(fitness.reduce((a, b) => a + b, 0) / 16, 6);
      state = told.state;
    }
    expect(state.generation).toBe(5);
    expect(state.bestFitness).toBe(bestSeen);
    expect(Array.from(state.bestSolution)).toEqual(Array.from(bestMember));
  });

  it('guards NaN: worst, counted, never the best; an all-NaN generation is an error naming it', () => {
    const asked = runner.ask(createRng(2), start());
    const fitness = sphere(asked.population, dimension);
    const best = fitness.indexOf(Math.max(...fitness));
    const poisoned = Float32Array.from(fitness);
    poisoned[best] = Number.NaN; // the member that would have been best
    poisoned[(best + 1) % 16] = -Infinity;
    let shapedSeen = new Float32Array(0);
    const spy = createEvolutionRunner({
      ...strategy,
      tell: (population, shaped, state) => {
        shapedSeen = Float32Array.from(shaped);
        return strategy.tell(population, shaped, state);
      },
    });
    const told = spy.tell(asked.population, poisoned, asked.state);
    expect(told.metrics['es/nanCount']).toBe(2);
    expect(shapedSeen.every(Number.isFinite)).toBe(true);
    expect(shapedSeen[best]).toBe(Math.min(...shapedSeen));
    const secondBest = Math.max(...poisoned.filter(Number.isFinite));
    expect(told.state.bestFitness).toBe(secondBest);
    expect(told.state.bestFitness).toBeLessThan(fitness[best]!);
    expect(told.metrics['es/fitnessMax']).toBe(secondBest);
    expect(runner.mean(told.state).every(Number.isFinite)).toBe(true);

    const later = runner.tell(asked.population, fitness, asked.state).state; // generation 1 done
    const next = runner.ask(createRng(3), later);
    expect(() => runner.tell(next.population, new Float32Array(16).fill(Number.NaN), next.state)).toThrow(
      /every fitness of generation 1 is NaN or ±Infinity/,
    );
  });

  it('validates shapes with errors naming the argument, the value and the expected form', () => {
    const asked = runner.ask(createRng(4), start());
    const fitness = sphere(asked.population, dimension);
    expect(() => runner.tell(asked.population.subarray(0, 47), fitness, asked.state)).toThrow(
      /tell: population must be a Float32Array of length populationSize \* dimension = 16 \* 3 = 48, got Float32Array of length 47/,
    );
    expect(() => runner.tell(asked.population, fitness.subarray(0, 15), asked.state)).toThrow(
      /tell: fitness must hold populationSize = 16 numbers \(one per member\), got Float32Array of length 15/,
    );
    expect(() => runner.init(createRng(0), new Float64Array(3) as never)).toThrow(
      /init: initialSolution must be a non-empty Float32Array, got Float64Array of length 3/,
    );
    expect(() => runner.init(createRng(0), Float32Array.from([0, Number.NaN]))).toThrow(
      /initialSolution holds NaN at index 1/,
    );
    const broken = createEvolutionRunner({
      ...strategy,
      ask: (rng, state) => ({ population: strategy.ask(rng, state).population.subarray(1), state }),
    });
    expect(() => broken.ask(createRng(0), start())).toThrow(
      /ask \(the strategy returned\): population must be a Float32Array of length .* = 48, got Float32Array of length 47/,
    );
    expect(() => createEvolutionRunner({ ...strategy, populationSize: 0 })).toThrow(
      /populationSize must be a positive integer, got 0/,
    );
    expect(() => createEvolutionRunner(strategy, { fitnessShaping: 'rank' as never })).toThrow(
      /fitnessShaping/,
    );
  });

  it('checkpoints to JSON and resumes bit for bit; refuses a checkpoint of another strategy or shaping', () => {
    let state = start();
    const rng = createRng(5);
    const step = (s: typeof state, r: ReturnType<typeof createRng>) => {
      const asked = runner.ask(r, s);
      return runner.tell(asked.population, sphere(asked.population, dimension), asked.state).state;
    };
    state = step(state, rng);
    const text = JSON.stringify({ es: runner.toCheckpoint(state), rng: rng.getState() });
    const saved = JSON.parse(text);
    const restored = runner.fromCheckpoint(saved.es);
    expect(restored.bestFitness).toBe(state.bestFitness);
    expect(restored.strategyState.mean).toEqual(state.strategyState.mean);
    const a = step(step(state, rng), rng);
    const stream = createRngFromState(saved.rng);
    const resumed = step(step(restored, stream), stream);
    expect(resumed.generation).toBe(3);
    expect(JSON.stringify(runner.toCheckpoint(resumed))).toBe(JSON.stringify(runner.toCheckpoint(a)));
    const otherStream = createRng(99); // sanity: the comparison can fail
    const diverged = step(step(restored, otherStream), otherStream);
    expect(JSON.stringify(runner.toCheckpoint(diverged))).not.toBe(JSON.stringify(runner.toCheckpoint(a)));

    expect(() => createEvolutionRunner({ ...strategy, kind: 'other' }).fromCheckpoint(saved.es)).toThrow(
      /written by 'test-openai-es', this runner wraps 'other'/,
    );
    expect(() => createEvolutionRunner(strategy, { fitnessShaping: 'raw' }).fromCheckpoint(saved.es)).toThrow(
      /fitnessShaping 'centered-ranks', this runner uses 'raw'/,
    );
    const withMap = createEvolutionRunner({
      ...strategy,
      init: (rng, solution) => ({ ...strategy.init(rng, solution), cache: new Map() }),
    });
    expect(() => withMap.toCheckpoint(withMap.init(createRng(0), new Float32Array(3)))).toThrow(
      PlainValueError,
    );
    expect(() => withMap.toCheckpoint(withMap.init(createRng(0), new Float32Array(3)))).toThrow(
      /state\.strategyState\.cache is a Map/,
    );
  });
});

describe('checkEvolutionStrategy', () => {
  it('the reference strategy passes every check', () => {
    expect(checkEvolutionStrategy(createTestOpenAiEs())).toEqual([
      'contract shape',
      'ask returns populationSize * dimension finite values',
      'the same seed gives the same populations, another seed others',
      'ask and tell leave their input state and population untouched',
      'tell returns namespaced numeric metrics',
      'improves a sphere within 300 generations',
      'non-finite fitness is guarded: worst, counted, never the best; all non-finite is an error',
      'the state survives a JSON round trip and resumes bit for bit',
    ]);
  });

  it('catches a strategy that does not optimise, mutates its state, or keeps hidden state', () => {
    const base = createTestOpenAiEs();
    const randomSearch: EvolutionStrategy<TestEsState> = {
      ...base,
      kind: 'random-search',
      tell: (_population, _fitness, state) => ({
        state: { mean: Float32Array.from(state.mean) },
        metrics: {},
      }),
    };
    const error = (() => {
      try {
        checkEvolutionStrategy(randomSearch);
      } catch (caught) {
        return caught as EvolutionStrategyCheckError;
      }
      throw new Error('random search passed');
    })();
    expect(error).toBeInstanceOf(EvolutionStrategyCheckError);
    expect(error.failures).toHaveLength(1);
    expect(error.failures[0]).toMatch(/improves a sphere.*does not optimise/);

    const mutating: EvolutionStrategy<TestEsState> = {
      ...base,
      kind: 'mutating',
      tell(population, fitness, state) {
        const result = base.tell(population, fitness, state);
        state.mean.set(result.state.mean); // in place: the caller's state changes
        return { state: { mean: state.mean }, metrics: result.metrics };
      },
    };
    expect(() => checkEvolutionStrategy(mutating)).toThrow(/tell mutated the state it was given/);

    let calls = 0;
    const hidden: EvolutionStrategy<TestEsState> = {
      ...base,
      kind: 'hidden-state',
      ask(rng, state) {
        calls += 1; // state outside State: runs with equal seeds differ
        const asked = base.ask(rng, state);
        return { population: asked.population.map((v) => v + calls * 1e-3), state };
      },
    };
    expect(() => checkEvolutionStrategy(hidden)).toThrow(
      /generation 0 differs between two runs with equal seeds/,
    );
  });
});

// ── Population evaluation ─────────────────────────────────────────────────────────────────
const bandit = banditDistribution({ arms: 5 });

/** Reference: one member alone through the ordinary single-policy path. */
function evaluateAlone<Task>(
  policy: Policy,
  layout: ParamLayout,
  member: Float32Array,
  distribution: TaskDistribution<Task>,
  tasks: readonly Task[],
  episodesPerTask: number,
  seed: number,
  rng = createRng(seed),
  deterministic = true,
): Float32Array {
  const params = unflattenSolution(layout, member);
  const env = distribution.makeVectorEnv(
    tasks.flatMap((task) => Array.from({ length: episodesPerTask }, () => task)),
    { autoresetMode: 'disabled' },
  );
  const batch = collectEpisodes(env, createPolicyAgent(policy, params, { deterministic }), {
    episodesPerEnv: 1,
    rng,
    seed,
  });
  disposeParams(params);
  const totals = new Float64Array(tasks.length);
  for (let e = 0; e < batch.lengths.length; e += 1) {
    let total = 0;
    for (let s = batch.offsets[e]!; s < batch.offsets[e]! + batch.lengths[e]!; s += 1)
      total += batch.rewards[s]!;
    const task = Math.floor(e / episodesPerTask);
    totals[task] = totals[task]! + total;
  }
  return Float32Array.from(totals, (total) => total / episodesPerTask);
}

function perturbedPopulation(
  solution: Float32Array,
  members: number,
  scale: number,
  seed: number,
): Float32Array {
  const noise = createRng(seed).normal(members * solution.length);
  return Float32Array.from(noise, (v, i) => solution[i % solution.length]! + scale * v);
}

describe('evaluatePopulation', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('createInitialSolution, unflattenSolution and stackPopulation agree with flattenParams and stackParams', () => {
    const policy = createGaussianMlpPolicy({ observationSize: 2, actionSize: 2, hiddenSizes: [4] });
    const params = policy.init(createRng(3));
    const { solution, layout } = createInitialSolution(policy, createRng(3));
    expect(Array.from(solution)).toEqual(Array.from(flattenParams(params)));
    expect(layout.size).toBe(solution.length);
    expect(layout).toEqual(createParamLayout(params));
    const back = unflattenSolution(layout, solution);
    expect(Array.from(flattenParams(back))).toEqual(Array.from(solution));
    const population = perturbedPopulation(solution, 3, 1, 4);
    const members = [0, 1, 2].map((m) =>
      unflattenParams(params, population.slice(m * layout.size, (m + 1) * layout.size)),
    );
    const expected = stackParams(members);
    const stacked = stackPopulation(layout, population);
    expect(Array.from(flattenParams(stacked))).toEqual(Array.from(flattenParams(expected)));
    for (const tree of [params, back, expected, stacked, ...members]) disposeParams(tree);
    expect(() => stackPopulation(layout, population.subarray(1))).toThrow(/multiple of the layout's size/);
  });

  it('deterministic: each member gets exactly the returns it gets alone (same tasks, same environment seeds)', () => {
    const policy = createCategoricalMlpPolicy({ observationSize: 1, actions: 5, hiddenSizes: [8] });
    const { solution, layout } = createInitialSolution(policy, createRng(0));
    const members = 4;
    const population = perturbedPopulation(solution, members, 2, 1);
    const tasks = bandit.sampleTasks(3, { seed: 1 });
    const result = evaluatePopulation(population, {
      policy,
      layout,
      distribution: bandit,
      tasks,
      episodesPerTask: 6,
      seed: 11,
      deterministic: true,
    });
    expect(result.fitness).toHaveLength(members);
    expect(result.returnsPerTask).toHaveLength(members * 3);
    expect(result.steps).toBe(members * 3 * 6);
    const distinct = new Set<number>();
    for (let m = 0; m < members; m += 1) {
      const member = population.slice(m * layout.size, (m + 1) * layout.size);
      const alone = evaluateAlone(policy, layout, member, bandit, tasks, 6, 11);
      expect(Array.from(result.returnsPerTask.subarray(m * 3, (m + 1) * 3))).toEqual(Array.from(alone));
      expect(result.fitness[m]).toBeCloseTo(alone.reduce((a, b) => a + b, 0) / 3, 6);
      distinct.add(result.fitness[m]!);
    }
    expect(distinct.size).toBeGreaterThan(1); // the members really differ
  });

  it('deterministic on Navigation2D (Gaussian policy, per-member log-std) matches lone evaluation exactly', () => {
    const navigation = navigation2dDistribution();
    const policy = createGaussianMlpPolicy({ observationSize: 2, actionSize: 2, hiddenSizes: [8] });
    const { solution, layout } = createInitialSolution(policy, createRng(5));
    const population = perturbedPopulation(solution, 3, 0.5, 6);
    const tasks = navigation.sampleTasks(2, { seed: 3 });
    const result = evaluatePopulation(population, {
      policy,
      layout,
      distribution: navigation,
      tasks,
      seed: 4,
      deterministic: true,
      maxEpisodeSteps: 30,
    });
    for (let m = 0; m < 3; m += 1) {
      const member = population.slice(m * layout.size, (m + 1) * layout.size);
      const params = unflattenSolution(layout, member);
      const env = navigation.makeVectorEnv(tasks, { autoresetMode: 'disabled', maxEpisodeSteps: 30 });
      const batch = collectEpisodes(env, createPolicyAgent(policy, params, { deterministic: true }), {
        episodesPerEnv: 1,
        rng: createRng(0),
        seed: 4,
      });
      disposeParams(params);
      tasks.forEach((_task, t) => {
        let total = 0;
        for (let s = batch.offsets[t]!; s < batch.offsets[t]! + batch.lengths[t]!; s += 1)
          total += batch.rewards[s]!;
        expect(result.returnsPerTask[m * 2 + t]).toBe(Math.fround(total));
      });
    }
  });

  it('deterministic on CartPole (episodes that end at different times) matches lone evaluation exactly', () => {
    const cartPole = cartPoleDistribution();
    const policy = createCategoricalMlpPolicy({ observationSize: 4, actions: 2, hiddenSizes: [8] });
    const { solution, layout } = createInitialSolution(policy, createRng(7));
    const members = 4;
    const population = perturbedPopulation(solution, members, 1, 8);
    const tasks = cartPole.sampleTasks(2, { seed: 9 });
    const result = evaluatePopulation(population, {
      policy,
      layout,
      distribution: cartPole,
      tasks,
      episodesPerTask: 3,
      seed: 10,
      deterministic: true,
      maxEpisodeSteps: 200,
    });
    const lengths = new Set<number>();
    for (let m = 0; m < members; m += 1) {
      const member = population.slice(m * layout.size, (m + 1) * layout.size);
      const alone = evaluateAlone(policy, layout, member, cartPole, tasks, 3, 10);
      expect(Array.from(result.returnsPerTask.subarray(m * 2, (m + 1) * 2))).toEqual(Array.from(alone));
      for (const value of alone) lengths.add(value);
    }
    expect(lengths.size).toBeGreaterThan(2); // returns = episode lengths: they differ
    expect(result.steps).toBeLessThan(members * 2 * 3 * 200);
  });

  it('sampling: a member biased to the best arm gets the higher fitness; batched and lone agree in distribution', () => {
    const policy = createCategoricalMlpPolicy({ observationSize: 1, actions: 5, hiddenSizes: [] });
    const { solution, layout } = createInitialSolution(policy, createRng(0));
    const bias = layout.entries.find((entry) => entry.path === 'logits/output/bias')!;
    const favour = (arm: number) => {
      const member = Float32Array.from(solution);
      member[bias.offset + arm] = 3; // p(arm) = e^3 / (e^3 + 4) = 0.834
      return member;
    };
    const population = new Float32Array(3 * layout.size);
    population.set(favour(0), 0);
    population.set(favour(4), layout.size);
    population.set(solution, 2 * layout.size); // uniform
    const tasks: BanditTask[] = [{ probabilities: [0.1, 0.2, 0.3, 0.4, 0.9] }];
    const episodes = 400;
    const result = evaluatePopulation(population, {
      policy,
      layout,
      distribution: bandit,
      tasks,
      episodesPerTask: episodes,
      seed: 21,
      rng: createRng(22),
    });
    expect(result.fitness[1]).toBeGreaterThan(result.fitness[0]! + 0.4);
    expect(result.fitness[1]).toBeGreaterThan(result.fitness[2]!);
    // Expected return: sum over arms of p(arm) * probability[arm] (0.158, 0.792, 0.38).
    const favoured = Math.exp(3) / (Math.exp(3) + 4);
    const other = 1 / (Math.exp(3) + 4);
    const payoffs = tasks[0]!.probabilities;
    const total = payoffs.reduce((a, b) => a + b, 0);
    const expected = [
      favoured * payoffs[0]! + other * (total - payoffs[0]!),
      favoured * payoffs[4]! + other * (total - payoffs[4]!),
      total / 5,
    ];
    for (let m = 0; m < 3; m += 1) {
      const member = population.slice(m * layout.size, (m + 1) * layout.size);
      const alone = evaluateAlone(
        policy,
        layout,
        member,
        bandit,
        tasks,
        episodes,
        21,
        createRng(23),
        false,
      )[0]!;
      const standardError = Math.sqrt((expected[m]! * (1 - expected[m]!)) / episodes);
      expect(Math.abs(result.fitness[m]! - expected[m]!)).toBeLessThan(4 * standardError);
      expect(Math.abs(alone - result.fitness[m]!)).toBeLessThan(4 * Math.SQRT2 * standardError);
    }
  });

  it('argument errors name the argument and the expected form', () => {
    const policy = createCategoricalMlpPolicy({ observationSize: 1, actions: 5, hiddenSizes: [] });
    const { solution, layout } = createInitialSolution(policy, createRng(0));
    const base = { policy, layout, distribution: bandit, tasks: bandit.sampleTasks(1, { seed: 0 }), seed: 1 };
    expect(() => evaluatePopulation(solution.subarray(1), { ...base, deterministic: true })).toThrow(
      new RegExp(
        `population must be a non-empty Float32Array \\[members \\* ${layout.size}\\].*length ${layout.size - 1}`,
      ),
    );
    expect(() => evaluatePopulation(solution, base)).toThrow(
      /options\.rng .* is required unless options\.deterministic/,
    );
    expect(() => evaluatePopulation(solution, { ...base, tasks: [], deterministic: true })).toThrow(
      /options\.tasks must be a non-empty array of tasks, got an empty array/,
    );
    expect(() => evaluatePopulation(solution, { ...base, episodesPerTask: 0, deterministic: true })).toThrow(
      /episodesPerTask must be a positive integer, got 0/,
    );
  });

  it('the live tensor count stays flat across 20 evaluations', async () => {
    const policy = createGaussianMlpPolicy({ observationSize: 2, actionSize: 2, hiddenSizes: [8] });
    const navigation = navigation2dDistribution();
    const { solution, layout } = createInitialSolution(policy, createRng(0));
    const population = perturbedPopulation(solution, 4, 0.1, 2);
    const tasks = navigation.sampleTasks(2, { seed: 0 });
    const rng = createRng(9);
    const before = countLiveTensors();
    const growth = await measureTensorGrowth(
      (i) => {
        evaluatePopulation(population, {
          policy,
          layout,
          distribution: navigation,
          tasks,
          seed: i + 1,
          rng,
          maxEpisodeSteps: 10,
        });
      },
      { iterations: 20 },
    );
    expect(growth.after).toBe(growth.before);
    expect(countLiveTensors()).toBe(before);
  });
});

describe('README', () => {
  it('the evolution strategies example runs against the built package', async () => {
    const directory = join(__dirname, '..');
    const readme = readFileSync(join(directory, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Evolution strategies'));
    const example = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    expect(example, 'README.md has no ```ts block under "## Evolution strategies"').toBeDefined();
    const file = join(directory, '.readme-evolution-example.mts');
    writeFileSync(file, example!);
    try {
      const run = await runExample(directory, file);
      expect(meaningfulStderr(run)).toBe('');
      expect(run.status).toBe(0);
      expect(run.stdout).toMatch(
        /generation 30: mean fitness 0\.[6-9]\d, best (0\.[7-9]\d|1\.00), the mean's greedy return 0\.[89]\d/,
      );
    } finally {
      rmSync(file, { force: true });
    }
  }, 120_000);
});
