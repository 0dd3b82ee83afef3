/**
 * pnpm bench mann-oneshot -- --minutes 15 --sigma 1 --model mann|lstm|both [--out <file>]
 *
 * MANN (Santoro et al. 2016) against an LSTM of the same controller size on synthetic one-shot
 * episodes (`sampleSyntheticEpisodes`: 5 classes x 10 instances = 50 steps, prototypes N(0, I/400)
 * in R^400, instances prototype + sigma N(0, I/400), the previous step's label as a one-hot input). Each model
 * trains for a wall-time budget (`--minutes`, per model; or `--steps` training steps) with batch 16 and Adam 1e-3 (the paper's),
 * then is evaluated on `--test-episodes` (default 1,000) fresh episodes: accuracy by instance
 * index (entry k = the (k+1)-th presentation of a class; the paper's Table 1 columns). The
 * learning curve evaluates on `--curve-episodes` fresh episodes every `--evaluate-every` steps.
 * Also: `--seed`, `--backend` (default wasm), `--threads`, `--batch`, `--learning-rate`,
 * `--controller`, `--slots`, `--width`, `--heads`, `--write-vector key|add`, `--key-strength
 * none|learned`, `--initial-key-strength β`, `--read-memory previous|written`, `--reads-zeroed`
 * (adds the ablation as a third model), and the episode sizes `--classes`, `--instances`,
 * `--dimension` (defaults: the protocol's 5, 10, 400).
 */
import { createRng, useBackend } from '@metarl/core';
import {
  createMannNetwork,
  createOneShotLearner,
  type MannMemoryMode,
  sampleSyntheticEpisodes,
} from '@metarl/memory-augmented';
import { describeMachine, readFlags, report } from './shared';

const flags = readFlags('mann-oneshot', {
  minutes: { type: 'number', default: 15, minimum: 0, description: 'training wall time per model, minutes' },
  steps: {
    type: 'integer',
    default: 0,
    minimum: 0,
    description: 'training steps per model instead of a wall time (0: use --minutes)',
  },
  sigma: { type: 'number', default: 1, minimum: 0, description: 'instance noise around the class prototype' },
  model: {
    type: 'string',
    default: 'both',
    choices: ['mann', 'lstm', 'both'],
    description: 'which models to train',
  },
  'reads-zeroed': { type: 'boolean', default: false, description: "also train the 'reads-zeroed' ablation" },
  batch: { type: 'integer', default: 16, minimum: 1, description: 'episodes per training step' },
  'learning-rate': { type: 'number', default: 1e-3, minimum: 0, description: 'Adam learning rate' },
  controller: { type: 'integer', default: 200, minimum: 1, description: 'LSTM controller units' },
  slots: { type: 'integer', default: 128, minimum: 1, description: 'memory slots N' },
  width: { type: 'integer', default: 40, minimum: 1, description: 'memory width M' },
  heads: { type: 'integer', default: 4, minimum: 1, description: 'read (= write) heads' },
  'write-vector': {
    type: 'string',
    default: 'key',
    choices: ['key', 'add'],
    description: "what a head writes: its key (the paper's equation) or a separate add vector",
  },
  'key-strength': {
    type: 'string',
    default: 'none',
    choices: ['none', 'learned'],
    description: "read sharpness: the paper's plain cosine softmax, or a learned key strength (NTM's beta)",
  },
  'initial-key-strength': {
    type: 'number',
    default: 1 + Math.LN2,
    minimum: 1,
    description:
      'with --key-strength learned, the beta every head starts at (> 1; default 1 + ln 2, a zero bias)',
  },
  'read-memory': {
    type: 'string',
    default: 'previous',
    choices: ['previous', 'written'],
    description: "which memory a read compares its keys with: before or after this step's write",
  },
  classes: { type: 'integer', default: 5, minimum: 2, description: 'classes per episode' },
  instances: { type: 'integer', default: 10, minimum: 1, description: 'instances per class' },
  dimension: { type: 'integer', default: 400, minimum: 1, description: 'features per instance' },
  'test-episodes': {
    type: 'integer',
    default: 1000,
    minimum: 1,
    description: 'fresh episodes of the final test',
  },
  'curve-episodes': {
    type: 'integer',
    default: 200,
    minimum: 1,
    description: 'fresh episodes per curve point',
  },
  'evaluate-every': {
    type: 'integer',
    default: 100,
    minimum: 1,
    description: 'training steps between curve points',
  },
  seed: { type: 'integer', default: 1, minimum: 0, description: 'seed of params and training episodes' },
  backend: { type: 'string', default: 'wasm', description: 'tensor backend (wasm, cpu, ...)' },
  threads: { type: 'integer', default: 1, minimum: 1, description: 'wasm threads' },
});
const backendInfo = await useBackend(flags.backend, { threads: flags.threads });
const episodeOptions = {
  classes: flags.classes,
  instancesPerClass: flags.instances,
  dimension: flags.dimension,
  sigma: flags.sigma,
};
const modes: [string, MannMemoryMode][] = [];
if (flags.model !== 'lstm') modes.push(['mann', 'on']);
if (flags.model !== 'mann') modes.push(['lstm', 'none']);
if (flags['reads-zeroed']) modes.push(['mann-reads-zeroed', 'reads-zeroed']);
const round = (values: ArrayLike<number>) => Array.from(values, (v) => Number(v.toFixed(4)));

const results: Record<string, unknown> = {};
for (const [name, memory] of modes) {
  const model = createMannNetwork({
    inputSize: flags.dimension + flags.classes,
    outputSize: flags.classes,
    controllerSize: flags.controller,
    memorySlots: flags.slots,
    memoryWidth: flags.width,
    heads: flags.heads,
    memory,
    writeVector: flags['write-vector'] as 'key' | 'add',
    keyStrength: flags['key-strength'] as 'none' | 'learned',
    initialKeyStrength: flags['initial-key-strength'],
    readMemory: flags['read-memory'] as 'previous' | 'written',
  });
  const learner = createOneShotLearner({ model, learningRate: flags['learning-rate'], seed: flags.seed });
  const trainingRng = createRng(flags.seed * 7919 + 17);
  const curve: { step: number; seconds: number; loss: number; accuracyByInstance: number[] }[] = [];
  const budgetMs = flags.minutes * 60_000;
  const started = performance.now();
  let trainingMs = 0;
  let losses: number[] = [];
  let step = 0;
  const trainingLeft = () => (flags.steps > 0 ? step < flags.steps : trainingMs < budgetMs || step === 0);
  while (trainingLeft()) {
    const batch = sampleSyntheticEpisodes(flags.batch, trainingRng, episodeOptions);
    const t0 = performance.now();
    losses.push(learner.trainStep(batch));
    trainingMs += performance.now() - t0;
    step += 1;
    if (step % flags['evaluate-every'] === 0) {
      // Fresh episodes each time (their own seed per point), not timed as training.
      const accuracy = learner.evaluate(
        sampleSyntheticEpisodes(flags['curve-episodes'], createRng(1_000_000 + step), episodeOptions),
      );
      const loss = losses.reduce((p, v) => p + v, 0) / losses.length;
      losses = [];
      curve.push({
        step,
        seconds: Number((trainingMs / 1000).toFixed(1)),
        loss: Number(loss.toFixed(4)),
        accuracyByInstance: round(accuracy),
      });
      console.error(
        `${name} step ${step} (${(trainingMs / 1000).toFixed(0)} s): loss ${loss.toFixed(3)}, accuracy by instance ${round(accuracy).join(' ')}`,
      );
    }
  }
  // The test: fresh episodes from a seed training never draws from, in chunks of 100.
  const testRng = createRng(424_242);
  const totals = new Float64Array(flags.instances);
  let evaluated = 0;
  for (let remaining = flags['test-episodes']; remaining > 0; remaining -= 100) {
    const count = Math.min(100, remaining);
    const accuracy = learner.evaluate(sampleSyntheticEpisodes(count, testRng, episodeOptions));
    for (let k = 0; k < flags.instances; k += 1) totals[k]! += accuracy[k]! * count;
    evaluated += count;
  }
  results[name] = {
    memory,
    parameters: model.parameterCount,
    steps: step,
    trainingSeconds: Number((trainingMs / 1000).toFixed(1)),
    secondsPerStep: Number((trainingMs / 1000 / step).toFixed(3)),
    wallSeconds: Number(((performance.now() - started) / 1000).toFixed(1)),
    test: { episodes: evaluated, accuracyByInstance: round(totals.map((t) => t / evaluated)) },
    curve,
  };
  learner.dispose();
}

report({
  name: 'mann-oneshot',
  config: {
    episodes: { ...episodeOptions, steps: flags.classes * flags.instances },
    writeVector: flags['write-vector'],
    keyStrength: flags['key-strength'],
    ...(flags['key-strength'] === 'learned' ? { initialKeyStrength: flags['initial-key-strength'] } : {}),
    readMemory: flags['read-memory'],
    ...(flags.steps > 0 ? { stepsPerModel: flags.steps } : { minutesPerModel: flags.minutes }),
    batch: flags.batch,
    optimizer: { kind: 'adam', learningRate: flags['learning-rate'] },
    controllerSize: flags.controller,
    memory: { slots: flags.slots, width: flags.width, heads: flags.heads, usageDecay: 0.95 },
    testEpisodes: flags['test-episodes'],
    curveEpisodes: flags['curve-episodes'],
    evaluateEvery: flags['evaluate-every'],
    seed: flags.seed,
  },
  backend: flags.backend,
  threads: backendInfo.threads,
  machine: describeMachine(),
  results,
});
