/**
 * Coordinator, federated runs only (hidden while `clients` is empty, e.g. for data-parallel runs): the mean
 * local accuracy under the global model, the mean personalised accuracy and their difference, above a table
 * of every client (see `client-row.ts`). Rows are keyed by client id, created once and updated in place; the
 * table scrolls inside a fixed-height box so 100 clients do not push the rest of the dashboard away.
 */
import { CLIENT_COLUMNS, columnShown, createClientRow, type ClientColumns, type ClientRowView } from './client-row.ts';
import { card, h, setClass, setHidden, setText } from './dom.ts';
import { formatGain, gainPoints, gainSign } from './federated-format.ts';
import { formatPercent } from './format.ts';
import type { SwarmStatus } from './snapshot.ts';
import { createStatGrid } from './stat-grid.ts';
import type { View } from './view.ts';

/** The optional columns a snapshot calls for: groups for pFedACnnL, personal numbers once any exist. */
export function clientColumns(s: SwarmStatus): ClientColumns {
  const pfed = s.algo === 'pfedacnnl';
  return {
    group: pfed,
    personal: pfed || s.meanPersonalAccuracy !== null || s.clients.some((c) => c.personalAccuracy !== null),
  };
}

/** Creates the clients card view. */
export function createClientsCard(): View {
  const { el, body, title } = card('Clients', 'clients-card wide');
  const stats = createStatGrid([
    ['mean-local', 'Mean local accuracy'],
    ['mean-personal', 'Mean personalised'],
    ['mean-gain', 'Mean gain'],
    ['reported', 'Reported'],
  ] as const);
  const ths = CLIENT_COLUMNS.map(([text, className, , tip]) =>
    h('th', { className, text, attrs: tip === '' ? { scope: 'col' } : { scope: 'col', title: tip } }));
  const tbody = h('tbody');
  const table = h('table', { className: 'table clients', attrs: { 'data-testid': 'clients' } }, [h('thead', {}, [h('tr', {}, ths)]), tbody]);
  body.append(stats.el, h('div', { className: 'table-scroll clients-scroll' }, [table]));
  const rows = new Map<number, ClientRowView>();
  /** The stat tile (label + value) of a key, to hide the personal tiles with their columns. */
  const tile = (key: 'mean-personal' | 'mean-gain'): HTMLElement => stats.value(key).parentElement ?? stats.value(key);

  const update = (s: SwarmStatus): void => {
    setHidden(el, s.clients.length === 0);
    if (s.clients.length === 0) return;
    const columns = clientColumns(s);
    setText(title, `Clients (${s.clients.length})`);
    stats.set('mean-local', formatPercent(s.meanLocalAccuracy));
    stats.set('mean-personal', formatPercent(s.meanPersonalAccuracy));
    // The means are per-client averages over the reported clients, so their difference is the mean gain.
    const gain = gainPoints(s.meanLocalAccuracy, s.meanPersonalAccuracy);
    stats.set('mean-gain', formatGain(gain));
    setClass(stats.value('mean-gain'), 'ok', gainSign(gain) > 0);
    setClass(stats.value('mean-gain'), 'bad', gainSign(gain) < 0);
    const reported = s.clients.filter((c) => c.globalAccuracy !== null).length;
    stats.set('reported', `${reported} / ${s.clients.length}`);
    setHidden(tile('mean-personal'), !columns.personal);
    setHidden(tile('mean-gain'), !columns.personal);
    ths.forEach((th, i) => { setHidden(th, !columnShown(i, columns)); });

    const seen = new Set<number>();
    s.clients.forEach((c, i) => {
      seen.add(c.id);
      let row = rows.get(c.id);
      if (row === undefined) {
        row = createClientRow();
        rows.set(c.id, row);
      }
      row.update(c, columns);
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
