/**
 * Coordinator only: a card holding one live line chart (training loss or test accuracy over seconds since
 * training started) with the latest value beside the title.
 */
import type { ChartPoint } from './chart-scale.ts';
import { card, h, setHidden, setText } from './dom.ts';
import { createLineChart, type LineChartInit } from './line-chart.ts';
import type { SwarmStatus } from './snapshot.ts';
import type { View } from './view.ts';
import { isCoordinator } from './view.ts';

/** Options for {@link createChartCard}: the chart's options plus which series of the snapshot to plot. */
export interface ChartCardInit extends LineChartInit {
  readonly title: string;
  readonly series: (s: SwarmStatus) => readonly ChartPoint[];
  /** Extra class names for the card (e.g. a test hook). */
  readonly className?: string;
}

/** Creates a chart card view. */
export function createChartCard(init: ChartCardInit): View {
  const { el, body, title } = card(init.title, `chart-card ${init.className ?? ''}`);
  const latest = h('span', { className: 'card-title-value' });
  title.appendChild(latest);
  const chart = createLineChart(init);
  body.appendChild(chart.el);
  return {
    el,
    update(s) {
      const show = isCoordinator(s);
      setHidden(el, !show);
      if (!show) return;
      const points = init.series(s);
      const last = points[points.length - 1];
      setText(latest, last === undefined ? '' : init.formatY(last[1]));
      chart.setData(points);
    },
    destroy() {
      chart.destroy();
    },
  };
}
