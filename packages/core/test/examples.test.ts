import { join } from 'node:path';
import { describeExamples } from '../../../test-support/examples';

const expected: Record<string, RegExp> = {
  // Printed: -143.4 at iteration 1, -12.6 at iteration 15 (a return above -40 is clear learning).
  'custom-policy.ts':
    /linear Gaussian policy, TRPO on Navigation2D: mean return -1\d\d\.\d at iteration 1, -([0-9]|[1-3][0-9])\.\d at iteration 15\n/,
  'ppo-cartpole.ts': /PPO CartPole-v1: mean return (19[5-9]|[2-9]\d\d) after \d+ environment steps/,
  'meta-training.ts':
    /metrics\.csv and checkpoint\/ to [\s\S]*after 0 adaptation step\(s\): -\d+\.\d ± \d+\.\d[\s\S]*after 1 adaptation step\(s\)/,
};

await describeExamples(join(__dirname, '..'), expected);
