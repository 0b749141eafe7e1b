import { describe, expect, it } from 'vitest';
import type { PeerId } from '../ids.ts';
import { peerIdFrom, stepFrom } from '../ids.ts';
import type { Result } from '../result.ts';
import { createRng } from '../rng.ts';
import type { Contribution, SyncRejection, SyncTrackerState } from './sync-tracker.ts';
import { collectDue, createSyncTracker, effectiveWait, receive, startSync, SyncTrackerError } from './sync-tracker.ts';

const me = peerIdFrom('me');
const other = peerIdFrom('other');
const stranger = peerIdFrom('stranger');
const s = stepFrom;
const vec = (x: number): Float32Array => new Float32Array([x, x + 1, x + 2]);
const from = (who: PeerId, id: number, x: number): Contribution => ({ syncId: s(id), from: who, params: vec(x) });

function accept(state: SyncTrackerState, c: Contribution): SyncTrackerState {
  const r = receive(state, c);
  if (!r.ok) throw new Error(`unexpected rejection: ${r.error.kind} ${r.error.detail}`);
  return r.value;
}
const kindOf = (r: Result<SyncTrackerState, SyncRejection>): string => (r.ok ? 'ok' : r.error.kind);

/** A tracker with sync 8 (due at 9) started by me and other. */
function started(grace = 0): SyncTrackerState {
  const t = createSyncTracker({ paramLength: 3, grace });
  return startSync(t, { id: s(8), dueAt: s(9), members: [me, other] }).state;
}

describe('sync tracker', () => {
  it('merges a complete sync exactly once, at its due step, with contributions in member order', () => {
    let t = started();
    t = accept(t, from(other, 8, 20));
    t = accept(t, from(me, 8, 10));
    const early = collectDue(t, s(8));
    expect(early.ready).toEqual([]);
    const due = collectDue(early.state, s(9));
    expect(due.ready).toHaveLength(1);
    expect(due.ready[0]!.id).toBe(8);
    expect(due.ready[0]!.batchesToWait).toBe(1);
    expect(due.ready[0]!.contributions.map((c) => c[0])).toEqual([10, 20]);
    // Asking again, at the same step or later, yields nothing more.
    expect(collectDue(due.state, s(9)).ready).toEqual([]);
    expect(collectDue(due.state, s(10)).ready).toEqual([]);
  });

  it('ignores a duplicated message while pending and keeps the first copy', () => {
    let t = started();
    t = accept(t, from(other, 8, 20));
    const dup = receive(t, from(other, 8, 99));
    expect(kindOf(dup)).toBe('duplicate');
    t = accept(t, from(me, 8, 10));
    expect(collectDue(t, s(9)).ready[0]!.contributions.map((c) => c[0])).toEqual([10, 20]);
  });

  it('ignores a duplicated message after the merge, so it is never merged twice', () => {
    let t = accept(accept(started(), from(me, 8, 10)), from(other, 8, 20));
    t = collectDue(t, s(9)).state;
    const again = receive(t, from(other, 8, 20));
    expect(kindOf(again)).toBe('duplicate');
    expect(collectDue(t, s(10)).ready).toEqual([]);
  });

  it('expires an incomplete sync after its grace and ignores the late message', () => {
    let t = accept(started(0), from(me, 8, 10));
    const at9 = collectDue(t, s(9));
    expect(at9.ready).toEqual([]);
    expect(at9.waiting.map((p) => p.id)).toEqual([8]); // due, incomplete, within grace 0: the caller may block
    const at10 = collectDue(at9.state, s(10));
    expect(at10.expired).toEqual([{ id: 8, outcome: 'expired', contributors: [me] }]);
    t = at10.state;
    expect(kindOf(receive(t, from(other, 8, 20)))).toBe('late');
    expect(collectDue(t, s(11)).ready).toEqual([]);
  });

  it('expires a sync whose last contribution arrives only after its window closed', () => {
    let t = accept(started(0), from(me, 8, 10));
    t = collectDue(t, s(9)).state; // due, incomplete: waiting
    t = accept(t, from(other, 8, 20)); // completes now, but step 9 was its last chance
    const at10 = collectDue(t, s(10));
    expect(at10.ready).toEqual([]);
    expect(at10.expired.map((f) => [f.id, f.outcome])).toEqual([[8, 'expired']]);
  });

  it('still merges a sync that completes within its grace', () => {
    let t = accept(started(2), from(me, 8, 10));
    const at9 = collectDue(t, s(9));
    expect(at9.waiting).toHaveLength(1);
    t = accept(at9.state, from(other, 8, 20));
    const at10 = collectDue(t, s(10));
    expect(at10.ready.map((r) => r.id)).toEqual([8]);
    expect(at10.ready[0]!.batchesToWait).toBe(1); // the weight uses the planned wait, not the delay
  });

  it('buffers contributions that arrive before the sync starts here, and checks them at start', () => {
    let t = createSyncTracker({ paramLength: 3 });
    t = accept(t, from(other, 4, 20));
    t = accept(t, from(stranger, 4, 30));
    const st = startSync(t, { id: s(4), dueAt: s(4), members: [me, other] });
    expect(st.rejected.map((r) => [r.kind, r.from])).toEqual([['not-a-member', stranger]]);
    t = accept(st.state, from(me, 4, 10));
    const due = collectDue(t, s(4)); // B = 0: blocking, due at once
    expect(due.ready[0]!.contributions.map((c) => c[0])).toEqual([10, 20]);
    expect(due.ready[0]!.batchesToWait).toBe(0);
  });

  it('refuses contributions too far ahead, from outside the set, or malformed', () => {
    const t = started();
    expect(kindOf(receive(t, from(other, 8 + 32 + 1, 1)))).toBe('too-early'); // default maxAhead 32
    expect(kindOf(receive(t, from(other, 8 + 32, 1)))).toBe('ok');
    expect(kindOf(receive(t, from(stranger, 8, 1)))).toBe('not-a-member');
    expect(kindOf(receive(t, { syncId: s(8), from: other, params: new Float32Array(2) }))).toBe('bad-payload');
    expect(kindOf(receive(t, { syncId: s(8), from: other, params: new Float32Array([1, NaN, 2]) }))).toBe('bad-payload');
    expect(kindOf(receive(t, { syncId: s(8), from: other, params: new Float32Array([1, Infinity, 2]) }))).toBe('bad-payload');
  });

  it('treats a message for a step already passed, never started here, as late', () => {
    let t = createSyncTracker({ paramLength: 3 });
    t = collectDue(t, s(5)).state;
    expect(kindOf(receive(t, from(other, 3, 1)))).toBe('late');
    // An early message whose step then passes without a start here is dropped, and later copies are ignored.
    t = accept(t, from(other, 6, 1));
    const at7 = collectDue(t, s(7));
    expect(at7.expired).toEqual([{ id: 6, outcome: 'dropped', contributors: [other] }]);
    expect(kindOf(receive(at7.state, from(other, 6, 1)))).toBe('duplicate');
    expect(kindOf(receive(at7.state, from(me, 6, 1)))).toBe('late');
  });

  it('leaves the state untouched when it ignores a message', () => {
    const t = started();
    const before = structuredClone(t);
    expect(receive(t, from(stranger, 8, 1)).ok).toBe(false);
    expect(t).toEqual(before);
  });

  it('remembers only the last `memory` finished syncs', () => {
    let t = createSyncTracker({ paramLength: 3, memory: 4 });
    for (let id = 0; id < 10; id++) {
      t = collectDue(t, s(id)).state;
      t = startSync(t, { id: s(id), dueAt: s(id), members: [me] }).state;
      t = accept(t, from(me, id, id));
      t = collectDue(t, s(id)).state;
    }
    expect(t.finished.map((f) => f.id)).toEqual([6, 7, 8, 9]);
    expect(t.pending).toEqual([]);
  });

  it('merges every sync exactly once under shuffled, duplicated and late delivery', () => {
    const rng = createRng(17);
    const members = [me, other, stranger];
    let t = createSyncTracker({ paramLength: 3, grace: 1 });
    let inbox: Contribution[] = [];
    const merged: number[] = [];
    const wait = 2;
    for (let step = 0; step < 60; step++) {
      const due = collectDue(t, s(step));
      t = due.state;
      merged.push(...due.ready.map((r) => r.id));
      for (const r of due.ready) {
        expect(r.contributions.map((c) => c[0])).toEqual([r.id, r.id + 1, r.id + 2]);
        expect(step - r.id).toBeGreaterThanOrEqual(wait); // never before its due step
        expect(step - r.id).toBeLessThanOrEqual(wait + 1); // nor after its grace
      }
      t = startSync(t, { id: s(step), dueAt: s(step + wait), members }).state;
      // Each member's contribution is sent once or twice, and delivered in a random order over the next steps.
      members.forEach((m, k) => {
        const c = { syncId: s(step), from: m, params: new Float32Array([step + k, 0, 0]) };
        inbox.push(c);
        if (rng.next() < 0.3) inbox.push(c);
      });
      rng.shuffle(inbox);
      const deliver = inbox.filter(() => rng.next() < 0.7);
      inbox = inbox.filter((c) => !deliver.includes(c));
      for (const c of deliver) {
        const r = receive(t, c);
        if (r.ok) t = r.value;
      }
    }
    expect(new Set(merged).size).toBe(merged.length); // no sync merged twice
    expect(merged).toEqual([...merged].sort((a, b) => a - b)); // oldest first
    expect(merged.length).toBeGreaterThan(30); // and most of them did merge
  });
});

describe('sync tracker: caller errors', () => {
  it('throws a named error for starts out of order, impossible due steps and bad member lists', () => {
    const t = started();
    const members = [me, other];
    expect(() => startSync(t, { id: s(8), dueAt: s(9), members })).toThrow(SyncTrackerError);
    expect(() => startSync(t, { id: s(7), dueAt: s(9), members })).toThrow(SyncTrackerError);
    expect(() => startSync(t, { id: s(10), dueAt: s(9), members })).toThrow(SyncTrackerError);
    expect(() => startSync(t, { id: s(10), dueAt: s(11), members: [] })).toThrow(SyncTrackerError);
    expect(() => startSync(t, { id: s(10), dueAt: s(11), members: [me, me] })).toThrow(SyncTrackerError);
    expect(() => createSyncTracker({ paramLength: -1 })).toThrow(SyncTrackerError);
    expect(() => createSyncTracker({ paramLength: 3, grace: 0.5 })).toThrow(SyncTrackerError);
  });
});

describe('effectiveWait', () => {
  it('shortens the wait so that the merge lands no later than the last batch', () => {
    expect(effectiveWait(5, 2, 10)).toBe(2);
    expect(effectiveWait(9, 2, 10)).toBe(1);
    expect(effectiveWait(10, 2, 10)).toBe(0);
    expect(effectiveWait(3, 0, 10)).toBe(0);
  });
});
