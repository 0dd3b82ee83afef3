/**
 * pnpm bench envs [-- --out <file>] [-- --seconds <s>]
 *
 * Environment steps per second, one thread: a single `Env` (step + reset at episode ends, with
 * the per-step allocations of its API) and a `VectorEnv` of 1, 64 and 1024 environments of
 * different tasks (autoreset 'next-step'), for every distribution. Actions are drawn before the
 * clock starts, so the figure is the environments' own cost including input validation.
 */
import { createRng, listTaskDistributions, makeTaskDistribution, type TaskDistribution } from '@metarl/envs';
import { describeMachine, readFlags, report } from './shared';

const started = performance.now();
const { seconds } = readFlags('envs', {
  seconds: { type: 'number', default: 0.5, minimum: 0, description: 'seconds of stepping per measurement' },
});
const widths = [1, 64, 1024];
const options: Record<string, Record<string, unknown>> = { 'Bandit-v0': { arms: 5 } };

function actionPool(
  distribution: TaskDistribution<unknown>,
  width: number,
  count: number,
): (Float32Array | Int32Array)[] {
  const env = distribution.makeVectorEnv(distribution.sampleTasks(width, { seed: 1 }));
  const rng = createRng(2);
  return Array.from({ length: count }, () => {
    const space = env.actionSpace;
    if (space.shape.length === 0)
      return Int32Array.from({ length: width }, () => space.sample(rng) as number);
    const actions = new Float32Array(width * env.actionSize);
    for (let i = 0; i < width; i += 1) actions.set(space.sample(rng) as Float32Array, i * env.actionSize);
    return actions;
  });
}

/** Steps per second of `step`, each call advancing `stepsPerCall` environment steps. */
function measure(step: (iteration: number) => void, stepsPerCall: number): number {
  for (let i = 0; i < 200; i += 1) step(i);
  let iterations = 0;
  const t0 = performance.now();
  let elapsed = 0;
  while (elapsed < seconds * 1000) {
    for (let i = 0; i < 100; i += 1) step(iterations + i);
    iterations += 100;
    elapsed = performance.now() - t0;
  }
  return (iterations * stepsPerCall) / (elapsed / 1000);
}

const results: Record<string, unknown>[] = [];
for (const id of listTaskDistributions()) {
  const distribution = makeTaskDistribution(id, options[id] ?? {});
  const single = distribution.makeEnv(distribution.sampleTasks(1, { seed: 0 })[0]);
  single.reset({ seed: 0 });
  const singleActions = actionPool(distribution, 1, 64).map((a) =>
    single.actionSpace.shape.length === 0 ? a[0]! : Float32Array.from(a),
  );
  const singleRate = measure((i) => {
    const result = single.step(singleActions[i % 64]!);
    if (result.terminated || result.truncated) single.reset();
  }, 1);
  const row: Record<string, unknown> = { distribution: id, singleEnvStepsPerSecond: Math.round(singleRate) };
  for (const width of widths) {
    const env = distribution.makeVectorEnv(distribution.sampleTasks(width, { seed: 0 }));
    env.reset({ seed: 0 });
    const pool = actionPool(distribution, width, 64);
    row[`vector${width}StepsPerSecond`] = Math.round(measure((i) => env.step(pool[i % 64]!), width));
  }
  results.push(row);
  console.error(
    `${id.padEnd(16)} single ${(singleRate / 1e6).toFixed(2)}M/s  ${widths.map((w) => `vector ${w}: ${((row[`vector${w}StepsPerSecond`] as number) / 1e6).toFixed(2)}M/s`).join('  ')}`,
  );
}

report({
  name: 'envs',
  config: { widths, secondsPerMeasurement: seconds, autoresetMode: 'next-step', options },
  backend: 'none (plain TypeScript, one thread)',
  machine: describeMachine(),
  wallSeconds: Number(((performance.now() - started) / 1000).toFixed(1)),
  results,
});
