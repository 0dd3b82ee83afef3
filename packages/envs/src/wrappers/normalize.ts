import { describeValue } from '../describe-value';
import type { Env, EnvAction, Info, StepResult } from '../env';
import { checkFiniteStep } from '../non-finite-value-error';
import { RunningMeanVariance } from './running-statistics';

/**
 * Observations standardised by a running mean and variance (Gymnasium's
 * `NormalizeObservation`): (o - mean) / sqrt(var + epsilon), statistics updated on every
 * observation while `training` is true. Freeze them (`training = false`) for evaluation. A
 * non-finite observation from the wrapped env raises a `NonFiniteValueError`.
 */
export class NormalizeObservation implements Env<Float32Array, EnvAction> {
  readonly id: string;
  readonly observationSpace: Env<Float32Array, EnvAction>['observationSpace'];
  readonly actionSpace: Env<Float32Array, EnvAction>['actionSpace'];
  /** The running statistics. */
  readonly statistics: RunningMeanVariance;
  /** Update the statistics on new observations; default true. */
  training = true;
  private readonly env: Env<Float32Array, EnvAction>;
  private readonly epsilon: number;
  private steps = 0;

  constructor(env: Env<Float32Array, EnvAction>, options: { readonly epsilon?: number } = {}) {
    this.env = env;
    this.id = env.id;
    this.observationSpace = env.observationSpace;
    this.actionSpace = env.actionSpace;
    this.epsilon = options.epsilon ?? 1e-8;
    const size = env.observationSpace.shape.reduce((p, d) => p * d, 1);
    this.statistics = new RunningMeanVariance(size);
  }

  private normalise(observation: Float32Array, step: number | 'reset'): Float32Array {
    // A non-finite observation would poison the statistics for good: refuse it first.
    checkFiniteStep(
      { where: 'NormalizeObservation', envId: this.id, step },
      undefined,
      observation,
      0,
      observation.length,
    );
    if (this.training) this.statistics.update(observation, 1);
    const { mean, variance } = this.statistics;
    return observation.map((o, j) => (o - mean[j]!) / Math.sqrt(variance[j]! + this.epsilon));
  }

  reset(options?: { readonly seed?: number }): { observation: Float32Array; info: Info } {
    const { observation, info } = this.env.reset(options);
    this.steps = 0;
    return { observation: this.normalise(observation, 'reset'), info };
  }

  step(action: EnvAction): StepResult<Float32Array> {
    const result = this.env.step(action);
    this.steps += 1;
    return { ...result, observation: this.normalise(result.observation, this.steps) };
  }
}

/**
 * Rewards scaled by the running standard deviation of the discounted return (Gymnasium's
 * `NormalizeReward`): r / sqrt(var(G) + epsilon), G <- gamma G + r, reset at episode ends. A
 * non-finite reward from the wrapped env raises a `NonFiniteValueError`.
 */
export class NormalizeReward<Observation, Action> implements Env<Observation, Action> {
  readonly id: string;
  readonly observationSpace: Env<Observation, Action>['observationSpace'];
  readonly actionSpace: Env<Observation, Action>['actionSpace'];
  /** Running statistics of the discounted return. */
  readonly statistics = new RunningMeanVariance(1);
  /** Update the statistics; default true. */
  training = true;
  private readonly env: Env<Observation, Action>;
  private readonly gamma: number;
  private readonly epsilon: number;
  private discountedReturn = 0;
  private steps = 0;

  constructor(
    env: Env<Observation, Action>,
    options: { readonly gamma?: number; readonly epsilon?: number } = {},
  ) {
    const gamma = options.gamma ?? 0.99;
    if (!(gamma >= 0 && gamma <= 1))
      throw new RangeError(
        `NormalizeReward(${env.id}): gamma must be in [0, 1], got ${describeValue(gamma)}`,
      );
    this.env = env;
    this.id = env.id;
    this.observationSpace = env.observationSpace;
    this.actionSpace = env.actionSpace;
    this.gamma = gamma;
    this.epsilon = options.epsilon ?? 1e-8;
  }

  reset(options?: { readonly seed?: number }): { observation: Observation; info: Info } {
    this.discountedReturn = 0;
    this.steps = 0;
    return this.env.reset(options);
  }

  step(action: Action): StepResult<Observation> {
    const result = this.env.step(action);
    this.steps += 1;
    // A non-finite reward would poison the return statistics for good: refuse it first.
    checkFiniteStep({ where: 'NormalizeReward', envId: this.id, step: this.steps }, result.reward, [], 0, 0);
    this.discountedReturn = this.gamma * this.discountedReturn + result.reward;
    if (this.training) this.statistics.update([this.discountedReturn], 1);
    const reward = result.reward / Math.sqrt(this.statistics.variance[0]! + this.epsilon);
    if (result.terminated || result.truncated) this.discountedReturn = 0;
    return { ...result, reward };
  }
}
