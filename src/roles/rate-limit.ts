/**
 * Per-peer token buckets for inbound messages: a peer that floods us (hostile or broken) is cut off before
 * it can starve the tab. Pure: time is passed in.
 *
 * Budget: 1000 messages/s sustained with bursts of 2000. Honest traffic stays well below it: per training
 * step a worker sends one gradient message and the coordinator sends each worker an update and a progress
 * message, so even 200 steps/s (tiny models on fast GPUs) is 400 messages/s, plus a heartbeat per second.
 */
export const INBOUND_MESSAGES_PER_SEC = 1000;
export const INBOUND_BURST = 2000;

export class PeerRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly ratePerSec = INBOUND_MESSAGES_PER_SEC,
    private readonly burst = INBOUND_BURST,
  ) {}

  /** Takes one token for `peer` at time `nowMs`; false when the peer is over its budget. */
  take(peer: string, nowMs: number): boolean {
    const b = this.buckets.get(peer) ?? { tokens: this.burst, at: nowMs };
    const refill = (Math.max(0, nowMs - b.at) / 1000) * this.ratePerSec;
    const tokens = Math.min(this.burst, b.tokens + refill);
    const ok = tokens >= 1;
    this.buckets.set(peer, { tokens: ok ? tokens - 1 : tokens, at: nowMs });
    return ok;
  }

  /** Forgets a peer (on disconnect), so the map cannot grow without bound. */
  forget(peer: string): void {
    this.buckets.delete(peer);
  }
}
