import { join } from 'node:path';
import { describeExamples } from '../../../test-support/examples';

const expected: Record<string, RegExp> = {
  'bandit.ts': /UCB1 \(c = 0\.2\): 6\.\d\d ± 0\.\d\d per trial of 10 pulls/,
  'tabular-mdp.ts': /episode over after 10 steps[\s\S]*value-iteration oracle: \d+\.\d per trial/,
  'navigation-2d.ts': /reached goal \(.*\) in \d+ steps/,
  'cart-pole.ts': /pole half-length 0\.5, mass 0\.1: balanced for 500 steps/,
  'pendulum.ts': /returns of 8 damped pendulums over 200 steps: -\d+/,
};

await describeExamples(join(__dirname, '..'), expected);
