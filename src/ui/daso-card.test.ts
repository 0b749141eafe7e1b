// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Dashboard } from './dashboard.ts';
import { isHidden, TestDashboard } from './test-dashboard.ts';
import { formatByteRatio, globalSetMembers, scheduleSpans, scheduleText } from './daso-card.ts';
import type { DasoScheduleRow, DasoSnapshot, DasoWorkerSnapshot } from './snapshot.ts';
import { coordinator, worker } from './status-fixtures.ts';

let root: HTMLElement;
let ui: Dashboard;

let d: TestDashboard;
const one = (selector: string): HTMLElement => d.one(selector);
const text = (selector: string): string => d.text(selector);
/** Per group: its members' chip texts, with "*" after a member marked as in the global sync set. */
const groupChips = (): string[][] => Array.from(root.querySelectorAll('[data-testid="daso-groups"] > li'), (li) =>
  Array.from(li.querySelectorAll<HTMLElement>('.daso-member'), (c) => `${c.textContent}${c.dataset.global === 'true' ? '*' : ''}`));
const traceRows = (): string[][] => Array.from(root.querySelectorAll('[data-testid="daso-trace"] tbody tr'), (tr) =>
  Array.from(tr.querySelectorAll('td'), (td) => td.textContent));

beforeEach(() => {
  d = new TestDashboard();
  ({ root, ui } = d);
});
afterEach(() => { d.destroy(); });

const row = (epoch: number, phase: string, gs: number, ls: number, b: number): DasoScheduleRow =>
  ({ epoch, phase, globalSkip: gs, localSkip: ls, batchesToWait: b });
/** 10 epochs: 2 warmup, (4,1,1) ×3, (2,1,1) ×2, (1,1,1), 2 cooldown (the schedule module's default cycle). */
const trace: DasoScheduleRow[] = [
  row(0, 'warmup', 0, 0, 0), row(1, 'warmup', 0, 0, 0),
  row(2, 'cycling', 4, 1, 1), row(3, 'cycling', 4, 1, 1), row(4, 'cycling', 4, 1, 1),
  row(5, 'cycling', 2, 1, 1), row(6, 'cycling', 2, 1, 1), row(7, 'cycling', 1, 1, 1),
  row(8, 'cooldown', 0, 0, 0), row(9, 'cooldown', 0, 0, 0),
];
const LONG = '3f2a9c41-7d0e-4b8a-9f1c-0a5be2d4b1e2';
// Uneven groups: slot 2 exists only in the first and third group.
const members = [['a1', 'a2', 'a3'], ['b1', 'b2'], [LONG, 'c2', 'c3']];
const groups = [
  { key: 'label:lab-a', source: 'label', members: members[0]! },
  { key: 'machine:m-b', source: 'machine', members: members[1]! },
  { key: `peer:${LONG}`, source: 'rtt', members: members[2]! },
];
function dasoWorker(over: Partial<DasoWorkerSnapshot> = {}): DasoWorkerSnapshot {
  return {
    groups: members, group: 1, schedule: trace[7]!, epoch: 7, batch: 1234, slot: 1, inGlobalSet: true,
    bytesLocal: 12 * 1024 ** 2, bytesGlobal: 1024 ** 2, globalSyncs: 31, merges: 30, ignored: 2, failure: null, ...over,
  };
}
const coordDaso = (over: Partial<DasoSnapshot> = {}): DasoSnapshot => ({ groups, trace, worker: null, ...over });

describe('DASO card', () => {
  it('is shown only for snapshots that carry DASO status', () => {
    ui.render(coordinator());
    expect(isHidden(one('.daso-card'))).toBe(true);
    ui.render(coordinator({ algo: 'daso', daso: null }));
    expect(isHidden(one('.daso-card'))).toBe(true);
    ui.render(coordinator({ algo: 'daso', daso: coordDaso() }));
    expect(isHidden(one('.daso-card'))).toBe(false);
    ui.render(coordinator({ algo: 'fedavg' }));
    expect(isHidden(one('.daso-card'))).toBe(true);
  });

  it('shows the coordinator\'s groups, current schedule and collapsed trace', () => {
    ui.render(coordinator({ algo: 'daso', daso: coordDaso() }));
    expect(text('.daso-card .card-title')).toBe('DASO (3 groups)');
    expect(groupChips()).toEqual([['a1', 'a2', 'a3'], ['b1', 'b2'], ['3f2a9c41…b1e2', 'c2', 'c3']]);
    expect(one('.daso-member').getAttribute('title')).toBe('a1');
    expect(Array.from(root.querySelectorAll('.daso-group .mono.small'), (e) => e.getAttribute('title')))
      .toEqual(['label:lab-a (label)', 'machine:m-b (machine)', `peer:${LONG} (rtt)`]);
    // The newest trace row is the schedule in force: cooldown, everything blocking.
    expect(['daso-phase', 'daso-gs', 'daso-ls', 'daso-b'].map((k) => text(`[data-stat="${k}"]`))).toEqual(['cooldown', '0', '0', '0']);
    expect(text('[data-testid="daso-schedule"]')).toBe('Epoch 9: Global sync every batch, blocking; local sync every batch.');
    expect(traceRows()).toEqual([
      ['0–1', 'warmup', '0', '0', '0'], ['2–4', 'cycling', '4', '1', '1'], ['5–6', 'cycling', '2', '1', '1'],
      ['7', 'cycling', '1', '1', '1'], ['8–9', 'cooldown', '0', '0', '0'],
    ]);
    const current = Array.from(root.querySelectorAll<HTMLElement>('[data-testid="daso-trace"] tbody tr'), (tr) => tr.dataset.current);
    expect(current).toEqual(['false', 'false', 'false', 'false', 'true']);
    // The coordinator alone knows neither the slot nor any bytes.
    expect(text('[data-testid="daso-set"]')).toBe('Which member syncs globally is known on the workers.');
    expect(groupChips().flat().some((c) => c.endsWith('*'))).toBe(false);
    expect(isHidden(one('[data-stat="daso-local"]'))).toBe(true);
    // A training coordinator's own worker may still hold the previous epoch's schedule: the trace wins.
    ui.render(coordinator({ algo: 'daso', daso: coordDaso({ worker: dasoWorker() }) }));
    expect(text('[data-stat="daso-phase"]')).toBe('cooldown');
    expect(isHidden(one('[data-stat="daso-local"]'))).toBe(false);
  });

  it('marks member `slot` of each group, skips a one-group set and shows a worker\'s bytes without a trace', () => {
    ui.render(worker({ algo: 'daso', peerId: 'b2', daso: { groups: [], trace: [], worker: dasoWorker() } }));
    expect(text('.daso-card .card-title')).toBe('DASO (3 groups)');
    expect(groupChips()).toEqual([['a1', 'a2*', 'a3'], ['b1', 'b2*'], ['3f2a9c41…b1e2', 'c2*', 'c3']]);
    expect(one('.daso-member[data-self="true"]').textContent).toBe('b2');
    expect(root.querySelectorAll('.daso-member[data-self="true"]')).toHaveLength(1);
    expect(one('.daso-group[data-self="true"] .daso-group-name').textContent).toBe('Group 2');
    expect(text('[data-testid="daso-set"]')).toBe('Global sync slot 1: 3 marked members average their parameters across groups.');
    expect(text('[data-testid="daso-self"]')).toBe('Group 2 · epoch 7, batch 1,234 · in the current global sync set');
    expect(['daso-phase', 'daso-gs', 'daso-ls', 'daso-b'].map((k) => text(`[data-stat="${k}"]`))).toEqual(['cycling', '1', '1', '1']);
    expect(['daso-local', 'daso-global', 'daso-ratio', 'daso-syncs', 'daso-merges', 'daso-ignored'].map((k) => text(`[data-stat="${k}"]`)))
      .toEqual(['12.0 MB', '1.0 MB', '12 : 1', '31', '30', '2']);
    expect(isHidden(one('[data-testid="daso-trace"]'))).toBe(true);
    expect(isHidden(one('[data-testid="daso-failure"]'))).toBe(true);

    // Slot 2: only groups 1 and 3 have a third member; slot 1 with a single group: nothing to average.
    ui.render(worker({ algo: 'daso', peerId: 'b2', daso: { groups: [], trace: [], worker: dasoWorker({ slot: 2, inGlobalSet: false }) } }));
    expect(groupChips()).toEqual([['a1', 'a2', 'a3*'], ['b1', 'b2'], ['3f2a9c41…b1e2', 'c2', 'c3*']]);
    ui.render(worker({ algo: 'daso', daso: { groups: [], trace: [], worker: dasoWorker({ groups: [['x', 'y']], group: 0, slot: 1 }) } }));
    expect(groupChips()).toEqual([['x', 'y']]);
    expect(text('[data-testid="daso-set"]')).toBe('Global sync slot 1: skipped (fewer than two groups take part).');
  });

  it('writes peer ids and group keys as text, never as HTML', () => {
    const html = '<img src=x onerror="globalThis.pwned=1">';
    const evil = [['<b>x</b>', html]];
    ui.render(coordinator({
      algo: 'daso', peerId: html,
      daso: { groups: [{ key: `label:${html}`, source: '<i>s</i>', members: evil[0]! }], trace, worker: dasoWorker({ groups: evil, group: 0, slot: 0, failure: html }) },
    }));
    const chips = Array.from(root.querySelectorAll('.daso-member'));
    expect(chips[0]!.textContent).toBe('<b>x</b>');
    expect(chips[1]!.getAttribute('title')).toBe(html);
    expect(text('[data-testid="daso-failure"]')).toBe(html);
    expect(root.querySelector('.daso-card b, .daso-card img, .daso-card i')).toBeNull();
  });

  it('updates in place: no DOM writes for the same snapshot, the same chips when only the slot moves', async () => {
    const s = (slot: number): ReturnType<typeof coordinator> =>
      coordinator({ algo: 'daso', daso: coordDaso({ worker: dasoWorker({ slot }) }) });
    ui.render(s(0));
    const chips = Array.from(root.querySelectorAll('.daso-member'));
    const rows = Array.from(root.querySelectorAll('[data-testid="daso-trace"] tbody tr'));
    const seen: MutationRecord[] = [];
    const observer = new MutationObserver((records) => { seen.push(...records); });
    observer.observe(one('.daso-card'), { subtree: true, childList: true, characterData: true, attributes: true });
    ui.render(s(0));
    await Promise.resolve();
    observer.disconnect();
    expect(seen).toEqual([]);
    ui.render(s(1));
    expect(Array.from(root.querySelectorAll('.daso-member'))).toEqual(chips);
    expect(Array.from(root.querySelectorAll('[data-testid="daso-trace"] tbody tr'))).toEqual(rows);
    expect(groupChips()).toEqual([['a1', 'a2*', 'a3'], ['b1', 'b2*'], ['3f2a9c41…b1e2', 'c2*', 'c3']]);
  });
});

describe('DASO text helpers', () => {
  it('collapses only consecutive epochs with the same schedule', () => {
    // Same schedule twice but with a gap (epoch 2 missing) or split by another schedule stays two spans.
    const spans = scheduleSpans([row(0, 'cycling', 4, 1, 1), row(1, 'cycling', 2, 1, 1), row(3, 'cycling', 2, 1, 1), row(4, 'cycling', 4, 1, 1)]);
    expect(spans.map((sp) => [sp.from, sp.to, sp.row.globalSkip])).toEqual([[0, 0, 4], [1, 1, 2], [3, 3, 2], [4, 4, 4]]);
    expect(scheduleSpans(trace).reduce((n, sp) => n + sp.to - sp.from + 1, 0)).toBe(trace.length);
    expect(scheduleSpans([])).toEqual([]);
  });

  it('describes schedules the way the worker runtime runs them', () => {
    expect(scheduleText(row(3, 'cycling', 4, 1, 1))).toBe('Global sync every 4 batches, merged 1 batch later; local sync every batch.');
    expect(scheduleText(row(3, 'cycling', 8, 2, 2))).toBe('Global sync every 8 batches, merged 2 batches later; local sync every 2 batches.');
    expect(scheduleText(row(3, 'cycling', 1, 1, 1))).toBe('Global sync every batch, merged 1 batch later; local sync every batch.');
  });

  it('gives the local : global byte ratio and the global sync set', () => {
    // 3 MB local against 2 MB global: 1.5 : 1.
    expect(formatByteRatio(3 * 1024 ** 2, 2 * 1024 ** 2)).toBe('1.5 : 1');
    expect(formatByteRatio(1, 3)).toBe('0.333 : 1');
    expect(formatByteRatio(5, 0)).toBe('all local');
    expect(formatByteRatio(0, 0)).toBe('–');
    expect(formatByteRatio(Number.NaN, 1)).toBe('–');
    expect([...globalSetMembers([{ key: '', source: '', members: ['p', 'q'] }, { key: '', source: '', members: ['r'] }], 0)]).toEqual(['p', 'r']);
    expect(globalSetMembers([{ key: '', source: '', members: ['p', 'q'] }], 0).size).toBe(0);
    expect(globalSetMembers([{ key: '', source: '', members: ['p'] }, { key: '', source: '', members: ['r'] }], -1).size).toBe(0);
  });
});
