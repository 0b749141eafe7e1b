// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Dashboard } from './dashboard.ts';
import { isHidden, TestDashboard } from './test-dashboard.ts';
import { deviceMemory, jobText, renderAdmmResiduals, secondOrderTitle } from './second-order-card.ts';
import type { ShardRow } from './snapshot.ts';
import { logBarHeights } from './spectrum-chart.ts';
import { coordinator, secondOrder, worker } from './status-fixtures.ts';

let root: HTMLElement;
let ui: Dashboard;

let d: TestDashboard;
const one = (selector: string): HTMLElement => d.one(selector);
const text = (selector: string): string => d.text(selector);
const shardRows = (): string[][] => Array.from(root.querySelectorAll('[data-testid="so-shards"] tbody tr'), (tr) =>
  Array.from(tr.querySelectorAll('td'), (td) => td.textContent));
const barWidths = (): string[] => Array.from(root.querySelectorAll<HTMLElement>('.so-bar-fill'), (b) => b.style.width);
const eigvals = (): string[] => Array.from(root.querySelectorAll('[data-testid="so-eigvals"] li'), (li) => li.textContent);

beforeEach(() => {
  d = new TestDashboard();
  ({ root, ui } = d);
});
afterEach(() => { d.destroy(); });

const LONG = '3f2a9c41-7d0e-4b8a-9f1c-0a5be2d4b1e2';
const MB = 1024 ** 2;

describe('second-order card', () => {
  it('is shown only for snapshots that carry second-order status', () => {
    ui.render(coordinator());
    expect(isHidden(one('.second-order-card'))).toBe(true);
    ui.render(coordinator({ algo: 'dho2', secondOrder: null }));
    expect(isHidden(one('.second-order-card'))).toBe(true);
    ui.render(coordinator({ algo: 'dho2', secondOrder: secondOrder() }));
    expect(isHidden(one('.second-order-card'))).toBe(false);
    ui.render(coordinator({ algo: 'dp' }));
    expect(isHidden(one('.second-order-card'))).toBe(true);
  });

  it('maps every DHO2 shard: device, coordinates, share bar and curvature memory at 4 bytes a float', () => {
    ui.render(coordinator({ algo: 'dho2', secondOrder: secondOrder() }));
    expect(text('.second-order-card .card-title')).toBe('DHO2 curvature (sync)');
    // Held now / peak: 1,000,000 floats = 4,000,000 B = 3.81 MB; peaks 1.2M : 0.72M : 0.48M of 2.4M = 50 : 30 : 20 %.
    expect(shardRows()).toEqual([
      ['coord-1', '50,000 coordinates', '', `${(4_000_000 / MB).toFixed(1)} MB`, `${(4_800_000 / MB).toFixed(1)} MB`, '50.0%'],
      ['w-a', '30,000 coordinates', '', `${(2_400_000 / MB).toFixed(1)} MB`, `${(2_880_000 / MB).toFixed(1)} MB`, '30.0%'],
      ['3f2a9c41…b1e2', '20,000 coordinates', '', '0 B', `${(1_920_000 / MB).toFixed(1)} MB`, '20.0%'],
    ]);
    expect(barWidths()).toEqual(['50%', '30%', '20%']);
    expect(one('[data-testid="so-shards"] tbody tr:nth-child(3) .id-text').getAttribute('title')).toBe(LONG);
    expect(one('[data-testid="so-shards"] tbody tr[data-self="true"] .id-text').textContent).toBe('coord-1');
    expect(text('[data-stat="so-own"]')).toBe(`${(4_000_000 / MB).toFixed(1)} MB`);
    expect(['so-installs', 'so-dropped', 'so-last-job'].map((k) => text(`[data-stat="${k}"]`))).toEqual(['4', '1', '13 s']);
  });

  it('shows the running Lanczos job and the installed curvature step, then idle', () => {
    ui.render(coordinator({ algo: 'dho2', secondOrder: secondOrder() }));
    expect(text('[data-testid="so-job"]')).toBe('Curvature job: Lanczos iteration 7 / 20 on w-a, 3f2a9c41…b1e2, snapshot of step 120');
    expect(one('[data-testid="so-job"]').dataset.running).toBe('true');
    expect(text('[data-testid="so-eigen-step"]')).toBe('Curvature from step 100');
    ui.render(coordinator({ algo: 'dho2', secondOrder: secondOrder({ job: null }) }));
    expect(text('[data-testid="so-job"]')).toBe('Curvature job: idle');
    expect(one('[data-testid="so-job"]').dataset.running).toBe('false');
  });

  it('lists the eigenvalues largest first with 4 significant digits and draws one log-scale bar each', () => {
    ui.render(coordinator({ algo: 'dho2', secondOrder: secondOrder() }));
    expect(eigvals()).toEqual(['41.23', '3.25', '0.5']);
    expect(isHidden(one('[data-testid="so-spectrum-empty"]'))).toBe(true);
    const heights = Array.from(root.querySelectorAll('.so-spectrum rect'), (r) => Number(r.getAttribute('height')));
    expect(heights).toHaveLength(3);
    // Largest first: heights fall left to right, and the tallest bar fills the chart's 40 units.
    expect(heights[0]).toBe(40);
    expect(heights[0]!).toBeGreaterThan(heights[1]!);
    expect(heights[1]!).toBeGreaterThan(heights[2]!);
  });

  it('shows the warmup empty state before any curvature is installed', () => {
    ui.render(coordinator({ algo: 'dho2', secondOrder: secondOrder({ eigvals: [], eigenStep: -1, installs: 0, dropped: 0, job: null }) }));
    expect(isHidden(one('[data-testid="so-spectrum-empty"]'))).toBe(false);
    expect(text('[data-testid="so-spectrum-empty"]')).toBe('no curvature yet (warmup)');
    expect(eigvals()).toEqual([]);
    expect(root.querySelectorAll('.so-spectrum rect')).toHaveLength(0);
    expect(isHidden(one('[data-testid="so-eigen-step"]'))).toBe(true);
    expect(text('[data-stat="so-last-job"]')).toBe('–');
  });

  it('titles K-FAC runs and lists layers, counting a device\'s memory once', () => {
    const shards: ShardRow[] = [
      { peer: 'coord-1', size: 784 * 256, heldFloats: 500_000, peakFloats: 500_000 },
      { peer: 'w-a', size: 256 * 128, heldFloats: 250_000, peakFloats: 250_000 },
      { peer: 'coord-1', size: 128 * 10, heldFloats: 500_000, peakFloats: 500_000 },
    ];
    ui.render(coordinator({ algo: 'kfac', secondOrder: secondOrder({ algo: 'kfac', variant: '', shards, job: null, eigvals: [], eigenStep: -1 }) }));
    expect(text('.second-order-card .card-title')).toBe('K-FAC factors');
    const rows = shardRows();
    expect(rows.map((r) => r[1])).toEqual(['layer 1: 200,704 weights', 'layer 2: 32,768 weights', 'layer 3: 1,280 weights']);
    // Peaks per device: 500k and 250k floats, so shares of 2/3 and 1/3; the third row is coord-1 again.
    expect(rows.map((r) => r[5])).toEqual(['66.7%', '33.3%', '″']);
    expect(rows[2]![3]).toBe('″');
    expect(isHidden(one('[data-testid="so-eigvals"]'))).toBe(true);
    expect(text('[data-testid="so-job"]')).toBe('Curvature job: idle');
  });

  it('on a worker shows its own curvature memory and no shard map', () => {
    ui.render(worker({ algo: 'dho2', secondOrder: secondOrder({ shards: [], ownFloats: 256 }) }));
    expect(isHidden(one('[data-testid="so-shards"]'))).toBe(true);
    expect(text('[data-stat="so-own"]')).toBe('1.0 KB');
  });

  it('writes peer ids as text, never as HTML, and shows no ADMM residuals the snapshot does not carry', () => {
    const html = '<img src=x onerror="globalThis.pwned=1">';
    const so = secondOrder({ shards: [{ peer: html, size: 10, heldFloats: 1, peakFloats: 1 }], job: { snapshotStep: 1, iteration: 1, order: 2, workers: ['<b>w</b>'] } });
    ui.render(coordinator({ algo: 'dho2', secondOrder: so }));
    expect(one('[data-testid="so-shards"] .id-text').getAttribute('title')).toBe(html);
    expect(text('[data-testid="so-job"]')).toContain('<b>w</b>');
    expect(root.querySelector('.second-order-card img, .second-order-card b')).toBeNull();
    expect(isHidden(one('[data-testid="so-admm"]'))).toBe(true);
    expect(text('[data-testid="so-admm"]')).toBe('');
  });

  it('titles a consensus ADMM run and shows its last round\'s residuals and ρ, hidden again once null', () => {
    const admm = { round: 12, primal: 0.012345, dual: 0.04567, rho: 0.2 };
    ui.render(coordinator({ algo: 'dho2', secondOrder: secondOrder({ variant: 'admm', admm }) }));
    expect(text('.second-order-card .card-title')).toBe('DHO2 curvature (admm)');
    expect(isHidden(one('[data-testid="so-admm"]'))).toBe(false);
    expect(text('[data-testid="so-admm"]')).toBe('ADMM round 12: primal residual 0.0123, dual residual 0.0457, ρ 0.2');
    ui.render(coordinator({ algo: 'dho2', secondOrder: secondOrder({ variant: 'admm', admm: { round: 1300, primal: 2.5, dual: 0, rho: 0.05 } }) }));
    expect(text('[data-testid="so-admm"]')).toBe('ADMM round 1,300: primal residual 2.5, dual residual 0, ρ 0.05');
    // Before the first round closes (and on workers) the conductor reports null: nothing is shown.
    ui.render(coordinator({ algo: 'dho2', secondOrder: secondOrder({ variant: 'admm', admm: null }) }));
    expect(isHidden(one('[data-testid="so-admm"]'))).toBe(true);
    expect(text('[data-testid="so-admm"]')).toBe('');
  });

  it('updates in place: no DOM writes for the same snapshot, the same rows when values change', async () => {
    ui.render(coordinator({ algo: 'dho2', secondOrder: secondOrder() }));
    const rows = Array.from(root.querySelectorAll('[data-testid="so-shards"] tbody tr'));
    const seen: MutationRecord[] = [];
    const observer = new MutationObserver((records) => { seen.push(...records); });
    observer.observe(one('.second-order-card'), { subtree: true, childList: true, characterData: true, attributes: true });
    ui.render(coordinator({ algo: 'dho2', secondOrder: secondOrder() }));
    await Promise.resolve();
    observer.disconnect();
    expect(seen).toEqual([]);
    const next = secondOrder({ job: { snapshotStep: 120, iteration: 8, order: 20, workers: ['w-a'] } });
    ui.render(coordinator({ algo: 'dho2', secondOrder: { ...next, shards: next.shards.map((r) => ({ ...r, heldFloats: 0 })) } }));
    expect(Array.from(root.querySelectorAll('[data-testid="so-shards"] tbody tr'))).toEqual(rows);
    expect(shardRows().map((r) => r[3])).toEqual(['0 B', '0 B', '0 B']);
    expect(text('[data-testid="so-job"]')).toContain('iteration 8 / 20');
    ui.render(coordinator({ algo: 'dho2', secondOrder: secondOrder({ shards: next.shards.slice(0, 2) }) }));
    expect(shardRows()).toHaveLength(2);
    expect(barWidths()).toEqual(['62.5%', '37.5%']);
  });
});

describe('second-order helpers', () => {
  it('names the variant and describes jobs', () => {
    expect(secondOrderTitle(secondOrder({ variant: 'parallel', extrapolate: true }))).toBe('DHO2 curvature (parallel + extrapolation)');
    expect(secondOrderTitle(secondOrder({ variant: '' }))).toBe('DHO2 curvature');
    expect(jobText({ snapshotStep: 5, iteration: 0, order: 10, workers: ['a', 'b', 'c', 'd', 'e'] }))
      .toBe('Lanczos iteration 0 / 10 on a, b, c +2 more, snapshot of step 5');
    expect(jobText({ snapshotStep: 5, iteration: 1, order: 10, workers: [] })).toBe('Lanczos iteration 1 / 10, snapshot of step 5');
  });

  it('counts each device once and takes its share of the summed peaks', () => {
    const r = (peer: string, peak: number): ShardRow => ({ peer, size: 1, heldFloats: peak / 2, peakFloats: peak });
    expect(deviceMemory([r('a', 30), r('b', 10), r('a', 30)])).toEqual([{ held: 15, peak: 30, share: 0.75 }, { held: 5, peak: 10, share: 0.25 }, null]);
    expect(deviceMemory([r('a', 0)])).toEqual([{ held: 0, peak: 0, share: null }]);
  });

  it('puts |λ| on a log scale with the smallest nonzero bar still visible', () => {
    const [a, b, c] = logBarHeights([100, 10, 1]);
    expect(a).toBe(1);
    // 10 is halfway between 1 and 100 in log10: halfway between the 0.08 floor and 1.
    expect(b).toBeCloseTo(0.08 + 0.92 / 2, 12);
    expect(c).toBeCloseTo(0.08, 12);
    expect(logBarHeights([-1000, 0, 10, Number.NaN])).toEqual([1, 0, 0.08, 0]);
    expect(logBarHeights([2, 2])).toEqual([1, 1]);
    expect(logBarHeights([])).toEqual([]);
  });

  it('renders ADMM residuals only when given', () => {
    const el = document.createElement('p');
    renderAdmmResiduals(el, null);
    expect(el.hidden).toBe(true);
    expect(el.textContent).toBe('');
    renderAdmmResiduals(el, { round: 12, primal: 0.001234, dual: 0.5, rho: 0.1 });
    expect(el.hidden).toBe(false);
    expect(el.textContent).toBe('ADMM round 12: primal residual 0.00123, dual residual 0.5, ρ 0.1');
    renderAdmmResiduals(el, { round: 3, primal: Number.NaN, dual: 1.5e-7, rho: 12.5 });
    expect(el.textContent).toBe('ADMM round 3: primal residual –, dual residual 0.00000015, ρ 12.5');
    renderAdmmResiduals(el, null);
    expect(el.hidden).toBe(true);
    expect(el.textContent).toBe('');
  });
});
