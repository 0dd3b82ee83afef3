/**
 * The job and result formats of distributed fitness: plain JSON values, versioned, that a worker
 * on another machine turns back into a fitness evaluation without any user code. A job names a
 * registered task distribution, a policy architecture and the members to evaluate (explicit
 * vectors, or an antithetic slice θ ± σ·ε_k rebuilt from two integers); a result carries one
 * return per member and the job's key, so that the master accepts exactly one result per
 * (run, generation, chunk) and can check it.
 *
 * Validators reject a malformed job or result with an error that names the field, the value and
 * the expected form (`validateFitnessJob`, `validateFitnessResult`).
 */
import type { Activation } from '@metarl/core';

/** Identifies one job: chunk `chunk` of generation `generation` of run `run`. */
export interface FitnessJobKey {
  /** Names the run: letters, digits, '_' and '-', 1 to 64 characters (part of queue job ids). */
  readonly run: string;
  /** Generation number, an integer >= 0. */
  readonly generation: number;
  /** Chunk number within the generation, an integer >= 0. */
  readonly chunk: number;
}

/** A JSON value (what a task distribution's options and explicit tasks may hold). */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/** A float32 vector in a job: little-endian float32 bytes in base64, or plain numbers. */
export type EncodedVector =
  | { readonly encoding: 'base64-float32'; readonly data: string }
  | readonly number[];

/** What a worker needs to rebuild the fitness function: no user code, only registered names. */
export interface ProblemSpec {
  /** A task distribution registered with `@metarl/envs`' `registerTaskDistribution` (in the worker too). */
  readonly distribution: {
    /** Registered id, e.g. 'CartPole-v1'. */
    readonly id: string;
    /** Options of the distribution's factory (`makeTaskDistribution(id, options)`); default {}. */
    readonly options?: { readonly [key: string]: JsonValue };
  };
  /** The tasks every member runs: `count` tasks sampled with `seed`, or the tasks themselves. */
  readonly tasks:
    | { readonly kind: 'sampled'; readonly seed: number; readonly count: number }
    | { readonly kind: 'explicit'; readonly tasks: readonly JsonValue[] };
  /**
   * The policy whose parameters a member holds, as core's `createCategoricalMlpPolicy` /
   * `createGaussianMlpPolicy` build it (observation and action sizes come from the distribution);
   * member vectors follow `createInitialSolution(policy, rng).layout`.
   */
  readonly policy: {
    /** 'categorical-mlp' for a discrete action space, 'gaussian-mlp' for a box. */
    readonly kind: 'categorical-mlp' | 'gaussian-mlp';
    /** Hidden layer widths, e.g. [8]. */
    readonly hiddenSizes: readonly number[];
    /** Hidden nonlinearity; default 'tanh'. */
    readonly activation?: Activation;
    /** 'gaussian-mlp' only: initial standard deviation (sets the layout's log-std); default 1. */
    readonly initialStd?: number;
  };
  /** Episodes per (member, task); default 1. */
  readonly episodesPerTask?: number;
  /** Overrides the distribution's time limit (steps per episode). */
  readonly maxEpisodeSteps?: number;
  /** Act with the policy's mode (greedy) instead of sampling; default true (exact common random numbers). */
  readonly deterministic?: boolean;
}

/** The members a job evaluates. */
export type FitnessJobMembers =
  | {
      /** Member vectors given one by one (any strategy). */
      readonly kind: 'explicit';
      /** Global index of the first member (selects the observation-statistics sample). */
      readonly firstMember: number;
      /** One vector per member, each of the layout's size. */
      readonly vectors: readonly EncodedVector[];
    }
  | {
      /** Members `firstMember .. firstMember + count - 1` of the antithetic population (`perturbationMember`). */
      readonly kind: 'antithetic';
      /** The centre θ, of the layout's size. */
      readonly theta: EncodedVector;
      /** Noise standard deviation σ, a finite number >= 0. */
      readonly sigma: number;
      /** Seed of the counter-based noise, an integer in [0, 2^32 - 1]. */
      readonly noiseSeed: number;
      /** Global index of the first member, an integer >= 0. */
      readonly firstMember: number;
      /** Members in this job, an integer >= 1. */
      readonly count: number;
    };

/**
 * Observation normalisation as in the OpenAI-ES starter: the policy sees (o − mean) / std with the
 * master's current statistics, and a `sampleFraction` of the members (chosen by a hash of the
 * environment seed and the member's global index, so independent of chunking) report the sums of
 * the raw observations they saw.
 */
export interface ObservationNormalisation {
  /** Per observation dimension. */
  readonly mean: readonly number[];
  /** Per observation dimension, each a finite number > 0. */
  readonly std: readonly number[];
  /** Fraction of members whose raw observations are summed, in [0, 1]. */
  readonly sampleFraction: number;
}

/** One unit of work: evaluate some members of one generation on one problem. */
export interface FitnessJob {
  readonly format: 'metarl-es-job';
  readonly version: 1;
  readonly key: FitnessJobKey;
  readonly problem: ProblemSpec;
  readonly members: FitnessJobMembers;
  /** Environment seed of the generation: environment j of every member resets with seed + j. */
  readonly environmentSeed: number;
  readonly observationNormalisation?: ObservationNormalisation;
}

/** Sums of raw observations (per dimension) over `count` observations. */
export interface ObservationStatistics {
  readonly sum: readonly number[];
  readonly sumOfSquares: readonly number[];
  readonly count: number;
}

/** A return in JSON: a number, or 'NaN' / 'Infinity' / '-Infinity' (JSON has no non-finite numbers). */
export type EncodedReturn = number | 'NaN' | 'Infinity' | '-Infinity';

/** What a worker sends back for one job. */
export interface FitnessResult {
  readonly format: 'metarl-es-result';
  readonly version: 1;
  /** The job's key, unchanged. */
  readonly key: FitnessJobKey;
  /** One mean episode return per member, in the job's member order. */
  readonly returns: readonly EncodedReturn[];
  /** Environment steps taken. */
  readonly steps: number;
  /** Present when the job asked for observation normalisation. */
  readonly observationStatistics?: ObservationStatistics;
}

/** Thrown for a job or result that does not have the documented form. */
export class MalformedFitnessMessageError extends TypeError {
  override readonly name = 'MalformedFitnessMessageError';
}

// ── encoding ────────────────────────────────────────────────────────────────

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function bytesToBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i]!;
    const b = i + 1 < bytes.length ? bytes[i + 1]! : 0;
    const c = i + 2 < bytes.length ? bytes[i + 2]! : 0;
    out += BASE64[a >> 2]! + BASE64[((a & 3) << 4) | (b >> 4)]!;
    out += i + 1 < bytes.length ? BASE64[((b & 15) << 2) | (c >> 6)]! : '=';
    out += i + 2 < bytes.length ? BASE64[c & 63]! : '=';
  }
  return out;
}

function base64ToBytes(text: string): Uint8Array {
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const bytes = new Uint8Array((text.length / 4) * 3 - padding);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const n =
      (BASE64.indexOf(text[i]!) << 18) |
      (BASE64.indexOf(text[i + 1]!) << 12) |
      ((text[i + 2] === '=' ? 0 : BASE64.indexOf(text[i + 2]!)) << 6) |
      (text[i + 3] === '=' ? 0 : BASE64.indexOf(text[i + 3]!));
    if (o < bytes.length) bytes[o++] = (n >> 16) & 255;
    if (o < bytes.length) bytes[o++] = (n >> 8) & 255;
    if (o < bytes.length) bytes[o++] = n & 255;
  }
  return bytes;
}

/** A float32 vector as little-endian bytes in base64 (exact, about 5.3 characters per value). */
export function encodeVector(vector: Float32Array): EncodedVector {
  const bytes = new Uint8Array(vector.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < vector.length; i += 1) view.setFloat32(4 * i, vector[i]!, true);
  return { encoding: 'base64-float32', data: bytesToBase64(bytes) };
}

/** The float32 vector of an encoded vector (base64 float32 or plain numbers, rounded to float32). */
export function decodeVector(encoded: EncodedVector): Float32Array {
  if (Array.isArray(encoded)) return Float32Array.from(encoded as readonly number[]);
  const bytes = base64ToBytes((encoded as { data: string }).data);
  const view = new DataView(bytes.buffer);
  const vector = new Float32Array(bytes.length / 4);
  for (let i = 0; i < vector.length; i += 1) vector[i] = view.getFloat32(4 * i, true);
  return vector;
}

/** A return as JSON keeps it: non-finite values as strings. */
export function encodeReturn(value: number): EncodedReturn {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'Infinity';
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
  return value;
}

/** The number of an encoded return. */
export function decodeReturn(value: EncodedReturn): number {
  return typeof value === 'number' ? value : Number(value);
}

/** The key as one string, `run.g<generation>.c<chunk>` (a BullMQ job id: no ':'). */
export function formatFitnessJobKey(key: FitnessJobKey): string {
  return `${key.run}.g${key.generation}.c${key.chunk}`;
}

/** True when two keys name the same job. */
export function sameFitnessJobKey(a: FitnessJobKey, b: FitnessJobKey): boolean {
  return a.run === b.run && a.generation === b.generation && a.chunk === b.chunk;
}

/** The number of members a job evaluates. */
export function countJobMembers(job: FitnessJob): number {
  return job.members.kind === 'explicit' ? job.members.vectors.length : job.members.count;
}

// ── validation ──────────────────────────────────────────────────────────────

function describe(value: unknown): string {
  if (value === undefined) return 'undefined (missing)';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

type Check = (condition: boolean, path: string, value: unknown, expected: string) => void;

function checker(where: string): Check {
  return (condition, path, value, expected) => {
    if (!condition)
      throw new MalformedFitnessMessageError(`${where}: ${path} must be ${expected}, got ${describe(value)}`);
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

function isInteger(value: unknown, minimum = 0): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= minimum;
}

function checkKeys(
  check: Check,
  path: string,
  value: Record<string, unknown>,
  allowed: readonly string[],
): void {
  for (const name of Object.keys(value))
    check(
      allowed.includes(name),
      `${path}.${name}`,
      value[name],
      `absent (known fields of ${path}: ${allowed.join(', ')})`,
    );
}

function checkKey(check: Check, path: string, key: unknown): void {
  check(isRecord(key), path, key, 'an object { run, generation, chunk }');
  const record = key as Record<string, unknown>;
  checkKeys(check, path, record, ['run', 'generation', 'chunk']);
  check(
    typeof record.run === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(record.run),
    `${path}.run`,
    record.run,
    "a string of 1 to 64 letters, digits, '_' or '-'",
  );
  check(isInteger(record.generation), `${path}.generation`, record.generation, 'an integer >= 0');
  check(isInteger(record.chunk), `${path}.chunk`, record.chunk, 'an integer >= 0');
}

function checkVector(check: Check, path: string, value: unknown): void {
  if (Array.isArray(value)) {
    const bad = value.findIndex((x) => typeof x !== 'number' || !Number.isFinite(x));
    check(bad < 0, `${path}[${bad}]`, value[bad], 'a finite number');
    return;
  }
  const form = "{ encoding: 'base64-float32', data } or an array of finite numbers";
  check(isRecord(value), path, value, form);
  const record = value as Record<string, unknown>;
  checkKeys(check, path, record, ['encoding', 'data']);
  check(record.encoding === 'base64-float32', `${path}.encoding`, record.encoding, "'base64-float32'");
  check(
    typeof record.data === 'string' && BASE64_PATTERN.test(record.data),
    `${path}.data`,
    record.data,
    'a base64 string',
  );
  const bytes =
    ((record.data as string).length / 4) * 3 - ((record.data as string).match(/=+$/)?.[0].length ?? 0);
  check(
    bytes % 4 === 0,
    `${path}.data`,
    record.data,
    'base64 of a whole number of float32 values (4 bytes each)',
  );
  const vector = decodeVector(record as EncodedVector);
  const bad = vector.findIndex((x) => !Number.isFinite(x));
  check(bad < 0, `${path} (decoded) [${bad}]`, vector[bad], 'a finite number');
}

function checkProblem(check: Check, path: string, problem: unknown): void {
  check(isRecord(problem), path, problem, 'an object { distribution, tasks, policy, ... }');
  const p = problem as Record<string, unknown>;
  checkKeys(check, path, p, [
    'distribution',
    'tasks',
    'policy',
    'episodesPerTask',
    'maxEpisodeSteps',
    'deterministic',
  ]);
  const distribution = p.distribution;
  check(isRecord(distribution), `${path}.distribution`, distribution, 'an object { id, options? }');
  const d = distribution as Record<string, unknown>;
  checkKeys(check, `${path}.distribution`, d, ['id', 'options']);
  check(
    typeof d.id === 'string' && /^[A-Za-z0-9_.]+-v\d+$/.test(d.id),
    `${path}.distribution.id`,
    d.id,
    "a registered task distribution id like 'CartPole-v1'",
  );
  check(
    d.options === undefined || isRecord(d.options),
    `${path}.distribution.options`,
    d.options,
    'an object',
  );
  const tasks = p.tasks;
  check(
    isRecord(tasks),
    `${path}.tasks`,
    tasks,
    "{ kind: 'sampled', seed, count } or { kind: 'explicit', tasks }",
  );
  const t = tasks as Record<string, unknown>;
  if (t.kind === 'sampled') {
    checkKeys(check, `${path}.tasks`, t, ['kind', 'seed', 'count']);
    check(isInteger(t.seed), `${path}.tasks.seed`, t.seed, 'an integer >= 0');
    check(isInteger(t.count, 1), `${path}.tasks.count`, t.count, 'an integer >= 1');
  } else if (t.kind === 'explicit') {
    checkKeys(check, `${path}.tasks`, t, ['kind', 'tasks']);
    check(
      Array.isArray(t.tasks) && t.tasks.length > 0,
      `${path}.tasks.tasks`,
      t.tasks,
      'a non-empty array of tasks',
    );
  } else {
    check(false, `${path}.tasks.kind`, t.kind, "'sampled' or 'explicit'");
  }
  const policy = p.policy;
  check(isRecord(policy), `${path}.policy`, policy, '{ kind, hiddenSizes, activation?, initialStd? }');
  const q = policy as Record<string, unknown>;
  checkKeys(check, `${path}.policy`, q, ['kind', 'hiddenSizes', 'activation', 'initialStd']);
  check(
    q.kind === 'categorical-mlp' || q.kind === 'gaussian-mlp',
    `${path}.policy.kind`,
    q.kind,
    "'categorical-mlp' or 'gaussian-mlp'",
  );
  check(
    Array.isArray(q.hiddenSizes) && q.hiddenSizes.every((size) => isInteger(size, 1)),
    `${path}.policy.hiddenSizes`,
    q.hiddenSizes,
    'an array of integers >= 1',
  );
  check(
    q.activation === undefined || q.activation === 'tanh' || q.activation === 'relu',
    `${path}.policy.activation`,
    q.activation,
    "'tanh' or 'relu'",
  );
  check(
    q.initialStd === undefined ||
      (q.kind === 'gaussian-mlp' &&
        typeof q.initialStd === 'number' &&
        q.initialStd > 0 &&
        Number.isFinite(q.initialStd)),
    `${path}.policy.initialStd`,
    q.initialStd,
    "a finite number > 0 ('gaussian-mlp' only)",
  );
  check(
    p.episodesPerTask === undefined || isInteger(p.episodesPerTask, 1),
    `${path}.episodesPerTask`,
    p.episodesPerTask,
    'an integer >= 1',
  );
  check(
    p.maxEpisodeSteps === undefined || isInteger(p.maxEpisodeSteps, 1),
    `${path}.maxEpisodeSteps`,
    p.maxEpisodeSteps,
    'an integer >= 1',
  );
  check(
    p.deterministic === undefined || typeof p.deterministic === 'boolean',
    `${path}.deterministic`,
    p.deterministic,
    'a boolean',
  );
}

/** Checks a `ProblemSpec`'s form; throws a `MalformedFitnessMessageError` naming the field otherwise. */
export function validateProblemSpec(problem: unknown, where = 'validateProblemSpec'): ProblemSpec {
  checkProblem(checker(where), 'problem', problem);
  return problem as ProblemSpec;
}

/**
 * Checks a job's form (not yet its fit to the problem: vector lengths are checked against the
 * policy's layout when the job runs) and returns it typed; throws a `MalformedFitnessMessageError`
 * naming the field, the value and the expected form otherwise.
 */
export function validateFitnessJob(job: unknown): FitnessJob {
  const check = checker('validateFitnessJob');
  check(
    isRecord(job),
    'job',
    job,
    "an object { format: 'metarl-es-job', version: 1, key, problem, members, ... }",
  );
  const j = job as Record<string, unknown>;
  checkKeys(check, 'job', j, [
    'format',
    'version',
    'key',
    'problem',
    'members',
    'environmentSeed',
    'observationNormalisation',
  ]);
  check(j.format === 'metarl-es-job', 'job.format', j.format, "'metarl-es-job'");
  check(j.version === 1, 'job.version', j.version, '1 (the only version this package reads)');
  checkKey(check, 'job.key', j.key);
  checkProblem(check, 'job.problem', j.problem);
  const members = j.members;
  check(
    isRecord(members),
    'job.members',
    members,
    "{ kind: 'explicit', ... } or { kind: 'antithetic', ... }",
  );
  const m = members as Record<string, unknown>;
  if (m.kind === 'explicit') {
    checkKeys(check, 'job.members', m, ['kind', 'firstMember', 'vectors']);
    check(isInteger(m.firstMember), 'job.members.firstMember', m.firstMember, 'an integer >= 0');
    check(
      Array.isArray(m.vectors) && m.vectors.length > 0,
      'job.members.vectors',
      m.vectors,
      'a non-empty array of vectors',
    );
    (m.vectors as unknown[]).forEach((vector, i) => {
      checkVector(check, `job.members.vectors[${i}]`, vector);
    });
  } else if (m.kind === 'antithetic') {
    checkKeys(check, 'job.members', m, ['kind', 'theta', 'sigma', 'noiseSeed', 'firstMember', 'count']);
    checkVector(check, 'job.members.theta', m.theta);
    check(
      typeof m.sigma === 'number' && Number.isFinite(m.sigma) && m.sigma >= 0,
      'job.members.sigma',
      m.sigma,
      'a finite number >= 0',
    );
    check(
      isInteger(m.noiseSeed) && m.noiseSeed <= 0xffffffff,
      'job.members.noiseSeed',
      m.noiseSeed,
      'an integer in [0, 2^32 - 1]',
    );
    check(isInteger(m.firstMember), 'job.members.firstMember', m.firstMember, 'an integer >= 0');
    check(isInteger(m.count, 1), 'job.members.count', m.count, 'an integer >= 1');
  } else {
    check(false, 'job.members.kind', m.kind, "'explicit' or 'antithetic'");
  }
  check(
    isInteger(j.environmentSeed) && j.environmentSeed <= 2 ** 48,
    'job.environmentSeed',
    j.environmentSeed,
    'an integer in [0, 2^48]',
  );
  if (j.observationNormalisation !== undefined) {
    const o = j.observationNormalisation;
    check(isRecord(o), 'job.observationNormalisation', o, '{ mean, std, sampleFraction }');
    const n = o as Record<string, unknown>;
    checkKeys(check, 'job.observationNormalisation', n, ['mean', 'std', 'sampleFraction']);
    check(
      Array.isArray(n.mean) && n.mean.every((x) => typeof x === 'number' && Number.isFinite(x)),
      'job.observationNormalisation.mean',
      n.mean,
      'an array of finite numbers',
    );
    check(
      Array.isArray(n.std) &&
        n.std.length === (n.mean as unknown[]).length &&
        n.std.every((x) => typeof x === 'number' && Number.isFinite(x) && x > 0),
      'job.observationNormalisation.std',
      n.std,
      `an array of ${(n.mean as unknown[]).length} finite numbers > 0 (as many as mean)`,
    );
    check(
      typeof n.sampleFraction === 'number' && n.sampleFraction >= 0 && n.sampleFraction <= 1,
      'job.observationNormalisation.sampleFraction',
      n.sampleFraction,
      'a number in [0, 1]',
    );
  }
  return job as FitnessJob;
}

/**
 * Checks a result's form and, given the job it answers, that its key is the job's key and that it
 * has one return per member and observation statistics exactly when the job asked for them.
 * Returns it typed; throws a `MalformedFitnessMessageError` naming the field otherwise.
 */
export function validateFitnessResult(result: unknown, job?: FitnessJob): FitnessResult {
  const check = checker('validateFitnessResult');
  check(
    isRecord(result),
    'result',
    result,
    "an object { format: 'metarl-es-result', version: 1, key, returns, steps, ... }",
  );
  const r = result as Record<string, unknown>;
  checkKeys(check, 'result', r, ['format', 'version', 'key', 'returns', 'steps', 'observationStatistics']);
  check(r.format === 'metarl-es-result', 'result.format', r.format, "'metarl-es-result'");
  check(r.version === 1, 'result.version', r.version, '1 (the only version this package reads)');
  checkKey(check, 'result.key', r.key);
  check(Array.isArray(r.returns), 'result.returns', r.returns, 'an array of returns');
  const returns = r.returns as unknown[];
  const bad = returns.findIndex(
    (x) => !(typeof x === 'number' || x === 'NaN' || x === 'Infinity' || x === '-Infinity'),
  );
  check(bad < 0, `result.returns[${bad}]`, returns[bad], "a number, 'NaN', 'Infinity' or '-Infinity'");
  check(isInteger(r.steps), 'result.steps', r.steps, 'an integer >= 0');
  if (r.observationStatistics !== undefined) {
    const s = r.observationStatistics;
    check(isRecord(s), 'result.observationStatistics', s, '{ sum, sumOfSquares, count }');
    const t = s as Record<string, unknown>;
    checkKeys(check, 'result.observationStatistics', t, ['sum', 'sumOfSquares', 'count']);
    const finiteArray = (x: unknown) =>
      Array.isArray(x) && x.every((y) => typeof y === 'number' && Number.isFinite(y));
    check(finiteArray(t.sum), 'result.observationStatistics.sum', t.sum, 'an array of finite numbers');
    check(
      finiteArray(t.sumOfSquares) && (t.sumOfSquares as unknown[]).length === (t.sum as unknown[]).length,
      'result.observationStatistics.sumOfSquares',
      t.sumOfSquares,
      'an array of finite numbers as long as sum',
    );
    check(isInteger(t.count), 'result.observationStatistics.count', t.count, 'an integer >= 0');
  }
  if (job !== undefined) {
    const key = r.key as FitnessJobKey;
    check(
      sameFitnessJobKey(key, job.key),
      'result.key',
      key,
      `the key of the job it answers, ${describe(job.key)}`,
    );
    const members = countJobMembers(job);
    check(
      returns.length === members,
      'result.returns',
      `${returns.length} returns`,
      `${members} returns (one per member)`,
    );
    check(
      (r.observationStatistics === undefined) === (job.observationNormalisation === undefined),
      'result.observationStatistics',
      r.observationStatistics,
      job.observationNormalisation === undefined
        ? 'absent (the job has no observationNormalisation)'
        : 'present (the job has observationNormalisation)',
    );
    if (r.observationStatistics !== undefined && job.observationNormalisation !== undefined) {
      const size = job.observationNormalisation.mean.length;
      const sum = (r.observationStatistics as Record<string, unknown[]>).sum!;
      check(sum.length === size, 'result.observationStatistics.sum', sum, `an array of ${size} numbers`);
    }
  }
  return result as FitnessResult;
}
