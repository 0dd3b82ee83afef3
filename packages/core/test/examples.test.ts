import { join } from 'node:path';
import { describeExamples } from '../../../test-support/examples';

const expected: Record<string, RegExp> = {
  'ppo-cartpole.ts': /PPO CartPole-v1: mean return (19[5-9]|[2-9]\d\d) after \d+ environment steps/,
  'meta-training.ts':
    /metrics\.csv and checkpoint\/ to [\s\S]*after 0 adaptation step\(s\): -\d+\.\d ± \d+\.\d[\s\S]*after 1 adaptation step\(s\)/,
};

await describeExamples(join(__dirname, '..'), expected);
