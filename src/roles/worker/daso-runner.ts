/**
 * A worker's DASO training loop (ALGORITHMS.md 3.2-3.3, docs/decisions/0005): the imperative part that waits
 * and sends, driven by the pure decisions of daso-steps.ts and core/daso (schedule from the coordinator, sync
 * sets, tracker, merge). Per batch b of epoch e (global step t = e·S + b):
 *  1. compute the gradient on this tab's batch;
 *  2. local sync (when `localSyncOn`): send it to every other member of the group and average all of them in
 *     group member order, sample-weighted (all-to-all: groups are a few tabs on a cheap link, and every member
 *     then computes bit-identical means without a leader); otherwise apply its own gradient;
 *  3. merge every global sync due now, oldest first: a sync set member waits for all contributions, merges
 *     with `mergeStale` (local weight 2B) and sends the result to its group (`daso-params`); the other group
 *     members install it;
 *  4. on a global batch, the member of each group in slot `syncSlot(k++)` sends its parameters (bf16 by
 *     default) to the other set members without waiting, and the sync is due B_eff batches later; B_eff = 0
 *     (warmup, cooldown, the last batch of every epoch) merges at once: a blocking plain mean.
 * At the end of an epoch it reports its loss to the coordinator and waits for the next epoch's schedule.
 * Sets with a single member (one group, or uneven groups) are skipped: there is nothing to average.
 */
import { globalMemberOf, globalSyncSet, syncSlot, type DeviceGroup } from '../../core/daso/groups.ts';
import { mergeStale, sumCopies } from '../../core/daso/merge.ts';
import { collectDue, createSyncTracker, effectiveWait, receive, startSync, type ReadySync, type SyncTrackerState } from '../../core/daso/sync-tracker.ts';
import { stepFrom, type PeerId } from '../../core/ids.ts';
import { weightedMean } from '../../core/math/weighted-mean.ts';
import type { DasoPlanMsg, DasoScheduleMsg, Message, RunConfig } from '../../protocol/messages.ts';
import type { LogLevel } from '../commands.ts';
import type { DasoMessage } from './reducer.ts';
import { Inbox, InboxStopped, Signal } from './daso-inbox.ts';
import { dasoPeers, decodeGlobal, encodeGlobal, groupOf, groupsOfPlan, isGlobalBatch, localSyncOn, ownContribution } from './daso-steps.ts';
import { dasoStatusOf, type DasoWorkerStatus } from './daso-status.ts';

/** The model a runner trains: a Replica and a batch sampler behind four calls (a fake in unit tests). */
export interface DasoModel {
  gradients(batchSize: number): Promise<{ readonly count: number; readonly lossSum: number; readonly grads: readonly Float32Array[] }>;
  applyGradients(grads: readonly Float32Array[]): void;
  /** The flat parameter vector (a copy). */
  params(): Promise<Float32Array>;
  setParams(flat: Float32Array): void;
}

export interface DasoRunnerInit {
  readonly self: PeerId;
  readonly coordinator: PeerId;
  readonly config: RunConfig;
  readonly plan: DasoPlanMsg;
  readonly paramSizes: readonly number[];
  /** Starts sending; never throws (the host logs a failed send). */
  send(to: PeerId, msg: Message): Promise<void>;
  connect(peer: PeerId): Promise<void>;
  linked(peer: PeerId): boolean;
  log(level: LogLevel, text: string): void;
  /** Sleeps `ms` (link polling); tests may pass a fast one. */
  sleep(ms: number): Promise<void>;
  onProgress?(): void;
}

interface Grad {
  readonly count: number;
  readonly lossSum: number;
  readonly grads: readonly Float32Array[];
}

/** A global sync this worker merges (`from` null) or whose result it installs from its group's member `from`. */
interface Due {
  readonly id: number;
  readonly dueAt: number;
  readonly from: PeerId | null;
}

/** How long a worker waits for the links to its DASO peers (they dial in from lower ids). */
const LINK_TIMEOUT_MS = 30_000;
const LINK_POLL_MS = 50;

export class DasoRunner {
  readonly groups: readonly DeviceGroup[];
  private readonly group: DeviceGroup | undefined;
  private readonly signal = new Signal();
  private readonly grads = new Inbox<Grad>(this.signal);
  private readonly installs = new Inbox<Float32Array>(this.signal);
  private readonly schedules = new Inbox<DasoScheduleMsg>(this.signal);
  private tracker: SyncTrackerState;
  private readonly ready = new Map<number, ReadySync>();
  private dues: Due[] = [];
  private readonly total: number;
  readonly counters = { bytesLocal: 0, bytesGlobal: 0, globalSyncs: 0, merges: 0, ignored: 0, epoch: 0, batch: 0, slot: -1, inSet: false };
  schedule: DasoScheduleMsg | null = null;
  failure: string | null = null;

  constructor(private readonly init: DasoRunnerInit) {
    this.groups = groupsOfPlan(init.plan);
    this.group = groupOf(this.groups, init.self);
    this.total = init.paramSizes.reduce((a, b) => a + b, 0);
    this.tracker = createSyncTracker({ paramLength: this.total });
  }

  /** The plan's generation (0, then one more per re-forming of the groups). */
  get generation(): number {
    return this.init.plan.generation;
  }

  status(): DasoWorkerStatus {
    return dasoStatusOf({ groups: this.groups, self: this.init.self, schedule: this.schedule, counters: this.counters, failure: this.failure });
  }

  stop(reason: string): void {
    this.signal.stop(reason);
  }

  private fail(why: string): void {
    this.failure ??= why;
    this.init.log('error', why);
    this.signal.stop(why);
  }

  private groupPeers(): PeerId[] {
    return (this.group?.members ?? []).filter((m) => m !== this.init.self);
  }

  /** A DASO message from the coordinator (schedule) or a peer; checked against the plan and the model. Never throws. */
  deliver(from: PeerId, msg: DasoMessage): void {
    if (msg.runId !== this.init.config.runId) return;
    // A peer's message made under an earlier plan (sent before it got the re-formed one): stale, never merged.
    if (msg.type !== 'daso-schedule' && msg.type !== 'daso-plan' && msg.generation !== this.init.plan.generation) {
      this.counters.ignored++;
      return;
    }
    const inGroup = this.group?.members.includes(from) === true && from !== this.init.self;
    switch (msg.type) {
      case 'daso-schedule':
        if (from === this.init.coordinator) this.schedules.put(String(msg.epoch), msg);
        return;
      case 'daso-grads': {
        const grads = msg.grads.map((g) => g.data).filter((d): d is Float32Array => d instanceof Float32Array);
        const fits = grads.length === this.init.paramSizes.length && grads.every((g, i) => g.length === this.init.paramSizes[i] && g.every(Number.isFinite));
        if (!inGroup || !fits) { this.fail(`bad daso-grads from ${from} (not in the group, or gradients that do not fit the model)`); return; }
        if (!this.grads.put(`${msg.step}:${from}`, { count: msg.count, lossSum: msg.lossSum, grads })) this.counters.ignored++;
        return;
      }
      case 'daso-params': {
        const p = msg.params.data;
        if (!inGroup || !(p instanceof Float32Array) || p.length !== this.total || !p.every(Number.isFinite)) { this.fail(`bad daso-params from ${from}`); return; }
        if (!this.installs.put(`${msg.step}:${from}`, p)) this.counters.ignored++;
        return;
      }
      case 'daso-global': {
        const params = msg.wire === this.init.plan.wire ? decodeGlobal(msg.params, msg.wire) : null;
        const r = params === null ? null : receive(this.tracker, { syncId: stepFrom(msg.syncId), from, params });
        if (r?.ok === true) { this.tracker = r.value; this.signal.wake(); return; }
        // Late, duplicated or foreign contributions are ignored, never merged twice (sync-tracker.ts).
        this.counters.ignored++;
        const why = r === null ? `wire ${msg.wire}, expected ${this.init.plan.wire}` : r.error.kind;
        this.init.log('warn', `global sync ${msg.syncId} from ${from} ignored: ${why}`);
        return;
      }
      case 'daso-plan':
        return; // the runtime builds a new runner for a new plan
    }
  }

  /** Trains every epoch from `epoch`; resolves when the last epoch is reported or the runner is stopped. */
  async run(model: DasoModel, epoch: number, batchSize: number): Promise<void> {
    // A runner that starts mid-run (a re-formed plan) must not take its peers' first syncs for "too early".
    const start = epoch * this.init.plan.stepsPerEpoch;
    if (start > 0) this.tracker = { ...this.tracker, passed: Math.max(this.tracker.passed, start - 1) };
    try {
      await this.ensureLinks();
      for (let e = epoch; e < this.init.config.epochs; e++) await this.epoch(model, e, batchSize);
    } catch (e) {
      // A runner stopped for a re-formed plan may fail on its way out (its replica was replaced): not a failure.
      if (!(e instanceof InboxStopped) && !this.signal.isStopped) throw e;
    }
  }

  /** Lower ids dial, higher ids wait for the link (both dialling at once would make two connections). */
  private async ensureLinks(): Promise<void> {
    const peers = dasoPeers(this.groups, this.init.self);
    for (const p of peers) if (this.init.self < p && !this.init.linked(p)) await this.init.connect(p);
    for (let waited = 0; !peers.every((p) => this.init.linked(p)); waited += LINK_POLL_MS) {
      if (waited > LINK_TIMEOUT_MS || this.signal.isStopped) { this.fail(`DASO peers not linked: ${peers.filter((p) => !this.init.linked(p)).join(', ')}`); return; }
      await this.init.sleep(LINK_POLL_MS);
    }
  }

  private async epoch(model: DasoModel, e: number, batchSize: number): Promise<void> {
    const sc = await this.schedules.take(String(e));
    this.schedule = sc;
    const steps = this.init.plan.stepsPerEpoch;
    const last = steps - 1;
    let count = 0;
    let lossSum = 0;
    let syncIndex = 0;
    for (let b = 0; b < steps; b++) {
      const t = e * steps + b;
      Object.assign(this.counters, { epoch: e, batch: b });
      const g = await model.gradients(batchSize);
      count += g.count;
      lossSum += g.lossSum;
      await this.localStep(model, t, g, localSyncOn(b, sc.localSkip, last));
      await this.mergeDue(model, t);
      if (isGlobalBatch(b, sc.globalSkip, last)) {
        await this.startGlobal(model, t, syncSlot(this.groups, syncIndex++), t + effectiveWait(b, sc.batchesToWait, last));
      }
      this.init.onProgress?.();
    }
    const reporter = this.init.plan.members[0] === this.init.self;
    const params = reporter ? await model.params() : new Float32Array(0);
    void this.init.send(this.init.coordinator, { type: 'daso-epoch', runId: this.init.config.runId, generation: this.init.plan.generation, epoch: e, count, lossSum, params: { dtype: 'float32', shape: [params.length], data: params } });
  }

  private async localStep(model: DasoModel, t: number, own: Grad, sync: boolean): Promise<void> {
    const peers = this.groupPeers();
    if (!sync || peers.length === 0) { model.applyGradients(own.grads); return; }
    const msg: Message = { type: 'daso-grads', runId: this.init.config.runId, generation: this.init.plan.generation, step: t, count: own.count, lossSum: own.lossSum, grads: own.grads.map((d) => ({ dtype: 'float32', shape: [d.length], data: d })) };
    for (const p of peers) { void this.init.send(p, msg); this.counters.bytesLocal += 4 * this.total; }
    const parts: Grad[] = [];
    for (const m of this.group?.members ?? []) parts.push(m === this.init.self ? own : await this.grads.take(`${t}:${m}`));
    model.applyGradients(weightedMean(parts.map((p) => ({ weight: p.count, arrays: p.grads }))));
  }

  /** Starts global sync `t` in `slot` if this worker's group takes part; merges at once when it is due now. */
  private async startGlobal(model: DasoModel, t: number, slot: number, dueAt: number): Promise<void> {
    const set = globalSyncSet(this.groups, slot);
    const mine = this.group === undefined ? undefined : globalMemberOf(this.group, slot);
    Object.assign(this.counters, { slot, inSet: set.members.includes(this.init.self) });
    if (set.members.length < 2 || mine === undefined) return;
    if (mine === this.init.self) {
      const params = await model.params();
      const payload = encodeGlobal(params, this.init.plan.wire);
      const msg: Message = { type: 'daso-global', runId: this.init.config.runId, generation: this.init.plan.generation, syncId: t, wire: this.init.plan.wire, params: payload };
      for (const p of set.members) if (p !== this.init.self) { void this.init.send(p, msg); this.counters.bytesGlobal += payload.data.byteLength; }
      const started = startSync(this.tracker, { id: stepFrom(t), dueAt: stepFrom(dueAt), members: set.members });
      this.tracker = started.state;
      const own = receive(this.tracker, { syncId: stepFrom(t), from: this.init.self, params: ownContribution(params, this.init.plan.wire) });
      if (own.ok) this.tracker = own.value;
      this.counters.globalSyncs++;
    }
    this.dues.push({ id: t, dueAt, from: mine === this.init.self ? null : mine });
    if (dueAt === t) await this.mergeDue(model, t);
  }

  /** Merges (or installs from the group's member) every sync due at step `t`, oldest first. */
  private async mergeDue(model: DasoModel, t: number): Promise<void> {
    const now = this.dues.filter((d) => d.dueAt === t).sort((a, b) => a.id - b.id);
    this.dues = this.dues.filter((d) => d.dueAt !== t);
    for (const d of now) {
      if (d.from !== null) { model.setParams(await this.installs.take(`${d.id}:${d.from}`)); continue; }
      await this.signal.until(() => this.ready.has(d.id) || this.complete(d.id));
      const due = collectDue(this.tracker, stepFrom(t));
      this.tracker = due.state;
      for (const r of due.ready) this.ready.set(r.id, r);
      const r = this.ready.get(d.id);
      this.ready.delete(d.id);
      if (r === undefined) { this.fail(`global sync ${d.id} could not be merged`); return; }
      const merged = mergeStale(await model.params(), sumCopies(r.contributions), { copies: r.contributions.length, batchesToWait: r.batchesToWait });
      model.setParams(merged);
      this.counters.merges++;
      const msg: Message = { type: 'daso-params', runId: this.init.config.runId, generation: this.init.plan.generation, step: d.id, params: { dtype: 'float32', shape: [merged.length], data: merged } };
      for (const p of this.groupPeers()) { void this.init.send(p, msg); this.counters.bytesLocal += merged.byteLength; }
    }
  }

  private complete(id: number): boolean {
    const p = this.tracker.pending.find((x) => x.id === id);
    return p?.members != null && p.members.every((m) => p.contributions.has(m));
  }
}
