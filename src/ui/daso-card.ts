/**
 * DASO runs only (hidden while `status.daso` is absent or null): the device groups with their members, the
 * members of the current global sync set marked, the current (gs, ls, B) schedule in words, the schedule trace
 * over epochs (consecutive epochs with the same schedule collapsed into one row) and this tab's bytes on local
 * (in-group) vs global (cross-group) links.
 *
 * What a tab knows differs by role: the coordinator holds the groups (with how each was formed) and the trace;
 * a worker holds the plan's member lists, its schedule, its slot and its byte counters. The coordinator tab
 * may also train (then it has both). Sections with nothing to show are hidden. Peer ids and group keys are
 * written with textContent/attributes only; nodes are built once (groups again only when the plan changes).
 */
import { card, h, setAttr, setData, setHidden, setText } from './dom.ts';
import { shortPeerId } from './federated-format.ts';
import { formatBytes, formatSignificant, groupThousands, MISSING } from './format.ts';
import type { DasoScheduleRow, DasoSnapshot, SwarmStatus } from './snapshot.ts';
import { createStatGrid } from './stat-grid.ts';
import type { View } from './view.ts';

/** A group as shown: key and source are '' on workers (the plan carries member lists only). */
export interface DasoGroupView {
  readonly key: string;
  readonly source: string;
  readonly members: readonly string[];
}

/** The coordinator's groups when it has them, else this tab's worker's copy of the plan. */
export function dasoGroups(d: DasoSnapshot): readonly DasoGroupView[] {
  if (d.groups.length > 0) return d.groups;
  return (d.worker?.groups ?? []).map((members) => ({ key: '', source: '', members }));
}

/** The schedule in force: the trace's newest (the coordinator decides it; index = epoch), else the worker's. */
export function currentSchedule(d: DasoSnapshot): DasoScheduleRow | null {
  return d.trace.at(-1) ?? d.worker?.schedule ?? null;
}

/**
 * The members of global sync set `slot`: member `slot` of every group that has one (core/daso/groups.ts's
 * 'spec' rule, the one the worker runtime uses). Empty before the first sync (slot −1) and when fewer than
 * two groups take part, because the runtime skips such a set (there is nothing to average).
 */
export function globalSetMembers(groups: readonly DasoGroupView[], slot: number): ReadonlySet<string> {
  if (slot < 0) return new Set();
  const members = groups.map((g) => g.members[slot]).filter((m): m is string => m !== undefined);
  return new Set(members.length < 2 ? [] : members);
}

/** Epochs `from`…`to` (inclusive, 0-based like the trace) that ran one schedule. */
export interface ScheduleSpan {
  readonly from: number;
  readonly to: number;
  readonly row: DasoScheduleRow;
}

const sameSchedule = (a: DasoScheduleRow, b: DasoScheduleRow): boolean =>
  a.phase === b.phase && a.globalSkip === b.globalSkip && a.localSkip === b.localSkip && a.batchesToWait === b.batchesToWait;

/** Collapses consecutive epochs with the same phase and (gs, ls, B) into spans, so a long run stays a short table. */
export function scheduleSpans(trace: readonly DasoScheduleRow[]): ScheduleSpan[] {
  const spans: ScheduleSpan[] = [];
  for (const row of trace) {
    const last = spans.at(-1);
    if (last !== undefined && last.to + 1 === row.epoch && sameSchedule(last.row, row)) spans[spans.length - 1] = { ...last, to: row.epoch };
    else spans.push({ from: row.epoch, to: row.epoch, row });
  }
  return spans;
}

const plural = (n: number, one: string): string => `${groupThousands(n)} ${one}${n === 1 ? '' : 'es'}`;

/**
 * A schedule in words, following the worker runtime (roles/worker/daso-steps.ts): a global sync on every
 * batch with b mod gs = 0 (gs 0 or 1: every batch), merged B batches later (0: blocking), and a local gradient
 * average every ls batches (0 or 1: every batch).
 * @example scheduleText({ epoch: 3, phase: 'cycling', globalSkip: 4, localSkip: 1, batchesToWait: 1 })
 * // "Global sync every 4 batches, merged 1 batch later; local sync every batch."
 */
export function scheduleText(r: DasoScheduleRow): string {
  const global = r.globalSkip <= 1 ? 'Global sync every batch' : `Global sync every ${plural(r.globalSkip, 'batch')}`;
  const merge = r.batchesToWait === 0 ? 'blocking' : `merged ${plural(r.batchesToWait, 'batch')} later`;
  const local = r.localSkip <= 1 ? 'every batch' : `every ${plural(r.localSkip, 'batch')}`;
  return `${global}, ${merge}; local sync ${local}.`;
}

/**
 * Local to global bytes as "r : 1" with 3 significant digits; "all local" before any global byte, "–" before any byte.
 * @example formatByteRatio(12_582_912, 1_048_576) // "12 : 1"
 */
export function formatByteRatio(local: number, global: number): string {
  if (!(local >= 0 && global >= 0) || local + global === 0) return MISSING;
  return global === 0 ? 'all local' : `${formatSignificant(local / global, 3)} : 1`;
}

interface GroupItem {
  readonly chips: readonly HTMLElement[];
  readonly li: HTMLElement;
}

interface SpanRow {
  readonly tr: HTMLTableRowElement;
  readonly cells: readonly HTMLElement[];
}

/** Creates the DASO card view. */
export function createDasoCard(): View {
  const { el, body, title } = card('DASO', 'daso-card');
  const schedule = createStatGrid([['daso-phase', 'Phase'], ['daso-gs', 'gs'], ['daso-ls', 'ls'], ['daso-b', 'B']] as const);
  const scheduleNote = h('p', { className: 'daso-note small muted', attrs: { 'data-testid': 'daso-schedule' } });
  const groupsHead = h('h3', { className: 'subhead', text: 'Groups' });
  const groupList = h('ol', { className: 'daso-groups', attrs: { 'data-testid': 'daso-groups' } });
  const setNote = h('p', { className: 'daso-note small muted', attrs: { 'data-testid': 'daso-set' } });
  const self = h('p', { className: 'daso-note small', attrs: { 'data-testid': 'daso-self' } });
  const traffic = createStatGrid([
    ['daso-local', 'Local bytes'], ['daso-global', 'Global bytes'], ['daso-ratio', 'Local : global'],
    ['daso-syncs', 'Global syncs'], ['daso-merges', 'Merges'], ['daso-ignored', 'Ignored'],
  ] as const);
  const failure = h('p', { className: 'daso-note small bad', attrs: { 'data-testid': 'daso-failure' } });
  const spanBody = h('tbody');
  const traceTable = h('table', { className: 'table daso-trace', attrs: { 'data-testid': 'daso-trace' } }, [
    h('thead', {}, [h('tr', {}, ['Epochs', 'Phase', 'gs', 'ls', 'B'].map((t, i) =>
      h('th', { className: i === 0 || i > 1 ? 'num' : '', text: t, attrs: { scope: 'col' } })))]), spanBody]);
  const trafficHead = h('h3', { className: 'subhead', text: 'This tab' });
  const traceHead = h('h3', { className: 'subhead', text: 'Schedule by epoch' });
  const traceBox = h('div', { className: 'table-scroll daso-trace-scroll' }, [traceTable]);
  body.append(schedule.el, scheduleNote, groupsHead, groupList, setNote, trafficHead, self, traffic.el, failure, traceHead, traceBox);

  let groupsKey = '';
  let items: GroupItem[] = [];
  const spanRows: SpanRow[] = [];

  const renderGroups = (groups: readonly DasoGroupView[]): void => {
    const key = JSON.stringify(groups.map((g) => [g.key, g.source, g.members]));
    if (key === groupsKey) return;
    groupsKey = key;
    items = groups.map((g, j) => {
      const chips = g.members.map((id) => h('li', { className: 'chip mono daso-member', text: shortPeerId(id), attrs: { title: id } }));
      const name = h('span', { className: 'daso-group-name', text: `Group ${j + 1}` });
      // The key names what formed the group ("label:lab-a", "machine:…"); long ones are cut, in full in the tooltip.
      const detail = g.key === '' ? [] : [h('span', { className: 'muted small mono', text: ` ${shortPeerId(g.key)}`, attrs: { title: `${g.key} (${g.source})` } })];
      const li = h('li', { className: 'daso-group' }, [name, ...detail, h('ul', { className: 'peer-list' }, chips)]);
      return { li, chips };
    });
    groupList.replaceChildren(...items.map((i) => i.li));
  };

  const renderTrace = (trace: readonly DasoScheduleRow[], current: DasoScheduleRow | null): void => {
    const spans = scheduleSpans(trace);
    while (spanRows.length < spans.length) {
      const cells = [0, 1, 2, 3, 4].map((i) => h('td', { className: i === 1 ? '' : 'num' }));
      const row = { tr: h('tr', {}, cells), cells };
      spanRows.push(row);
      spanBody.appendChild(row.tr);
    }
    while (spanRows.length > spans.length) spanRows.pop()?.tr.remove();
    spans.forEach((sp, i) => {
      const row = spanRows[i];
      if (row === undefined) return;
      const texts = [sp.from === sp.to ? String(sp.from) : `${sp.from}–${sp.to}`, sp.row.phase,
        String(sp.row.globalSkip), String(sp.row.localSkip), String(sp.row.batchesToWait)];
      row.cells.forEach((c, k) => { setText(c, texts[k] ?? ''); });
      setData(row.tr, 'phase', sp.row.phase);
      const now = current !== null && current.epoch >= sp.from && current.epoch <= sp.to;
      setData(row.tr, 'current', String(now));
    });
  };

  return {
    el,
    update(s: SwarmStatus) {
      const d = s.daso ?? null;
      setHidden(el, d === null);
      if (d === null) return;
      const current = currentSchedule(d);
      schedule.set('daso-phase', current?.phase ?? MISSING);
      schedule.set('daso-gs', current === null ? MISSING : String(current.globalSkip));
      schedule.set('daso-ls', current === null ? MISSING : String(current.localSkip));
      schedule.set('daso-b', current === null ? MISSING : String(current.batchesToWait));
      setText(scheduleNote, current === null ? 'No schedule yet.' : `Epoch ${current.epoch}: ${scheduleText(current)}`);

      const groups = dasoGroups(d);
      setText(title, groups.length === 0 ? 'DASO' : `DASO (${groups.length} ${groups.length === 1 ? 'group' : 'groups'})`);
      setHidden(groupsHead, groups.length === 0);
      renderGroups(groups);
      const w = d.worker;
      const inSet = globalSetMembers(groups, w?.slot ?? -1);
      groups.forEach((g, j) => {
        const item = items[j];
        if (item !== undefined) setData(item.li, 'self', String(w !== null && w.group === j));
        g.members.forEach((id, k) => {
          const chip = item?.chips[k];
          if (chip === undefined) return;
          setData(chip, 'global', String(inSet.has(id)));
          setData(chip, 'self', String(id === s.peerId));
          setAttr(chip, 'title', inSet.has(id) ? `${id} · in the global sync set` : id);
        });
      });
      setHidden(setNote, groups.length === 0);
      setText(setNote, w === null
        ? 'Which member syncs globally is known on the workers.'
        : w.slot < 0 ? 'No global sync yet.'
          : inSet.size === 0 ? `Global sync slot ${w.slot}: skipped (fewer than two groups take part).`
            : `Global sync slot ${w.slot}: ${inSet.size} marked members average their parameters across groups.`);

      setHidden(trafficHead, w === null);
      setHidden(self, w === null);
      setHidden(traffic.el, w === null);
      setHidden(failure, (w?.failure ?? null) === null);
      setText(failure, w?.failure ?? '');
      if (w !== null) {
        setText(self, `${w.group < 0 ? 'In no group' : `Group ${w.group + 1}`} · epoch ${w.epoch}, batch ${groupThousands(w.batch)} · ${
          w.inGlobalSet ? 'in the current global sync set' : 'not in the current global sync set'}`);
        traffic.set('daso-local', formatBytes(w.bytesLocal));
        traffic.set('daso-global', formatBytes(w.bytesGlobal));
        traffic.set('daso-ratio', formatByteRatio(w.bytesLocal, w.bytesGlobal));
        traffic.set('daso-syncs', groupThousands(w.globalSyncs));
        traffic.set('daso-merges', groupThousands(w.merges));
        traffic.set('daso-ignored', groupThousands(w.ignored));
      }

      setHidden(traceHead, d.trace.length === 0);
      setHidden(traceBox, d.trace.length === 0);
      renderTrace(d.trace, current);
    },
  };
}
