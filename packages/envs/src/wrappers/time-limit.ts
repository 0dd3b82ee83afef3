import { describeValue } from '../describe-value';
import type { Env, Info, StepResult } from '../env';

/**
 * Truncates episodes after `maxEpisodeSteps` steps (Gymnasium's `TimeLimit`): the step that
 * reaches the limit returns `truncated: true`, also when it terminated (then both are true). The
 * built-in environments already carry their reference limits; use this to impose another.
 */
export class TimeLimit<Observation, Action> implements Env<Observation, Action> {
  readonly id: string;
  readonly observationSpace: Env<Observation, Action>['observationSpace'];
  readonly actionSpace: Env<Observation, Action>['actionSpace'];
  /** The imposed limit. */
  readonly maxEpisodeSteps: number;
  private readonly env: Env<Observation, Action>;
  private steps = 0;

  constructor(env: Env<Observation, Action>, maxEpisodeSteps: number) {
    if (!Number.isInteger(maxEpisodeSteps) || maxEpisodeSteps < 1) {
      throw new RangeError(
        `TimeLimit(${env.id}): maxEpisodeSteps must be a positive integer, got ${describeValue(maxEpisodeSteps)}`,
      );
    }
    this.env = env;
    this.id = env.id;
    this.observationSpace = env.observationSpace;
    this.actionSpace = env.actionSpace;
    this.maxEpisodeSteps = maxEpisodeSteps;
  }

  reset(options?: { readonly seed?: number }): { observation: Observation; info: Info } {
    this.steps = 0;
    return this.env.reset(options);
  }

  step(action: Action): StepResult<Observation> {
    const result = this.env.step(action);
    this.steps += 1;
    if (this.steps >= this.maxEpisodeSteps && !result.truncated) {
      return { ...result, truncated: true };
    }
    return result;
  }
}
