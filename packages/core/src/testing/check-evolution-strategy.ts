/**
 * `checkEvolutionStrategy`: the contract checks every evolution strategy runs. Contract shape,
 * finite populations of the right size, determinism under a seed, pure `ask`/`tell` (input
 * state untouched), namespaced metrics, progress on a sphere, the runner's NaN guard around the
 * strategy, and a JSON checkpoint that resumes bit for bit.
 */
import { createRng, createRngFromState, type Rng } from '@metarl/envs';
import {
  createEvolutionRunner,
  type EvolutionRunner,
  type EvolutionState,
} from '../evolution/evolution-runner';
import type { EvolutionStrategy } from '../evolution/evolution-strategy';
import { encodePlainValue } from '../evolution/plain-value';
import type { FitnessShaping } from '../evolution/shape-fitness';

/** Raised by `checkEvolutionStrategy`; `failures` lists what went wrong. */
export class EvolutionStrategyCheckError extends Error {
  override readonly name = 'EvolutionStrategyCheckError';
  /** One line per failed check. */
  readonly failures: readonly string[];

  constructor(kind: string, failures: readonly string[]) {
    super(`checkEvolutionStrategy(${kind}) failed ${failures.length} check(s):\n- ${failures.join('\n- ')}`);
    this.failures = failures;
  }
}

/** Options of `checkEvolutionStrategy`. */
export interface CheckEvolutionStrategyOptions {
  /** Search dimension of the checks; default 8. */
  readonly dimension?: number;
  /** Seed of the checks; default 0. */
  readonly seed?: number;
  /** Fitness shaping of the runner; default the strategy's own, else 'centered-ranks'. */
  readonly fitnessShaping?: FitnessShaping;
  /** Generations allowed on the sphere; default 300. */
  readonly generations?: number;
  /** The sphere check passes when the loss at the strategy's mean falls to at most this fraction of the initial loss; default 0.25. */
  readonly requiredLossRatio?: number;
  /** Offset of the sphere's optimum from the initial solution, on every coordinate; default 1. */
  readonly optimumOffset?: number;
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}

function snapshot(value: unknown): string {
  return JSON.stringify(encodePlainValue(value, 'state'));
}

/** -||x - optimum||² for each member (higher is better). */
function sphereFitness(population: Float32Array, optimum: Float32Array): Float64Array {
  const dimension = optimum.length;
  const members = population.length / dimension;
  return Float64Array.from({ length: members }, (_v, m) => {
    let loss = 0;
    for (let j = 0; j < dimension; j += 1) loss += (population[m * dimension + j]! - optimum[j]!) ** 2;
    return -loss;
  });
}

/**
 * Runs the checks on `strategy` (through `createEvolutionRunner`). Throws an
 * `EvolutionStrategyCheckError` listing every failed check; returns the names of the passed ones.
 *
 * @example
 * checkEvolutionStrategy(createOpenAiEs({ populationSize: 16, sigma: 0.1, learningRate: 0.05 }));
 */
export function checkEvolutionStrategy<State>(
  strategy: EvolutionStrategy<State>,
  options: CheckEvolutionStrategyOptions = {},
): string[] {
  const dimension = options.dimension ?? 8;
  const seed = options.seed ?? 0;
  const generations = options.generations ?? 300;
  const requiredRatio = options.requiredLossRatio ?? 0.25;
  const offset = options.optimumOffset ?? 1;
  const failures: string[] = [];
  const passed: string[] = [];
  const check = (name: string, body: () => void) => {
    try {
      body();
      passed.push(name);
    } catch (error) {
      failures.push(`${name}: ${(error as Error).message}`);
    }
  };
  const assert = (condition: boolean, message: string) => {
    if (!condition) throw new Error(message);
  };
  const kind = typeof strategy?.kind === 'string' ? strategy.kind : String(strategy?.kind);
  const initial = Float32Array.from({ length: dimension }, (_v, j) => 0.1 * (j % 3));
  const optimum = Float32Array.from(initial, (v) => v + offset);
  const runnerOptions =
    options.fitnessShaping === undefined ? {} : { fitnessShaping: options.fitnessShaping };

  let runner: EvolutionRunner<State> | undefined;
  check('contract shape', () => {
    assert(typeof strategy.kind === 'string' && strategy.kind.length > 0, 'kind must be a non-empty string');
    assert(
      Number.isInteger(strategy.populationSize) && strategy.populationSize >= 1,
      `populationSize must be a positive integer, got ${String(strategy.populationSize)}`,
    );
    for (const method of ['init', 'ask', 'tell', 'mean'] as const) {
      assert(typeof strategy[method] === 'function', `${method} is not a function`);
    }
    runner = createEvolutionRunner(strategy, runnerOptions);
  });
  if (runner === undefined) throw new EvolutionStrategyCheckError(kind, failures);
  const run = runner;
  const size = run.populationSize;

  /** `count` generations on the sphere from `state`, drawing with `rng`. */
  const advance = (state: EvolutionState<State>, rng: Rng, count: number) => {
    const populations: Float32Array[] = [];
    for (let g = 0; g < count; g += 1) {
      const asked = run.ask(rng, state);
      populations.push(asked.population);
      state = run.tell(asked.population, sphereFitness(asked.population, optimum), asked.state).state;
    }
    return { state, populations };
  };

  check('ask returns populationSize * dimension finite values', () => {
    const state = run.init(createRng(seed), initial);
    const { population } = run.ask(createRng(seed + 1), state);
    assert(population.length === size * dimension, `population has length ${population.length}`);
    assert(
      population.every((v) => Number.isFinite(v)),
      'population holds a non-finite value',
    );
    const centre = run.mean(state);
    assert(
      centre.length === dimension && centre.every((v) => Number.isFinite(v)),
      'mean(state) is not a finite vector of the dimension',
    );
  });

  check('the same seed gives the same populations, another seed others', () => {
    const a = advance(run.init(createRng(seed), initial), createRng(seed + 2), 3);
    const b = advance(run.init(createRng(seed), initial), createRng(seed + 2), 3);
    a.populations.forEach((population, g) => {
      assert(
        sameBits(population, b.populations[g]!),
        `generation ${g} differs between two runs with equal seeds`,
      );
    });
    assert(snapshot(a.state) === snapshot(b.state), 'the states differ after two runs with equal seeds');
    const c = advance(run.init(createRng(seed), initial), createRng(seed + 3), 1);
    assert(
      !sameBits(a.populations[0]!, c.populations[0]!),
      'ask with another rng gave the same population: sampling must draw from the rng it is given',
    );
  });

  check('ask and tell leave their input state and population untouched', () => {
    const state = run.init(createRng(seed), initial);
    const before = snapshot(state);
    const asked = run.ask(createRng(seed + 4), state);
    assert(snapshot(state) === before, 'ask mutated the state it was given');
    const askedBefore = snapshot(asked.state);
    const populationBefore = Float32Array.from(asked.population);
    const told = run.tell(asked.population, sphereFitness(asked.population, optimum), asked.state);
    assert(snapshot(asked.state) === askedBefore, 'tell mutated the state it was given');
    assert(sameBits(asked.population, populationBefore), 'tell mutated the population it was given');
    assert(told.state !== asked.state, 'tell returned the same state object');
    assert(told.state.generation === asked.state.generation + 1, 'the generation counter did not advance');
  });

  check('tell returns namespaced numeric metrics', () => {
    const asked = run.ask(createRng(seed + 5), run.init(createRng(seed), initial));
    const { metrics } = run.tell(asked.population, sphereFitness(asked.population, optimum), asked.state);
    for (const [key, value] of Object.entries(metrics)) {
      assert(/^[A-Za-z][A-Za-z0-9_-]*\/[A-Za-z0-9_.]+$/.test(key), `metric key '${key}' is not 'group/name'`);
      assert(typeof value === 'number', `metric '${key}' is not a number`);
    }
    assert(metrics['es/nanCount'] === 0, 'es/nanCount is missing or not 0');
  });

  check(`improves a sphere within ${generations} generations`, () => {
    const lossAt = (x: Float32Array) => -sphereFitness(x, optimum)[0]!;
    const start = run.init(createRng(seed), initial);
    const initialLoss = lossAt(run.mean(start));
    const { state } = advance(start, createRng(seed + 6), generations);
    const finalLoss = lossAt(run.mean(state));
    assert(
      finalLoss <= requiredRatio * initialLoss,
      `the loss ||mean - optimum||² went from ${initialLoss.toFixed(4)} to ${finalLoss.toFixed(4)}, more than ${requiredRatio} of the start (dimension ${dimension}, optimum at +${offset} per coordinate); the strategy does not optimise, or needs more generations (options.generations)`,
    );
    assert(
      state.bestFitness > -initialLoss,
      `the best fitness ${state.bestFitness} is no better than the initial solution's ${-initialLoss}`,
    );
  });

  check('non-finite fitness is guarded: worst, counted, never the best; all non-finite is an error', () => {
    const seen: Float32Array[] = [];
    const spy = createEvolutionRunner<State>(
      {
        kind: strategy.kind,
        populationSize: strategy.populationSize,
        ...(strategy.fitnessShaping === undefined ? {} : { fitnessShaping: strategy.fitnessShaping }),
        init: (rng, solution) => strategy.init(rng, solution),
        ask: (rng, state) => strategy.ask(rng, state),
        tell: (population, fitness, state) => {
          seen.push(Float32Array.from(fitness));
          return strategy.tell(population, fitness, state);
        },
        mean: (state) => strategy.mean(state),
      },
      runnerOptions,
    );
    const asked = spy.ask(createRng(seed + 7), spy.init(createRng(seed), initial));
    if (size >= 2) {
      const fitness = sphereFitness(asked.population, optimum);
      const bad = size >= 3 ? [0, 1] : [0];
      fitness[0] = Number.NaN;
      if (size >= 3) fitness[1] = -Infinity;
      const told = spy.tell(asked.population, fitness, asked.state);
      assert(
        told.metrics['es/nanCount'] === bad.length,
        `es/nanCount is ${told.metrics['es/nanCount']}, expected ${bad.length}`,
      );
      assert(
        seen[0]!.every((v) => Number.isFinite(v)),
        'the strategy was given a non-finite fitness',
      );
      const worst = Math.min(...seen[0]!);
      for (const i of bad) {
        assert(seen[0]![i] === worst, `member ${i} (non-finite fitness) was not shaped as the worst`);
      }
      assert(Number.isFinite(told.state.bestFitness), 'the best fitness is not finite');
      const bestMember = fitness.indexOf(told.state.bestFitness);
      assert(!bad.includes(bestMember), 'a member with non-finite fitness became the best');
      assert(
        sameBits(
          told.state.bestSolution,
          asked.population.slice(bestMember * dimension, (bestMember + 1) * dimension),
        ),
        'bestSolution is not the member with the best finite fitness',
      );
      assert(
        spy.mean(told.state).every((v) => Number.isFinite(v)),
        'the mean is not finite after a generation with non-finite fitness',
      );
    }
    let message = '';
    try {
      spy.tell(asked.population, new Float32Array(size).fill(Number.NaN), asked.state);
    } catch (error) {
      message = (error as Error).message;
    }
    assert(/generation/.test(message), `an all-NaN generation did not raise an error naming the generation`);
  });

  check('the state survives a JSON round trip and resumes bit for bit', () => {
    const rng = createRng(seed + 8);
    const first = advance(run.init(createRng(seed), initial), rng, 3);
    const saved = JSON.stringify({ evolution: run.toCheckpoint(first.state), rng: rng.getState() });
    const loaded = JSON.parse(saved) as { evolution: unknown; rng: Parameters<typeof createRngFromState>[0] };
    const restored = run.fromCheckpoint(loaded.evolution);
    assert(snapshot(restored) === snapshot(first.state), 'the restored state differs from the saved one');
    const continued = advance(first.state, rng, 3);
    const resumed = advance(restored, createRngFromState(loaded.rng), 3);
    continued.populations.forEach((population, g) => {
      assert(
        sameBits(population, resumed.populations[g]!),
        `generation ${g + 3} after the restore differs from the run without it`,
      );
    });
    assert(
      snapshot(continued.state) === snapshot(resumed.state),
      'the state after the restore diverged from the run without it',
    );
  });

  if (failures.length > 0) throw new EvolutionStrategyCheckError(kind, failures);
  return passed;
}
