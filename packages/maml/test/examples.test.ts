import { join } from 'node:path';
import { describeExamples } from '../../../test-support/examples';

const expected: Record<string, RegExp> = {
  // Printed: checks pass; -13.20 before adaptation, -7.33 after one step.
  'custom-task-distribution.ts':
    /Target1D-v0 passes \d+ env checks and \d+ distribution checks[\s\S]*before adaptation -(\d+)\.\d\d, after one step -([0-9])\.\d\d\n/,
};

await describeExamples(join(__dirname, '..'), expected);
