/**
 * The options every trial learner shares (RL², SNAIL, MANN: a memory-carrying policy trained by
 * PPO or TRPO over whole trials): documented, with defaults and checks. PPO and TRPO start from
 * core's one set of defaults (`defaultPpoSettings`, `defaultTrpoSettings`); the values trial
 * learners override are listed with the reason beside them, and a learner may override them
 * again (`TrialLearnerDefaults`).
 */
import type { ConfigValidator } from '../config/validate-config';
import { createConfigValidator } from '../config/validate-config';
import { type PpoSettings, resolvePpoSettings } from '../rl/ppo';
import { resolveTrpoSettings, type TrpoSettings } from '../rl/trpo';

/** PPO options of a trial learner: core's `PpoSettings` over minibatches of whole trials, and Adam's step size. */
export interface TrialPpoOptions extends Omit<PpoSettings, 'minibatchSize'> {
  /** epsilon of the clipped ratio; default 0.2 (core's). */
  readonly clipRange?: number;
  /** Passes over the trials of a step; default 4. */
  readonly epochs?: number;
  /** Minibatches of whole trials per epoch; default 4. */
  readonly minibatches?: number;
  /** Adam's step size; default 1e-2 (RL²'s measured setting; a learner may set its own). */
  readonly learningRate?: number;
  /** Weight of the value loss (in the value head's normalised units); default 0.5 (core's). */
  readonly valueCoefficient?: number;
  /** Weight of the entropy bonus; default 0.01. */
  readonly entropyCoefficient?: number;
  /** Global gradient-norm clip; default 1. */
  readonly maxGradientNorm?: number;
}

/** TRPO options of a trial learner: core's `trpoStep` on the policy, then Adam on the value head. */
export interface TrialTrpoOptions extends TrpoSettings {
  /** Full-batch Adam steps on the value head after each TRPO step; default 50. */
  readonly valueSteps?: number;
  /** Their step size; default 1e-2. */
  readonly valueLearningRate?: number;
}

/** The options of a trial learner's training (the architecture's options are the learner's own). */
export interface TrialLearnerConfig {
  /** Episodes per trial n (the memory is kept across them); required, >= 1. */
  readonly episodesPerTrial: number;
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
  readonly ppo?: TrialPpoOptions;
  /** TRPO's options when `outerOptimizer` is 'trpo'. */
  readonly trpo?: TrialTrpoOptions;
}

/** The training settings of a trial learner with every default filled in. */
export type TrialLearnerSettings = Required<Omit<TrialLearnerConfig, 'ppo' | 'trpo'>> & {
  readonly ppo: Required<TrialPpoOptions>;
  readonly trpo: Required<TrialTrpoOptions>;
};

/** A learner's own defaults over the trial learners' (e.g. another PPO step size). */
export interface TrialLearnerDefaults {
  /** PPO values replacing the trial learners' defaults. */
  readonly ppo?: TrialPpoOptions;
  /** GAE lambda replacing 0.3. */
  readonly lambda?: number;
}

/**
 * The trial learners' PPO values over core's defaults: 4 epochs of 4 minibatches of whole trials
 * (a step has a few hundred trials, not thousands of samples), Adam 1e-2, entropy 0.01, gradient
 * norm 1; RL²'s bandit and MDP figures were measured with them.
 */
const TRIAL_PPO = {
  epochs: 4,
  minibatches: 4,
  entropyCoefficient: 0.01,
  maxGradientNorm: 1,
  learningRate: 1e-2,
} as const;

/**
 * TRPO damping over core's 1e-5: 1e-3, with which RL²'s TRPO option was introduced and measured
 * (the core default has not been measured on recurrent policies); kept so that runs repeat.
 */
const TRIAL_TRPO_DAMPING = 1e-3;

/**
 * `config`'s training options with defaults filled in (`defaults` over the trial learners'),
 * checked; errors start with `owner` (e.g. 'createRl2') and name the field.
 */
export function resolveTrialLearnerSettings(
  owner: string,
  config: TrialLearnerConfig,
  defaults: TrialLearnerDefaults = {},
): TrialLearnerSettings {
  const check: ConfigValidator = createConfigValidator(owner);
  const ppoOptions = { ...TRIAL_PPO, ...definedFields(defaults.ppo), ...definedFields(config.ppo) };
  const { learningRate, ...ppoSettings } = ppoOptions;
  const ppo = resolvePpoSettings(owner, ppoSettings);
  const trpo = resolveTrpoSettings(owner, {
    ...config.trpo,
    damping: config.trpo?.damping ?? TRIAL_TRPO_DAMPING,
  });
  const settings: TrialLearnerSettings = {
    episodesPerTrial: config.episodesPerTrial,
    seed: config.seed ?? 0,
    gamma: config.gamma ?? 0.99,
    lambda: config.lambda ?? defaults.lambda ?? 0.3,
    normalizeAdvantages: config.normalizeAdvantages ?? true,
    outerOptimizer: config.outerOptimizer ?? 'ppo',
    ppo: {
      clipRange: ppo.clipRange,
      epochs: ppo.epochs,
      minibatches: ppo.minibatches!,
      learningRate,
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
