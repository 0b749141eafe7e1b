/**
 * backend.html: runs the per-tab backend choice on its own and shows it, for people checking a device
 * and for e2e/backend.spec.ts. The choice lands on `window.backendChoice` (or the failure on
 * `window.backendError`). `?backend=NAME` forces a backend, as in the app.
 */
import { parseBackendName } from '../platform/backend-name.ts';
import { formatRate } from '../platform/backend-policy.ts';
import { chooseBackend, type BackendChoice } from '../platform/backend.ts';
import type { BackendName } from '../protocol/messages.ts';

declare global {
  interface Window {
    backendChoice?: BackendChoice;
    backendError?: string;
  }
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, text: string, className = ''): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  el.textContent = text;
  if (className !== '') el.className = className;
  return el;
}

function byId(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`backend.html lacks #${id}`);
  return el;
}

function renderSummary(choice: BackendChoice): void {
  const rows: [string, string][] = [
    ['backend', choice.backend],
    ['reason', choice.reason],
    ['adapter', choice.adapter === '' ? '—' : choice.adapter],
    ['samples/s', formatRate(choice.samplesPerSec)],
    ['self-test', `${choice.selfTestPassed ? 'passed' : 'FAILED'}: ${choice.selfTestDetail}`],
    ['memory', choice.memoryBytes > 0 ? `${(choice.memoryBytes / 1024 ** 3).toFixed(1)} GiB` : 'unknown'],
  ];
  const dl = byId('summary');
  for (const [term, value] of rows) {
    dl.append(element('dt', term), element('dd', value, term === 'self-test' && !choice.selfTestPassed ? 'fail' : ''));
  }
}

function renderMeasurements(choice: BackendChoice): void {
  const body = byId('measurements').querySelector('tbody');
  for (const m of choice.measurements) {
    const tr = document.createElement('tr');
    tr.dataset.backend = m.backend;
    const rate = m.samplesPerSec === null ? '—' : formatRate(m.samplesPerSec);
    tr.append(element('td', m.backend), element('td', m.available ? 'yes' : 'no'), element('td', rate, 'num'), element('td', m.note));
    body?.append(tr);
  }
}

/** `?backend=` as an override; 'auto' or absence means none; a bad value is reported, not fatal. */
function readOverride(): { override: BackendName | null; problem: string } {
  const raw = new URLSearchParams(location.search).get('backend');
  if (raw === null || raw === 'auto') return { override: null, problem: '' };
  const parsed = parseBackendName(raw);
  return parsed.ok ? { override: parsed.value, problem: '' } : { override: null, problem: `ignored ?backend=: ${parsed.error.message}. ` };
}

async function main(): Promise<void> {
  const status = byId('status');
  const { override, problem } = readOverride();
  status.textContent = `${problem}measuring${override === null ? '' : ` (forcing ${override})`}…`;
  const choice = await chooseBackend({ override });
  window.backendChoice = choice;
  renderSummary(choice);
  renderMeasurements(choice);
  status.textContent = `${problem}chose ${choice.backend}`;
  document.body.dataset.state = 'done';
}

main().catch((e: unknown) => {
  const text = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  window.backendError = text;
  document.body.dataset.state = 'failed';
  byId('status').textContent = `backend choice failed: ${text}`;
});
