import { describe, expect, it } from 'vitest';
import { learningCurveSpec, plotLearningCurve, renderChart } from '../src/index';

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

/** The parts of a one-panel learning-curve spec the tests read. */
interface SinglePanel {
  data: { values: { x: number; value: number; series: string }[] };
  encoding: {
    x: { title: string; axis?: unknown };
    y: { title: string };
    color: { sort: string[] };
  };
}

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

  it('learningCurveSpec titles the axes and names the series in words', () => {
    const spec = learningCurveSpec(records, {
      labels: { 'metaTrain/returnBefore': 'before adaptation', 'metaTrain/returnAfter': 'after adaptation' },
    }) as unknown as SinglePanel;
    expect(spec.encoding.x.title).toBe('meta-iteration');
    expect(spec.encoding.y.title).toBe('return');
    // Twelve whole-number iterations: one tick each, no 1.5.
    expect(spec.encoding.x.axis).toEqual({ format: 'd', values: records.map((r) => r.iteration) });
    const long = learningCurveSpec(
      Array.from({ length: 30 }, (_, i) => ({ iteration: i + 1, 'metaTrain/returnBefore': i })),
    ) as unknown as SinglePanel;
    expect(long.encoding.x.axis).toEqual({ format: 'd', tickMinStep: 1 });
    // Legend entries are the labels, in the order of the (sorted) default series.
    expect(spec.encoding.color.sort).toEqual(['after adaptation', 'before adaptation']);
    expect(new Set(spec.data.values.map((v) => v.series))).toEqual(
      new Set(['after adaptation', 'before adaptation']),
    );
    // The NaN of iteration 5 is skipped, not drawn.
    expect(spec.data.values).toHaveLength(23);
    const chosen = learningCurveSpec(records, {
      x: 'losses/policy',
      series: ['metaTrain/returnBefore'],
      yTitle: 'mean return per episode',
    }) as unknown as SinglePanel;
    expect(chosen.encoding.x.title).toBe('losses/policy');
    expect(chosen.encoding.x.axis).toBeUndefined(); // x is not whole numbers
    expect(chosen.encoding.y.title).toBe('mean return per episode');
    expect(chosen.encoding.color.sort).toEqual(['metaTrain/returnBefore']);
  });

  it('learningCurveSpec puts panels on their own scales, one above the other', async () => {
    const options = {
      panels: [
        { series: ['metaTrain/returnBefore'], yTitle: 'mean return per trial', title: 'per trial' },
        { series: ['metaTrain/returnAfter', 'losses/policy'], yTitle: 'mean reward per pull' },
      ],
      labels: { 'losses/policy': 'policy loss' },
      width: 300,
      height: 100,
    };
    const spec = learningCurveSpec(records, options) as unknown as { vconcat: SinglePanel[] };
    expect(spec.vconcat.map((panel) => panel.encoding.y.title)).toEqual([
      'mean return per trial',
      'mean reward per pull',
    ]);
    expect(spec.vconcat[1]!.encoding.color.sort).toEqual(['metaTrain/returnAfter', 'policy loss']);
    expect(spec.vconcat[0]!.data.values.every((v) => v.series === 'metaTrain/returnBefore')).toBe(true);
    const two = pngSize(await plotLearningCurve(records, options));
    const one = pngSize(await plotLearningCurve(records, { ...options, panels: options.panels.slice(0, 1) }));
    // The second panel (100 px tall, drawn at 2x) stacks below the first.
    expect(two.height - one.height).toBeGreaterThan(200);
    expect(() => learningCurveSpec(records, { panels: [] })).toThrow(
      'plotLearningCurve: panels must hold at least one panel, got []',
    );
    expect(() => learningCurveSpec(records, { ...options, series: ['losses/policy'] })).toThrow(
      'plotLearningCurve: pass either panels or series/yTitle, not both',
    );
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
