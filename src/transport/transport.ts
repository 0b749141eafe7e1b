/**
 * The one network abstraction. A Transport moves whole messages (byte arrays) between peers; it chunks
 * them to the link's message size, applies backpressure, reassembles on the far side with bounded memory,
 * and counts bytes. It knows nothing of message types: decoding and validation happen above it.
 *
 * Implementations: memory.ts (in-process hub, for tests and the coordinator's own local worker),
 * peerjs.ts (WebRTC data channels through a PeerServer), union.ts (several transports as one).
 */
import type { PeerId } from '../core/ids.ts';

export interface AbortOptions {
  readonly signal?: AbortSignal;
}

/** Why a link went away or could not be made. Callers switch on `kind`, never on message text. */
export type TransportErrorKind =
  | 'unavailable-id' // the requested own id is taken (e.g. a room already has a coordinator)
  | 'peer-unavailable' // the remote id is unknown to the signalling server
  | 'negotiation-failed'
  | 'server-error' // signalling server unreachable or closed
  | 'protocol-violation' // the peer sent bytes that break the chunk framing or size caps
  | 'unauthenticated' // the peer did not prove the room key (authenticated.ts)
  | 'closed';

export class TransportError extends Error {
  static readonly NAME = 'TransportError';
  constructor(
    readonly kind: TransportErrorKind,
    message: string,
    readonly peer?: PeerId,
  ) {
    super(message);
    this.name = TransportError.NAME;
  }
}

export interface TransportStats {
  /** Payload + framing bytes handed to links (after chunking). */
  readonly bytesSent: number;
  readonly bytesReceived: number;
  readonly messagesSent: number;
  readonly messagesReceived: number;
}

export type TransportEvent =
  | { readonly type: 'message'; readonly from: PeerId; readonly bytes: Uint8Array }
  | { readonly type: 'peer-connected'; readonly peer: PeerId }
  | { readonly type: 'peer-disconnected'; readonly peer: PeerId; readonly reason: string }
  /**
   * Part of a message from `peer` arrived and more is on its way: the peer is alive even though no whole
   * message (and so none of its heartbeats, queued behind this one) has arrived. Throttled (activity.ts).
   */
  | { readonly type: 'peer-active'; readonly peer: PeerId }
  /** Something happened to the link to `peer` that is worth a log line but changes nothing (it was resumed). */
  | { readonly type: 'notice'; readonly peer: PeerId; readonly text: string }
  | { readonly type: 'error'; readonly error: TransportError };

export type TransportListener = (e: TransportEvent) => void;

export interface Transport {
  /** This endpoint's own id. */
  readonly self: PeerId;
  /** Peers with an open link, in connection order. */
  peers(): readonly PeerId[];
  /** Opens a link to `peer` (idempotent); resolves when messages can flow both ways. */
  connect(peer: PeerId, opts?: AbortOptions): Promise<void>;
  /**
   * Sends one whole message. Resolves once every chunk is accepted by the link (backpressure respected);
   * rejects with TransportError if there is no open link or the message exceeds MAX_MESSAGE_BYTES.
   * Messages to one peer arrive whole, once, in send order.
   */
  send(to: PeerId, bytes: Uint8Array, opts?: AbortOptions): Promise<void>;
  /** Closes the link to `peer` and forgets its partial messages (eviction). Idempotent. */
  disconnect(peer: PeerId, reason: string): void;
  /** Subscribes to events; returns the unsubscribe function. */
  subscribe(listener: TransportListener): () => void;
  stats(): TransportStats;
  /** Closes every link and the endpoint. Idempotent. */
  close(): Promise<void>;
}

/** Largest whole message a transport accepts or reassembles (bounds memory per peer). */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
