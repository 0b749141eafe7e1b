/**
 * Bookkeeping for DASO's asynchronous global syncs (ALGORITHMS.md 3.2 and 3.3). Pure: every function takes a
 * state and returns a new one; nothing here sends, waits or reads a clock.
 *
 * A sync is named by the global step it was started at (its id). The members of its global sync set each
 * contribute their parameter vector (this device's own included); the sync is merged once, at its due step
 * (id + B_eff), when every member has contributed. In short:
 *
 *   startSync(s, {id, dueAt, members})   when this device starts sync `id` (after its local step)
 *   receive(s, {syncId, from, params})   for each contribution, own and remote: Result, never throws
 *   collectDue(s, step)                  at every step: what to merge now, what to wait for, what expired
 *
 * Contributions may arrive before this device has started the sync (peers in other groups run ahead); they
 * are buffered if at most `maxAhead` steps past the last started sync, and checked against the member list
 * when the sync starts. A contribution is ignored, never merged twice, when it repeats one already stored or
 * merged (`duplicate`), or when its sync was merged, expired or already passed by `collectDue` without being
 * started here (`late`). A sync still incomplete `grace` steps after its due step expires and is reported,
 * so the caller can carry on without it. Call order within one step: `collectDue(step)`, then `startSync`.
 *
 * @example
 * let s = createSyncTracker({ paramLength: 3 });
 * s = startSync(s, { id: stepFrom(8), dueAt: stepFrom(9), members: [me, other] }).state;
 * const r = receive(s, { syncId: stepFrom(8), from: other, params });   // r.ok, or r.error.kind === 'late' …
 * const due = collectDue(s, stepFrom(9));   // due.ready[0].contributions → sumCopies → mergeStale
 */
import type { PeerId, Step } from '../ids.ts';
import type { Result } from '../result.ts';
import { err, ok } from '../result.ts';

/** Tracker limits. */
export interface SyncTrackerConfig {
  /** Elements in one parameter vector; contributions of another length are rejected. */
  readonly paramLength: number;
  /** How far past the last started sync an early contribution may be (bounds what a peer can make us hold). */
  readonly maxAhead: number;
  /** Steps past its due step that an incomplete sync may still complete before it expires. */
  readonly grace: number;
  /** How many finished syncs are remembered to tell duplicates from late messages. */
  readonly memory: number;
}

/** Default limits: maxAhead 32 = 4 × the default max_global_skips (8), far beyond gs + B; grace 0 = heat. */
export const SYNC_TRACKER_DEFAULTS = { maxAhead: 32, grace: 0, memory: 64 } as const;

/** One sync in flight. `dueAt`/`members` are null while only early contributions have arrived. */
export interface PendingSync {
  readonly id: Step;
  readonly dueAt: Step | null;
  readonly members: readonly PeerId[] | null;
  readonly contributions: ReadonlyMap<PeerId, Float32Array>;
}

/** A sync that left the tracker: merged, expired after its grace, or dropped (never started here). */
export interface FinishedSync {
  readonly id: Step;
  readonly outcome: 'merged' | 'expired' | 'dropped';
  readonly contributors: readonly PeerId[];
}

/** Tracker state: plain data. */
export interface SyncTrackerState {
  readonly config: SyncTrackerConfig;
  /** Id of the last sync started here; -1 before the first. */
  readonly lastStarted: number;
  /** The last step given to `collectDue`; -1 before the first. Syncs with smaller ids are in the past. */
  readonly passed: number;
  /** Sorted by id. */
  readonly pending: readonly PendingSync[];
  /** Most recent last, at most `config.memory` entries. */
  readonly finished: readonly FinishedSync[];
}

/** Why a contribution was ignored. */
export type SyncRejectionKind = 'duplicate' | 'late' | 'too-early' | 'not-a-member' | 'bad-payload';

/** An ignored contribution: the state is unchanged. */
export interface SyncRejection {
  readonly kind: SyncRejectionKind;
  readonly syncId: number;
  readonly from: PeerId;
  readonly detail: string;
}

/** A contribution to a global sync. `params` is kept by reference: do not modify it afterwards. */
export interface Contribution {
  readonly syncId: Step;
  readonly from: PeerId;
  readonly params: Float32Array;
}

/** A sync ready to merge: contributions in member order, and the wait B that weights the merge. */
export interface ReadySync {
  readonly id: Step;
  readonly batchesToWait: number;
  readonly contributions: readonly Float32Array[];
}

/** A caller bug: bad config, a sync started twice or out of order. */
export class SyncTrackerError extends RangeError {
  static readonly NAME = 'SyncTrackerError';
  constructor(message: string) {
    super(message);
    this.name = SyncTrackerError.NAME;
  }
}

/**
 * B_eff from 3.2: the wait, shortened so that the merge never falls past the epoch's last batch.
 * `batch` and `lastBatch` are 0-based indices within the epoch.
 */
export function effectiveWait(batch: number, batchesToWait: number, lastBatch: number): number {
  return Math.max(0, Math.min(batchesToWait, lastBatch - batch));
}

/** An empty tracker. Throws `SyncTrackerError` for limits that are not non-negative integers. */
export function createSyncTracker(config: Partial<SyncTrackerConfig> & { readonly paramLength: number }): SyncTrackerState {
  const c: SyncTrackerConfig = { ...SYNC_TRACKER_DEFAULTS, ...config };
  for (const key of ['paramLength', 'maxAhead', 'grace', 'memory'] as const) {
    if (!Number.isSafeInteger(c[key]) || c[key] < 0) throw new SyncTrackerError(`${key} must be an integer ≥ 0, got ${c[key]}`);
  }
  return { config: c, lastStarted: -1, passed: -1, pending: [], finished: [] };
}

const reject = (kind: SyncRejectionKind, syncId: number, from: PeerId, detail: string): SyncRejection => ({ kind, syncId, from, detail });

function remember(finished: readonly FinishedSync[], add: readonly FinishedSync[], memory: number): FinishedSync[] {
  const all = [...finished, ...add];
  return all.slice(Math.max(0, all.length - memory));
}

function withPending(state: SyncTrackerState, p: PendingSync): SyncTrackerState {
  const rest = state.pending.filter((x) => x.id !== p.id);
  return { ...state, pending: [...rest, p].sort((x, y) => x.id - y.id) };
}

/**
 * Starts sync `id` here, expecting one contribution from each of `members` and a merge at `dueAt`.
 * Early contributions from non-members are dropped and returned as rejections.
 */
export function startSync(
  state: SyncTrackerState,
  sync: { readonly id: Step; readonly dueAt: Step; readonly members: readonly PeerId[] },
): { state: SyncTrackerState; rejected: SyncRejection[] } {
  const { id, dueAt, members } = sync;
  if (id <= state.lastStarted) throw new SyncTrackerError(`sync ${id} started after sync ${state.lastStarted}`);
  if (dueAt < id) throw new SyncTrackerError(`sync ${id} cannot be due at ${dueAt}, before it starts`);
  if (members.length === 0 || new Set(members).size !== members.length) {
    throw new SyncTrackerError(`sync ${id} needs distinct members, got ${members.length}`);
  }
  const early = state.pending.find((p) => p.id === id);
  const kept = new Map<PeerId, Float32Array>();
  const rejected: SyncRejection[] = [];
  for (const [from, params] of early?.contributions ?? []) {
    if (members.includes(from)) kept.set(from, params);
    else rejected.push(reject('not-a-member', id, from, 'early contribution from a device outside the sync set'));
  }
  const next = withPending({ ...state, lastStarted: id }, { id, dueAt, members: [...members], contributions: kept });
  return { state: next, rejected };
}

function checkPayload(c: Contribution, length: number): string | undefined {
  if (c.params.length !== length) return `length ${c.params.length}, expected ${length}`;
  for (const v of c.params) if (!Number.isFinite(v)) return 'non-finite value';
  return undefined;
}

/** Stores one contribution, or says why it is ignored (the state is then unchanged). Never throws. */
export function receive(state: SyncTrackerState, c: Contribution): Result<SyncTrackerState, SyncRejection> {
  const { syncId: id, from } = c;
  const p = state.pending.find((x) => x.id === id);
  if (p === undefined) {
    const done = state.finished.find((f) => f.id === id);
    if (done?.contributors.includes(from)) return err(reject('duplicate', id, from, `sync already ${done.outcome}`));
    if (done !== undefined || id <= state.lastStarted || id < state.passed) {
      return err(reject('late', id, from, 'sync no longer pending'));
    }
    if (id > Math.max(state.lastStarted, state.passed) + state.config.maxAhead) {
      return err(reject('too-early', id, from, `more than ${state.config.maxAhead} steps ahead`));
    }
  }
  if (p?.contributions.has(from)) return err(reject('duplicate', id, from, 'already stored'));
  if (p?.members && !p.members.includes(from)) return err(reject('not-a-member', id, from, 'not in the sync set'));
  const bad = checkPayload(c, state.config.paramLength);
  if (bad !== undefined) return err(reject('bad-payload', id, from, bad));
  const contributions = new Map(p?.contributions ?? []).set(from, c.params);
  return ok(withPending(state, { id, dueAt: p?.dueAt ?? null, members: p?.members ?? null, contributions }));
}

/** What `collectDue` found at one step. */
export interface DueReport {
  readonly state: SyncTrackerState;
  /** Complete syncs whose due step has come: merge each exactly once, in this order (oldest first). */
  readonly ready: readonly ReadySync[];
  /** Due but incomplete, still within grace: the caller may block on these. */
  readonly waiting: readonly PendingSync[];
  /** Incomplete past their grace, or never started here though their step has passed: removed. */
  readonly expired: readonly FinishedSync[];
}

const finishedOf = (p: PendingSync, outcome: FinishedSync['outcome']): FinishedSync => ({
  id: p.id,
  outcome,
  contributors: [...p.contributions.keys()],
});

/** Classifies the pending syncs at `step` (the step being processed now) and removes the finished ones. */
export function collectDue(state: SyncTrackerState, step: Step): DueReport {
  const { grace, memory } = state.config;
  const ready: ReadySync[] = [];
  const waiting: PendingSync[] = [];
  const gone: FinishedSync[] = [];
  const keep: PendingSync[] = [];
  for (const p of state.pending) {
    const { dueAt, members } = p;
    if (dueAt === null || members === null) {
      if (p.id < step) gone.push(finishedOf(p, 'dropped'));
      else keep.push(p);
    } else if (dueAt > step) {
      keep.push(p);
    } else if (step > dueAt + grace) {
      // Past the window: expired even if the last contribution has come in since, so no merge is ever late.
      gone.push(finishedOf(p, 'expired'));
    } else if (members.every((m) => p.contributions.has(m))) {
      const contributions = members.map((m) => p.contributions.get(m)).filter((x) => x !== undefined);
      ready.push({ id: p.id, batchesToWait: dueAt - p.id, contributions });
      gone.push(finishedOf(p, 'merged'));
    } else {
      waiting.push(p);
      keep.push(p);
    }
  }
  const expired = gone.filter((f) => f.outcome !== 'merged');
  const passed = Math.max(state.passed, step);
  return { state: { ...state, passed, pending: keep, finished: remember(state.finished, gone, memory) }, ready, waiting, expired };
}
