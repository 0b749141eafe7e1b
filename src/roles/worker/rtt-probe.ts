/**
 * A worker's side of DASO's RTT grouping (protocol 9, `?dasoRttMs`): before the first plan the coordinator
 * sends each worker a `daso-probe` naming the peers it must measure; the worker pings each of them a few times
 * (the peers side by side, each one's pings one at a time, all within PROBE_BUDGET_MS) and answers with
 * `daso-rtt`, the smallest round-trip time per peer (-1 where none came back). Each pair is probed once, by its lower id, so the coordinator gets one time per pair without doubling
 * the load on the links; it then clusters devices with core/daso/groups.ts's complete-linkage rule (merge only
 * while every cross pair is below the threshold), which is why a missing time must read -1 (never merges)
 * rather than a guess.
 *
 * The smallest of a few pings, not their mean or median: waiting on either side (a GC pause, a busy event loop)
 * only ever adds time, so the minimum is the closest to the link's own round trip (as TCP's and BBR's min-RTT
 * estimates). The runtime answers pings and hands pongs over as they arrive, ahead of its serial command queue
 * (worker/runtime.ts `intercept`). Measured on loopback between four starting headless tabs: medians of 5 pings
 * through the queue ranged 2.5-14 ms (enough to split tabs that share a machine); minima off the queue 1.1-4.1 ms. A ping
 * that is not answered within the timeout is a missing sample, not a failure: a peer that never answers just
 * ends up at -1.
 *
 * Everything with side effects is injected (sending, connecting, the clock, sleeping), so the prober has no
 * timers of its own and tests drive it with a fake clock. A pong resolves a waiting ping only when both its
 * nonce and its sender match, so a stray, late or duplicated pong can never count for another ping.
 */
import { isPeerId, type PeerId } from '../../core/ids.ts';
import type { DasoProbeMsg, DasoRttMsg, Message } from '../../protocol/messages.ts';
import { MAX_RTT_MS } from '../../protocol/validate-daso.ts';
import { f64 } from '../../protocol/wire-tensor.ts';

/** How long a ping waits for its pong by default before it counts as missing. */
export const DEFAULT_PING_TIMEOUT_MS = 2000;
/**
 * How long a whole probe may take: the answer must reach the coordinator before it stops waiting
 * (coordinator/daso-rtt.ts PROBE_TIMEOUT_MS, 10 s), with room to spare on a loaded machine.
 */
export const PROBE_BUDGET_MS = 6000;

/** The smallest finite non-negative sample; -1 when there are none. */
export function minRtt(samples: readonly number[]): number {
  const ok = samples.filter((v) => Number.isFinite(v) && v >= 0);
  return ok.length === 0 ? -1 : Math.min(...ok);
}

export interface RttProberDeps {
  readonly self: PeerId;
  readonly runId: string;
  send(to: PeerId, msg: Message): Promise<void>;
  /** Opens a link to `peer` (a no-op when one is open); rejects when none can be had. */
  connect(peer: PeerId): Promise<void>;
  /** A monotone clock in ms. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

interface Waiting {
  readonly peer: PeerId;
  /** The pong's arrival time, or null: no pong (timed out, send failed, stopped). */
  readonly settle: (arrivedAt: number | null) => void;
}

export class RttProber {
  private nextNonce = 0;
  /** Outstanding pings by nonce. */
  private readonly waiting = new Map<number, Waiting>();
  private stopped = false;

  constructor(private readonly deps: RttProberDeps) {}

  /**
   * Measures every peer of `msg` and returns the `daso-rtt` answer (smallest ms per peer, -1 where none was
   * measured). The peers are measured side by side (each one's pings one at a time), and everything ends by
   * `budgetMs`: a link not made by then, or a ping not answered, is a missing sample, and the answer goes out
   * with what was measured, well before the coordinator stops waiting. Never throws for a peer's fault. After
   * stop() it returns at once with -1 for whatever was not measured yet.
   */
  async probe(msg: DasoProbeMsg, timeoutMs = DEFAULT_PING_TIMEOUT_MS, budgetMs = PROBE_BUDGET_MS): Promise<DasoRttMsg> {
    const deadline = this.deps.now() + budgetMs;
    const left = (): number => deadline - this.deps.now();
    const rtt = await Promise.all(msg.peers.map(async (peer) => {
      if (!isPeerId(peer)) return -1; // validate-daso.ts checks ids on the wire; this only narrows the type
      const linked = await Promise.race([this.deps.connect(peer).then(() => true, () => false), this.deps.sleep(Math.max(0, left())).then(() => false)]);
      if (!linked) return -1; // no link (in time): -1
      const samples: number[] = [];
      for (let k = 0; k < msg.pings && this.running() && left() > 0; k++) {
        const sample = await this.ping(peer, Math.min(timeoutMs, left()));
        if (sample !== null) samples.push(sample);
      }
      return minRtt(samples);
    }));
    return { type: 'daso-rtt', runId: msg.runId, peers: msg.peers, rttMs: f64([rtt.length], Float64Array.from(rtt)) };
  }

  /** A pong arrived: settles the ping it answers when both the nonce and the peer match; ignored otherwise. */
  onPong(from: PeerId, nonce: number): void {
    const w = this.waiting.get(nonce);
    if (w === undefined || w.peer !== from) return;
    this.waiting.delete(nonce);
    w.settle(this.deps.now());
  }

  /** Settles every outstanding ping as missing and makes probes finish at once (for good: call at the run's end). */
  stop(): void {
    this.stopped = true;
    const all = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of all) w.settle(null);
  }

  /** One ping to `peer`: its round-trip time in ms, or null when no pong came within `timeoutMs`. */
  private async ping(peer: PeerId, timeoutMs: number): Promise<number | null> {
    const nonce = this.nextNonce++;
    let settle: (arrivedAt: number | null) => void = () => undefined;
    const pong = new Promise<number | null>((resolve) => { settle = resolve; });
    this.waiting.set(nonce, { peer, settle });
    const sentAt = this.deps.now();
    this.deps.send(peer, { type: 'daso-ping', runId: this.deps.runId, nonce, pong: false }).catch(() => { this.drop(nonce); });
    const arrivedAt = await Promise.race([pong, this.deps.sleep(timeoutMs).then(() => null)]);
    this.drop(nonce); // a late pong for it is now stray
    if (arrivedAt === null) return null;
    const rtt = arrivedAt - sentAt;
    return Number.isFinite(rtt) && rtt >= 0 && rtt <= MAX_RTT_MS ? rtt : null;
  }

  /** A method, not a field read: stop() may run during any await of a probe, which narrowing does not see. */
  private running(): boolean {
    return !this.stopped;
  }

  private drop(nonce: number): void {
    const w = this.waiting.get(nonce);
    this.waiting.delete(nonce);
    w?.settle(null);
  }
}
