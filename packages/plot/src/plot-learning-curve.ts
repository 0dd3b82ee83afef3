/** Learning curves as PNG (see `renderChart`). */
import { type ChartSpec, renderChart } from './render-chart';

/**
 * One iteration's metrics, e.g. `{ iteration: 3, 'metaTrain/returnBefore': -41.2 }`: the shape of
 * `@metarl/core`'s `MetricsRecord` (what `trainMetaLearner` reports and `readMetrics` reads back).
 */
type MetricsRecord = Readonly<Record<string, number>>;

/** Options of `plotLearningCurve`. */
export interface PlotOptions {
  /** The x-axis key; default 'iteration'. */
  readonly x?: string;
  /** The series to draw; default the `metaTrain/return*` keys present. */
  readonly series?: readonly string[];
  /** Chart title. */
  readonly title?: string;
  /** Plot area width in pixels; default 560 (the PNG is drawn at twice this size). */
  readonly width?: number;
  /** Plot area height in pixels; default 280. */
  readonly height?: number;
}

/** A PNG of `records` (one line per series against x; non-finite values are skipped). */
export async function plotLearningCurve(
  records: readonly MetricsRecord[],
  options: PlotOptions = {},
): Promise<Uint8Array> {
  const x = options.x ?? 'iteration';
  const present = new Set(records.flatMap((r) => Object.keys(r)));
  const series = options.series ?? [...present].filter((k) => k.startsWith('metaTrain/return')).sort();
  if (series.length === 0)
    throw new RangeError(`plotLearningCurve: no series to plot (keys: ${[...present].join(', ') || 'none'})`);
  const values = records.flatMap((record) =>
    series
      .filter((key) => Number.isFinite(record[key]) && Number.isFinite(record[x]))
      .map((key) => ({ x: record[x], value: record[key], series: key })),
  );
  const spec: ChartSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: options.width ?? 560,
    height: options.height ?? 280,
    background: 'white',
    ...(options.title ? { title: options.title } : {}),
    data: { values },
    mark: { type: 'line', point: values.length <= 200 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: x },
      y: { field: 'value', type: 'quantitative', title: 'value', scale: { zero: false } },
      color: { field: 'series', type: 'nominal', title: null, legend: { labelLimit: 400, orient: 'bottom' } },
    },
  };
  return renderChart(spec);
}
