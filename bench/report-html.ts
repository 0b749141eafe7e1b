/**
 * The self-contained HTML report of one suite: ratios with targets, charts (inline SVG), every run,
 * notes, the machine and the command line. No scripts and no external assets, so it opens anywhere. Pure.
 */
import { escapeHtml } from './html-escape.ts';
import type { BenchRun, SuiteResult } from './result-types.ts';
import { ratioVerdict } from './stats.ts';
import { barChart, lineChart, type Bar } from './svg-charts.ts';

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:1.5rem;color:#222;max-width:1100px}
table{border-collapse:collapse;margin:.5rem 0 1.2rem}th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums}.pass{color:#1a7f37;font-weight:600}.miss{color:#b00020;font-weight:600}
code{background:#f4f4f4;padding:.1rem .3rem}.runs{font-size:12px}`;

/** Fields not worth a column in the runs table (curve is plotted; the rest repeat across runs). */
const HIDDEN_COLUMNS = new Set(['curve']);

/** A cell value for the runs table. */
function cell(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') return Number.isInteger(v) ? v.toLocaleString('en-US') : v.toPrecision(4);
  if (Array.isArray(v)) return v.map((x) => cell(x)).join(', ');
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function table(head: readonly string[], rows: readonly (readonly string[])[], className = ''): string {
  const th = head.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const trs = rows.map((r) => `<tr>${r.join('')}</tr>`).join('');
  return `<table${className === '' ? '' : ` class="${className}"`}><thead><tr>${th}</tr></thead><tbody>${trs}</tbody></table>`;
}

const td = (text: string, className = ''): string => `<td${className === '' ? '' : ` class="${className}"`}>${escapeHtml(text)}</td>`;

function ratiosSection(r: SuiteResult): string {
  const rows = Object.entries(r.ratios).map(([name, value]) => {
    const t = r.ratioTargets[name];
    const verdict = ratioVerdict(value, t?.target ?? null, t?.direction ?? 'min');
    const target = t?.target === null || t === undefined ? '—' : `${t.direction === 'min' ? '≥' : '≤'} ${t.target}`;
    return [td(name), td(value === null ? '—' : value.toFixed(3), 'num'), td(target), td(verdict, verdict), td(t?.meaning ?? '')];
  });
  if (rows.length === 0) return '<p>No ratios.</p>';
  return table(['ratio', 'value', 'target', 'verdict', 'meaning'], rows);
}

/** Bars of every run that carries a finite numeric `field`. */
function barsOf(runs: readonly BenchRun[], field: string): Bar[] {
  const out: Bar[] = [];
  for (const run of runs) {
    const v = run[field];
    if (typeof v === 'number' && Number.isFinite(v)) out.push({ label: run.name, value: v });
  }
  return out;
}

function chartsSection(r: SuiteResult): string {
  const parts: string[] = [];
  const curves = r.runs.filter((run) => run.curve.length > 0).map((run) => ({ name: run.name, points: run.curve }));
  const target = r.runs.find((run) => run.targetAccuracy !== null)?.targetAccuracy ?? null;
  if (curves.length > 0) parts.push('<h2>Test accuracy vs seconds of training</h2>', lineChart(curves, 'seconds', 'test accuracy', target));
  const charts: readonly [string, string, string][] = [
    ['throughputMBps', 'Throughput', 'MB/s'],
    ['samplesPerSec', 'Training throughput', 'samples/s'],
  ];
  for (const [field, title, unit] of charts) {
    const bars = barsOf(r.runs, field);
    if (bars.length > 0) parts.push(`<h2>${escapeHtml(title)} (${escapeHtml(unit)})</h2>`, barChart(bars, unit));
  }
  return parts.join('\n');
}

function runsSection(runs: readonly BenchRun[]): string {
  const columns: string[] = [];
  for (const run of runs) for (const key of Object.keys(run)) if (!HIDDEN_COLUMNS.has(key) && !columns.includes(key)) columns.push(key);
  const rows = runs.map((run) => columns.map((c) => {
    const v = run[c];
    return td(cell(v), typeof v === 'number' ? 'num' : '');
  }));
  return table(columns, rows, 'runs');
}

function machineSection(r: SuiteResult): string {
  return table(['field', 'value'], Object.entries(r.machine).map(([k, v]) => [td(k), td(cell(v))]));
}

/**
 * Renders the report.
 * @example await writeFile('bench-results/transport.html', renderReport(result));
 */
export function renderReport(r: SuiteResult): string {
  const notes = r.notes.length === 0 ? '<p>None.</p>' : `<ul>${r.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>swarm bench: ${escapeHtml(r.suite)}</title><style>${STYLE}</style></head>
<body>
<h1>swarm bench: ${escapeHtml(r.suite)}</h1>
<p>Started ${escapeHtml(r.startedAt)} · <code>${escapeHtml(r.command)}</code></p>
<h2>Ratios</h2>
${ratiosSection(r)}
${chartsSection(r)}
<h2>Notes</h2>
${notes}
<h2>Runs</h2>
${runsSection(r.runs)}
<h2>Machine</h2>
${machineSection(r)}
</body></html>
`;
}
