/**
 * "This device": the backend this tab chose and why, the adapter, the measured speed, memory, the numeric
 * self-test, and the table of every backend that was measured. Shown for every role.
 */
import { card, h, setClass, setHidden, setText } from './dom.ts';
import { formatCount, formatMemory } from './format.ts';
import type { BackendMeasurement, SwarmStatus } from './snapshot.ts';
import { createStatGrid } from './stat-grid.ts';
import type { View } from './view.ts';

/** Self-test text: a pending test (no backend yet) must not read as a failure. */
export function selfTestText(s: Pick<SwarmStatus, 'backend' | 'selfTestPassed'>): string {
  if (s.backend === null) return 'pending';
  return s.selfTestPassed ? '✓ passed' : '✗ failed';
}

/** Creates the device card view. */
export function createDeviceCard(): View {
  const { el, body } = card('This device', 'device-card');
  const stats = createStatGrid([
    ['backend', 'Backend'],
    ['speed', 'Samples/s'],
    ['memory', 'Memory'],
    ['selftest', 'Self-test'],
  ] as const);
  const adapter = h('p', { className: 'adapter muted small' });
  const reason = h('p', { className: 'reason', attrs: { 'data-testid': 'backend-reason' } });
  const measurements = createMeasurementTable();
  body.append(stats.el, adapter, h('h3', { className: 'subhead', text: 'Why this backend' }), reason, measurements.el);
  return {
    el,
    update(s) {
      stats.set('backend', s.backend ?? 'choosing…');
      stats.set('speed', s.samplesPerSec > 0 ? formatCount(s.samplesPerSec) : '–');
      stats.set('memory', formatMemory(s.memoryBytes));
      stats.set('selftest', selfTestText(s));
      setClass(stats.value('selftest'), 'ok', s.backend !== null && s.selfTestPassed);
      setClass(stats.value('selftest'), 'bad', s.backend !== null && !s.selfTestPassed);
      setHidden(adapter, s.backend === null);
      setText(adapter, s.adapter === '' ? 'adapter: none (CPU/WASM)' : `adapter: ${s.adapter}`);
      setText(reason, s.backendReason === '' ? 'Measuring the available backends…' : s.backendReason);
      measurements.update(s.backendMeasurements, s.backend);
    },
  };
}

/** The per-backend measurement table; rows are rebuilt only when the measurements change. */
function createMeasurementTable(): { el: HTMLElement; update(m: readonly BackendMeasurement[], chosen: string | null): void } {
  const tbody = h('tbody');
  const head = h('thead', {}, [h('tr', {}, ['Backend', 'Available', 'Samples/s', 'Note'].map((t) => h('th', { text: t, attrs: { scope: 'col' } })))]);
  const table = h('table', { className: 'table measurements' }, [head, tbody]);
  const el = h('div', { className: 'table-scroll' }, [table]);
  let key = '';
  return {
    el,
    update(m, chosen) {
      el.hidden = m.length === 0;
      const next = JSON.stringify([m, chosen]);
      if (next === key) return;
      key = next;
      tbody.replaceChildren(...m.map((row) => measurementRow(row, row.backend === chosen)));
    },
  };
}

function measurementRow(m: BackendMeasurement, chosen: boolean): HTMLTableRowElement {
  const name = h('td', { text: m.backend }, chosen ? [h('span', { className: 'tag', text: 'chosen' })] : []);
  return h('tr', { className: chosen ? 'chosen' : '' }, [
    name,
    h('td', { className: m.available ? 'ok' : 'bad', text: m.available ? '✓ yes' : '✗ no' }),
    h('td', { className: 'num', text: m.samplesPerSec === null ? '–' : formatCount(m.samplesPerSec) }),
    h('td', { className: 'note', text: m.note }),
  ]);
}
