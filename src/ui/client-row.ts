/**
 * One row of the clients table: client id, host tab (short peer id, full id as tooltip), rows, an inline
 * label histogram, pFedACnnL group, local accuracy under the global model, personalised accuracy, the gain
 * in points and λ. Built once per client id and updated in place; host ids come from peers, so every cell
 * is written as text (`setText`), never parsed as HTML.
 */
import { h, setAttr, setClass, setHidden, setText } from './dom.ts';
import { formatGain, formatLambda, gainPoints, gainSign, shortPeerId } from './federated-format.ts';
import { formatPercent, groupThousands } from './format.ts';
import { createLabelHistogram, type LabelHistogram } from './label-histogram.ts';
import type { ClientRow } from './snapshot.ts';

/** Optional column groups: the group column for pFedACnnL, the personal columns when any are reported. */
export type ClientColumnGroup = 'always' | 'group' | 'personal';

/** Header text, alignment class, column group and tooltip of each column, in order. */
export const CLIENT_COLUMNS = [
  ['Client', 'num', 'always', ''],
  ['Host', '', 'always', 'the tab that holds this client’s data'],
  ['Rows', 'num', 'always', 'train + validation + local test rows'],
  ['Labels', '', 'always', 'label histogram of the client’s rows'],
  ['Group', 'num', 'group', 'pFedACnnL client group'],
  ['Local acc.', 'num', 'always', 'local test accuracy under the global model'],
  ['Personal acc.', 'num', 'personal', 'local test accuracy under the client’s personal model'],
  ['Gain', 'num', 'personal', 'personal minus local accuracy, in percentage points'],
  ['λ', 'num', 'personal', 'chosen ridge as a multiple of tr(A_k)/d; ∞ = the group anchor'],
] as const;

/** Which optional columns are shown. */
export interface ClientColumns {
  readonly group: boolean;
  readonly personal: boolean;
}

type CellKey = 'id' | 'host' | 'rows' | 'labels' | 'group' | 'local' | 'personal' | 'gain' | 'lambda';
/** Cell keys in column order (matches CLIENT_COLUMNS). */
const CELL_KEYS: readonly CellKey[] = ['id', 'host', 'rows', 'labels', 'group', 'local', 'personal', 'gain', 'lambda'];

/** A mounted client row. */
export interface ClientRowView {
  readonly tr: HTMLTableRowElement;
  update(c: ClientRow, columns: ClientColumns): void;
}

/** True when column `i` is shown under `columns`. */
export function columnShown(i: number, columns: ClientColumns): boolean {
  const group = CLIENT_COLUMNS[i]?.[2] ?? 'always';
  return group === 'always' || columns[group];
}

/** Creates an empty row; `update` fills it. */
export function createClientRow(): ClientRowView {
  const cells = Object.fromEntries(
    CELL_KEYS.map((key, i) => [key, h('td', { className: CLIENT_COLUMNS[i]?.[1] ?? '' })]),
  ) as Record<CellKey, HTMLTableCellElement>;
  const host = h('span', { className: 'id-text mono' });
  cells.host.appendChild(host);
  const hist = createLabelHistogram();
  cells.labels.appendChild(hist.el);
  const tr = h('tr', {}, CELL_KEYS.map((k) => cells[k]));
  return { tr, update: (c, columns) => { updateRow(cells, host, hist, c, columns); } };
}

function updateRow(
  cells: Record<CellKey, HTMLTableCellElement>, host: HTMLElement, hist: LabelHistogram, c: ClientRow, columns: ClientColumns,
): void {
  CELL_KEYS.forEach((k, i) => { setHidden(cells[k], !columnShown(i, columns)); });
  setText(cells.id, String(c.id));
  setText(host, shortPeerId(c.host));
  setAttr(cells.host, 'title', c.host);
  setText(cells.rows, groupThousands(c.rows));
  hist.update(c.rows > 0 ? c.labelHistogram : []);
  setText(cells.group, String(c.group));
  setText(cells.local, formatPercent(c.globalAccuracy));
  setText(cells.personal, formatPercent(c.personalAccuracy));
  const gain = gainPoints(c.globalAccuracy, c.personalAccuracy);
  setText(cells.gain, formatGain(gain));
  setClass(cells.gain, 'ok', gainSign(gain) > 0);
  setClass(cells.gain, 'bad', gainSign(gain) < 0);
  setText(cells.lambda, formatLambda(c.lambda, c.personalAccuracy));
}
