import { describe, expect, it } from 'vitest';
import { FlagError, parseFlags } from '../src/shared';

const spec = {
  iterations: { type: 'integer', default: 30, minimum: 1, description: 'meta-iterations' },
  trials: { type: 'integer', default: null, minimum: 1, description: 'trials (default by task)' },
  rate: { type: 'number', default: 0.1, minimum: 0, description: 'learning rate' },
  task: { type: 'string', default: 'bandit', choices: ['bandit', 'tabular-mdp'], description: 'task' },
  seeds: { type: 'integers', default: [1], description: 'seeds' },
} as const;

describe('parseFlags', () => {
  it('reads every form and keeps defaults', () => {
    const parsed = parseFlags('demo', spec, [
      '--',
      '--iterations',
      '5',
      '--rate=0.5',
      '--seeds',
      '1,2,3',
      '--out',
      'x.json',
    ]);
    expect(parsed.values).toEqual({
      iterations: 5,
      trials: null,
      rate: 0.5,
      task: 'bandit',
      seeds: [1, 2, 3],
    });
    expect(parsed.out).toBe('x.json');
    expect(parsed.help).toBe(false);
    expect(parseFlags('demo', spec, ['-h']).help).toBe(true);
  });

  it.each([
    [
      ['--iteration', '5'],
      'pnpm bench demo: unknown flag --iteration; known flags: --iterations, --trials, --rate, --task, --seeds, --out (see --help)',
    ],
    [['--iterations', '-1'], "pnpm bench demo: --iterations must be an integer >= 1, got '-1' (see --help)"],
    [
      ['--iterations', '2.5'],
      "pnpm bench demo: --iterations must be an integer >= 1, got '2.5' (see --help)",
    ],
    [['--rate', 'fast'], "pnpm bench demo: --rate must be a number >= 0, got 'fast' (see --help)"],
    [['--task', 'mdp'], "pnpm bench demo: --task must be one of bandit, tabular-mdp, got 'mdp' (see --help)"],
    [['--seeds', '1,x'], "pnpm bench demo: --seeds must be an integer, got '1,x' (see --help)"],
    [['--iterations'], 'pnpm bench demo: --iterations needs a value (see --help)'],
    [['--iterations', '--rate', '1'], 'pnpm bench demo: --iterations needs a value (see --help)'],
    [['--rate', '1', '--rate', '2'], 'pnpm bench demo: --rate is given twice (see --help)'],
    [['5'], "pnpm bench demo: unexpected argument '5' (see --help)"],
  ])('rejects %j', (argv, message) => {
    expect(() => parseFlags('demo', spec, argv)).toThrow(FlagError);
    expect(() => parseFlags('demo', spec, argv)).toThrow(message);
  });
});
