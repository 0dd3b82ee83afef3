/**
 * @metarl/plot: charts as PNG for metarl runs (Node only): learning curves from metrics records
 * and any Vega-Lite chart, rendered headlessly without native downloads.
 */

export {
  type CurvePanel,
  learningCurveSpec,
  type PlotOptions,
  plotLearningCurve,
} from './plot-learning-curve';
export { type ChartSpec, renderChart } from './render-chart';
