/**
 * pnpm bench cma-es [-- --out <file>] [-- --sections counts,rastrigin-40,timing] [-- --seeds 11]
 *
 * CMA-ES (@metarl/evolution-strategies' `minimize`, pycma 4.x defaults) on the protocol of
 * docs/benchmarks.md section 4c: seeds 0..seeds-1, target f <= 1e-8, evaluations counted by
 * whole generations as pycma counts them.
 *
 * - counts: sphere n = 10, 40 (x0 ~ U[-3, 3]^n, sigma0 2); Rosenbrock n = 10, 40 (x0 = 0.1 ones,
 *   sigma0 0.3; the known local minimum f = 3.99 is a failure); Rastrigin n = 10 with IPOP
 *   (x0 ~ U[-5.12, 5.12]^n drawn again at each restart, sigma0 2.5, up to 9 restarts).
 * - rastrigin-40: Rastrigin n = 40 with IPOP, 5 seeds (long: minutes).
 * - timing: wall time per 10-D Rosenbrock run, ours against DEAP's `cma.Strategy`
 *   (benchmarks/peers/evolution/deap_cma.py, timed inside its process), alternating rounds;
 *   needs python3-deap (`/usr/bin/python3 -c 'import deap'`), else it says so.
 *
 * Evaluation counts do not depend on timing. The peers' figures (pycma 4.4.0, DEAP 1.3.1,
 * cmaes 0.9.1) live in docs/benchmarks.md section 4c; they are printed beside ours on stderr and
 * the JSON carries only our figures and the ratios to pycma.
 */
import { spawnSync } from 'node:child_process';
import { minimize } from '@metarl/evolution-strategies';
import { describeMachine, median, readFlags, report } from './shared';

const started = performance.now();
const flags = readFlags('cma-es', {
  sections: {
    type: 'strings',
    default: ['counts'],
    description: 'sections to run: counts, rastrigin-40, timing',
  },
  seeds: { type: 'integer', default: 11, minimum: 1, description: 'seeds of the counts section' },
  rastrigin40Seeds: {
    type: 'integer',
    default: 5,
    minimum: 1,
    description: 'seeds of the rastrigin-40 section',
  },
  timingRounds: {
    type: 'integer',
    default: 3,
    minimum: 1,
    description: 'alternating rounds of the timing section',
  },
  timingRuns: {
    type: 'integer',
    default: 3,
    minimum: 1,
    description: 'runs per side and round of the timing section',
  },
});
for (const section of flags.sections) {
  if (!['counts', 'rastrigin-40', 'timing'].includes(section)) {
    throw new Error(`pnpm bench cma-es: --sections takes counts, rastrigin-40, timing; got '${section}'`);
  }
}

const TARGET = 1e-8;

function sphere(x: Float32Array): number {
  let sum = 0;
  for (const v of x) sum += v * v;
  return sum;
}

function rosenbrock(x: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < x.length - 1; i += 1) sum += 100 * (x[i]! ** 2 - x[i + 1]!) ** 2 + (1 - x[i]!) ** 2;
  return sum;
}

function rastrigin(x: Float32Array): number {
  let sum = 10 * x.length;
  for (const v of x) sum += v * v - 10 * Math.cos(2 * Math.PI * v);
  return sum;
}

/** Peer figures of docs/benchmarks.md section 4c (median evaluations; successes out of 11 or 5). */
const PEERS: Record<string, { pycma: number; deap?: number; cmaes?: number; pycmaSuccesses?: string }> = {
  'sphere-10': { pycma: 1450, deap: 1400, cmaes: 1450 },
  'sphere-40': { pycma: 5100, deap: 5085, cmaes: 5220 },
  'rosenbrock-10': { pycma: 4850, deap: 5600, cmaes: 5050, pycmaSuccesses: '11/11' },
  'rosenbrock-40': { pycma: 60570, deap: 79140, cmaes: 60945, pycmaSuccesses: '10/11' },
  'rastrigin-10-ipop': { pycma: 84923, pycmaSuccesses: '11/11' },
  'rastrigin-40-ipop': { pycma: 839869, pycmaSuccesses: '5/5' },
};

interface Problem {
  readonly name: string;
  readonly objective: (x: Float32Array) => number;
  readonly dimension: number;
  readonly sigma: number;
  readonly initial: 'uniform-3' | 'rosenbrock' | 'uniform-5.12';
  readonly ipop: boolean;
}

function runProblem(problem: Problem, seeds: number) {
  const runs = [];
  const t0 = performance.now();
  for (let seed = 0; seed < seeds; seed += 1) {
    const n = problem.dimension;
    const result = minimize(
      problem.objective,
      problem.initial === 'rosenbrock'
        ? new Array<number>(n).fill(0.1)
        : (rng) => {
            const half = problem.initial === 'uniform-3' ? 3 : 5.12;
            return Array.from({ length: n }, () => -half + 2 * half * rng.next());
          },
      {
        sigma: problem.sigma,
        seed,
        target: TARGET,
        ...(problem.ipop ? { restarts: 'ipop' as const, maxRestarts: 9 } : {}),
      },
    );
    runs.push({
      seed,
      evaluations: result.evaluations,
      value: result.value,
      success: result.value <= TARGET,
      restarts: result.restarts,
      stopReasons: result.stopReasons,
      ...(problem.ipop ? { populationSizes: result.runs.map((r) => r.populationSize) } : {}),
    });
  }
  const successes = runs.filter((r) => r.success);
  const medianAll = median(runs.map((r) => r.evaluations));
  const medianSuccessful = successes.length > 0 ? median(successes.map((r) => r.evaluations)) : null;
  const peer = PEERS[problem.name];
  const row = {
    problem: problem.name,
    dimension: problem.dimension,
    sigma0: problem.sigma,
    restarts: problem.ipop ? 'ipop, up to 9' : 'none',
    seeds,
    successes: successes.length,
    medianEvaluationsSuccessful: medianSuccessful,
    medianEvaluationsAll: medianAll,
    ratioToPycma:
      peer && medianSuccessful !== null ? Number((medianSuccessful / peer.pycma).toFixed(3)) : null,
    failures: runs
      .filter((r) => !r.success)
      .map((r) => ({ seed: r.seed, value: r.value, stopReasons: r.stopReasons })),
    seconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
    runs,
  };
  const peerText = peer
    ? `pycma ${peer.pycma}${peer.pycmaSuccesses ? ` (${peer.pycmaSuccesses})` : ''}, DEAP ${peer.deap ?? '-'}, cmaes ${peer.cmaes ?? '-'}`
    : '';
  console.error(
    `${problem.name}: ${successes.length}/${seeds} reached ${TARGET}, median evaluations ${medianSuccessful} (all runs ${medianAll}), ratio to pycma ${row.ratioToPycma} | ${peerText} [docs/benchmarks.md 4c] (${row.seconds} s)`,
  );
  return row;
}

const sections: Record<string, unknown> = {};
if (flags.sections.includes('counts')) {
  const problems: Problem[] = [
    { name: 'sphere-10', objective: sphere, dimension: 10, sigma: 2, initial: 'uniform-3', ipop: false },
    { name: 'sphere-40', objective: sphere, dimension: 40, sigma: 2, initial: 'uniform-3', ipop: false },
    {
      name: 'rosenbrock-10',
      objective: rosenbrock,
      dimension: 10,
      sigma: 0.3,
      initial: 'rosenbrock',
      ipop: false,
    },
    {
      name: 'rosenbrock-40',
      objective: rosenbrock,
      dimension: 40,
      sigma: 0.3,
      initial: 'rosenbrock',
      ipop: false,
    },
    {
      name: 'rastrigin-10-ipop',
      objective: rastrigin,
      dimension: 10,
      sigma: 2.5,
      initial: 'uniform-5.12',
      ipop: true,
    },
  ];
  sections.counts = problems.map((problem) => runProblem(problem, flags.seeds));
}
if (flags.sections.includes('rastrigin-40')) {
  sections.rastrigin40 = runProblem(
    {
      name: 'rastrigin-40-ipop',
      objective: rastrigin,
      dimension: 40,
      sigma: 2.5,
      initial: 'uniform-5.12',
      ipop: true,
    },
    flags.rastrigin40Seeds,
  );
}
if (flags.sections.includes('timing')) {
  const python = '/usr/bin/python3';
  const probe = spawnSync(python, ['-c', 'import deap'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    console.error(
      'timing: DEAP is not importable (apt-get install python3-deap); recorded figure (docs/benchmarks.md 4c): DEAP 0.77 s per 10-D Rosenbrock run, cmaes 1.12 s, pycma 1.65 s',
    );
    sections.timing = { skipped: 'python3-deap not importable' };
  } else {
    const script = new URL('../peers/evolution/deap_cma.py', import.meta.url).pathname;
    const ours: number[] = [];
    const theirs: number[] = [];
    const oneRun = (seed: number) =>
      minimize(rosenbrock, new Array<number>(10).fill(0.1), { sigma: 0.3, seed, target: TARGET });
    oneRun(1000); // warm-up
    for (let round = 0; round < flags.timingRounds; round += 1) {
      for (let run = 0; run < flags.timingRuns; run += 1) {
        const t0 = performance.now();
        oneRun(round * flags.timingRuns + run);
        ours.push((performance.now() - t0) / 1000);
      }
      const peer = spawnSync(
        python,
        [script, '--runs', String(flags.timingRuns), '--seed', String(round * flags.timingRuns)],
        { encoding: 'utf8' },
      );
      if (peer.status !== 0) throw new Error(`timing: ${script} failed: ${peer.stderr}`);
      theirs.push(
        ...(JSON.parse(peer.stdout.trim().split('\n').pop()!) as { secondsPerRun: number[] }).secondsPerRun,
      );
    }
    const ourMedian = median(ours);
    const theirMedian = median(theirs);
    sections.timing = {
      problem: 'rosenbrock-10, x0 = 0.1 ones, sigma0 0.3, until f <= 1e-8',
      oursSecondsPerRun: ours.map((s) => Number(s.toFixed(3))),
      deapSecondsPerRun: theirs.map((s) => Number(s.toFixed(3))),
      oursMedianSeconds: Number(ourMedian.toFixed(3)),
      deapMedianSeconds: Number(theirMedian.toFixed(3)),
      ratioOursToDeap: Number((ourMedian / theirMedian).toFixed(2)),
    };
    console.error(
      `timing: ours ${ourMedian.toFixed(3)} s, DEAP ${theirMedian.toFixed(3)} s per 10-D Rosenbrock run (ratio ${(ourMedian / theirMedian).toFixed(2)})`,
    );
  }
}

report({
  name: 'cma-es',
  config: {
    implementation: '@metarl/evolution-strategies minimize (CMA-ES, pycma 4.x defaults, active)',
    target: TARGET,
    evaluationsCounted: 'whole generations, as pycma',
    peersSource: 'docs/benchmarks.md section 4c (pycma 4.4.0, DEAP 1.3.1, cmaes 0.9.1)',
    sections: flags.sections,
  },
  machine: describeMachine(),
  wallSeconds: Number(((performance.now() - started) / 1000).toFixed(1)),
  ...sections,
});
