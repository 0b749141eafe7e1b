/**
 * Coordinator only: one row per member device, keyed by id. Rows are created when a device appears,
 * updated in place, reordered only when the order changes and removed when the device leaves.
 */
import { card, h, setAttr, setClass, setHidden, setText } from './dom.ts';
import { formatAgo, formatCount, formatMemory, groupThousands } from './format.ts';
import { createLabelHistogram, type LabelHistogram } from './label-histogram.ts';
import type { DeviceRow, SwarmStatus } from './snapshot.ts';
import type { View } from './view.ts';
import { isCoordinator } from './view.ts';

/** Header text and alignment class of each column, in order. */
const COLUMNS = [
  ['Device', ''], ['Backend', ''], ['Samples/s', 'num'], ['Memory', 'num'], ['Self-test', 'center'],
  ['Partition', ''], ['Share', 'num'], ['Active', 'center'], ['Last seen', 'num'],
] as const;

interface RowView {
  readonly tr: HTMLTableRowElement;
  readonly id: HTMLElement;
  readonly self: HTMLElement;
  readonly size: HTMLElement;
  readonly cells: Readonly<Record<'id' | 'backend' | 'speed' | 'memory' | 'selftest' | 'partition' | 'share' | 'active' | 'seen', HTMLElement>>;
  readonly hist: LabelHistogram;
}

/** Creates the devices card view. */
export function createDevicesTable(): View {
  const { el, body, title } = card('Devices', 'devices-card wide');
  const tbody = h('tbody');
  const head = h('thead', {}, [h('tr', {}, COLUMNS.map(([t, c]) => h('th', { className: c, text: t, attrs: { scope: 'col' } })))]);
  const table = h('table', { className: 'table devices', attrs: { 'data-testid': 'devices' } }, [head, tbody]);
  const empty = h('p', { className: 'muted empty', text: 'No devices yet: share the join link.' });
  body.append(h('div', { className: 'table-scroll' }, [table]), empty);
  const rows = new Map<string, RowView>();

  const update = (s: SwarmStatus): void => {
    setHidden(el, !isCoordinator(s));
    if (!isCoordinator(s)) return;
    const active = s.devices.filter((d) => d.active).length;
    setText(title, `Devices (${active} active of ${s.devices.length})`);
    setHidden(empty, s.devices.length > 0);
    const seen = new Set<string>();
    s.devices.forEach((d, i) => {
      seen.add(d.id);
      let row = rows.get(d.id);
      if (row === undefined) {
        row = createRow();
        rows.set(d.id, row);
      }
      updateRow(row, d, d.id === s.peerId);
      // Only move a row that is out of place, so an unchanged order causes no DOM mutation.
      if (tbody.children[i] !== row.tr) tbody.insertBefore(row.tr, tbody.children[i] ?? null);
    });
    for (const [id, row] of rows) {
      if (seen.has(id)) continue;
      row.tr.remove();
      rows.delete(id);
    }
  };
  return { el, update };
}

function createRow(): RowView {
  const td = (className = ''): HTMLTableCellElement => h('td', { className });
  const cells = {
    id: td('id'), backend: td(), speed: td('num'), memory: td('num'), selftest: td('center'),
    partition: td(), share: td('num'), active: td('center'), seen: td('num'),
  };
  const id = h('span', { className: 'id-text mono' });
  const self = h('span', { className: 'tag', text: 'this tab' });
  cells.id.appendChild(id);
  const hist = createLabelHistogram();
  const size = h('span', { className: 'partition-size' });
  cells.partition.appendChild(h('span', { className: 'partition' }, [size, hist.el]));
  const tr = h('tr', {}, Object.values(cells));
  return { tr, id, self, size, cells, hist };
}

function updateRow(row: RowView, d: DeviceRow, self: boolean): void {
  const c = row.cells;
  setText(row.id, d.id);
  // The tag is attached only to this tab's row, so other rows' text is just the id.
  if (self && row.self.parentElement !== c.id) c.id.appendChild(row.self);
  if (!self) row.self.remove();
  setAttr(c.id, 'title', d.adapter === '' ? d.id : `${d.id}\n${d.adapter}`);
  setText(c.backend, d.backend);
  setAttr(c.backend, 'title', d.reason);
  setText(c.speed, formatCount(d.samplesPerSec));
  setText(c.memory, formatMemory(d.memoryBytes));
  setText(c.selftest, d.selfTestPassed ? '✓' : '✗');
  setClass(c.selftest, 'ok', d.selfTestPassed);
  setClass(c.selftest, 'bad', !d.selfTestPassed);
  setText(row.size, d.partitionSize > 0 ? groupThousands(d.partitionSize) : '–');
  row.hist.update(d.partitionSize > 0 ? d.labelHistogram : []);
  setText(c.share, groupThousands(d.batchShare));
  setText(c.active, d.active ? '● yes' : '○ no');
  setClass(c.active, 'ok', d.active);
  setClass(c.active, 'muted', !d.active);
  setClass(row.tr, 'inactive', !d.active);
  setText(c.seen, self ? '—' : formatAgo(d.lastSeenMs));
}
