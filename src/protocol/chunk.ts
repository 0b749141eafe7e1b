/**
 * Chunk framing: splits one whole message into link-sized chunks and reassembles them on the far side.
 * Pure: no timers, no clock (time is passed in), no DOM.
 *
 * Wire layout of one chunk (all integers unsigned 32-bit little-endian, 20-byte header):
 *
 * | bytes  | field         | meaning                                                               |
 * |--------|---------------|-----------------------------------------------------------------------|
 * | 0..3   | magic         | ASCII "SWCH" (0x53 0x57 0x43 0x48; as a u32 LE: 0x48435753)           |
 * | 4..7   | message id    | sender-chosen id, the same for every chunk of one message (wraps)     |
 * | 8..11  | chunk index   | 0-based position of this chunk, < chunk count                         |
 * | 12..15 | chunk count   | number of chunks of the message, >= 1                                 |
 * | 16..19 | total bytes   | byte length of the whole message                                      |
 * | 20..   | payload       | bytes [index * P, min((index + 1) * P, total)) of the message         |
 *
 * P (the payload size of every chunk but the last) is `maxChunkBytes - 20` on the sender; the receiver does
 * not know it up front and learns it from the first chunk it sees, then requires every chunk to agree.
 * An empty message is one chunk with an empty payload.
 *
 * Ordering: a Reassembler returns each message from `accept` at the moment its last missing chunk arrives,
 * i.e. in completion order. It accepts chunks in any order. Transports send the chunks of one message
 * before any chunk of the next over an ordered channel, so completion order equals send order.
 */
import { err, ok, type Result } from '../core/result.ts';

/** Size of the chunk header in bytes (five u32 fields). */
export const CHUNK_HEADER_BYTES = 20;
/** "SWCH" read as a little-endian u32. */
export const CHUNK_MAGIC = 0x48435753;
/** Largest value a u32 header field can carry. */
const U32_MAX = 0xffffffff;
/** Completed message ids remembered to drop late duplicates (a reliable link never produces them). */
const RECENT_IDS = 16;

/** Decoded chunk header. */
export interface ChunkHeader {
  readonly messageId: number;
  readonly index: number;
  readonly count: number;
  readonly totalBytes: number;
}

/** Why a chunk was refused. Every kind means the sender broke the framing (or a memory cap). */
export type ChunkErrorKind =
  | 'truncated' // shorter than the header
  | 'chunk-too-large' // longer than the receiver's chunk cap
  | 'bad-magic'
  | 'bad-count' // count < 1, or more chunks than bytes
  | 'bad-index' // index >= count
  | 'message-too-large' // total > maxMessageBytes
  | 'bad-length' // payload length inconsistent with total/count or with earlier chunks
  | 'inconsistent-header' // same message id, different total or count
  | 'conflicting-duplicate' // same id and index seen before with different bytes
  | 'too-many-partials'
  | 'over-budget'; // declared totals of partial messages exceed maxBufferedBytes

/** A refused chunk: `kind` for code, `detail` for logs. */
export interface ChunkError {
  readonly kind: ChunkErrorKind;
  readonly detail: string;
}

/** Thrown for programmer errors when splitting (a bad chunk size or an oversized message). */
export class ChunkSizeError extends Error {
  static readonly NAME = 'ChunkSizeError';
  constructor(message: string) {
    super(message);
    this.name = ChunkSizeError.NAME;
  }
}

/** Number of chunks `totalBytes` needs when each chunk is at most `maxChunkBytes` long (header included). */
export function chunkCount(totalBytes: number, maxChunkBytes: number): number {
  if (!Number.isSafeInteger(maxChunkBytes) || maxChunkBytes <= CHUNK_HEADER_BYTES) {
    throw new ChunkSizeError(`maxChunkBytes must exceed the ${CHUNK_HEADER_BYTES}-byte header: ${maxChunkBytes}`);
  }
  if (!Number.isSafeInteger(totalBytes) || totalBytes < 0 || totalBytes > U32_MAX) {
    throw new ChunkSizeError(`message length out of range: ${totalBytes}`);
  }
  return Math.max(1, Math.ceil(totalBytes / (maxChunkBytes - CHUNK_HEADER_BYTES)));
}

/**
 * Encodes chunk `index` of `message` (lazily, so a sender never holds every chunk of a large message).
 * The result owns a fresh ArrayBuffer.
 */
export function encodeChunk(
  message: Uint8Array,
  messageId: number,
  index: number,
  maxChunkBytes: number,
): Uint8Array<ArrayBuffer> {
  const count = chunkCount(message.byteLength, maxChunkBytes);
  if (!Number.isInteger(index) || index < 0 || index >= count) throw new ChunkSizeError(`bad chunk index ${index}`);
  const payload = maxChunkBytes - CHUNK_HEADER_BYTES;
  const start = index * payload;
  const end = Math.min(start + payload, message.byteLength);
  const out = new Uint8Array(new ArrayBuffer(CHUNK_HEADER_BYTES + end - start));
  const view = new DataView(out.buffer);
  view.setUint32(0, CHUNK_MAGIC, true);
  view.setUint32(4, messageId >>> 0, true);
  view.setUint32(8, index, true);
  view.setUint32(12, count, true);
  view.setUint32(16, message.byteLength, true);
  out.set(message.subarray(start, end), CHUNK_HEADER_BYTES);
  return out;
}

/** Splits a whole message into chunks of at most `maxChunkBytes` bytes each (header included). */
export function splitMessage(message: Uint8Array, messageId: number, maxChunkBytes: number): Uint8Array<ArrayBuffer>[] {
  const count = chunkCount(message.byteLength, maxChunkBytes);
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  for (let i = 0; i < count; i++) chunks.push(encodeChunk(message, messageId, i, maxChunkBytes));
  return chunks;
}

/**
 * The message id of a data chunk (header bytes 4..7) without validating the rest, or null when `chunk` does
 * not start with a chunk header (the Reassembler then says why). Links read it to drop re-sent duplicates.
 */
export function chunkMessageId(chunk: Uint8Array): number | null {
  if (chunk.byteLength < CHUNK_HEADER_BYTES) return null;
  const view = new DataView(chunk.buffer, chunk.byteOffset, CHUNK_HEADER_BYTES);
  return view.getUint32(0, true) === CHUNK_MAGIC ? view.getUint32(4, true) : null;
}

const fail = (kind: ChunkErrorKind, detail: string): Result<never, ChunkError> => err({ kind, detail });

/**
 * Reads and checks the header fields that need no other chunk: magic, count, index, total and the payload
 * length against total/count. Returns the header and P, the payload size of non-last chunks (0 when
 * count = 1).
 */
export function parseChunkHeader(
  chunk: Uint8Array,
  maxMessageBytes: number,
): Result<ChunkHeader & { readonly stride: number }, ChunkError> {
  if (chunk.byteLength < CHUNK_HEADER_BYTES) return fail('truncated', `${chunk.byteLength} bytes`);
  const view = new DataView(chunk.buffer, chunk.byteOffset, CHUNK_HEADER_BYTES);
  if (view.getUint32(0, true) !== CHUNK_MAGIC) return fail('bad-magic', 'not a SWCH chunk');
  const messageId = view.getUint32(4, true);
  const index = view.getUint32(8, true);
  const count = view.getUint32(12, true);
  const totalBytes = view.getUint32(16, true);
  if (totalBytes > maxMessageBytes) return fail('message-too-large', `${totalBytes} > ${maxMessageBytes}`);
  if (count < 1 || count > Math.max(1, totalBytes)) return fail('bad-count', `count ${count}, total ${totalBytes}`);
  if (index >= count) return fail('bad-index', `index ${index} of ${count}`);
  const len = chunk.byteLength - CHUNK_HEADER_BYTES;
  const header = { messageId, index, count, totalBytes };
  if (count === 1) {
    return len === totalBytes ? ok({ ...header, stride: 0 }) : fail('bad-length', `${len} != total ${totalBytes}`);
  }
  if (index < count - 1) {
    // A non-last chunk carries exactly P bytes, and P must make `count` the right number of chunks.
    const fits = len >= 1 && (count - 1) * len < totalBytes && totalBytes <= count * len;
    return fits ? ok({ ...header, stride: len }) : fail('bad-length', `${len} bytes at ${index}/${count}`);
  }
  // The last chunk carries the rest: total = (count - 1) * P + len with 1 <= len <= P.
  const rest = totalBytes - len;
  const stride = rest / (count - 1);
  const fits = len >= 1 && rest > 0 && Number.isInteger(stride) && stride >= len;
  return fits ? ok({ ...header, stride }) : fail('bad-length', `last chunk of ${len} bytes, total ${totalBytes}`);
}

/** Limits of one Reassembler (one per peer link). */
export interface ReassemblerInit {
  /** Largest whole message accepted. */
  readonly maxMessageBytes: number;
  /** Largest chunk accepted, header included. */
  readonly maxChunkBytes: number;
  /** Most partial messages held at once (a well-behaved sender on an ordered link has at most one). */
  readonly maxPartials?: number;
  /** Most bytes reserved for partial messages (their declared totals, allocated on the first chunk). */
  readonly maxBufferedBytes?: number;
}

interface Partial {
  readonly count: number;
  readonly totalBytes: number;
  readonly stride: number;
  readonly data: Uint8Array<ArrayBuffer>;
  readonly seen: Uint8Array;
  received: number;
  lastSeenMs: number;
}

/** Default cap on concurrent partial messages per peer. */
const DEFAULT_MAX_PARTIALS = 8;

/**
 * Reassembles chunks from one peer. Accepts chunks in any order, ignores exact duplicates, validates every
 * header field and bounds memory. Never throws on bad input: `accept` returns a ChunkError instead.
 */
export class Reassembler {
  private readonly partials = new Map<number, Partial>();
  private readonly recent: number[] = [];
  private reserved = 0;
  private readonly maxPartials: number;
  private readonly maxBufferedBytes: number;

  constructor(private readonly init: ReassemblerInit) {
    this.maxPartials = init.maxPartials ?? DEFAULT_MAX_PARTIALS;
    this.maxBufferedBytes = init.maxBufferedBytes ?? init.maxMessageBytes;
  }

  /** Partial messages held now. */
  get partialCount(): number {
    return this.partials.size;
  }

  /** Bytes reserved by partial messages now. */
  get bufferedBytes(): number {
    return this.reserved;
  }

  /**
   * Takes one chunk received at `nowMs`. Returns the whole message when this chunk completes it, null when
   * more chunks are needed (or the chunk was a duplicate), or an error when the chunk breaks the framing.
   * On error no state changes. The returned message owns its buffer.
   */
  accept(chunk: Uint8Array, nowMs: number): Result<Uint8Array<ArrayBuffer> | null, ChunkError> {
    if (chunk.byteLength > this.init.maxChunkBytes) {
      return fail('chunk-too-large', `${chunk.byteLength} > ${this.init.maxChunkBytes}`);
    }
    const parsed = parseChunkHeader(chunk, this.init.maxMessageBytes);
    if (!parsed.ok) return parsed;
    const h = parsed.value;
    if (this.recent.includes(h.messageId)) return ok(null);
    const payload = chunk.subarray(CHUNK_HEADER_BYTES);
    if (h.count === 1) {
      this.remember(h.messageId);
      return ok(payload.slice());
    }
    const existing = this.partials.get(h.messageId);
    if (existing) return this.place(h, existing, payload, nowMs);
    const created = this.open(h, nowMs);
    return created.ok ? this.place(h, created.value, payload, nowMs) : created;
  }

  /** Drops partial messages that saw no chunk for more than `maxAgeMs`; returns how many were dropped. */
  expire(nowMs: number, maxAgeMs: number): number {
    let dropped = 0;
    for (const [id, p] of this.partials) {
      if (nowMs - p.lastSeenMs > maxAgeMs) {
        this.drop(id, p);
        dropped++;
      }
    }
    return dropped;
  }

  /** Forgets every partial message (the link went away). */
  clear(): void {
    this.partials.clear();
    this.reserved = 0;
  }

  private open(h: ChunkHeader & { readonly stride: number }, nowMs: number): Result<Partial, ChunkError> {
    if (this.partials.size >= this.maxPartials) return fail('too-many-partials', `${this.partials.size} held`);
    if (this.reserved + h.totalBytes > this.maxBufferedBytes) {
      return fail('over-budget', `${this.reserved} + ${h.totalBytes} > ${this.maxBufferedBytes}`);
    }
    const data = new Uint8Array(new ArrayBuffer(h.totalBytes));
    const seen = new Uint8Array(h.count);
    return ok({ count: h.count, totalBytes: h.totalBytes, stride: h.stride, data, seen, received: 0, lastSeenMs: nowMs });
  }

  private place(
    h: ChunkHeader & { readonly stride: number },
    p: Partial,
    payload: Uint8Array,
    nowMs: number,
  ): Result<Uint8Array<ArrayBuffer> | null, ChunkError> {
    if (h.count !== p.count || h.totalBytes !== p.totalBytes) {
      return fail('inconsistent-header', `message ${h.messageId}: ${h.count}/${h.totalBytes} vs ${p.count}/${p.totalBytes}`);
    }
    if (h.stride !== p.stride) return fail('bad-length', `chunk stride ${h.stride} vs ${p.stride}`);
    const offset = h.index * p.stride;
    if (p.seen[h.index] === 1) {
      const same = payload.every((b, i) => p.data[offset + i] === b);
      return same ? ok(null) : fail('conflicting-duplicate', `message ${h.messageId} chunk ${h.index}`);
    }
    if (!this.partials.has(h.messageId)) {
      this.partials.set(h.messageId, p);
      this.reserved += p.totalBytes;
    }
    p.data.set(payload, offset);
    p.seen[h.index] = 1;
    p.received++;
    p.lastSeenMs = nowMs;
    if (p.received < p.count) return ok(null);
    this.drop(h.messageId, p);
    this.remember(h.messageId);
    return ok(p.data);
  }

  private drop(id: number, p: Partial): void {
    this.partials.delete(id);
    this.reserved -= p.totalBytes;
  }

  private remember(id: number): void {
    this.recent.push(id);
    if (this.recent.length > RECENT_IDS) this.recent.shift();
  }
}
