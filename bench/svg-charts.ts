/**
 * Inline SVG charts for the HTML report: a line chart (accuracy vs seconds, one line per run) and a
 * horizontal bar chart (throughputs). Self-contained strings: no scripts, no external assets. Pure.
 */
import { escapeHtml } from './html-escape.ts';

/** One line of a line chart. */
export interface Series {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
}

/** One bar of a bar chart. */
export interface Bar {
  readonly label: string;
  readonly value: number;
}

/** Distinguishable colours (Tableau 10); series beyond ten reuse them. */
const COLOURS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
/** Chart geometry in SVG user units. */
const WIDTH = 640;
const HEIGHT = 320;
const PAD = { left: 56, right: 150, top: 16, bottom: 40 } as const;
const BAR_HEIGHT = 22;
const BAR_GAP = 6;
const BAR_LABEL_WIDTH = 220;
/** Room right of the longest bar for its value, e.g. "12,345 samples/s". */
const BAR_VALUE_WIDTH = 130;
/** Ticks per axis. */
const TICKS = 5;

const colour = (i: number): string => COLOURS[i % COLOURS.length] ?? '#000';
const fmt = (v: number): string => (v === 0 ? '0' : Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(1) : v.toFixed(3));

/** Data range of `values`: from 0 when `floorZero`, else padded by 5% of the span on both sides. */
function extent(values: readonly number[], floorZero: boolean): [number, number] {
  const finite = values.filter((v) => Number.isFinite(v));
  let lo = finite.length > 0 ? Math.min(...finite) : 0;
  let hi = finite.length > 0 ? Math.max(...finite) : 1;
  if (floorZero) lo = Math.min(0, lo);
  else {
    const pad = (hi - lo) * 0.05;
    lo -= pad;
    hi += pad;
  }
  if (hi <= lo) hi = lo + 1;
  return [lo, hi];
}

function axes(xs: [number, number], ys: [number, number], xLabel: string, yLabel: string): string {
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const parts: string[] = [];
  for (let i = 0; i <= TICKS; i++) {
    const xv = xs[0] + ((xs[1] - xs[0]) * i) / TICKS;
    const yv = ys[0] + ((ys[1] - ys[0]) * i) / TICKS;
    const x = PAD.left + (plotW * i) / TICKS;
    const y = PAD.top + plotH - (plotH * i) / TICKS;
    parts.push(`<line x1="${x}" y1="${PAD.top}" x2="${x}" y2="${PAD.top + plotH}" stroke="#eee"/>`);
    parts.push(`<line x1="${PAD.left}" y1="${y}" x2="${PAD.left + plotW}" y2="${y}" stroke="#eee"/>`);
    parts.push(`<text x="${x}" y="${PAD.top + plotH + 14}" font-size="10" text-anchor="middle">${fmt(xv)}</text>`);
    parts.push(`<text x="${PAD.left - 4}" y="${y + 3}" font-size="10" text-anchor="end">${fmt(yv)}</text>`);
  }
  parts.push(`<rect x="${PAD.left}" y="${PAD.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`);
  parts.push(`<text x="${PAD.left + plotW / 2}" y="${HEIGHT - 6}" font-size="11" text-anchor="middle">${escapeHtml(xLabel)}</text>`);
  parts.push(`<text x="12" y="${PAD.top + plotH / 2}" font-size="11" text-anchor="middle" transform="rotate(-90 12 ${PAD.top + plotH / 2})">${escapeHtml(yLabel)}</text>`);
  return parts.join('');
}

/**
 * A line chart of every series over shared axes, with a legend on the right. The y axis spans the data
 * (and `guideY`, drawn as a dashed line, e.g. the target accuracy), the x axis starts at 0.
 * @example lineChart([{ name: '2 tabs', points: [[1, 0.5], [2, 0.8]] }], 'seconds', 'test accuracy', 0.9)
 */
export function lineChart(series: readonly Series[], xLabel: string, yLabel: string, guideY: number | null = null): string {
  const all = series.flatMap((s) => s.points);
  const xs = extent(all.map((p) => p[0]), true);
  const ys = extent([...all.map((p) => p[1]), ...(guideY === null ? [] : [guideY])], false);
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const px = (x: number): number => PAD.left + ((x - xs[0]) / (xs[1] - xs[0])) * plotW;
  const py = (y: number): number => PAD.top + plotH - ((y - ys[0]) / (ys[1] - ys[0])) * plotH;
  const lines = series.map((s, i) => {
    const pts = s.points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ');
    const legendY = PAD.top + 12 + i * 16;
    return (
      `<polyline fill="none" stroke="${colour(i)}" stroke-width="2" points="${pts}"><title>${escapeHtml(s.name)}</title></polyline>` +
      `<rect x="${WIDTH - PAD.right + 10}" y="${legendY - 8}" width="10" height="10" fill="${colour(i)}"/>` +
      `<text x="${WIDTH - PAD.right + 24}" y="${legendY + 1}" font-size="11">${escapeHtml(s.name)}</text>`
    );
  });
  const guide = guideY === null || all.length === 0 ? '' : `<line x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${py(guideY).toFixed(1)}" y2="${py(guideY).toFixed(1)}" stroke="#888" stroke-dasharray="4 3"><title>target ${guideY}</title></line>`;
  const body = all.length === 0 ? `<text x="${WIDTH / 2}" y="${HEIGHT / 2}" text-anchor="middle">no data</text>` : guide + lines.join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img">${axes(xs, ys, xLabel, yLabel)}${body}</svg>`;
}

/**
 * A horizontal bar chart, one bar per entry, value printed at the bar's end.
 * @example barChart([{ label: 'raw round 1', value: 18.2 }], 'MB/s')
 */
export function barChart(bars: readonly Bar[], unit: string): string {
  const max = Math.max(0, ...bars.map((b) => (Number.isFinite(b.value) ? b.value : 0)));
  const plotW = WIDTH - BAR_LABEL_WIDTH - BAR_VALUE_WIDTH;
  const height = Math.max(1, bars.length) * (BAR_HEIGHT + BAR_GAP) + BAR_GAP;
  const rows = bars.map((b, i) => {
    const y = BAR_GAP + i * (BAR_HEIGHT + BAR_GAP);
    const w = max > 0 && Number.isFinite(b.value) ? (b.value / max) * plotW : 0;
    const value = `${Number.isFinite(b.value) ? fmt(b.value) : '—'} ${unit}`;
    return (
      `<text x="${BAR_LABEL_WIDTH - 6}" y="${y + BAR_HEIGHT / 2 + 4}" font-size="11" text-anchor="end">${escapeHtml(b.label)}</text>` +
      `<rect x="${BAR_LABEL_WIDTH}" y="${y}" width="${w.toFixed(1)}" height="${BAR_HEIGHT}" fill="${colour(i)}"><title>${escapeHtml(value)}</title></rect>` +
      `<text x="${(BAR_LABEL_WIDTH + w + 4).toFixed(1)}" y="${y + BAR_HEIGHT / 2 + 4}" font-size="11">${escapeHtml(value)}</text>`
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img">${rows.join('')}</svg>`;
}
