import { describe, expect, it } from 'vitest';
import { plotLearningCurve, renderChart } from '../src/index';

/** Width and height of a PNG, from its IHDR chunk; throws unless `bytes` starts like a PNG. */
function pngSize(bytes: Uint8Array): { width: number; height: number } {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (!signature.every((byte, i) => bytes[i] === byte)) throw new Error('not a PNG');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

const records = Array.from({ length: 12 }, (_, i) => ({
  iteration: i + 1,
  'metaTrain/returnBefore': -30 + i,
  'metaTrain/returnAfter': i === 4 ? Number.NaN : -20 + i,
  'losses/policy': 0.1 * i,
}));

describe('@metarl/plot', () => {
  it('plotLearningCurve draws the return series as a PNG at twice the plot size', async () => {
    // Wide enough for the plot area, not the legend below it, to set the width.
    const small = pngSize(await plotLearningCurve(records, { width: 600, height: 100 }));
    const large = pngSize(await plotLearningCurve(records, { width: 800, height: 100 }));
    // The axes and the legend add a margin; the plot area scales with the options, at 2x.
    expect(large.width - small.width).toBe(400);
    expect(large.height).toBe(small.height);
    expect(small.width).toBeGreaterThan(1200);
    expect(small.height).toBeGreaterThan(200);
  }, 30_000);

  it('plotLearningCurve names the keys when there is nothing to draw', async () => {
    await expect(plotLearningCurve([{ iteration: 1, 'losses/policy': 0.5 }])).rejects.toThrow(
      'plotLearningCurve: no series to plot (keys: iteration, losses/policy)',
    );
    const chosen = await plotLearningCurve(records, { series: ['losses/policy'], title: 'loss' });
    expect(pngSize(chosen).width).toBeGreaterThan(1000);
  }, 30_000);

  it('renderChart renders any Vega-Lite spec', async () => {
    const png = await renderChart({
      width: 100,
      height: 50,
      data: { values: [{ a: 'x', b: 1 }] },
      mark: 'bar',
      encoding: { x: { field: 'a', type: 'nominal' }, y: { field: 'b', type: 'quantitative' } },
    });
    const { width, height } = pngSize(png);
    expect(width).toBeGreaterThan(200);
    expect(height).toBeGreaterThan(100);
  }, 30_000);
});
