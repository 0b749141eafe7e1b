/**
 * The imperative shell shared by both roles: it feeds transport events and clock ticks into a pure
 * reducer, decodes and validates every inbound message (bad bytes → a logged error, the peer told why and
 * dropped), and carries out the reducer's commands in order through one SerialQueue.
 */
import type { PeerId } from '../core/ids.ts';
import { decodeMessage, encodeMessage } from '../protocol/codec.ts';
import type { Message } from '../protocol/messages.ts';
import { PROTOCOL_VERSION } from '../protocol/version.ts';
import type { Transport, TransportEvent } from '../transport/transport.ts';
import { HEARTBEAT_INTERVAL_MS, PEER_TIMEOUT_MS, type CommonCommand, type LogLevel } from './commands.ts';
import { PeerRateLimiter } from './rate-limit.ts';
import { SerialQueue } from './serial-queue.ts';

export interface LogEntry {
  readonly at: number;
  readonly level: LogLevel;
  readonly text: string;
}

/** Events the host itself produces; every role's event union includes them. */
export type HostEvent =
  | { readonly type: 'message'; readonly from: PeerId; readonly msg: Message; readonly now: number }
  | { readonly type: 'peer-left'; readonly peer: PeerId; readonly reason: string; readonly now: number }
  /** Bytes of an unfinished message from `peer` arrived: it is alive (its heartbeats queue behind that message). */
  | { readonly type: 'peer-alive'; readonly peer: PeerId; readonly now: number }
  /**
   * `stalled`: this tab's own event loop was blocked for over two heartbeat intervals before this tick (a long
   * job, a throttled tab), so silence of its peers during that time proves nothing: their messages may still
   * be queued behind the tick. Reducers then grant peers a fresh grace period instead of timing them out.
   */
  | { readonly type: 'tick'; readonly now: number; readonly stalled?: boolean };

export interface RoleHostInit<S, E, C> {
  readonly transport: Transport;
  readonly initial: S;
  readonly reduce: (s: S, e: E | HostEvent) => { readonly state: S; readonly commands: readonly C[] };
  /** Carries out one role-specific command; return false for a command it does not know. */
  readonly execute: (c: C) => Promise<boolean> | boolean;
  readonly now?: () => number;
  /**
   * Sees every valid inbound message before the reducer; returning true consumes it. For replies that an
   * awaiting command is waiting for (rpc.ts): the command queue is blocked on that await, so the reply
   * cannot go through the queue.
   */
  readonly intercept?: (from: PeerId, msg: Message) => boolean;
  /** Sees every state change at once (not queued): e.g. a departed member must fail the calls awaiting it. */
  readonly observe?: (before: S, after: S) => void;
}

function isHeartbeatSend(c: { readonly type: string }): c is Extract<CommonCommand, { type: 'send' }> {
  const common = c as CommonCommand;
  return common.type === 'send' && common.msg.type === 'heartbeat';
}

/** Most log lines kept for the dashboard. */
const MAX_LOG = 200;
/** How long a disconnect waits for earlier sends to that peer (e.g. the error that explains it) to flush. */
const DISCONNECT_FLUSH_MS = 1000;

export class RoleHost<S, E, C extends { readonly type: string }> {
  private state: S;
  private readonly queue: SerialQueue;
  private readonly listeners = new Set<() => void>();
  private unsubscribe: (() => void) | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  /** The latest send to each peer, so a disconnect can let it flush first. */
  private readonly lastSend = new Map<PeerId, Promise<void>>();
  private readonly inboundLimit = new PeerRateLimiter();
  /** Peers already being dropped for flooding (their queued messages are ignored until they are gone). */
  private readonly flooding = new Set<PeerId>();
  /** Peers this tab disconnected on purpose: their link's closing diagnosis is logged. */
  private readonly dropping = new Set<PeerId>();
  readonly logs: LogEntry[] = [];
  readonly now: () => number;

  constructor(private readonly init: RoleHostInit<S, E, C>) {
    this.state = init.initial;
    this.now = init.now ?? (() => Date.now());
    this.queue = new SerialQueue((e) => { this.log('error', `command failed: ${String(e)}`); });
  }

  getState(): S {
    return this.state;
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  start(): void {
    this.unsubscribe = this.init.transport.subscribe((e) => { this.onTransport(e); });
    let lastTick = this.now();
    this.timer = setInterval(() => {
      const now = this.now();
      const gap = now - lastTick;
      const stalled = gap > 2 * HEARTBEAT_INTERVAL_MS;
      lastTick = now;
      // Peers time this tab out after PEER_TIMEOUT_MS of silence: say so when it came close (diagnosis of drops).
      if (gap > 0.5 * PEER_TIMEOUT_MS) this.log('warn', `this tab's event loop was blocked for ${Math.round(gap)} ms (heartbeats were late)`);
      this.dispatch({ type: 'tick', now, stalled });
    }, HEARTBEAT_INTERVAL_MS);
  }

  stop(): void {
    this.unsubscribe?.();
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** Runs one event through the reducer and queues its commands. */
  dispatch(e: E | HostEvent): void {
    const before = this.state;
    const out = this.init.reduce(this.state, e);
    this.state = out.state;
    if (before !== out.state) this.init.observe?.(before, out.state);
    for (const c of out.commands) {
      // Heartbeats carry no ordering: sent at once, so a long awaited command cannot make this tab look dead.
      if (isHeartbeatSend(c)) void this.sendMessage(c.to, c.msg);
      else this.queue.push(() => this.run(c));
    }
    this.notify();
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  log(level: LogLevel, text: string): void {
    this.logs.push({ at: this.now(), level, text });
    if (this.logs.length > MAX_LOG) this.logs.splice(0, this.logs.length - MAX_LOG);
    if (level === 'error') console.error(`[swarm] ${text}`);
    else if (level === 'warn') console.warn(`[swarm] ${text}`);
    this.notify();
  }

  notify(): void {
    for (const fn of this.listeners) fn();
  }

  /**
   * Encodes and starts sending; never blocks the command queue on a slow or dead peer (the transport keeps
   * per-peer order, and heartbeats evict peers that stop answering). A failed send is logged, never thrown.
   */
  sendMessage(to: PeerId, msg: Message): Promise<void> {
    let bytes: Uint8Array;
    try {
      bytes = encodeMessage(msg);
    } catch (e) {
      this.log('error', `cannot encode '${msg.type}' for ${to}: ${String(e)}`);
      return Promise.resolve();
    }
    const p = this.init.transport.send(to, bytes).catch((e: unknown) => {
      this.log('warn', `send '${msg.type}' to ${to} failed: ${String(e)}`);
    });
    this.lastSend.set(to, p);
    void p.finally(() => { if (this.lastSend.get(to) === p) this.lastSend.delete(to); });
    return p;
  }

  /** Disconnects `peer` once its pending sends flushed (bounded by DISCONNECT_FLUSH_MS). */
  disconnectAfterFlush(peer: PeerId, reason: string): void {
    const pending = this.lastSend.get(peer) ?? Promise.resolve();
    const timeout = new Promise<void>((r) => setTimeout(r, DISCONNECT_FLUSH_MS));
    this.dropping.add(peer);
    void Promise.race([pending, timeout]).then(() => { this.init.transport.disconnect(peer, reason); });
  }

  private async run(c: C): Promise<void> {
    const common = c as unknown as CommonCommand;
    switch (common.type) {
      case 'send': void this.sendMessage(common.to, common.msg); return;
      case 'disconnect': this.disconnectAfterFlush(common.peer, common.reason); return;
      case 'log': this.log(common.level, common.text); return;
      default: break;
    }
    const known = await this.init.execute(c);
    if (!known) this.log('error', `unknown command '${c.type}'`);
  }

  private onTransport(e: TransportEvent): void {
    const now = this.now();
    switch (e.type) {
      case 'message': this.onBytes(e.from, e.bytes, now); return;
      case 'peer-connected': return;
      case 'peer-active': this.dispatch({ type: 'peer-alive', peer: e.peer, now }); return;
      case 'notice': this.log('info', e.text); return;
      case 'peer-disconnected':
        this.inboundLimit.forget(e.peer);
        this.flooding.delete(e.peer);
        // The link's own account (when chunks last moved, what was queued) of a peer we dropped: diagnosis.
        if (this.dropping.delete(e.peer)) this.log('info', `link to ${e.peer} closed: ${e.reason}`);
        this.dispatch({ type: 'peer-left', peer: e.peer, reason: e.reason, now });
        return;
      case 'error':
        this.log('warn', `transport: ${e.error.kind}${e.error.peer === undefined ? '' : ` from ${e.error.peer}`}: ${e.error.message}`);
        if (e.error.peer !== undefined) this.dispatch({ type: 'peer-left', peer: e.error.peer, reason: e.error.kind, now });
        return;
      default: e satisfies never;
    }
  }

  private onBytes(from: PeerId, bytes: Uint8Array, now: number): void {
    if (this.flooding.has(from)) return;
    if (!this.inboundLimit.take(from, now)) {
      this.flooding.add(from);
      this.log('error', `${from} sends too many messages: dropping the peer`);
      void this.sendMessage(from, { type: 'error', code: 'rate-limited', detail: 'too many messages' });
      this.disconnectAfterFlush(from, 'rate limit exceeded');
      this.dispatch({ type: 'peer-left', peer: from, reason: 'rate limit exceeded', now });
      return;
    }
    const r = decodeMessage(bytes);
    if (r.ok) {
      if (this.init.intercept?.(from, r.value) === true) return;
      this.dispatch({ type: 'message', from, msg: r.value, now });
      return;
    }
    const { code, detail } = r.error;
    this.log('error', `bad message from ${from} (${code}: ${detail}): dropping the peer`);
    const reply: Message =
      code === 'bad-version'
        ? { type: 'incompatible', reason: (r.error.peerVersion) < PROTOCOL_VERSION ? 'peer-too-old' : 'peer-too-new', protocolVersion: PROTOCOL_VERSION }
        : { type: 'error', code: 'protocol-violation', detail: `${code}: ${detail}`.slice(0, 200) };
    void this.sendMessage(from, reply);
    this.disconnectAfterFlush(from, `protocol violation: ${code}`);
    this.dispatch({ type: 'peer-left', peer: from, reason: `protocol violation: ${code}`, now });
  }
}
