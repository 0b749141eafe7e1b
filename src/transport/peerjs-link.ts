/**
 * One PeerJS DataConnection (serialization 'raw', reliable + ordered) seen as a message link.
 *
 * - Sends go straight to the underlying RTCDataChannel (PeerJS's own buffering is bypassed), one message
 *   after another, chunked with chunk.ts to min(sctp.maxMessageSize, 64 KiB). Before every chunk, while
 *   bufferedAmount is above HIGH_WATER_BYTES it waits for 'bufferedamountlow', so Chromium's 16 MiB send
 *   queue never fills (a send exception would make PeerJS kill the connection).
 * - Receives ArrayBuffers, bounds each chunk's size first, reassembles with a per-link Reassembler.
 * - Resumes a stuck link (see "Resume" below) on a fresh connection without its owner noticing.
 * - Every way the link can end (local close, remote close, connection error, ICE failed/closed, framing
 *   violation, send failure, a resume that failed) goes through `close(reason)`, which reports exactly once.
 * No handler here throws: failures become a close or a violation report.
 *
 * Resume. Chromium data channels sometimes stop sending in one direction with no error (seen in CI right
 * after several tabs uploaded megabytes to one: the worker's heartbeats sat in its send buffer for > 4 s
 * while the other direction flowed; docs/RELIABILITY.md). A link whose send buffer has not drained at all
 * for STUCK_MS dials its peer a second connection (a new RTCPeerConnection, so a new SCTP association),
 * proves it is the same link with the peer's link token (link-control.ts), and both sides swap to the new
 * connection and write again every message the other had not received whole (resend-window.ts). Messages
 * still arrive whole, once and in order.
 */
import type { DataConnection } from 'peerjs';
import type { PeerId } from '../core/ids.ts';
import { MAX_MESSAGE_BYTES, TransportError } from './transport.ts';
import { CHUNK_HEADER_BYTES, Reassembler, chunkCount, chunkMessageId, encodeChunk } from '../protocol/chunk.ts';
import { LINK_TOKEN_BYTES, decodeControl, encodeControl, idAtOrAfter, isControlFrame, sameToken, type LinkControl } from '../protocol/link-control.ts';
import { ActivityThrottle } from './activity.ts';
import { ResendWindow, type Written } from './resend-window.ts';

/** Chunk size when the SCTP transport reports no usable max message size (portable across browsers). */
export const FALLBACK_CHUNK_BYTES = 16 * 1024;
/** Preferred chunk size: ~5-10 % faster than 16 KiB for large messages on loopback (see README.md). */
export const PREFERRED_CHUNK_BYTES = 64 * 1024;
/** Largest inbound chunk accepted: Chromium's SCTP maxMessageSize; nothing legitimate is larger. */
export const MAX_INBOUND_CHUNK_BYTES = 256 * 1024;
/**
 * A send buffer that held bytes and drained none of them for this long is stuck: resume the link. Well
 * under the peers' 2.5 s silence timeout (roles/commands.ts), so a resumed link's heartbeats arrive in time;
 * above the ~0.5 s hiccups of a loaded 2-core machine.
 */
export const STUCK_MS = 1000;
/**
 * A link that stalls again within this long of its last resume waits twice STUCK_MS before the next one. A
 * fresh SCTP association that stalls at once is load (several tabs uploading megabytes to one, each upload
 * still in SCTP's own buffer), not a stuck channel, and each resume re-sends what is in flight: measured in
 * the analytic bench, 1 s thresholds made 8 resumes in 10 s on one link, each re-sending a 2.5 MB Gram matrix.
 * Twice STUCK_MS stays under the peers' 2.5 s silence timeout (roles/commands.ts), so a really stuck channel
 * is still resumed before its peer gives up on it.
 */
export const RESTALL_WINDOW_MS = 10_000;
/** A resume that has not completed by then failed: the peer is gone (or unreachable) after all. */
export const RESUME_TIMEOUT_MS = 5000;
/** Pause sending above this many queued bytes: far below Chromium's 16 MiB cap, enough to keep the pipe full. */
const HIGH_WATER_BYTES = 1024 * 1024;
/** Resume when the queue drains to this ('bufferedamountlow' threshold). */
const LOW_WATER_BYTES = 256 * 1024;
/** Resumes dialled in a row that failed before the link gives up on its peer. */
const MAX_FAILED_RESUMES = 3;
/** Chunks held while a channel is still opening: a handshake needs 2; more is a misbehaving peer. */
const MAX_EARLY_CHUNKS = 64;

/** Shared byte and message counters of one transport. */
export interface LinkCounters {
  bytesSent: number;
  bytesReceived: number;
  messagesSent: number;
  messagesReceived: number;
}

/** How a link reports to its transport. */
export interface LinkOwner {
  readonly counters: LinkCounters;
  opened(link: PeerJsLink): void;
  message(link: PeerJsLink, bytes: Uint8Array): void;
  /** The peer showed a sign of life other than a whole message (a partial one, a proven resume). */
  active(link: PeerJsLink): void;
  violation(link: PeerJsLink, detail: string): void;
  /** Something worth a log line happened to the link (it was resumed). */
  notice(link: PeerJsLink, text: string): void;
  /** Dials the link's peer a second connection to resume the link on; undefined when it cannot now. */
  redial(link: PeerJsLink): DataConnection | undefined;
  /** Called exactly once when the link ends, whatever the cause. */
  closed(link: PeerJsLink, reason: string): void;
}

/** Chunk size for a peer connection: min(sctp.maxMessageSize, 64 KiB), or 16 KiB if unknown. */
export function chooseChunkBytes(pc: RTCPeerConnection | null | undefined): number {
  const max = pc?.sctp?.maxMessageSize;
  if (typeof max !== 'number' || !(max > CHUNK_HEADER_BYTES)) return FALLBACK_CHUNK_BYTES;
  return Math.min(max, PREFERRED_CHUNK_BYTES);
}

interface RoomWaiter {
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}

/** A message given to `send`, from its queueing until it was written whole (and, kept, for re-sending). */
interface Outgoing extends Written {
  readonly signal: AbortSignal | undefined;
  readonly queuedAt: number;
  /** At least one chunk of it was written (abort is no longer honoured). */
  started: boolean;
  settled: boolean;
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}

/** A second connection being set up to replace a stuck one. */
interface PendingResume {
  readonly conn: DataConnection;
  /** True when this side dialled it (this side's sends were stuck). */
  readonly dialled: boolean;
  readonly startedAt: number;
  /** Answering side: the peer's proven `resume` frame, held until the new channel can carry the reply. */
  proven: { readonly nextExpected: number } | null;
}

/** A message link over one DataConnection. Created by PeerJsTransport for each dialled or answered conn. */
export class PeerJsLink {
  private state: 'opening' | 'open' | 'closed' = 'opening';
  private conn: DataConnection;
  private channel: RTCDataChannel | undefined;
  private chunkBytes = FALLBACK_CHUNK_BYTES;
  private readonly chunkBytesFixed: boolean;
  private readonly roomWaiters = new Set<RoomWaiter>();
  /** Chunks that arrived before the channel announced itself open, delivered right after (in order). */
  private readonly early: unknown[] = [];
  private lastChunkInAt: number | null = null;
  private lastChunkOutAt: number | null = null;
  private readonly activity = new ActivityThrottle();
  private readonly reassembler = new Reassembler({
    maxMessageBytes: MAX_MESSAGE_BYTES,
    maxChunkBytes: MAX_INBOUND_CHUNK_BYTES,
  });

  // Sending: messages wait in `outbox`, are written by one pump, and are kept in `window` for a resume.
  private nextId = 0;
  private readonly outbox: Outgoing[] = [];
  private resendQueue: Outgoing[] = [];
  private readonly unsettled = new Set<Outgoing>();
  private readonly window = new ResendWindow<Outgoing>();
  private pumping = false;
  /** Bumped by each resume: a write of an older generation stops (its message is re-sent whole). */
  private generation = 0;

  // Receiving: id of the first message not yet received whole (later duplicates of earlier ids are dropped).
  private nextExpected = 0;

  // Resume.
  private readonly localToken = crypto.getRandomValues(new Uint8Array(LINK_TOKEN_BYTES));
  private remoteToken: Uint8Array | null = null;
  private resume: PendingResume | null = null;
  private lastBuffered = 0;
  private writtenSinceCheck = 0;
  private lastDrainAt = performance.now();
  private lastCheckAt = performance.now();
  private lastAnswerAt = Number.NEGATIVE_INFINITY;
  private lastDialAt = Number.NEGATIVE_INFINITY;
  private failedResumes = 0;
  /** Why the current connection ended while a resume was pending (the link closes if the resume fails). */
  private oldConnGone: string | null = null;
  private resumes = 0;

  constructor(
    readonly peer: PeerId,
    conn: DataConnection,
    /** True when this side dialled (the originator of the connection). */
    readonly outgoing: boolean,
    private readonly owner: LinkOwner,
    chunkBytesOverride?: number,
  ) {
    this.conn = conn;
    if (chunkBytesOverride !== undefined) this.chunkBytes = chunkBytesOverride;
    this.chunkBytesFixed = chunkBytesOverride !== undefined;
    this.attach(conn);
  }

  /** True once the DataConnection fired 'open' and until the link closes. */
  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** How many times the link moved to a fresh connection. */
  get resumeCount(): number {
    return this.resumes;
  }

  /** Sends one whole message after every earlier one; resolves once its last chunk is written. */
  send(bytes: Uint8Array, signal?: AbortSignal): Promise<void> {
    if (this.state === 'closed') return Promise.reject(this.noLink());
    return new Promise<void>((resolve, reject) => {
      const entry: Outgoing = {
        id: this.nextId, bytes, writtenAt: null, signal, queuedAt: performance.now(), started: false, settled: false, resolve, reject,
      };
      this.nextId = (this.nextId + 1) >>> 0;
      this.outbox.push(entry);
      this.unsettled.add(entry);
      void this.pump();
    });
  }

  /** Test hook: writes `bytes` to the data channel as one raw link message, bypassing the framing. */
  sendRaw(bytes: Uint8Array<ArrayBuffer>): void {
    this.requireChannel().send(bytes);
  }

  /** Test hook: resumes the link on a fresh connection now, as if its sends were stuck. */
  resumeNow(): boolean {
    if (this.state !== 'open' || this.resume !== null || this.remoteToken === null) return false;
    return this.startResume(performance.now(), 'asked to');
  }

  /** Drops partial messages idle for more than `maxAgeMs`; a dropped one means a lost message, so close. */
  expire(nowMs: number, maxAgeMs: number): void {
    if (this.reassembler.expire(nowMs, maxAgeMs) > 0) this.close('stale partial message dropped');
  }

  /**
   * Called every few hundred ms by the transport: notices a send buffer that stopped draining (and resumes
   * the link), a resume that took too long (and gives up on it), and trims the resend window.
   */
  checkProgress(now: number): void {
    if (this.state !== 'open' || this.channel === undefined) return;
    this.window.trim(now);
    const buffered = this.channel.bufferedAmount;
    const drained = this.lastBuffered + this.writtenSinceCheck - buffered;
    // This tab's own event loop was blocked: the channel's drain reports may still be queued behind it.
    const selfStalled = now - this.lastCheckAt > STUCK_MS / 2;
    this.lastCheckAt = now;
    this.lastBuffered = buffered;
    this.writtenSinceCheck = 0;
    if (buffered === 0 || drained > 0 || selfStalled) this.lastDrainAt = now;
    const r = this.resume;
    if (r !== null) {
      if (now - r.startedAt <= RESUME_TIMEOUT_MS) return;
      this.dropResume('it timed out');
      // The old connection moved again meanwhile: keep it. Still stuck: the peer is gone after all.
      if (r.dialled && this.lastDrainAt <= r.startedAt) this.close(`sending stuck and no resume within ${RESUME_TIMEOUT_MS / 1000} s`);
      return;
    }
    // At most one dial per STUCK_MS: a refused resume must not turn into a dial every check. Stalling again
    // soon after a resume: more patience (RESTALL_WINDOW_MS).
    const patience = now - this.lastDialAt < RESTALL_WINDOW_MS ? 2 * STUCK_MS : STUCK_MS;
    if (now - this.lastDrainAt >= patience && now - this.lastDialAt >= STUCK_MS && this.remoteToken !== null) void this.startResume(now, `no byte of ${buffered} B left in ${((now - this.lastDrainAt) / 1000).toFixed(1)} s`);
  }

  /**
   * The peer dialled a connection to resume this link on: answer it if it proves itself. `peerIsLower`:
   * when both sides dialled at once, the connection dialled by the lower id is kept (the far side agrees).
   */
  answerResume(conn: DataConnection, peerIsLower: boolean): void {
    const mine = this.resume;
    const now = performance.now();
    const busy = mine !== null && (!mine.dialled || !peerIsLower);
    // One answer at a time and at most one a second: each is a new RTCPeerConnection to set up.
    if (this.state !== 'open' || this.remoteToken === null || busy || now - this.lastAnswerAt < STUCK_MS) {
      conn.close();
      return;
    }
    if (mine !== null) this.dropResume('the peer dialled one too');
    this.lastAnswerAt = now;
    this.resume = { conn, dialled: false, startedAt: now, proven: null };
    this.attach(conn);
  }

  /** The signalling server does not know the peer any more: a resume dialled to it cannot succeed. */
  peerUnavailable(): void {
    if (this.resume?.dialled === true) this.close('the peer left the signalling server while its link was stuck');
  }

  /**
   * What the link was doing, for the reason of an unexpected close: when chunks last moved each way, how
   * many sends were queued and for how long, how much the channel still held. A healthy peer dropped for
   * silence shows here whether its bytes were stuck on this side or never sent.
   */
  diagnosis(now = performance.now()): string {
    const ago = (t: number | null): string => (t === null ? 'never' : `${((now - t) / 1000).toFixed(1)} s ago`);
    let oldest = Number.POSITIVE_INFINITY;
    for (const e of this.unsettled) oldest = Math.min(oldest, e.queuedAt);
    const queued = this.unsettled.size === 0 ? 'no sends queued' : `${this.unsettled.size} sends queued, oldest ${((now - oldest) / 1000).toFixed(1)} s`;
    const buffered = this.channel === undefined ? '' : `, ${this.channel.bufferedAmount} B buffered`;
    const resumed = this.resumes === 0 ? '' : `; resumed ${this.resumes} times`;
    return `last chunk in ${ago(this.lastChunkInAt)}, out ${ago(this.lastChunkOutAt)}; ${queued}${buffered}${resumed}`;
  }

  /** Ends the link (idempotent): rejects pending sends, closes the DataConnection, reports once. */
  close(cause: string): void {
    if (this.state === 'closed') return;
    const reason = this.state === 'open' ? `${cause} (${this.diagnosis()})` : cause;
    this.state = 'closed';
    this.channel?.removeEventListener('bufferedamountlow', this.onLow);
    const gone = new TransportError('closed', `link to ${this.peer} closed: ${reason}`, this.peer);
    for (const w of this.roomWaiters) w.reject(gone);
    this.roomWaiters.clear();
    for (const e of this.unsettled) e.reject(gone);
    this.unsettled.clear();
    this.outbox.length = 0;
    this.resendQueue = [];
    this.reassembler.clear();
    this.early.length = 0;
    if (this.resume !== null) this.dropResume('the link closed');
    this.conn.removeAllListeners();
    try {
      this.conn.close();
    } catch {
      // PeerJS may already have torn the connection down; nothing is left to close.
    }
    this.owner.closed(this, reason);
  }

  private attach(conn: DataConnection): void {
    conn.on('open', () => { this.guard(() => { this.onConnOpen(conn); }); });
    conn.on('data', (data) => { this.guard(() => { this.onConnData(conn, data); }); });
    conn.on('close', () => { this.onConnGone(conn, 'closed by the remote side'); });
    conn.on('error', (e) => { this.onConnGone(conn, `connection error (${e.type})`); });
    conn.on('iceStateChanged', (s) => {
      if (s === 'failed' || s === 'closed') this.onConnGone(conn, `ice ${s}`);
    });
  }

  private onConnOpen(conn: DataConnection): void {
    if (conn === this.conn) this.onOpen();
    else if (conn === this.resume?.conn) this.onResumeOpen();
  }

  private onConnData(conn: DataConnection, data: unknown): void {
    if (conn === this.conn) this.onData(data);
    else if (conn === this.resume?.conn) this.onResumeData(data);
  }

  private onConnGone(conn: DataConnection, reason: string): void {
    if (conn === this.resume?.conn) this.dropResume(reason);
    else if (conn !== this.conn) return;
    // The far side swapped to the new connection first and closed the old one: wait for the resume.
    else if (this.resume !== null) this.oldConnGone ??= reason;
    else this.close(reason);
  }

  private readonly onLow = (): void => {
    for (const w of [...this.roomWaiters]) w.resolve();
  };

  private onOpen(): void {
    if (this.state !== 'opening') return;
    this.useChannel(this.conn);
    // The first frame each way is the link token: a later resume must present it (link-control.ts).
    this.requireChannel().send(encodeControl({ kind: 'token', token: this.localToken }));
    this.owner.opened(this);
    const early = this.early.splice(0);
    for (const data of early) this.onData(data);
    void this.pump();
  }

  private useChannel(conn: DataConnection): void {
    const dc = conn.dataChannel;
    dc.binaryType = 'arraybuffer';
    dc.bufferedAmountLowThreshold = LOW_WATER_BYTES;
    dc.addEventListener('bufferedamountlow', this.onLow);
    this.channel = dc;
    if (!this.chunkBytesFixed) this.chunkBytes = chooseChunkBytes(conn.peerConnection);
    this.state = 'open';
  }

  private onData(data: unknown): void {
    // Chromium can deliver a channel's first messages before its 'open' event, on the answering side (the
    // channel is already open) and on the dialling side (not yet announced open). Dropping them lost the
    // peer's admission nonce ("proof before nonce", CI of 2026-11-22): an open channel opens the link now,
    // and chunks that come earlier still wait (bounded) for 'open'.
    if (this.state === 'opening' && this.conn.dataChannel.readyState === 'open') this.onOpen();
    if (this.state === 'opening') {
      if (this.early.length >= MAX_EARLY_CHUNKS) this.close(`more than ${MAX_EARLY_CHUNKS} chunks before the channel opened`);
      else this.early.push(data);
      return;
    }
    if (this.state !== 'open') return;
    if (!(data instanceof ArrayBuffer)) {
      this.owner.violation(this, 'non-binary data channel message');
      return;
    }
    if (data.byteLength > MAX_INBOUND_CHUNK_BYTES) {
      this.owner.violation(this, `chunk of ${data.byteLength} bytes exceeds ${MAX_INBOUND_CHUNK_BYTES}`);
      return;
    }
    this.lastChunkInAt = performance.now();
    const frame = new Uint8Array(data);
    // Control frames (a few dozen bytes per link) are not message traffic: the byte counters leave them out.
    if (isControlFrame(frame)) {
      this.onControl(frame);
      return;
    }
    this.owner.counters.bytesReceived += data.byteLength;
    const id = chunkMessageId(frame);
    // After a resume the peer re-sends from where this side said it stopped; a message that also made it
    // over the old connection meanwhile arrives twice: deliver it once.
    if (id !== null && !idAtOrAfter(id, this.nextExpected)) return;
    const res = this.reassembler.accept(frame, performance.now());
    if (!res.ok) {
      this.owner.violation(this, `${res.error.kind}: ${res.error.detail}`);
      return;
    }
    if (res.value === null) {
      if (this.activity.due(performance.now())) this.owner.active(this);
      return;
    }
    if (id !== null) this.nextExpected = (id + 1) >>> 0;
    this.owner.counters.messagesReceived++;
    this.owner.message(this, res.value);
  }

  /** A control frame on the link's own channel: only the peer's token, once. */
  private onControl(frame: Uint8Array): void {
    const c = decodeControl(frame);
    if (!c.ok) this.owner.violation(this, `bad control frame: ${c.error}`);
    else if (c.value.kind !== 'token' || this.remoteToken !== null) this.owner.violation(this, `unexpected ${c.value.kind} frame`);
    else this.remoteToken = c.value.token;
  }

  /** Dials the peer a connection to resume on; false when none could be dialled now (the next check retries). */
  private startResume(now: number, why: string): boolean {
    let conn: DataConnection | undefined;
    try {
      conn = this.owner.redial(this);
    } catch {
      conn = undefined; // the signalling server is unreachable now
    }
    if (conn === undefined) return false;
    this.lastDialAt = now;
    this.resume = { conn, dialled: true, startedAt: now, proven: null };
    this.attach(conn);
    this.owner.notice(this, `link to ${this.peer} stalled (${why}): re-dialling it`);
    return true;
  }

  /** Dialling side: the new connection is open, so ask the peer to resume on it. */
  private onResumeOpen(): void {
    const r = this.resume;
    if (r === null) return;
    if (!r.dialled) {
      this.completeAnswer();
      return;
    }
    const peerToken = this.remoteToken;
    if (peerToken === null) return;
    this.sendOn(r.conn, { kind: 'resume', token: peerToken, nextExpected: this.nextExpected });
  }

  /** A frame on the resume connection: the dialler expects `resumed`, the answerer `resume`, both with its own token. */
  private onResumeData(data: unknown): void {
    const r = this.resume;
    if (r === null) return;
    const frame = data instanceof ArrayBuffer ? new Uint8Array(data) : null;
    const c = frame === null ? null : decodeControl(frame);
    const want: LinkControl['kind'] = r.dialled ? 'resumed' : 'resume';
    if (c?.ok !== true || c.value.kind === 'token' || c.value.kind !== want || !sameToken(c.value.token, this.localToken)) {
      this.dropResume(`the peer did not prove the link (${c === null ? 'non-binary' : c.ok ? c.value.kind : c.error})`);
      return;
    }
    if (r.dialled) {
      this.swapTo(r.conn, c.value.nextExpected);
      return;
    }
    r.proven = { nextExpected: c.value.nextExpected };
    this.owner.active(this); // a proven resume is the peer alive, however long its old channel stays stuck
    this.completeAnswer();
  }

  /** Answering side: once the peer proved itself and the new channel is open, reply and swap. */
  private completeAnswer(): void {
    const r = this.resume;
    const peerToken = this.remoteToken;
    if (r === null || r.dialled || r.proven === null || peerToken === null || r.conn.dataChannel.readyState !== 'open') return;
    if (!this.sendOn(r.conn, { kind: 'resumed', token: peerToken, nextExpected: this.nextExpected })) return;
    this.swapTo(r.conn, r.proven.nextExpected);
  }

  private sendOn(conn: DataConnection, c: LinkControl): boolean {
    try {
      conn.dataChannel.send(encodeControl(c));
      return true;
    } catch (e: unknown) {
      this.dropResume(`cannot write to the new connection: ${String(e)}`);
      return false;
    }
  }

  /** Moves the link to `conn` and re-sends, from `farNextExpected` on, what the peer did not receive whole. */
  private swapTo(conn: DataConnection, farNextExpected: number): void {
    if (!idAtOrAfter(this.nextId, farNextExpected)) {
      this.owner.violation(this, `resume from message ${farNextExpected}, which was never sent`);
      return;
    }
    const again = this.window.from(farNextExpected);
    if (again === null) {
      this.close(`cannot resume: message ${farNextExpected} is no longer kept`);
      return;
    }
    const old = this.conn;
    // Bytes still in the old channel's buffer never left this side: they are not traffic (they are re-sent).
    // (The link's own channel reference: PeerJS may already have dropped `old.dataChannel`.)
    this.owner.counters.bytesSent -= Math.min(this.owner.counters.bytesSent, this.channel?.bufferedAmount ?? 0);
    old.removeAllListeners();
    try {
      old.close();
    } catch {
      // Already torn down.
    }
    this.channel?.removeEventListener('bufferedamountlow', this.onLow);
    this.conn = conn;
    this.resume = null;
    this.oldConnGone = null;
    this.useChannel(conn);
    this.reassembler.clear();
    this.generation++;
    this.resendQueue = again;
    this.lastBuffered = conn.dataChannel.bufferedAmount;
    this.writtenSinceCheck = 0;
    this.lastDrainAt = performance.now();
    this.resumes++;
    this.failedResumes = 0;
    this.onLow(); // writes waiting for room on the old channel wake, see the new generation, and stop
    this.owner.notice(this, `link to ${this.peer} resumed on a new connection (${again.length} messages re-sent)`);
    void this.pump();
  }

  private dropResume(reason: string): void {
    const r = this.resume;
    if (r === null) return;
    this.resume = null;
    r.conn.removeAllListeners();
    try {
      r.conn.close();
    } catch {
      // Already torn down.
    }
    if (r.dialled && this.state === 'open') this.owner.notice(this, `resume of the link to ${this.peer} abandoned: ${reason}`);
    if (r.dialled && ++this.failedResumes >= MAX_FAILED_RESUMES) this.close(`${MAX_FAILED_RESUMES} resumes failed in a row (last: ${reason})`);
    else if (this.oldConnGone !== null) this.close(this.oldConnGone);
    else this.onLow(); // writes waiting for the resume re-check the old channel
  }

  /** Writes queued messages, re-sends first after a resume; one pump per link at a time. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        if (this.state !== 'open') return;
        const entry = this.resendQueue.shift() ?? this.nextFresh();
        if (entry === undefined) return;
        let whole: boolean;
        try {
          whole = await this.write(entry);
        } catch (e: unknown) {
          if (!entry.started && this.unsettled.delete(entry)) {
            // Aborted before its first chunk (or the link closed): nobody can be missing it.
            this.window.forget(entry);
            entry.reject(e instanceof Error ? e : new Error(String(e)));
          }
          continue;
        }
        if (!whole) continue;
        entry.writtenAt ??= performance.now();
        if (!entry.settled) {
          entry.settled = true;
          this.unsettled.delete(entry);
          this.owner.counters.messagesSent++;
          entry.resolve();
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  private nextFresh(): Outgoing | undefined {
    for (let e = this.outbox.shift(); e !== undefined; e = this.outbox.shift()) {
      if (e.signal?.aborted === true) {
        this.unsettled.delete(e);
        e.reject(e.signal.reason instanceof Error ? e.signal.reason : new Error('aborted'));
        continue;
      }
      this.window.add(e, performance.now());
      return e;
    }
    return undefined;
  }

  /** Writes every chunk of one message; false when a resume interrupted it (it is then re-sent whole). */
  private async write(entry: Outgoing): Promise<boolean> {
    const generation = this.generation;
    const count = chunkCount(entry.bytes.byteLength, this.chunkBytes);
    for (let i = 0; i < count; i++) {
      // Abort is honoured until the first chunk leaves; after that the message is finished (a half-sent
      // message would leave a partial on the far side).
      await this.room(entry.started ? undefined : entry.signal);
      if (generation !== this.generation) return false;
      const chunk = encodeChunk(entry.bytes, entry.id, i, this.chunkBytes);
      try {
        this.requireChannel().send(chunk);
      } catch (e: unknown) {
        this.close(`send failed: ${String(e)}`);
        throw new TransportError('closed', `send to ${this.peer} failed: ${String(e)}`, this.peer);
      }
      entry.started = true;
      this.owner.counters.bytesSent += chunk.byteLength;
      this.writtenSinceCheck += chunk.byteLength;
      this.lastChunkOutAt = performance.now();
    }
    return true;
  }

  /** Resolves when the send queue is at or below HIGH_WATER_BYTES (or a resume swapped the channel). */
  private async room(signal: AbortSignal | undefined): Promise<void> {
    signal?.throwIfAborted();
    const generation = this.generation;
    while (generation === this.generation && this.mustWait()) {
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          this.roomWaiters.delete(waiter);
          reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
        };
        const waiter: RoomWaiter = {
          resolve: () => {
            this.roomWaiters.delete(waiter);
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
          reject: (e) => {
            signal?.removeEventListener('abort', onAbort);
            reject(e);
          },
        };
        this.roomWaiters.add(waiter);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
  }

  /** True while a write must wait: the queue is full, or the channel ended and a resume is under way. */
  private mustWait(): boolean {
    if (this.state !== 'open' || this.channel === undefined) throw this.noLink();
    if (this.channel.readyState !== 'open') {
      if (this.resume !== null) return true;
      throw this.noLink();
    }
    return this.channel.bufferedAmount > HIGH_WATER_BYTES;
  }

  private requireChannel(): RTCDataChannel {
    if (this.state !== 'open' || !this.channel || this.channel.readyState !== 'open') {
      throw this.noLink();
    }
    return this.channel;
  }

  private noLink(): TransportError {
    return new TransportError('closed', `no open link to ${this.peer}`, this.peer);
  }

  /** Runs an event handler body; an unexpected exception closes the link instead of escaping. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (e: unknown) {
      this.close(`internal error: ${String(e)}`);
    }
  }
}
