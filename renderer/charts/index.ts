export { BarsChart, LinesChart, Chart, SERIES_COLORS, fmtNum, niceTicks } from './charts.js';
export type { ChartSpec } from '../../src/report/chart-spec.js';
