/**
 * Checkpoints on disk (Node only; the in-memory `Checkpoint` is in the main entry): one directory
 * per save, written to a temporary sibling and renamed into place, so a crash never leaves a
 * half-written checkpoint behind.
 *
 *   <dir>/params.safetensors     parameter tree (keys are slash paths)
 *   <dir>/optimizer.safetensors  optimiser slots (keys `<slot>/<path>`), when there is an optimiser
 *   <dir>/state.json             kind, version, config, setup (distribution, policy, training),
 *                                step, RNG states, optimiser step, and the size + SHA-256 of
 *                                every file above
 *
 * Loading validates everything (manifest, checksums, safetensors structure) before it creates a
 * single tensor, and fails with a `CheckpointError` that names the directory, file and problem.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { RngState } from '@metarl/envs';
import * as tf from '@tensorflow/tfjs-core';
import { type Checkpoint, CheckpointError, type JsonValue } from '../checkpoint/checkpoint';
import type { CheckpointSetup } from '../checkpoint/checkpoint-setup';
import { decodeSafetensors, encodeSafetensors, type NamedArray } from '../checkpoint/safetensors';
import type { OptimizerState } from '../optim/optimizer';
import { assertFiniteParams, listLeaves, type ParamTree } from '../params/param-tree';

const FORMAT = 'metarl-checkpoint';
const FORMAT_VERSION = 1;

interface FileRecord {
  bytes: number;
  sha256: string;
}

interface Manifest {
  format: string;
  formatVersion: number;
  kind: string;
  version: number;
  config: JsonValue;
  /** Absent in checkpoints written before the setup was recorded. */
  setup?: CheckpointSetup;
  step: number;
  rng: Record<string, RngState>;
  optimizer: { kind: string; step: number; slots: string[] } | null;
  files: Record<string, FileRecord>;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function treeToArrays(
  tree: ParamTree,
  prefix: string,
  into: Record<string, NamedArray>,
  label: string,
): void {
  for (const leaf of listLeaves(tree)) {
    if (leaf.path.split('/').some((part) => part.length === 0)) {
      throw new CheckpointError(
        `${label}: parameter names must be non-empty and contain no '/', got '${leaf.path}'`,
      );
    }
    const data = leaf.tensor.dataSync();
    into[prefix + leaf.path] = {
      data: data instanceof Int32Array ? data.slice() : Float32Array.from(data as Float32Array),
      shape: leaf.tensor.shape,
    };
  }
}

function arraysToTree(arrays: Record<string, NamedArray>): ParamTree {
  const root: Record<string, unknown> = {};
  for (const name of Object.keys(arrays).sort()) {
    const parts = name.split('/');
    let node = root;
    for (const part of parts.slice(0, -1)) {
      node[part] ??= {};
      node = node[part] as Record<string, unknown>;
    }
    const array = arrays[name]!;
    node[parts[parts.length - 1]!] = tf.tensor(
      array.data,
      array.shape as number[],
      array.data instanceof Int32Array ? 'int32' : 'float32',
    );
  }
  return root as ParamTree;
}

async function writeFileSynced(path: string, bytes: Uint8Array): Promise<void> {
  const handle = await open(path, 'w');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes `checkpoint` to `directory` atomically (replacing an existing checkpoint there).
 * Non-finite parameters are refused with an error naming the parameter.
 */
export async function saveCheckpoint(directory: string, checkpoint: Checkpoint): Promise<void> {
  const label = `saveCheckpoint(${directory})`;
  if (typeof checkpoint?.kind !== 'string' || checkpoint.kind.length === 0) {
    throw new CheckpointError(`${label}: kind must be a non-empty string, got ${String(checkpoint?.kind)}`);
  }
  if (!Number.isInteger(checkpoint.version))
    throw new CheckpointError(`${label}: version must be an integer, got ${checkpoint.version}`);
  if (!Number.isInteger(checkpoint.step) || checkpoint.step < 0) {
    throw new CheckpointError(`${label}: step must be a non-negative integer, got ${checkpoint.step}`);
  }
  assertFiniteParams(checkpoint.params, `${label}: params`);
  const paramArrays: Record<string, NamedArray> = {};
  treeToArrays(checkpoint.params, '', paramArrays, label);
  const files: Record<string, Uint8Array> = { 'params.safetensors': encodeSafetensors(paramArrays) };
  let optimizer: Manifest['optimizer'] = null;
  if (checkpoint.optimizer !== undefined) {
    const slotArrays: Record<string, NamedArray> = {};
    const slots = Object.keys(checkpoint.optimizer.slots).sort();
    for (const slot of slots) {
      if (slot.includes('/') || slot.length === 0)
        throw new CheckpointError(`${label}: invalid optimiser slot name '${slot}'`);
      treeToArrays(checkpoint.optimizer.slots[slot]!, `${slot}/`, slotArrays, label);
    }
    files['optimizer.safetensors'] = encodeSafetensors(slotArrays);
    optimizer = { kind: checkpoint.optimizer.kind, step: checkpoint.optimizer.step, slots };
  }
  const manifest: Manifest = {
    format: FORMAT,
    formatVersion: FORMAT_VERSION,
    kind: checkpoint.kind,
    version: checkpoint.version,
    config: checkpoint.config,
    ...(checkpoint.setup === undefined ? {} : { setup: checkpoint.setup }),
    step: checkpoint.step,
    rng: { ...checkpoint.rng },
    optimizer,
    files: Object.fromEntries(
      Object.entries(files).map(([name, bytes]) => [name, { bytes: bytes.length, sha256: sha256(bytes) }]),
    ),
  };

  const target = resolve(directory);
  await mkdir(dirname(target), { recursive: true });
  const temporary = join(dirname(target), `.${basename(target)}.tmp-${randomBytes(6).toString('hex')}`);
  await mkdir(temporary);
  try {
    for (const [name, bytes] of Object.entries(files)) await writeFileSynced(join(temporary, name), bytes);
    await writeFileSynced(
      join(temporary, 'state.json'),
      new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`),
    );
    if (await exists(target)) {
      const previous = join(dirname(target), `.${basename(target)}.old-${randomBytes(6).toString('hex')}`);
      await rename(target, previous);
      await rename(temporary, target);
      await rm(previous, { recursive: true, force: true });
    } else {
      await rename(temporary, target);
    }
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    throw new CheckpointError(`${label}: write failed: ${(error as Error).message}`, { cause: error });
  }
}

function isRngState(value: unknown): value is RngState {
  const state = value as { algorithm?: unknown; words?: unknown } | null;
  return state?.algorithm === 'xoroshiro128plus' && Array.isArray(state.words) && state.words.length === 4;
}

/**
 * Reads and validates a checkpoint written by `saveCheckpoint`. Returns new tensors (the
 * caller disposes them). `expectedKind`, when given, must match the writer's kind.
 */
export async function loadCheckpoint(directory: string, expectedKind?: string): Promise<Checkpoint> {
  const label = `loadCheckpoint(${directory})`;
  const fail = (why: string, cause?: unknown): never => {
    throw new CheckpointError(`${label}: ${why}`, cause === undefined ? undefined : { cause });
  };
  let manifestText = '';
  try {
    manifestText = await readFile(join(directory, 'state.json'), 'utf8');
  } catch (error) {
    fail(
      `cannot read state.json (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); is this a checkpoint directory?`,
      error,
    );
  }
  let manifest: Manifest;
  try {
    manifest = JSON.parse(manifestText) as Manifest;
  } catch (error) {
    return fail(`state.json is not valid JSON (truncated or corrupted): ${(error as Error).message}`, error);
  }
  if (manifest?.format !== FORMAT)
    fail(`state.json is not a metarl checkpoint (format ${String(manifest?.format)})`);
  if (manifest.formatVersion !== FORMAT_VERSION) {
    fail(
      `checkpoint format version ${manifest.formatVersion} is not supported (this reader supports ${FORMAT_VERSION})`,
    );
  }
  if (typeof manifest.kind !== 'string') fail('state.json has no kind');
  if (expectedKind !== undefined && manifest.kind !== expectedKind) {
    fail(`checkpoint was written by '${manifest.kind}', expected '${expectedKind}'`);
  }
  if (!Number.isInteger(manifest.step) || manifest.step < 0)
    fail(`state.json has an invalid step ${String(manifest.step)}`);
  const setup: unknown = manifest.setup;
  if (setup !== undefined && (setup === null || typeof setup !== 'object' || Array.isArray(setup)))
    fail(`state.json has an invalid setup ${JSON.stringify(setup)} (an object expected)`);
  if (manifest.rng === null || typeof manifest.rng !== 'object') fail('state.json has no rng record');
  for (const [name, state] of Object.entries(manifest.rng)) {
    if (!isRngState(state)) fail(`rng state '${name}' is malformed`);
  }
  const required = ['params.safetensors', ...(manifest.optimizer ? ['optimizer.safetensors'] : [])];
  const decoded: Record<string, Record<string, NamedArray>> = {};
  for (const name of required) {
    const record = manifest.files?.[name];
    if (record === undefined) fail(`state.json does not list ${name}`);
    let bytes: Uint8Array;
    try {
      bytes = await readFile(join(directory, name));
    } catch (error) {
      return fail(
        `cannot read ${name} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
        error,
      );
    }
    if (bytes.length !== record!.bytes)
      fail(`${name} is ${bytes.length} bytes, the manifest says ${record!.bytes} (truncated or replaced)`);
    if (sha256(bytes) !== record!.sha256) fail(`${name} does not match its SHA-256 checksum (corrupted)`);
    try {
      decoded[name] = decodeSafetensors(bytes, name).arrays;
    } catch (error) {
      fail((error as Error).message, error);
    }
  }
  let optimizer: OptimizerState | undefined;
  const created: ParamTree[] = [];
  try {
    const params = arraysToTree(decoded['params.safetensors']!);
    created.push(params);
    if (manifest.optimizer) {
      const slotArrays = decoded['optimizer.safetensors']!;
      const slots: Record<string, ParamTree> = {};
      for (const slot of manifest.optimizer.slots) {
        const prefix = `${slot}/`;
        const entries = Object.entries(slotArrays).filter(([key]) => key.startsWith(prefix));
        const tree = arraysToTree(
          Object.fromEntries(entries.map(([key, value]) => [key.slice(prefix.length), value])),
        );
        created.push(tree);
        slots[slot] = tree;
      }
      optimizer = { kind: manifest.optimizer.kind, step: manifest.optimizer.step, slots };
    }
    return {
      kind: manifest.kind,
      version: manifest.version,
      config: manifest.config,
      ...(manifest.setup === undefined ? {} : { setup: manifest.setup }),
      params,
      ...(optimizer ? { optimizer } : {}),
      rng: manifest.rng,
      step: manifest.step,
    };
  } catch (error) {
    for (const tree of created) for (const leaf of listLeaves(tree)) leaf.tensor.dispose();
    return fail(`could not rebuild tensors: ${(error as Error).message}`, error);
  }
}
