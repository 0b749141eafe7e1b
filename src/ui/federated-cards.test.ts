// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Dashboard } from './dashboard.ts';
import { isHidden, TestDashboard } from './test-dashboard.ts';
import type { ClientRow } from './snapshot.ts';
import { analytic, client, coordinator } from './status-fixtures.ts';

let root: HTMLElement;
let ui: Dashboard;

let d: TestDashboard;
const one = (selector: string): HTMLElement => d.one(selector);
const text = (selector: string): string => d.text(selector);
/** The visible cells' text of every row of a table, by test id. */
function table(testId: string): string[][] {
  return Array.from(root.querySelectorAll(`[data-testid="${testId}"] tbody tr`), (tr) =>
    Array.from(tr.querySelectorAll('td'), (td) => (isHidden(td) ? null : td.textContent)).filter((t) => t !== null));
}
/** The visible header cells of a table. */
const headers = (testId: string): string[] =>
  Array.from(root.querySelectorAll(`[data-testid="${testId}"] th`)).filter((th) => !isHidden(th)).map((th) => th.textContent);

beforeEach(() => {
  d = new TestDashboard();
  ({ root, ui } = d);
});
afterEach(() => { d.destroy(); });

/** 100 pFedACnnL clients; accuracies in thousandths so every expected text below is exact decimal arithmetic. */
const N = 100;
// Means: local 89.767%, personalised 90.756%, gain 0.989 points: none sits on a rounding boundary of one decimal.
const localMilli = (i: number): number => 850 + ((i * 37) % 97);
const gainMilli = (i: number): number => ((i * 13) % 41) - 10; // −10 … +30 thousandths = −1.0 … +3.0 points
const lambdaOf = (i: number): number | null => (i % 10 === 0 ? null : ((i % 7) + 1) / 100);
const pfedClients: ClientRow[] = Array.from({ length: N }, (_, i) => client(i, {
  host: `peer-${i % 5}`, rows: 500 + i, group: i % 4,
  globalAccuracy: localMilli(i) / 1000, personalAccuracy: (localMilli(i) + gainMilli(i)) / 1000, lambda: lambdaOf(i),
}));
const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const ids = Array.from({ length: N }, (_, i) => i);
const pfed = coordinator({
  algo: 'pfedacnnl', phase: 'done', clients: pfedClients,
  meanLocalAccuracy: mean(ids.map((i) => localMilli(i) / 1000)),
  meanPersonalAccuracy: mean(ids.map((i) => (localMilli(i) + gainMilli(i)) / 1000)),
});

describe('layers card', () => {
  it('shows every layer with its input width and state mid-run', () => {
    ui.render(coordinator({ algo: 'fedacnnl', analytic: analytic(), step: 1, stepsPerEpoch: 3, epoch: 0, epochs: 1 }));
    expect(isHidden(one('.layers-card'))).toBe(false);
    expect(text('.layers-card .card-title')).toBe('Layers (1 of 3 solved)');
    expect(table('layers')).toEqual([['1', '785', 'solved'], ['2', '257', 'collecting 1 of 3 tabs'], ['3', '129', 'waiting']]);
    const states = Array.from(root.querySelectorAll<HTMLElement>('[data-testid="layers"] tbody tr'), (tr) => tr.dataset.state);
    expect(states).toEqual(['solved', 'collecting', 'waiting']);
    expect(text('[data-testid="layers-masked"]')).not.toContain('only the sum');
    expect(text('[data-testid="layers-groups"]')).toBe('This round collects 1 client group.');
  });

  it('says when sums are masked and how many groups a pFedACnnL round collects', () => {
    ui.render(coordinator({ algo: 'pfedacnnl', analytic: analytic({ masked: true, groups: 4, solved: 2, received: 3 }) }));
    expect(text('[data-testid="layers-masked"]')).toContain('coordinator sees only the sum');
    expect(text('[data-testid="layers-groups"]')).toBe('This round collects 4 client groups.');
    expect(table('layers').map((r) => r[2])).toEqual(['solved', 'solved', 'collecting 3 of 3 tabs']);
  });

  it('reuses its rows, follows a new layer count and hides without analytic progress', () => {
    ui.render(coordinator({ algo: 'fedacnnl', analytic: analytic() }));
    const first = root.querySelector('[data-testid="layers"] tbody tr');
    ui.render(coordinator({ algo: 'fedacnnl', analytic: analytic({ solved: 2, layers: 2, received: 0, expected: 0, layerInputs: [785, 65] }) }));
    expect(root.querySelector('[data-testid="layers"] tbody tr')).toBe(first);
    expect(table('layers')).toEqual([['1', '785', 'solved'], ['2', '65', 'solved']]);
    expect(isHidden(one('[data-testid="layers-groups"]'))).toBe(true);
    ui.render(coordinator());
    expect(isHidden(one('.layers-card'))).toBe(true);
  });
});

describe('progress wording', () => {
  it('says "layer s / L" for analytic runs and "round r / R" for FedAvg, epochs and steps otherwise', () => {
    const tile = (key: string): string | null => {
      const value = one(`[data-stat="${key}"]`);
      return isHidden(value) ? null : `${value.previousElementSibling?.textContent ?? ''} ${value.textContent}`;
    };
    ui.render(coordinator({ algo: 'pfedacnnl', analytic: analytic(), step: 1, stepsPerEpoch: 3, epoch: 0, epochs: 1 }));
    expect([tile('epoch'), tile('step')]).toEqual([null, 'Layer 1 / 3']);
    ui.render(coordinator({ algo: 'fedavg', epoch: 3, epochs: 10, step: 3, stepsPerEpoch: 1 }));
    expect([tile('epoch'), tile('step')]).toEqual(['Round 3 / 10', null]);
    ui.render(coordinator());
    expect([tile('epoch'), tile('step')]).toEqual(['Epoch 2 / 5', 'Step 812 / 2,345']);
  });
});

describe('clients card', () => {
  it('lists every client with its accuracies, gain and λ', () => {
    ui.render(pfed);
    expect(isHidden(one('.clients-card'))).toBe(false);
    expect(text('.clients-card .card-title')).toBe('Clients (100)');
    expect(headers('clients')).toEqual(['Client', 'Host', 'Rows', 'Labels', 'Group', 'Local acc.', 'Personal acc.', 'Gain', 'λ']);
    const rows = table('clients');
    expect(rows).toHaveLength(N);
    rows.forEach((cells, i) => {
      const g = gainMilli(i);
      const gain = g === 0 ? '0.0 pts' : `${g > 0 ? '+' : '−'}${(Math.abs(g) / 10).toFixed(1)} pts`;
      const lambda = lambdaOf(i);
      expect(cells).toEqual([
        String(i), `peer-${i % 5}`, String(500 + i), '', String(i % 4),
        `${(localMilli(i) / 10).toFixed(1)}%`, `${((localMilli(i) + g) / 10).toFixed(1)}%`, gain, lambda === null ? '∞' : String(lambda),
      ]);
    });
    expect(root.querySelectorAll('[data-testid="clients"] tbody tr')[0]!.querySelectorAll('.hist-bar')).toHaveLength(10);
  });

  it('shows the mean local and personalised accuracy and the mean gain', () => {
    ui.render(pfed);
    // Independent route to the mean gain: the mean of the per-client gains in thousandths.
    const meanGainPts = mean(ids.map(gainMilli)) / 10;
    expect(text('[data-stat="mean-gain"]')).toBe(`+${meanGainPts.toFixed(1)} pts`);
    expect(text('[data-stat="mean-local"]')).toBe(`${(mean(ids.map(localMilli)) / 10).toFixed(1)}%`);
    expect(text('[data-stat="mean-personal"]')).toBe(`${(mean(ids.map((i) => localMilli(i) + gainMilli(i))) / 10).toFixed(1)}%`);
    expect(text('[data-stat="reported"]')).toBe('100 / 100');
    expect(one('[data-stat="mean-gain"]').classList.contains('ok')).toBe(true);
  });

  it('shows no group or personal columns for FedACnnL before reports, and hides for data-parallel runs', () => {
    ui.render(coordinator({ algo: 'fedacnnl', clients: [client(0), client(1, { globalAccuracy: 0.5 })] }));
    expect(headers('clients')).toEqual(['Client', 'Host', 'Rows', 'Labels', 'Local acc.']);
    expect(table('clients')).toEqual([['0', 'w-a', '600', '', '–'], ['1', 'w-a', '600', '', '50.0%']]);
    expect(isHidden(one('[data-stat="mean-personal"]'))).toBe(true);
    expect(text('[data-stat="reported"]')).toBe('1 / 2');
    ui.render(coordinator());
    expect(isHidden(one('.clients-card'))).toBe(true);
  });

  it('updates rows by client id in place and makes no DOM writes when nothing changed', async () => {
    ui.render(pfed);
    const before = Array.from(root.querySelectorAll('[data-testid="clients"] tbody tr'));
    const seen: MutationRecord[] = [];
    const observer = new MutationObserver((records) => { seen.push(...records); });
    // Only this card: the join card's QR code may still be arriving asynchronously from the first render.
    observer.observe(one('.clients-card'), { subtree: true, childList: true, characterData: true, attributes: true });
    ui.render(pfed);
    await Promise.resolve();
    observer.disconnect();
    expect(seen).toEqual([]);
    ui.render({ ...pfed, clients: [pfedClients[2]!, pfedClients[0]!] });
    const after = Array.from(root.querySelectorAll('[data-testid="clients"] tbody tr'));
    expect(after).toEqual([before[2], before[0]]);
  });

  it('writes peer-supplied text as text, never as HTML', () => {
    const html = '<img src=x onerror="globalThis.pwned=1">';
    ui.render(coordinator({ algo: 'fedavg', clients: [client(0, { host: '<b>x</b>' }), client(1, { host: html })] }));
    const hosts = Array.from(root.querySelectorAll('[data-testid="clients"] tbody tr'), (tr) => tr.querySelectorAll('td')[1]!);
    expect(hosts[0]!.textContent).toBe('<b>x</b>');
    expect(hosts[1]!.getAttribute('title')).toBe(html);
    expect(root.querySelector('.clients-card b, .clients-card img')).toBeNull();
  });
});
