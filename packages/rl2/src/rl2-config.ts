/**
 * The configuration of `createRl2`: documented options (the paper's symbols where there is one),
 * their defaults, and their checks. PPO and TRPO start from core's one set of defaults
 * (`defaultPpoSettings`, `defaultTrpoSettings`); the values RL² overrides are listed with the
 * reason beside them.
 */
import {
  type ConfigValidator,
  createConfigValidator,
  type PpoSettings,
  type RecurrentPolicy,
  resolvePpoSettings,
  resolveTrpoSettings,
  type TrpoSettings,
} from '@metarl/core';
import type { TaskDistribution } from '@metarl/envs';

/** PPO options of RL²: core's `PpoSettings` over minibatches of whole trials, and Adam's step size. */
export interface Rl2PpoOptions extends Omit<PpoSettings, 'minibatchSize'> {
  /** epsilon of the clipped ratio; default 0.2 (core's). */
  readonly clipRange?: number;
  /** Passes over the trials of a step; default 4. */
  readonly epochs?: number;
  /** Minibatches of whole trials per epoch; default 4. */
  readonly minibatches?: number;
  /** Adam's step size; default 1e-2 (measured: 1e-3 and 3e-3 learn bandits and MDPs much more slowly). */
  readonly learningRate?: number;
  /** Weight of the value loss (in the value head's normalised units); default 0.5 (core's). */
  readonly valueCoefficient?: number;
  /** Weight of the entropy bonus; default 0.01. */
  readonly entropyCoefficient?: number;
  /** Global gradient-norm clip; default 1. */
  readonly maxGradientNorm?: number;
}

/** TRPO options of RL²: core's `trpoStep` on the policy, then Adam on the value head. */
export interface Rl2TrpoOptions extends TrpoSettings {
  /** Full-batch Adam steps on the value head after each TRPO step; default 50. */
  readonly valueSteps?: number;
  /** Their step size; default 1e-2. */
  readonly valueLearningRate?: number;
}

/** Configuration of `createRl2`. */
export interface Rl2Config<Task> {
  /** Where the tasks' environments come from. */
  readonly distribution: TaskDistribution<Task>;
  /** Episodes per trial n (the hidden state is kept across them); required, >= 1. */
  readonly episodesPerTrial: number;
  /** GRU state size when `policy` is not given; default 128 (the paper's is 256; 128 learns as well here at a quarter of the recurrent cost). */
  readonly hiddenSize?: number;
  /** A recurrent policy over trial inputs (`trialInputSize`); default a GRU of `hiddenSize`. */
  readonly policy?: RecurrentPolicy;
  /** Seed of the initial parameters; default 0. */
  readonly seed?: number;
  /** Discount gamma, across episode boundaries inside a trial; default 0.99. */
  readonly gamma?: number;
  /** GAE lambda; default 0.3. */
  readonly lambda?: number;
  /** Standardise advantages over each step's trials; default true. */
  readonly normalizeAdvantages?: boolean;
  /** Outer optimiser; default 'ppo'. */
  readonly outerOptimizer?: 'ppo' | 'trpo';
  /** PPO's options. */
  readonly ppo?: Rl2PpoOptions;
  /** TRPO's options when `outerOptimizer` is 'trpo'. */
  readonly trpo?: Rl2TrpoOptions;
}

/** The plain settings of an RL² learner (everything but the distribution and the policy). */
export type Rl2Settings = Required<Omit<Rl2Config<unknown>, 'distribution' | 'policy' | 'ppo' | 'trpo'>> & {
  readonly ppo: Required<Rl2PpoOptions>;
  readonly trpo: Required<Rl2TrpoOptions>;
};

/**
 * RL²'s PPO values over core's defaults: 4 epochs of 4 minibatches of whole trials (a step has
 * a few hundred trials, not thousands of samples), Adam 1e-2, entropy 0.01, gradient norm 1;
 * the bandit and MDP figures of the README were measured with them.
 */
const RL2_PPO = { epochs: 4, minibatches: 4, entropyCoefficient: 0.01, maxGradientNorm: 1 } as const;

/**
 * RL²'s TRPO damping over core's 1e-5: 1e-3, with which RL²'s TRPO option was introduced and
 * measured (the core default has not been measured on RL²'s GRU); kept so that runs repeat.
 */
const RL2_TRPO_DAMPING = 1e-3;

/** `config` with defaults filled in, checked; errors start with `createRl2:` and name the field. */
export function resolveRl2Settings(config: Rl2Config<unknown>): Rl2Settings {
  const check: ConfigValidator = createConfigValidator('createRl2');
  const ppo = resolvePpoSettings('createRl2', { ...RL2_PPO, ...definedFields(config.ppo) });
  const trpo = resolveTrpoSettings('createRl2', {
    ...config.trpo,
    damping: config.trpo?.damping ?? RL2_TRPO_DAMPING,
  });
  const settings: Rl2Settings = {
    episodesPerTrial: config.episodesPerTrial,
    hiddenSize: config.policy?.hiddenSize ?? config.hiddenSize ?? 128,
    seed: config.seed ?? 0,
    gamma: config.gamma ?? 0.99,
    lambda: config.lambda ?? 0.3,
    normalizeAdvantages: config.normalizeAdvantages ?? true,
    outerOptimizer: config.outerOptimizer ?? 'ppo',
    ppo: {
      clipRange: ppo.clipRange,
      epochs: ppo.epochs,
      minibatches: ppo.minibatches!,
      learningRate: config.ppo?.learningRate ?? 1e-2,
      valueCoefficient: ppo.valueCoefficient,
      entropyCoefficient: ppo.entropyCoefficient,
      maxGradientNorm: ppo.maxGradientNorm,
    },
    trpo: {
      ...trpo,
      valueSteps: config.trpo?.valueSteps ?? 50,
      valueLearningRate: config.trpo?.valueLearningRate ?? 1e-2,
    },
  };
  check.integer('episodesPerTrial', settings.episodesPerTrial);
  check.integer('hiddenSize', settings.hiddenSize);
  check.seed('seed', settings.seed);
  check.number('gamma', settings.gamma, { min: 0, max: 1 });
  check.number('lambda', settings.lambda, { min: 0, max: 1 });
  check.boolean('normalizeAdvantages', settings.normalizeAdvantages);
  check.oneOf('outerOptimizer', settings.outerOptimizer, ['ppo', 'trpo']);
  check.number('ppo.learningRate', settings.ppo.learningRate, { above: 0 });
  check.integer('trpo.valueSteps', settings.trpo.valueSteps);
  check.number('trpo.valueLearningRate', settings.trpo.valueLearningRate, { above: 0 });
  return settings;
}

/** The fields of `options` that are not undefined (so that they do not hide a default). */
function definedFields<T extends object>(options: T | undefined): Partial<T> {
  return Object.fromEntries(
    Object.entries(options ?? {}).filter(([, value]) => value !== undefined),
  ) as Partial<T>;
}
