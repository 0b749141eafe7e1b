/**
 * One PeerJS DataConnection (serialization 'raw', reliable + ordered) seen as a message link.
 *
 * - Sends go straight to the underlying RTCDataChannel (PeerJS's own buffering is bypassed), one message
 *   after another, chunked with chunk.ts to min(sctp.maxMessageSize, 64 KiB). Before every chunk, while
 *   bufferedAmount is above HIGH_WATER_BYTES it waits for 'bufferedamountlow', so Chromium's 16 MiB send
 *   queue never fills (a send exception would make PeerJS kill the connection).
 * - Receives ArrayBuffers, bounds each chunk's size first, reassembles with a per-link Reassembler.
 * - Every way the link can end (local close, remote close, connection error, ICE failed/closed, framing
 *   violation, send failure) goes through `close(reason)`, which reports exactly once to the owner.
 * No handler here throws: failures become a close or a violation report.
 */
import type { DataConnection } from 'peerjs';
import type { PeerId } from '../core/ids.ts';
import { MAX_MESSAGE_BYTES, TransportError } from './transport.ts';
import { CHUNK_HEADER_BYTES, Reassembler, chunkCount, encodeChunk } from '../protocol/chunk.ts';
import { ActivityThrottle } from './activity.ts';

/** Chunk size when the SCTP transport reports no usable max message size (portable across browsers). */
export const FALLBACK_CHUNK_BYTES = 16 * 1024;
/** Preferred chunk size: ~5-10 % faster than 16 KiB for large messages on loopback (see README.md). */
export const PREFERRED_CHUNK_BYTES = 64 * 1024;
/** Largest inbound chunk accepted: Chromium's SCTP maxMessageSize; nothing legitimate is larger. */
export const MAX_INBOUND_CHUNK_BYTES = 256 * 1024;
/** Pause sending above this many queued bytes: far below Chromium's 16 MiB cap, enough to keep the pipe full. */
const HIGH_WATER_BYTES = 1024 * 1024;
/** Resume when the queue drains to this ('bufferedamountlow' threshold). */
const LOW_WATER_BYTES = 256 * 1024;
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
  /** A chunk of a message still in transit arrived (throttled, see activity.ts). */
  active(link: PeerJsLink): void;
  violation(link: PeerJsLink, detail: string): void;
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

/** A message link over one DataConnection. Created by PeerJsTransport for each dialled or answered conn. */
export class PeerJsLink {
  private state: 'opening' | 'open' | 'closed' = 'opening';
  private channel: RTCDataChannel | undefined;
  private chunkBytes = FALLBACK_CHUNK_BYTES;
  private readonly chunkBytesFixed: boolean;
  private nextMessageId = 0;
  private chain: Promise<void> = Promise.resolve();
  private readonly roomWaiters = new Set<RoomWaiter>();
  /** Start times of sends not yet finished, oldest first (for the close diagnosis). */
  private readonly pendingSince: number[] = [];
  /** Chunks that arrived before the channel announced itself open, delivered right after (in order). */
  private readonly early: unknown[] = [];
  private lastChunkInAt: number | null = null;
  private lastChunkOutAt: number | null = null;
  private readonly activity = new ActivityThrottle();
  private readonly reassembler = new Reassembler({
    maxMessageBytes: MAX_MESSAGE_BYTES,
    maxChunkBytes: MAX_INBOUND_CHUNK_BYTES,
  });

  constructor(
    readonly peer: PeerId,
    readonly conn: DataConnection,
    /** True when this side dialled (the originator of the connection). */
    readonly outgoing: boolean,
    private readonly owner: LinkOwner,
    chunkBytesOverride?: number,
  ) {
    if (chunkBytesOverride !== undefined) this.chunkBytes = chunkBytesOverride;
    this.chunkBytesFixed = chunkBytesOverride !== undefined;
    conn.on('open', () => { this.guard(() => { this.onOpen(); }); });
    conn.on('data', (data) => { this.guard(() => { this.onData(data); }); });
    conn.on('close', () => { this.close('closed by the remote side'); });
    conn.on('error', (e) => { this.close(`connection error (${e.type})`); });
    conn.on('iceStateChanged', (s) => {
      if (s === 'failed' || s === 'closed') this.close(`ice ${s}`);
    });
  }

  /** True once the DataConnection fired 'open' and until the link closes. */
  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** Sends one whole message after every earlier one (per-link queue keeps send order). */
  send(bytes: Uint8Array, signal?: AbortSignal): Promise<void> {
    const id = this.nextMessageId;
    this.nextMessageId = (id + 1) >>> 0;
    const started = performance.now();
    this.pendingSince.push(started);
    const run = this.chain.then(() => this.write(bytes, id, signal)).finally(() => {
      const i = this.pendingSince.indexOf(started);
      if (i >= 0) this.pendingSince.splice(i, 1);
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Test hook: writes `bytes` to the data channel as one raw link message, bypassing the framing. */
  sendRaw(bytes: Uint8Array<ArrayBuffer>): void {
    this.requireChannel().send(bytes);
  }

  /** Drops partial messages idle for more than `maxAgeMs`; a dropped one means a lost message, so close. */
  expire(nowMs: number, maxAgeMs: number): void {
    if (this.reassembler.expire(nowMs, maxAgeMs) > 0) this.close('stale partial message dropped');
  }

  /**
   * What the link was doing, for the reason of an unexpected close: when chunks last moved each way, how
   * many sends were queued and for how long, how much the channel still held. A healthy peer dropped for
   * silence shows here whether its bytes were stuck on this side or never sent.
   */
  diagnosis(now = performance.now()): string {
    const ago = (t: number | null): string => (t === null ? 'never' : `${((now - t) / 1000).toFixed(1)} s ago`);
    const oldest = this.pendingSince[0];
    const queued = oldest === undefined ? 'no sends queued' : `${this.pendingSince.length} sends queued, oldest ${((now - oldest) / 1000).toFixed(1)} s`;
    const buffered = this.channel === undefined ? '' : `, ${this.channel.bufferedAmount} B buffered`;
    return `last chunk in ${ago(this.lastChunkInAt)}, out ${ago(this.lastChunkOutAt)}; ${queued}${buffered}`;
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
    this.reassembler.clear();
    this.early.length = 0;
    this.conn.removeAllListeners();
    try {
      this.conn.close();
    } catch {
      // PeerJS may already have torn the connection down; nothing is left to close.
    }
    this.owner.closed(this, reason);
  }

  private readonly onLow = (): void => {
    for (const w of [...this.roomWaiters]) w.resolve();
  };

  private onOpen(): void {
    if (this.state !== 'opening') return;
    const dc = this.conn.dataChannel;
    dc.binaryType = 'arraybuffer';
    dc.bufferedAmountLowThreshold = LOW_WATER_BYTES;
    dc.addEventListener('bufferedamountlow', this.onLow);
    this.channel = dc;
    if (!this.chunkBytesFixed) this.chunkBytes = chooseChunkBytes(this.conn.peerConnection);
    this.state = 'open';
    this.owner.opened(this);
    const early = this.early.splice(0);
    for (const data of early) this.onData(data);
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
    this.owner.counters.bytesReceived += data.byteLength;
    this.lastChunkInAt = performance.now();
    const res = this.reassembler.accept(new Uint8Array(data), performance.now());
    if (!res.ok) {
      this.owner.violation(this, `${res.error.kind}: ${res.error.detail}`);
      return;
    }
    if (res.value === null) {
      if (this.activity.due(performance.now())) this.owner.active(this);
      return;
    }
    this.owner.counters.messagesReceived++;
    this.owner.message(this, res.value);
  }

  private async write(bytes: Uint8Array, id: number, signal: AbortSignal | undefined): Promise<void> {
    // Abort is honoured until the first chunk leaves; after that the message is finished (a half-sent
    // message would leave a partial on the far side).
    signal?.throwIfAborted();
    const count = chunkCount(bytes.byteLength, this.chunkBytes);
    for (let i = 0; i < count; i++) {
      await this.room(i === 0 ? signal : undefined);
      const chunk = encodeChunk(bytes, id, i, this.chunkBytes);
      try {
        this.requireChannel().send(chunk);
      } catch (e: unknown) {
        this.close(`send failed: ${String(e)}`);
        throw new TransportError('closed', `send to ${this.peer} failed: ${String(e)}`, this.peer);
      }
      this.owner.counters.bytesSent += chunk.byteLength;
      this.lastChunkOutAt = performance.now();
    }
    this.owner.counters.messagesSent++;
  }

  /** Resolves when the send queue is at or below HIGH_WATER_BYTES. */
  private async room(signal: AbortSignal | undefined): Promise<void> {
    while (this.requireChannel().bufferedAmount > HIGH_WATER_BYTES) {
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

  private requireChannel(): RTCDataChannel {
    if (this.state !== 'open' || !this.channel || this.channel.readyState !== 'open') {
      throw new TransportError('closed', `no open link to ${this.peer}`, this.peer);
    }
    return this.channel;
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
