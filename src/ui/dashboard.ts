/**
 * The dashboard: mounts every section once into a root element and maps each snapshot onto them. `render`
 * is cheap enough to call on every state change or on a 250 ms timer: views update text in place and the
 * charts redraw only when their series changed.
 *
 * @example
 * const ui = mountDashboard(document.getElementById('app')!, { onStart: () => runtime.startNow(), onExportModel, onLoadModel });
 * runtime.subscribe(() => ui.render(runtime.status()));
 */
import './styles.css';
import { createChartCard } from './chart-card.ts';
import { createClientsCard } from './clients-card.ts';
import { createDasoCard } from './daso-card.ts';
import { createDeviceCard } from './device-card.ts';
import { createDevicesTable } from './devices-table.ts';
import { h } from './dom.ts';
import { createErrorBanner } from './error-banner.ts';
import { createModelCard, type ModelIntents } from './model-card.ts';
import { formatLoss, formatPercent, formatSeconds } from './format.ts';
import { createHeader, PHASE_LABEL } from './header.ts';
import { createJoinCard } from './join-card.ts';
import { createLayersCard } from './layers-card.ts';
import { createLogPanel } from './log-panel.ts';
import { createNetworkCard } from './network-card.ts';
import { createProgressCard } from './progress-card.ts';
import { createSecondOrderCard } from './second-order-card.ts';
import type { SwarmStatus } from './snapshot.ts';
import type { View } from './view.ts';

/** What the user can ask the app to do from the dashboard. */
export interface DashboardIntents extends ModelIntents {
  /** Coordinator, while recruiting: start training with the devices that have joined. */
  onStart(): void;
}

/** A mounted dashboard. */
export interface Dashboard {
  /** Shows a snapshot; safe to call often with the same or a new snapshot. */
  render(s: SwarmStatus): void;
  /** Removes the dashboard from its root and releases observers. */
  destroy(): void;
}

/** Mounts the dashboard into `root` (its children are replaced). */
export function mountDashboard(root: HTMLElement, intents: DashboardIntents): Dashboard {
  const header = createHeader();
  const banner = createErrorBanner();
  const cards: View[] = [
    createJoinCard(intents),
    createProgressCard(),
    // Beside the progress card in the two-column grid: analytic runs' per-layer progress.
    createLayersCard(),
    // DASO runs: groups, global sync set, schedule and local vs global bytes (beside the progress card too).
    createDasoCard(),
    // Second-order runs (DHO2, K-FAC): shard map, curvature job, spectrum and curvature memory.
    createSecondOrderCard(),
    createChartCard({
      title: 'Training loss', className: 'loss-chart', label: 'training loss over seconds', colorVar: '--chart-loss',
      series: (s) => s.lossCurve, formatX: formatSeconds, formatY: formatLoss, emptyText: 'no steps yet',
    }),
    createChartCard({
      title: 'Test accuracy', className: 'accuracy-chart', label: 'test accuracy over seconds', colorVar: '--chart-accuracy',
      series: (s) => s.curve, formatX: formatSeconds, formatY: formatPercent, emptyText: 'no evaluation yet',
    }),
    createClientsCard(),
    createModelCard(intents),
    createDevicesTable(),
    createDeviceCard(),
    createNetworkCard(),
    createLogPanel(),
  ];
  const views: View[] = [header, banner, ...cards];
  const grid = h('main', { className: 'grid' }, cards.map((v) => v.el));
  const shell = h('div', { className: 'dashboard' }, [header.el, banner.el, grid]);
  root.replaceChildren(shell);

  return {
    render(s) {
      for (const v of views) v.update(s);
      shell.dataset.role = s.role ?? 'none';
      const title = `swarm · ${PHASE_LABEL[s.phase]}`;
      if (document.title !== title) document.title = title;
    },
    destroy() {
      for (const v of views) v.destroy?.();
      shell.remove();
    },
  };
}
