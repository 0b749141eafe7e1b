/**
 * Coordinator, analytic runs (FedACnnL, pFedACnnL) only: one row per layer with its input width (bias
 * included, i.e. the side of the d×d statistics each tab sends) and its state — solved, collecting k of n
 * tabs, or waiting — plus whether the sums are masked and how many client groups the current round
 * collects. Rows are kept and updated in place; a run's layer count only changes between runs.
 */
import { card, h, setData, setHidden, setText } from './dom.ts';
import { layerState, layerStateText } from './federated-format.ts';
import { groupThousands } from './format.ts';
import type { AnalyticProgress, SwarmStatus } from './snapshot.ts';
import type { View } from './view.ts';

interface LayerRow {
  readonly tr: HTMLTableRowElement;
  readonly index: HTMLElement;
  readonly inputs: HTMLElement;
  readonly state: HTMLElement;
}

/** Creates the layers card view. */
export function createLayersCard(): View {
  const { el, body, title } = card('Layers', 'layers-card');
  const masked = h('p', { className: 'layers-note small', attrs: { 'data-testid': 'layers-masked' } });
  const groups = h('p', { className: 'layers-note small muted', attrs: { 'data-testid': 'layers-groups' } });
  const head = h('thead', {}, [h('tr', {}, [
    h('th', { className: 'num', text: 'Layer', attrs: { scope: 'col' } }),
    h('th', { className: 'num', text: 'Inputs', attrs: { scope: 'col', title: 'input width including the bias column' } }),
    h('th', { text: 'State', attrs: { scope: 'col' } }),
  ])]);
  const tbody = h('tbody');
  const table = h('table', { className: 'table layers', attrs: { 'data-testid': 'layers' } }, [head, tbody]);
  body.append(h('div', { className: 'table-scroll' }, [table]), masked, groups);
  const rows: LayerRow[] = [];

  return {
    el,
    update(s: SwarmStatus) {
      const a = s.analytic;
      setHidden(el, a === null);
      if (a === null) return;
      setText(title, `Layers (${a.solved} of ${a.layers} solved)`);
      while (rows.length < a.layers) {
        const row = createRow();
        rows.push(row);
        tbody.appendChild(row.tr);
      }
      while (rows.length > a.layers) rows.pop()?.tr.remove();
      rows.forEach((row, i) => { updateRow(row, a, i); });
      setText(masked, a.masked
        ? 'Masked sums: the coordinator sees only the sum of the tabs’ statistics.'
        : 'Unmasked: the coordinator sees each tab’s statistics.');
      setData(masked, 'masked', String(a.masked));
      // Between rounds (or once every layer is solved) there is no current round to describe.
      const running = a.solved < a.layers;
      setHidden(groups, !running);
      setText(groups, `This round collects ${a.groups} client ${a.groups === 1 ? 'group' : 'groups'}.`);
    },
  };
}

function createRow(): LayerRow {
  const index = h('td', { className: 'num' });
  const inputs = h('td', { className: 'num' });
  const state = h('td', { className: 'layer-state' });
  return { tr: h('tr', {}, [index, inputs, state]), index, inputs, state };
}

function updateRow(row: LayerRow, a: AnalyticProgress, i: number): void {
  // Layers are numbered from 1 on screen (the progress card's "layer 2 / 3" counts solved layers).
  setText(row.index, String(i + 1));
  const width = a.layerInputs[i];
  setText(row.inputs, width === undefined ? '–' : groupThousands(width));
  setText(row.state, layerStateText(a, i));
  setData(row.tr, 'state', layerState(a, i));
}
