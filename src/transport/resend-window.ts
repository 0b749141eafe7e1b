/**
 * The messages a link has written recently, kept so that a resumed link can write again whatever its far
 * side did not receive whole (peerjs-link.ts). There are no acknowledgements: what to keep is bounded by
 * age and bytes instead. A message must outlive the longest stall that a resume repairs: stall detection
 * (~1 s) plus a re-dial (≤ RESUME_TIMEOUT_MS) — so 15 s. The bytes cap bounds memory on a busy link; the
 * newest message is always kept. Pure: time is passed in.
 */
import { idAtOrAfter } from '../protocol/link-control.ts';

/** One message as the window keeps it. */
export interface Written {
  readonly id: number;
  readonly bytes: Uint8Array;
  /** When its last chunk was written (first time); null while it is being written. */
  writtenAt: number | null;
}

/** Oldest written message kept. */
export const RETAIN_MS = 15_000;
/** Most bytes kept (older messages go first). Messages sent to many peers share one buffer. */
export const RETAIN_BYTES = 32 * 1024 * 1024;

export class ResendWindow<T extends Written = Written> {
  private readonly kept: T[] = [];
  private bytes = 0;
  /** Id of the newest message dropped from the window, or null while none was. */
  private droppedThrough: number | null = null;

  constructor(
    private readonly maxAgeMs = RETAIN_MS,
    private readonly maxBytes = RETAIN_BYTES,
  ) {}

  /** Starts keeping a message (call before its first chunk is written, in id order). */
  add(entry: T, now: number): void {
    this.kept.push(entry);
    this.bytes += entry.bytes.byteLength;
    this.trim(now);
  }

  /** Forgets a message none of whose chunks was written (an aborted send): nobody can be missing it. */
  forget(entry: T): void {
    const i = this.kept.indexOf(entry);
    if (i < 0) return;
    this.kept.splice(i, 1);
    this.bytes -= entry.bytes.byteLength;
  }

  /**
   * The kept messages from id `nextExpected` on, in order; null when some message the far side needs is
   * no longer kept (the link cannot be resumed).
   */
  from(nextExpected: number): T[] | null {
    if (this.droppedThrough !== null && idAtOrAfter(this.droppedThrough, nextExpected)) return null;
    return this.kept.filter((w) => idAtOrAfter(w.id, nextExpected));
  }

  get size(): number {
    return this.kept.length;
  }

  get heldBytes(): number {
    return this.bytes;
  }

  /** Drops written messages older than the age cap, and oldest first while over the bytes cap (never the newest). */
  trim(now: number): void {
    while (this.kept.length > 1) {
      const oldest = this.kept[0];
      if (oldest === undefined || oldest.writtenAt === null) return;
      const old = now - oldest.writtenAt > this.maxAgeMs;
      if (!old && this.bytes <= this.maxBytes) return;
      this.kept.shift();
      this.bytes -= oldest.bytes.byteLength;
      this.droppedThrough = oldest.id;
    }
  }
}
