import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tf, useBackend } from '../src/index';

const root = join(__dirname, '..', '..', '..');

// Test files run in their own processes (vitest pool 'forks'): this one owns a 2-thread wasm backend.
describe('wasm backend threads', () => {
  it('rejects bad thread counts with the argument named', async () => {
    for (const threads of [0, 9, 1.5, Number.NaN])
      await expect(useBackend('wasm', { threads, native: 'off' })).rejects.toThrow(
        /threads must be an integer from 1 to 8/,
      );
  });

  it('runs matrix products on 2 threads, with the same results as the cpu backend', async () => {
    const shapes: [number[], number[]][] = [
      [
        [300, 64],
        [64, 64],
      ],
      [
        [20, 200, 64],
        [20, 64, 32],
      ],
      [
        [1024, 256],
        [256, 128],
      ],
    ];
    const values = (shape: number[], seed: number) => {
      const size = shape.reduce((p, s) => p * s, 1);
      return Float32Array.from({ length: size }, (_, i) => Math.sin(seed * 7.3 + i * 0.37));
    };
    await useBackend('cpu');
    const expected = shapes.map(([a, b]) =>
      tf.tidy(() => tf.matMul(tf.tensor(values(a, 1), a), tf.tensor(values(b, 2), b)).dataSync()),
    );
    const info = await useBackend('wasm', { threads: 2, native: 'off' });
    expect(info.threads).toBe(2);
    shapes.forEach(([a, b], i) => {
      const run = () =>
        tf.tidy(() => tf.matMul(tf.tensor(values(a, 1), a), tf.tensor(values(b, 2), b)).dataSync());
      const first = run();
      expect(run()).toEqual(first); // deterministic across runs
      let worst = 0;
      first.forEach((v, j) => {
        worst = Math.max(worst, Math.abs(v - expected[i]![j]!) / (1 + Math.abs(expected[i]![j]!)));
      });
      expect(worst).toBeLessThan(1e-5);
    });
  });

  it('keeps the thread count fixed for the process', async () => {
    await expect(useBackend('wasm', { threads: 1, native: 'off' })).rejects.toThrow(
      /already runs 2 thread\(s\)/,
    );
    expect((await useBackend('wasm', { native: 'off' })).threads).toBe(2);
  });

  it('a process with a threaded backend exits by itself', () => {
    const result = runScript([
      "const info = await useBackend('wasm', { threads: 2, native: 'off' });",
      'const product = tf.matMul(tf.ones([512, 512]), tf.ones([512, 512]));',
      'console.log(info.threads, product.dataSync()[0]);',
    ]);
    expect(result.error).toBeUndefined(); // a timeout would mean the pool's workers kept it alive
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe('2 512');
  });

  it("an uncaught error after useBackend('wasm') is reported at its own place, not inside tfjs", () => {
    const result = runScript(["await useBackend('wasm');", "throw new Error('thrown by the caller');"]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('thrown by the caller');
    expect(result.stderr).not.toContain('WasmBackendModule'); // Emscripten's rethrowing listener
  });
});

/** Runs `lines` as an ES module that has imported `tf` and `useBackend` from this package's source. */
function runScript(lines: string[]) {
  const script = [
    `import { tf, useBackend } from ${JSON.stringify(join(root, 'packages', 'core', 'src', 'index.ts'))};`,
    ...lines,
  ].join('\n');
  const file = join(mkdtempSync(join(tmpdir(), 'metarl-wasm-')), 'script.mts');
  writeFileSync(file, script);
  return spawnSync(join(root, 'node_modules', '.bin', 'tsx'), [file], {
    cwd: root,
    encoding: 'utf8',
    timeout: 30_000,
  });
}
