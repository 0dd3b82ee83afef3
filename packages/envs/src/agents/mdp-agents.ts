/**
 * Reference agents for tabular MDPs (Duan et al. 2016, Table 2). Each plans a policy at the
 * start of every episode with finite-horizon value iteration on a model:
 * - random: uniformly random actions;
 * - greedy: the maximum-likelihood model (visited pairs: empirical rewards and transitions;
 *   unvisited pairs: reward 0, uniform transitions), no exploration bonus;
 * - posterior-mean greedy: the Bayesian posterior-mean model (optimistic about unvisited pairs,
 *   whose prior mean reward is 1);
 * - PSRL (Osband et al. 2013): one model drawn from the posterior per episode;
 * - the value-iteration oracle, which knows the task (an upper bound, not a learner).
 * Priors: Dirichlet(1, ..., 1) transitions and N(1, 1) reward means with known unit reward
 * noise, as the task distribution itself. They play through the `TabularMDP-v0` environment.
 */
import { describeValue } from '../describe-value';
import { type TabularMdpTask, tabularMdpDistribution } from '../distributions/tabular-mdp';
import { createRng, type Rng } from '../rng/rng';
import { argmaxRandomTies, sampleGamma } from './sampling';

/** A model the planners use: transition probabilities and reward means, same layout as a task. */
export interface TabularModel {
  /** P(s' | s, a) at (s * A + a) * S + s'. */
  readonly transitions: Float64Array;
  /** Mean reward at s * A + a. */
  readonly rewardMeans: Float64Array;
}

/** Everything observed so far in the trial. */
export interface MdpHistory {
  /** Visits of (s, a, s') at (s * A + a) * S + s'. */
  readonly transitionCounts: Int32Array;
  /** Visits of (s, a). */
  readonly visits: Int32Array;
  /** Sum of rewards observed at (s, a). */
  readonly rewardSums: Float64Array;
}

/** A tabular reference agent: a policy per episode (state x step -> action). */
export interface MdpAgent {
  /** Name for reports. */
  readonly name: string;
  /**
   * Called at each episode start: the action for every (step, state) of an episode of `horizon`
   * steps, as policy[step * S + state]. (`task` gives the sizes; only the oracle reads the rest.)
   */
  planEpisode(history: MdpHistory, task: TabularMdpTask, horizon: number, rng: Rng): Int32Array;
}

/** Finite-horizon value iteration: greedy policy[step * S + s] and the value of state 0. */
export function solveFiniteHorizon(
  model: TabularModel,
  states: number,
  actions: number,
  horizon: number,
  rng?: Rng,
): { policy: Int32Array; valueOfStart: number } {
  const policy = new Int32Array(horizon * states);
  let next = new Float64Array(states);
  const q = new Float64Array(actions);
  for (let step = horizon - 1; step >= 0; step -= 1) {
    const current = new Float64Array(states);
    for (let s = 0; s < states; s += 1) {
      for (let a = 0; a < actions; a += 1) {
        const row = (s * actions + a) * states;
        let expected = 0;
        for (let k = 0; k < states; k += 1) expected += model.transitions[row + k]! * next[k]!;
        q[a] = model.rewardMeans[s * actions + a]! + expected;
      }
      const best = rng ? argmaxRandomTies(q, rng) : q.indexOf(Math.max(...q));
      policy[step * states + s] = best;
      current[s] = q[best]!;
    }
    next = current;
  }
  return { policy, valueOfStart: next[0]! };
}

function maximumLikelihoodModel(history: MdpHistory, states: number, actions: number): TabularModel {
  const transitions = new Float64Array(states * actions * states);
  const rewardMeans = new Float64Array(states * actions);
  for (let sa = 0; sa < states * actions; sa += 1) {
    const visits = history.visits[sa]!;
    for (let k = 0; k < states; k += 1) {
      transitions[sa * states + k] =
        visits > 0 ? history.transitionCounts[sa * states + k]! / visits : 1 / states;
    }
    rewardMeans[sa] = visits > 0 ? history.rewardSums[sa]! / visits : 0;
  }
  return { transitions, rewardMeans };
}

function posteriorMeanModel(history: MdpHistory, states: number, actions: number): TabularModel {
  const transitions = new Float64Array(states * actions * states);
  const rewardMeans = new Float64Array(states * actions);
  for (let sa = 0; sa < states * actions; sa += 1) {
    const visits = history.visits[sa]!;
    for (let k = 0; k < states; k += 1)
      transitions[sa * states + k] = (1 + history.transitionCounts[sa * states + k]!) / (states + visits);
    rewardMeans[sa] = (1 + history.rewardSums[sa]!) / (1 + visits);
  }
  return { transitions, rewardMeans };
}

function posteriorSampleModel(history: MdpHistory, states: number, actions: number, rng: Rng): TabularModel {
  const transitions = new Float64Array(states * actions * states);
  const rewardMeans = new Float64Array(states * actions);
  for (let sa = 0; sa < states * actions; sa += 1) {
    let total = 0;
    for (let k = 0; k < states; k += 1) {
      const draw = sampleGamma(rng, 1 + history.transitionCounts[sa * states + k]!);
      transitions[sa * states + k] = draw;
      total += draw;
    }
    for (let k = 0; k < states; k += 1) transitions[sa * states + k]! /= total;
    const visits = history.visits[sa]!;
    const mean = (1 + history.rewardSums[sa]!) / (1 + visits);
    rewardMeans[sa] = mean + rng.nextNormal() / Math.sqrt(1 + visits);
  }
  return { transitions, rewardMeans };
}

/** Uniformly random actions. */
export function createRandomMdpAgent(): MdpAgent {
  return {
    name: 'random',
    planEpisode: (_history, task, horizon, rng) =>
      Int32Array.from({ length: horizon * task.states }, () => rng.nextInt(task.actions)),
  };
}

/** Greedy: the optimal policy of the maximum-likelihood model, replanned each episode. */
export function createGreedyMdpAgent(): MdpAgent {
  return {
    name: 'greedy',
    planEpisode: (history, task, horizon, rng) =>
      solveFiniteHorizon(
        maximumLikelihoodModel(history, task.states, task.actions),
        task.states,
        task.actions,
        horizon,
        rng,
      ).policy,
  };
}

/** Posterior-mean greedy: the optimal policy of the Bayesian posterior-mean model, replanned each episode. */
export function createPosteriorMeanMdpAgent(): MdpAgent {
  return {
    name: 'posterior-mean greedy',
    planEpisode: (history, task, horizon, rng) =>
      solveFiniteHorizon(
        posteriorMeanModel(history, task.states, task.actions),
        task.states,
        task.actions,
        horizon,
        rng,
      ).policy,
  };
}

/** PSRL: the optimal policy of one posterior draw, redrawn each episode. */
export function createPsrlMdpAgent(): MdpAgent {
  return {
    name: 'PSRL',
    planEpisode: (history, task, horizon, rng) =>
      solveFiniteHorizon(
        posteriorSampleModel(history, task.states, task.actions, rng),
        task.states,
        task.actions,
        horizon,
        rng,
      ).policy,
  };
}

/** The oracle: the optimal policy of the true task (an upper bound, not a learner). */
export function createOracleMdpAgent(): MdpAgent {
  return {
    name: 'value-iteration oracle',
    planEpisode: (_history, task, horizon) =>
      solveFiniteHorizon(
        {
          transitions: Float64Array.from(task.transitions),
          rewardMeans: Float64Array.from(task.rewardMeans),
        },
        task.states,
        task.actions,
        horizon,
      ).policy,
  };
}

/** Total reward of each trial of `episodes` episodes played by `agent` on `tasks`. */
export function playMdpTrials(
  agent: MdpAgent,
  tasks: readonly TabularMdpTask[],
  options: { readonly episodes: number; readonly episodeLength?: number; readonly seed: number },
): Float64Array {
  const { episodes, seed } = options;
  const episodeLength = options.episodeLength ?? 10;
  if (!Number.isInteger(episodes) || episodes < 1)
    throw new RangeError(
      `playMdpTrials: episodes must be a positive integer, got ${describeValue(episodes)}`,
    );
  const first = tasks[0];
  if (first === undefined) return new Float64Array(0);
  const { states, actions } = first;
  const distribution = tabularMdpDistribution({ states, actions, episodeLength });
  const totals = new Float64Array(tasks.length);
  const agentRng = createRng(seed);
  tasks.forEach((task, trial) => {
    const env = distribution.makeEnv(task);
    const history: MdpHistory = {
      transitionCounts: new Int32Array(states * actions * states),
      visits: new Int32Array(states * actions),
      rewardSums: new Float64Array(states * actions),
    };
    for (let episode = 0; episode < episodes; episode += 1) {
      const policy = agent.planEpisode(history, task, episodeLength, agentRng);
      let state = env.reset(episode === 0 ? { seed: seed * 1_000_003 + trial } : {}).observation.indexOf(1);
      for (let step = 0; step < episodeLength; step += 1) {
        const action = policy[step * states + state]!;
        const result = env.step(action);
        const next = result.observation.indexOf(1);
        const sa = state * actions + action;
        history.visits[sa]! += 1;
        history.rewardSums[sa]! += result.reward;
        history.transitionCounts[sa * states + next]! += 1;
        totals[trial]! += result.reward;
        state = next;
      }
    }
  });
  return totals;
}
