/**
 * Second-order runs only (DHO2, K-FAC; hidden while `status.secondOrder` is absent or null): the shard map
 * (one row per shard: device, size, a bar of its share of the parameters, curvature memory now and at peak),
 * the running curvature job, the installed spectrum (largest first, with a log-scale bar chart), this
 * tab's own curvature memory and, for DHO2 'admm', the last consensus round's residuals and ρ. Memory arrives as floats and is shown as bytes at 4 bytes per float (the
 * snapshot already counts a float64 as two floats). Peer ids are written as text and attributes only.
 *
 * @example
 * const view = createSecondOrderCard();
 * view.update(status); // status.secondOrder = { algo: 'dho2', variant: 'sync', shards: [...], ... }
 */
import { card, h, setAttr, setData, setHidden, setText } from './dom.ts';
import { shortPeerId } from './federated-format.ts';
import { formatBytes, formatPercent, formatSeconds, formatSignificant, groupThousands, MISSING } from './format.ts';
import type { AdmmSnapshot, SecondOrderSnapshot, ShardRow, SwarmStatus } from './snapshot.ts';
import { createSpectrumChart } from './spectrum-chart.ts';
import { createStatGrid } from './stat-grid.ts';
import type { View } from './view.ts';

/** Bytes per counted float: the snapshot counts float32 once and float64 twice. */
const BYTES_PER_FLOAT = 4;
/** Devices named in the job line before the rest are summarised as "+n more". */
const JOB_DEVICES_SHOWN = 3;

/** Floats of curvature state as a byte size. */
export const formatFloats = (floats: number): string => formatBytes(floats * BYTES_PER_FLOAT);

/** "DHO2 curvature (parallel + extrapolation)", "DHO2 curvature (sync)", "DHO2 curvature (admm)", "K-FAC factors". */
export function secondOrderTitle(so: SecondOrderSnapshot): string {
  if (so.algo === 'kfac') return 'K-FAC factors';
  const variant = [so.variant, so.extrapolate ? '+ extrapolation' : ''].filter((t) => t !== '').join(' ');
  return variant === '' ? 'DHO2 curvature' : `DHO2 curvature (${variant})`;
}

/** A shard's size in words: DHO2 shards are coordinates of the flat parameters, K-FAC shards are layers (from 1). */
export function shardSizeText(so: SecondOrderSnapshot, index: number, size: number): string {
  return so.algo === 'kfac' ? `layer ${index + 1}: ${groupThousands(size)} weights` : `${groupThousands(size)} coordinates`;
}

/**
 * The curvature job in words, or "idle".
 * @example jobText({ snapshotStep: 120, iteration: 7, order: 20, workers: ['a', 'b'] })
 * // "Lanczos iteration 7 / 20 on a, b, snapshot of step 120"
 */
export function jobText(job: SecondOrderSnapshot['job']): string {
  if (job === null) return 'idle';
  const shown = job.workers.slice(0, JOB_DEVICES_SHOWN).map(shortPeerId);
  const more = job.workers.length - shown.length;
  const on = shown.length === 0 ? '' : ` on ${shown.join(', ')}${more > 0 ? ` +${more} more` : ''}`;
  return `Lanczos iteration ${job.iteration} / ${job.order}${on}, snapshot of step ${groupThousands(job.snapshotStep)}`;
}

/**
 * Each shard's device memory, counted once per device: K-FAC puts several layers on one device and the
 * held/peak figures are the device's, so a later row of the same device gets null. `share` is the device's
 * peak over the sum of all devices' peaks — what one device alone would need, as the state splits by size.
 */
export function deviceMemory(shards: readonly ShardRow[]): ({ held: number; peak: number; share: number | null } | null)[] {
  const first = new Map<string, number>();
  shards.forEach((r, i) => { if (!first.has(r.peer)) first.set(r.peer, i); });
  const totalPeak = [...first.values()].reduce((sum, i) => sum + (shards[i]?.peakFloats ?? 0), 0);
  return shards.map((r, i) => first.get(r.peer) !== i ? null
    : { held: r.heldFloats, peak: r.peakFloats, share: totalPeak > 0 ? r.peakFloats / totalPeak : null });
}

/**
 * Shows the last consensus ADMM round (DHO2 variant 'admm': residuals and the penalty ρ of the next round), or
 * nothing (element hidden and empty) for other variants and before the first round closes.
 * @example renderAdmmResiduals(el, { round: 12, primal: 0.0123, dual: 0.0456, rho: 0.2 })
 * // "ADMM round 12: primal residual 0.0123, dual residual 0.0456, ρ 0.2"
 */
export function renderAdmmResiduals(el: HTMLElement, r: AdmmSnapshot | null): void {
  setHidden(el, r === null);
  setText(el, r === null ? '' : `ADMM round ${groupThousands(r.round)}: primal residual ${formatSignificant(r.primal, 3)}, `
    + `dual residual ${formatSignificant(r.dual, 3)}, ρ ${formatSignificant(r.rho, 3)}`);
}

interface ShardRowView {
  readonly tr: HTMLTableRowElement;
  readonly device: HTMLElement;
  readonly size: HTMLElement;
  readonly fill: HTMLElement;
  readonly held: HTMLElement;
  readonly peak: HTMLElement;
  readonly share: HTMLElement;
}

const COLUMNS = [['Device', ''], ['Shard', ''], ['Of all', ''], ['Now', 'num'], ['Peak', 'num'], ['Share', 'num']] as const;

/** Creates the second-order card view. */
export function createSecondOrderCard(): View {
  const { el, body, title } = card('Second order', 'second-order-card');
  const shardHead = h('h3', { className: 'subhead', text: 'Shards and curvature memory' });
  const tbody = h('tbody');
  const table = h('table', { className: 'table so-shards', attrs: { 'data-testid': 'so-shards' } }, [
    h('thead', {}, [h('tr', {}, COLUMNS.map(([t, c]) => h('th', { className: c, text: t, attrs: { scope: 'col' } })))]), tbody]);
  const shardBox = h('div', { className: 'table-scroll' }, [table]);
  const job = h('p', { className: 'so-note small', attrs: { 'data-testid': 'so-job' } });
  const stats = createStatGrid([
    ['so-installs', 'Installs'], ['so-dropped', 'Dropped'], ['so-last-job', 'Last job'], ['so-own', 'This tab holds'],
  ] as const);
  const eigenStep = h('p', { className: 'so-note small muted', attrs: { 'data-testid': 'so-eigen-step' } });
  const spectrumHead = h('h3', { className: 'subhead', text: 'Spectrum (largest first)' });
  const spectrum = createSpectrumChart();
  const admm = h('p', { className: 'so-note small', attrs: { 'data-testid': 'so-admm' } });
  body.append(shardHead, shardBox, job, stats.el, eigenStep, spectrumHead, spectrum.el, admm);
  const rows: ShardRowView[] = [];

  const renderShards = (so: SecondOrderSnapshot, self: string | null): void => {
    while (rows.length < so.shards.length) {
      const row = createShardRow();
      rows.push(row);
      tbody.appendChild(row.tr);
    }
    while (rows.length > so.shards.length) rows.pop()?.tr.remove();
    const total = so.shards.reduce((sum, r) => sum + r.size, 0);
    const memory = deviceMemory(so.shards);
    so.shards.forEach((r, i) => {
      const row = rows[i];
      if (row !== undefined) updateShardRow(row, so, i, total, memory[i] ?? null, r.peer === self);
    });
  };

  return {
    el,
    update(s: SwarmStatus) {
      const so = s.secondOrder ?? null;
      setHidden(el, so === null);
      if (so === null) return;
      setText(title, secondOrderTitle(so));
      setData(el, 'algo', so.algo);
      // Workers get no shard map ([]): the coordinator holds it.
      setHidden(shardHead, so.shards.length === 0);
      setHidden(shardBox, so.shards.length === 0);
      renderShards(so, s.peerId);
      setText(job, `Curvature job: ${jobText(so.job)}`);
      setData(job, 'running', String(so.job !== null));
      stats.set('so-installs', groupThousands(so.installs));
      stats.set('so-dropped', groupThousands(so.dropped));
      stats.set('so-last-job', so.installs + so.dropped === 0 ? MISSING : formatSeconds(so.lastJobSeconds));
      stats.set('so-own', formatFloats(so.ownFloats));
      setHidden(eigenStep, so.eigenStep < 0);
      setText(eigenStep, `Curvature from step ${groupThousands(so.eigenStep)}`);
      // K-FAC installs factors, not eigenvalues: no spectrum to show.
      setHidden(spectrumHead, so.algo !== 'dho2');
      setHidden(spectrum.el, so.algo !== 'dho2');
      spectrum.set(so.eigvals);
      renderAdmmResiduals(admm, so.admm ?? null);
    },
  };
}

function createShardRow(): ShardRowView {
  const device = h('span', { className: 'id-text mono' });
  const size = h('td');
  const fill = h('span', { className: 'so-bar-fill' });
  const held = h('td', { className: 'num' });
  const peak = h('td', { className: 'num' });
  const share = h('td', { className: 'num' });
  const tr = h('tr', {}, [h('td', {}, [device]), size, h('td', {}, [h('span', { className: 'so-bar' }, [fill])]), held, peak, share]);
  return { tr, device, size, fill, held, peak, share };
}

function updateShardRow(row: ShardRowView, so: SecondOrderSnapshot, i: number, total: number,
  memory: ReturnType<typeof deviceMemory>[number], self: boolean): void {
  const r = so.shards[i];
  if (r === undefined) return;
  setText(row.device, shortPeerId(r.peer));
  setAttr(row.device, 'title', self ? `${r.peer} (this tab)` : r.peer);
  setData(row.tr, 'self', String(self));
  setText(row.size, shardSizeText(so, i, r.size));
  const fraction = total > 0 ? r.size / total : 0;
  // Written as browsers serialise it back ("50%", not "50.0%"), so an unchanged width compares equal and is not rewritten.
  const width = `${Number((fraction * 100).toFixed(1))}%`;
  if (row.fill.style.width !== width) row.fill.style.width = width;
  setAttr(row.fill, 'title', formatPercent(fraction));
  // A later layer of a device already listed: its memory is on that device's first row.
  setText(row.held, memory === null ? '″' : formatFloats(memory.held));
  setText(row.peak, memory === null ? '″' : formatFloats(memory.peak));
  setText(row.share, memory === null ? '″' : formatPercent(memory.share));
  setAttr(row.share, 'title', 'this device\'s peak as a fraction of all devices\' peaks together (about what one device alone would hold)');
}
