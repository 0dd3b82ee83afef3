/**
 * The configuration of `createMaml`: its documented type (paper symbols in brackets), its
 * defaults (pytorch-maml-rl's `configs/maml/2d-navigation.yaml`) and its validation.
 */
import {
  type ConfigValidator,
  createConfigValidator,
  defaultPpoSettings,
  type Policy,
  resolveTrpoSettings,
  type TrpoSettings,
} from '@metarl/core';
import type { TaskDistribution } from '@metarl/envs';

/** PPO as MAML's outer optimiser: full-batch epochs of Adam on the clipped surrogate, each through the whole adaptation. */
export interface MamlPpoOptions {
  /** epsilon of the clipped ratio; default core's `defaultPpoSettings.clipRange` (0.2). */
  readonly clipRange?: number;
  /** Adam steps per meta-iteration; default 5 (not core's 10: each is a full pass through the adaptation). */
  readonly epochs?: number;
  /** Adam's step size; default 3e-3. */
  readonly learningRate?: number;
}

/** Configuration of `createMaml` (defaults: pytorch-maml-rl's `2d-navigation.yaml`). */
export interface MamlConfig<Task> {
  /** Where the tasks' environments come from. */
  readonly distribution: TaskDistribution<Task>;
  /** The policy; its observation and action sizes must match the distribution's environments. */
  readonly policy: Policy;
  /** Seed of the initial parameters; default 0. */
  readonly seed?: number;
  /** Episodes per task, for each inner step and for the outer objective; default 20. */
  readonly episodesPerTask?: number;
  /** Inner (VPG) step size [alpha] ("fast-lr"); default 0.1. With Meta-SGD, the initial step sizes. */
  readonly innerStepSize?: number;
  /** Inner gradient steps, each on fresh episodes of the current adapted policy; default 1. */
  readonly innerSteps?: number;
  /** Drop the second-order terms of the meta-gradient (first-order MAML); default false. */
  readonly firstOrder?: boolean;
  /** Meta-SGD: learn one inner step size per parameter; default false. */
  readonly learnInnerStepSizes?: boolean;
  /** Discount [gamma]; default 0.99. */
  readonly gamma?: number;
  /** GAE [lambda] of both loops' advantages; default 1 (Monte-Carlo returns minus the baseline). */
  readonly lambda?: number;
  /** Outer optimiser; default 'trpo'. */
  readonly outerOptimizer?: 'trpo' | 'ppo';
  /** TRPO's options (defaults: core's `defaultTrpoSettings`, which are MAML's: max KL 0.01, damping 1e-5, 10 CG iterations, 15 line-search steps, ratio 0.8). */
  readonly trpo?: TrpoSettings;
  /** PPO's options when `outerOptimizer` is 'ppo'. */
  readonly ppo?: MamlPpoOptions;
}

/** The plain settings of a MAML learner (everything but the distribution and the policy), defaults filled in. */
export type MamlSettings = Required<Omit<MamlConfig<unknown>, 'distribution' | 'policy' | 'trpo' | 'ppo'>> & {
  readonly trpo: Required<TrpoSettings>;
  readonly ppo: Required<MamlPpoOptions>;
};

const OWNER = 'createMaml';

/** `config`'s settings over the defaults, checked (errors name `createMaml`, the field, the value and the expected form). */
export function resolveMamlSettings(config: MamlConfig<unknown>): MamlSettings {
  const settings: MamlSettings = {
    seed: config.seed ?? 0,
    episodesPerTask: config.episodesPerTask ?? 20,
    innerStepSize: config.innerStepSize ?? 0.1,
    innerSteps: config.innerSteps ?? 1,
    firstOrder: config.firstOrder ?? false,
    learnInnerStepSizes: config.learnInnerStepSizes ?? false,
    gamma: config.gamma ?? 0.99,
    lambda: config.lambda ?? 1,
    outerOptimizer: config.outerOptimizer ?? 'trpo',
    trpo: resolveTrpoSettings(OWNER, config.trpo),
    ppo: {
      clipRange: config.ppo?.clipRange ?? defaultPpoSettings.clipRange,
      epochs: config.ppo?.epochs ?? 5,
      learningRate: config.ppo?.learningRate ?? 3e-3,
    },
  };
  const check: ConfigValidator = createConfigValidator(OWNER);
  check.seed('seed', settings.seed);
  check.integer('episodesPerTask', settings.episodesPerTask);
  check.integer('innerSteps', settings.innerSteps);
  check.number('innerStepSize', settings.innerStepSize, { above: 0 });
  check.boolean('firstOrder', settings.firstOrder);
  check.boolean('learnInnerStepSizes', settings.learnInnerStepSizes);
  check.number('gamma', settings.gamma, { min: 0, max: 1 });
  check.number('lambda', settings.lambda, { min: 0, max: 1 });
  check.oneOf('outerOptimizer', settings.outerOptimizer, ['trpo', 'ppo']);
  check.number('ppo.clipRange', settings.ppo.clipRange, { above: 0 });
  check.integer('ppo.epochs', settings.ppo.epochs);
  check.number('ppo.learningRate', settings.ppo.learningRate, { above: 0 });
  return settings;
}

/** Throws unless `policy` can act in the environments of `distribution` (the message names both). */
export function checkPolicyFitsEnvironments<Task>(
  policy: Policy,
  distribution: TaskDistribution<Task>,
): void {
  const check = createConfigValidator(OWNER);
  const env = distribution.makeVectorEnv([distribution.defaultTask()], { autoresetMode: 'disabled' });
  const space = env.actionSpace;
  const discrete = space.shape.length === 0;
  const envActions = discrete ? `Discrete(${(space as { n: number }).n})` : `Box of size ${env.actionSize}`;
  const policyActions =
    policy.actionKind === 'discrete' ? `Discrete(${policy.actionSize})` : `Box of size ${policy.actionSize}`;
  if (policy.observationSize !== env.observationSize)
    check.fail(
      `the policy takes observations of size ${policy.observationSize} but ${env.id} gives ${env.observationSize}`,
    );
  if (envActions !== policyActions)
    check.fail(`the policy's actions are ${policyActions} but ${env.id}'s action space is ${envActions}`);
}
