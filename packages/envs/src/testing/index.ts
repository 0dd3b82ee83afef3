/**
 * @metarl/envs/testing: contract checks every environment and task distribution passes.
 */
export { type CheckEnvOptions, checkEnv, EnvCheckError } from './check-env';
export { type CheckTaskDistributionOptions, checkTaskDistribution } from './check-task-distribution';
