/**
 * Charts shared by the app and the HTML report (pure, props only, fixed size,
 * plain SVG: they render the same in the DOM and with renderToStaticMarkup).
 *
 *   import { Chart, comparisonCharts } from '../charts/index.js';
 *   comparisonCharts(view).map((spec) => <Chart key={spec.id} spec={spec} />)
 */
export { BarsChart, LinesChart, Chart, SERIES_COLORS, fmtNum, niceTicks } from './charts.js';
export { comparisonCharts, CHART_WIDTH } from '../../src/report/chart-spec.js';
export type { ChartSpec, ChartRenderer, ComparisonChartInput } from '../../src/report/chart-spec.js';
