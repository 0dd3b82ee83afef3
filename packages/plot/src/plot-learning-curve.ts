/** Learning curves as PNG (see `renderChart`). */
import { type ChartSpec, renderChart } from './render-chart';

/**
 * One iteration's metrics, e.g. `{ iteration: 3, 'metaTrain/returnBefore': -41.2 }`: the shape of
 * `@metarl/core`'s `MetricsRecord` (what `trainMetaLearner` reports and `readMetrics` reads back).
 */
type MetricsRecord = Readonly<Record<string, number>>;

/** One panel of a learning curve: series on one scale, under one y-axis title. */
export interface CurvePanel {
  /** The record keys drawn as lines in this panel. */
  readonly series: readonly string[];
  /** The y-axis title, with its unit, e.g. 'mean return per trial'. */
  readonly yTitle: string;
  /** A title above the panel; default none. */
  readonly title?: string;
}

/** Options of `plotLearningCurve`. */
export interface PlotOptions {
  /** The x-axis key; default 'iteration'. */
  readonly x?: string;
  /** The x-axis title; default 'meta-iteration' for the key 'iteration', else the key. */
  readonly xTitle?: string;
  /** The series to draw in one panel; default the `metaTrain/return*` keys present. Not with `panels`. */
  readonly series?: readonly string[];
  /** The y-axis title of the single panel; default 'return' for the default series, else 'value'. Not with `panels`. */
  readonly yTitle?: string;
  /** Panels stacked vertically over a shared x axis, one per scale (e.g. per trial and per pull). */
  readonly panels?: readonly CurvePanel[];
  /** Legend labels in words by record key, e.g. `{ 'metaTrain/returnAfter': 'after adaptation' }`; a key without one is shown as is. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Chart title. */
  readonly title?: string;
  /** Plot area width of each panel in pixels; default 560 (the PNG is drawn at twice this size). */
  readonly width?: number;
  /** Plot area height of each panel in pixels; default 280. */
  readonly height?: number;
}

/** The panels to draw: `options.panels`, or one panel of `options.series` (or the default series). */
function choosePanels(records: readonly MetricsRecord[], options: PlotOptions): readonly CurvePanel[] {
  const present = new Set(records.flatMap((r) => Object.keys(r)));
  if (options.panels !== undefined) {
    if (options.series !== undefined || options.yTitle !== undefined)
      throw new TypeError('plotLearningCurve: pass either panels or series/yTitle, not both');
    if (options.panels.length === 0)
      throw new RangeError('plotLearningCurve: panels must hold at least one panel, got []');
    options.panels.forEach((panel, i) => {
      if (panel.series.length === 0)
        throw new RangeError(`plotLearningCurve: panels[${i}].series must name at least one key, got []`);
    });
    return options.panels;
  }
  const chosen = options.series ?? [...present].filter((k) => k.startsWith('metaTrain/return')).sort();
  if (chosen.length === 0)
    throw new RangeError(`plotLearningCurve: no series to plot (keys: ${[...present].join(', ') || 'none'})`);
  return [{ series: chosen, yTitle: options.yTitle ?? (options.series === undefined ? 'return' : 'value') }];
}

/**
 * The Vega-Lite spec `plotLearningCurve` renders: one line per series against x, in one panel or
 * in `options.panels` stacked over a shared x axis, each with its y-axis title and a legend in
 * words (`options.labels`). Non-finite values are skipped. Extend it and draw it with `renderChart`.
 */
export function learningCurveSpec(records: readonly MetricsRecord[], options: PlotOptions = {}): ChartSpec {
  const x = options.x ?? 'iteration';
  const xTitle = options.xTitle ?? (x === 'iteration' ? 'meta-iteration' : x);
  const labels = options.labels ?? {};
  const label = (key: string) => labels[key] ?? key;
  const panels = choosePanels(records, options);
  const width = options.width ?? 560;
  const height = options.height ?? 280;
  // Whole-number x values (iterations) get whole-number ticks: no 1.5 on a short run, each
  // value its own tick while there are few.
  const xs = [...new Set(records.map((record) => record[x]!).filter(Number.isFinite))].sort((a, b) => a - b);
  const wholeX = xs.every(Number.isInteger);
  const xAxis = wholeX
    ? { format: 'd', ...(xs.length <= 12 ? { values: xs } : { tickMinStep: 1 }) }
    : undefined;
  const layers = panels.map((panel, index) => {
    const values = records.flatMap((record) =>
      panel.series
        .filter((key) => Number.isFinite(record[key]) && Number.isFinite(record[x]))
        .map((key) => ({ x: record[x], value: record[key], series: label(key) })),
    );
    return {
      width,
      height,
      ...(panel.title
        ? {
            title: {
              // Below the chart's title, the first panel's title keeps a blank line of distance.
              text: index === 0 && options.title && panels.length > 1 ? ['', panel.title] : panel.title,
              anchor: 'start' as const,
              fontSize: 13,
              fontStyle: 'italic',
            },
          }
        : {}),
      data: { values },
      mark: { type: 'line' as const, point: values.length <= 200 },
      encoding: {
        x: {
          field: 'x',
          type: 'quantitative' as const,
          title: xTitle,
          ...(xAxis === undefined ? {} : { axis: xAxis }),
        },
        y: { field: 'value', type: 'quantitative' as const, title: panel.yTitle, scale: { zero: false } },
        color: {
          field: 'series',
          type: 'nominal' as const,
          title: null,
          sort: panel.series.map(label),
          legend: { labelLimit: 400, orient: 'bottom' as const, labelFontSize: 12 },
        },
      },
    };
  });
  return layers.length === 1
    ? {
        $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
        background: 'white',
        ...(options.title ? { title: options.title } : {}),
        ...layers[0]!,
      }
    : {
        $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
        background: 'white',
        ...(options.title ? { title: options.title } : {}),
        vconcat: layers,
        spacing: 24,
        resolve: { scale: { color: 'independent', y: 'independent' }, legend: { color: 'independent' } },
      };
}

/** A PNG of `learningCurveSpec(records, options)` (twice its pixel size). */
export async function plotLearningCurve(
  records: readonly MetricsRecord[],
  options: PlotOptions = {},
): Promise<Uint8Array> {
  return renderChart(learningCurveSpec(records, options));
}
