/**
 * Charts as PNG without native downloads: a Vega-Lite spec compiled to Vega, rendered to SVG
 * headlessly, rasterised by resvg (a Rust renderer shipped as a prebuilt npm package).
 */
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** A Vega-Lite specification (v5), e.g. `{ data, mark, encoding }`. */
export type ChartSpec = TopLevelSpec;

/** Renders a Vega-Lite `spec` to PNG bytes at twice its pixel size (white background by default). */
export async function renderChart(spec: ChartSpec): Promise<Uint8Array> {
  const view = new vega.View(vega.parse(compile({ background: 'white', ...spec } as TopLevelSpec).spec), {
    renderer: 'none',
  });
  try {
    const svg = await view.toSVG();
    return new Resvg(svg, { fitTo: { mode: 'zoom', value: 2 }, font: { loadSystemFonts: true } })
      .render()
      .asPng();
  } finally {
    view.finalize();
  }
}
