/**
 * The Node host's chart renderer for reports: the shared chart components of
 * renderer/charts, drawn to static SVG markup with react-dom/server.
 */
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { Chart } from '../../../renderer/charts/charts.js';
import type { ChartRenderer, ChartSpec } from '../../report/chart-spec.js';

export const renderChartSvg: ChartRenderer = (spec: ChartSpec): string => renderToStaticMarkup(createElement(Chart, { spec }));
