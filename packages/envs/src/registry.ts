import { describeValue } from './describe-value';
import { banditDistribution } from './distributions/bandit';
import { cartPoleDistribution } from './distributions/cart-pole';
import { navigation2dDistribution } from './distributions/navigation-2d';
import { navigation2dFourCornersDistribution } from './distributions/navigation-2d-four-corners';
import { pendulumDistribution } from './distributions/pendulum';
import { tabularMdpDistribution } from './distributions/tabular-mdp';
import type { TaskDistribution } from './task-distribution';

type Factory = (options: Record<string, unknown>) => TaskDistribution<unknown>;

const registry = new Map<string, Factory>([
  ['Bandit-v0', banditDistribution as Factory],
  ['TabularMDP-v0', tabularMdpDistribution as Factory],
  ['Navigation2D-v1', navigation2dDistribution as Factory],
  ['Navigation2DFourCorners-v0', navigation2dFourCornersDistribution as Factory],
  ['CartPole-v1', cartPoleDistribution as Factory],
  ['Pendulum-v1', pendulumDistribution as Factory],
]);

/** Ids that were replaced by a new version: what to use instead and why. */
const retired = new Map<string, string>([
  [
    'Navigation2D-v0',
    "replaced by 'Navigation2D-v1', which matches pytorch-maml-rl's float32 positions and float64 goals exactly",
  ],
]);

/** Registers a distribution factory under `id` (options are the factory's, e.g. `{ arms: 5 }`). */
export function registerTaskDistribution<Task>(
  id: `${string}-v${number}`,
  factory: (options: Record<string, unknown>) => TaskDistribution<Task>,
): void {
  if (!/^[A-Za-z0-9_.]+-v\d+$/.test(id)) {
    throw new RangeError(`registerTaskDistribution: id must look like 'Name-v0', got ${describeValue(id)}`);
  }
  registry.set(id, factory as Factory);
}

/** The ids that `makeTaskDistribution` knows, sorted. */
export function listTaskDistributions(): string[] {
  return [...registry.keys()].sort();
}

/**
 * The distribution registered under `id`, built with `options`.
 *
 * @example
 * const bandits = makeTaskDistribution('Bandit-v0', { arms: 5 });
 * const tasks = bandits.sampleTasks(20, { seed: 1 });
 */
export function makeTaskDistribution<Task = unknown>(
  id: string,
  options: Record<string, unknown> = {},
): TaskDistribution<Task> {
  const factory = registry.get(id);
  if (factory === undefined) {
    const why = retired.get(id);
    throw new RangeError(
      `makeTaskDistribution: ${why === undefined ? 'unknown' : 'retired'} id ${describeValue(id)}${why === undefined ? '' : ` (${why})`}; known: ${listTaskDistributions().join(', ')}`,
    );
  }
  return factory(options) as TaskDistribution<Task>;
}
