// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Dashboard } from './dashboard.ts';
import { isHidden, TestDashboard } from './test-dashboard.ts';
import { coordinator, device, worker } from './status-fixtures.ts';

let root: HTMLElement;
let ui: Dashboard;
const onStart = vi.fn();
const onExportModel = vi.fn();

let d: TestDashboard;
const one = (selector: string): HTMLElement => d.one(selector);
const text = (selector: string): string => d.text(selector);

beforeEach(() => {
  onStart.mockReset();
  onExportModel.mockReset();
  d = new TestDashboard({ onStart, onExportModel });
  ({ root, ui } = d);
});
afterEach(() => { d.destroy(); });

describe('coordinator snapshot', () => {
  it('shows the header: room, role, phase, epoch and step', () => {
    ui.render(coordinator());
    expect(text('.brand')).toBe('swarm');
    expect(text('.room')).toBe('room blue-otter');
    expect(text('.role')).toBe('coordinator');
    expect(text('[data-testid="phase"]')).toBe('training');
    expect(one('[data-testid="phase"]').dataset.phase).toBe('training');
    expect(text('[data-testid="epoch"]')).toBe('epoch 2/5');
    expect(text('[data-testid="step"]')).toBe('step 812');
    expect(one('.progress').getAttribute('aria-valuenow')).toBe('35'); // 812 of 5 × 469 steps
  });

  it('shows the join URL as a link and a QR code of it', async () => {
    const view = coordinator();
    ui.render(view);
    const link = one('[data-testid="join-url"]');
    expect(link.textContent).toBe(view.joinUrl);
    expect(link.getAttribute('href')).toBe(view.joinUrl);
    await vi.waitFor(() => { expect(root.querySelector('.qr svg')).not.toBeNull(); });
    expect(one('.qr').getAttribute('aria-label')).toContain(view.joinUrl);
  });

  it('lists every device with its numbers', () => {
    ui.render(coordinator());
    const rows = root.querySelectorAll('[data-testid="devices"] tbody tr');
    expect(rows).toHaveLength(3);
    const cells = (i: number): string[] => Array.from(rows[i]!.querySelectorAll('td'), (td) => td.textContent);
    expect(cells(0)).toEqual(['coord-1this tab', 'wasm', '2,310', '8.0 GB', '✓', '1,000', '64', '● yes', '—']);
    expect(cells(1).slice(0, 3)).toEqual(['w-a', 'webgpu', '5,400']);
    expect(cells(1)[8]).toBe('12 s ago');
    expect(cells(2)[4]).toBe('✗');
    expect(cells(2)[7]).toBe('○ no');
    expect(rows[2]!.classList.contains('inactive')).toBe(true);
    expect(rows[0]!.querySelectorAll('.hist-bar')).toHaveLength(10);
    expect(one('.devices-card .card-title').textContent).toBe('Devices (2 active of 3)');
  });

  it('shows training numbers, traffic, peers, the device card and the log', () => {
    ui.render(coordinator());
    expect(text('[data-stat="loss"]')).toBe('0.2346');
    expect(text('[data-stat="accuracy"]')).toBe('92.3%');
    expect(text('[data-stat="elapsed"]')).toBe('1:01');
    expect(text('[data-stat="sent"]')).toBe('46.1 MB');
    expect(text('[data-stat="received"]')).toBe('1.5 KB');
    expect(text('[data-stat="peers"]')).toBe('2');
    expect(Array.from(root.querySelectorAll('[data-testid="peers"] li'), (li) => li.textContent)).toEqual(['w-a', 'w-b']);
    expect(text('[data-stat="backend"]')).toBe('wasm');
    expect(text('[data-stat="selftest"]')).toBe('✓ passed');
    expect(text('[data-testid="backend-reason"]')).toBe('wasm was fastest of 3 measured');
    const measured = root.querySelectorAll('.measurements tbody tr');
    expect(measured).toHaveLength(3);
    expect(measured[1]!.classList.contains('chosen')).toBe(true);
    expect(measured[2]!.textContent).toContain('✗ no');
    expect(text('.loss-chart .card-title-value')).toBe('0.2346');
    expect(text('.accuracy-chart .card-title-value')).toBe('92.3%');
    expect(text('[data-testid="log"] .log-line')).toBe('09:05:07hello');
  });
});

describe('start button', () => {
  it('is shown only while the coordinator is recruiting, and calls onStart', () => {
    ui.render(coordinator({ phase: 'recruiting' }));
    const start = one('[data-testid="start"]');
    expect(isHidden(start)).toBe(false);
    expect(text('.joined-count')).toBe('2 devices joined');
    start.click();
    expect(onStart).toHaveBeenCalledTimes(1);
    ui.render(coordinator({ phase: 'training' }));
    expect(isHidden(start)).toBe(true);
  });

  it('is never shown to a worker', () => {
    ui.render(worker({ phase: 'recruiting' }));
    expect(isHidden(one('[data-testid="start"]'))).toBe(true);
  });
});

describe('model card', () => {
  const files = { checkpoint: { epoch: 2, savedAt: Date.now() }, resumedFromEpoch: 1, canExport: true, canContinue: false, loaded: null };

  it('shows the checkpoint and the resume, and downloads on click', () => {
    ui.render(coordinator({ modelFiles: files }));
    expect(text('[data-testid="checkpoint"]')).toMatch(/^Checkpoint: epoch 2, saved .* in this browser · resumed from epoch 1$/);
    expect(isHidden(one('[data-testid="export-model"]'))).toBe(false);
    one('[data-testid="export-model"]').click();
    expect(onExportModel).toHaveBeenCalledTimes(1);
  });

  it('hides the download where there is no model to download, and reports a loaded file or why it was refused', () => {
    ui.render(worker({ modelFiles: { ...files, checkpoint: null, canExport: false, loaded: { name: 'm.json', accuracy: 0.9123, error: null } } }));
    expect(isHidden(one('[data-testid="export-model"]'))).toBe(true);
    expect(isHidden(one('[data-testid="checkpoint"]'))).toBe(true);
    expect(text('[data-testid="loaded-model"]')).toBe('m.json: test accuracy 91.2%');
    ui.render(worker({ modelFiles: { ...files, loaded: { name: 'm.json', accuracy: null, error: 'weight 0 has shape [3]' } } }));
    expect(text('[data-testid="loaded-model"]')).toBe('m.json: weight 0 has shape [3]');
  });

  it('is hidden when the snapshot has no model files section', () => {
    ui.render(coordinator());
    expect(isHidden(one('.model-card'))).toBe(true);
  });
});

describe('worker snapshot', () => {
  it('hides the coordinator-only sections and shows its own device, progress and log', () => {
    ui.render(worker());
    for (const sel of ['.join-card', '.devices-card', '.loss-chart', '.accuracy-chart']) expect(isHidden(one(sel))).toBe(true);
    for (const sel of ['.device-card', '.progress-card', '.log-card', '.network-card']) expect(isHidden(one(sel))).toBe(false);
    expect(text('.role')).toBe('worker');
    expect(text('[data-testid="phase"]')).toBe('joined');
    expect(text('[data-stat="loss"]')).toBe('0.2346');
  });

  it('shows the coordinator sections again when the role changes', () => {
    ui.render(worker());
    ui.render(coordinator());
    expect(isHidden(one('.devices-card'))).toBe(false);
  });
});

describe('re-rendering', () => {
  it('updates text in place without replacing elements', () => {
    ui.render(coordinator());
    const loss = one('[data-stat="loss"]');
    const row = root.querySelector('[data-testid="devices"] tbody tr')!;
    const shell = root.firstElementChild;
    ui.render(coordinator({ loss: 0.1, step: 900, devices: [device('coord-1', { samplesPerSec: 999 })] }));
    expect(root.firstElementChild).toBe(shell);
    expect(one('[data-stat="loss"]')).toBe(loss);
    expect(loss.textContent).toBe('0.1');
    expect(text('[data-testid="step"]')).toBe('step 900');
    expect(root.querySelector('[data-testid="devices"] tbody tr')).toBe(row);
    expect(row.querySelectorAll('td')[2]!.textContent).toBe('999');
    expect(root.querySelectorAll('[data-testid="devices"] tbody tr')).toHaveLength(1);
  });

  it('adds, reorders and removes device rows by id', () => {
    ui.render(coordinator({ devices: [device('a'), device('b')] }));
    const [a, b] = Array.from(root.querySelectorAll('[data-testid="devices"] tbody tr'));
    ui.render(coordinator({ devices: [device('c'), device('b'), device('a')] }));
    const rows = Array.from(root.querySelectorAll('[data-testid="devices"] tbody tr'));
    expect(rows.map((r) => r.querySelector('.id-text')!.textContent)).toEqual(['c', 'b', 'a']);
    expect(rows[1]).toBe(b);
    expect(rows[2]).toBe(a);
  });

  it('shows and clears the error banner', () => {
    ui.render(coordinator());
    const banner = one('[role="alert"]');
    expect(banner.hidden).toBe(true);
    ui.render(coordinator({ error: 'signalling server closed', phase: 'failed' }));
    expect(banner.hidden).toBe(false);
    expect(banner.textContent).toContain('signalling server closed');
    ui.render(coordinator());
    expect(banner.hidden).toBe(true);
  });

  it('keeps the last 50 log lines with their levels and reuses line elements', () => {
    const log = Array.from({ length: 60 }, (_, i) => ({ at: 0, level: i === 59 ? 'error' as const : 'info' as const, text: `line ${i}` }));
    ui.render(coordinator({ log }));
    const lines = root.querySelectorAll<HTMLElement>('[data-testid="log"] .log-line');
    expect(lines).toHaveLength(50);
    expect(lines[0]!.querySelector('.log-text')!.textContent).toBe('line 10');
    expect(lines[49]!.dataset.level).toBe('error');
    ui.render(coordinator({ log: log.slice(0, 3) }));
    const after = root.querySelectorAll('[data-testid="log"] .log-line');
    expect(after).toHaveLength(3);
    expect(after[0]).toBe(lines[0]);
    expect(after[2]!.textContent).toContain('line 2');
  });

  it('shows a pending self-test before a backend is chosen', () => {
    ui.render(coordinator({ role: null, phase: 'starting', backend: null, selfTestPassed: false, backendMeasurements: [] }));
    expect(text('[data-stat="selftest"]')).toBe('pending');
    expect(text('[data-stat="backend"]')).toBe('choosing…');
    expect(isHidden(one('.role'))).toBe(true);
    expect(text('[data-testid="phase"]')).toBe('starting');
    expect(isHidden(one('.devices-card'))).toBe(true);
  });

  it('destroy removes the dashboard', () => {
    ui.render(coordinator());
    ui.destroy();
    expect(root.children).toHaveLength(0);
  });
});
