/**
 * Liveness while a long message is in transit. A peer's heartbeats queue behind a message it is already
 * sending (links keep send order), so a multi-megabyte upload on a slow link looks like silence to the
 * receiver, which then drops a healthy peer. Receivers therefore report chunks of unfinished messages as
 * `peer-active`, throttled so a 64 MiB message costs a handful of events, not thousands.
 */

/** Least time between two `peer-active` events for one link: well under a heartbeat interval (1 s). */
export const PEER_ACTIVE_EVENT_MS = 250;

/** Per-link throttle: `due(now)` is true for the first partial chunk and then at most every PEER_ACTIVE_EVENT_MS. */
export class ActivityThrottle {
  private last = Number.NEGATIVE_INFINITY;

  due(now: number): boolean {
    if (now - this.last < PEER_ACTIVE_EVENT_MS) return false;
    this.last = now;
    return true;
  }
}
