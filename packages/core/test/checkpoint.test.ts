import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Checkpoint,
  CheckpointError,
  createAdam,
  createMlp,
  createRng,
  createRngFromState,
  decodeSafetensors,
  disposeParams,
  encodeSafetensors,
  flattenParams,
  listLeaves,
  type ParamTree,
  tf,
  useBackend,
} from '../src/index';
import { loadCheckpoint, saveCheckpoint } from '../src/node/index';

let root = '';

function makeCheckpoint(): Checkpoint {
  const rng = createRng(3);
  const policy = createMlp({ inputSize: 2, hiddenSizes: [4], outputSize: 2 }).init(rng);
  const params: ParamTree = { policy, logStd: tf.tensor1d([-0.5, 0.25]) };
  const adam = createAdam();
  const optimizer = adam.init(params);
  return {
    kind: 'test-learner',
    version: 2,
    config: { hidden: [4], rate: 0.1 },
    params,
    optimizer,
    rng: { main: rng.getState() },
    step: 17,
  };
}

describe('checkpoints', () => {
  beforeAll(async () => {
    await useBackend('cpu');
    root = await mkdtemp(join(tmpdir(), 'metarl-checkpoint-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('round-trips params, optimiser state, RNG state, config and step exactly', async () => {
    const checkpoint = makeCheckpoint();
    const directory = join(root, 'roundtrip');
    await saveCheckpoint(directory, checkpoint);
    expect((await readdir(directory)).sort()).toEqual([
      'optimizer.safetensors',
      'params.safetensors',
      'state.json',
    ]);
    const loaded = await loadCheckpoint(directory, 'test-learner');
    expect(loaded.kind).toBe('test-learner');
    expect(loaded.version).toBe(2);
    expect(loaded.step).toBe(17);
    expect(loaded.config).toEqual({ hidden: [4], rate: 0.1 });
    expect(listLeaves(loaded.params).map((l) => [l.path, l.tensor.shape])).toEqual(
      listLeaves(checkpoint.params).map((l) => [l.path, l.tensor.shape]),
    );
    expect(Array.from(flattenParams(loaded.params))).toEqual(Array.from(flattenParams(checkpoint.params)));
    expect(loaded.optimizer?.kind).toBe('adam');
    expect(Object.keys(loaded.optimizer!.slots).sort()).toEqual(['firstMoment', 'secondMoment']);
    const a = createRngFromState(checkpoint.rng.main!);
    const b = createRngFromState(loaded.rng.main!);
    expect(b.next()).toBe(a.next());
  });

  it('replaces an existing checkpoint atomically and leaves no temporary directories', async () => {
    const directory = join(root, 'replace');
    const first = makeCheckpoint();
    await saveCheckpoint(directory, first);
    await saveCheckpoint(directory, { ...first, step: 18 });
    expect((await loadCheckpoint(directory)).step).toBe(18);
    expect((await readdir(root)).filter((name) => name.includes('.tmp-') || name.includes('.old-'))).toEqual(
      [],
    );
  });

  it('refuses to save NaN parameters, naming the parameter, and writes nothing', async () => {
    const checkpoint = makeCheckpoint();
    const bad = { ...checkpoint, params: { ...checkpoint.params, logStd: tf.tensor1d([Number.NaN, 0]) } };
    const directory = join(root, 'nan');
    await expect(saveCheckpoint(directory, bad)).rejects.toThrow(
      /'logStd' \(shape \[2\]\) holds NaN at flat index 0/,
    );
    await expect(readdir(directory)).rejects.toThrow();
  });

  it('detects truncated and corrupted files with a clear error, creating no tensors', async () => {
    const directory = join(root, 'corrupt');
    await saveCheckpoint(directory, makeCheckpoint());
    const paramsPath = join(directory, 'params.safetensors');
    const original = await readFile(paramsPath);
    const before = tf.memory().numTensors;

    await writeFile(paramsPath, original.subarray(0, original.length - 10));
    await expect(loadCheckpoint(directory)).rejects.toThrow(
      /params\.safetensors is \d+ bytes, the manifest says \d+ \(truncated or replaced\)/,
    );
    const flipped = Buffer.from(original);
    flipped[flipped.length - 1] = flipped[flipped.length - 1]! ^ 0xff;
    await writeFile(paramsPath, flipped);
    await expect(loadCheckpoint(directory)).rejects.toThrow(
      /params\.safetensors does not match its SHA-256 checksum/,
    );
    await writeFile(paramsPath, original);
    const statePath = join(directory, 'state.json');
    const state = await readFile(statePath, 'utf8');
    await writeFile(statePath, state.slice(0, 40));
    await expect(loadCheckpoint(directory)).rejects.toThrow(
      /state\.json is not valid JSON \(truncated or corrupted\)/,
    );
    await writeFile(statePath, state);
    await expect(loadCheckpoint(directory, 'maml')).rejects.toThrow(
      /written by 'test-learner', expected 'maml'/,
    );
    await expect(loadCheckpoint(join(root, 'missing'))).rejects.toThrow(CheckpointError);
    expect(tf.memory().numTensors).toBe(before);
    const ok = await loadCheckpoint(directory);
    disposeParams(ok.params);
  });

  it('safetensors encoding follows the format and rejects malformed buffers', () => {
    const bytes = encodeSafetensors({
      b: { data: new Float32Array([1, 2, 3]), shape: [3] },
      a: { data: new Int32Array([4]), shape: [1] },
    });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLength) % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
    expect(header.a).toEqual({ dtype: 'I32', shape: [1], data_offsets: [0, 4] });
    expect(header.b).toEqual({ dtype: 'F32', shape: [3], data_offsets: [4, 16] });
    const decoded = decodeSafetensors(bytes);
    expect(Array.from(decoded.arrays.b!.data)).toEqual([1, 2, 3]);
    expect(() => decodeSafetensors(bytes.subarray(0, 5))).toThrow(/too short for a header/);
    expect(() => decodeSafetensors(bytes.subarray(0, bytes.length - 4))).toThrow(
      /outside the 12 data bytes \(truncated\?\)/,
    );
  });
});
