import { describe, expect, it } from 'vitest';
import { peerIdFrom, type PeerId } from '../../core/ids.ts';
import type { DasoPingMsg, DasoProbeMsg, Message } from '../../protocol/messages.ts';
import { minRtt, RttProber } from './rtt-probe.ts';

/** A virtual clock: timers fire only when `drive` advances time, after every pending microtask ran. */
class FakeClock {
  t = 0;
  private timers: { at: number; seq: number; fire: () => void }[] = [];
  private seq = 0;
  readonly now = (): number => this.t;
  readonly sleep = (ms: number): Promise<void> => new Promise((resolve) => { this.after(ms, resolve); });

  after(ms: number, fire: () => void): void {
    this.timers.push({ at: this.t + ms, seq: this.seq++, fire });
  }

  /** Runs `p` to completion: settle microtasks, fire the earliest timer (time jumps to it), repeat. */
  async drive<T>(p: Promise<T>): Promise<T> {
    const state = { settled: false }; // set in a callback, so an object: narrowing of a `let` would not see it
    const tracked = p.finally(() => { state.settled = true; });
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (state.settled) return tracked;
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers.shift();
      if (next === undefined) throw new Error('deadlock: nothing pending and the probe has not finished');
      this.t = next.at;
      next.fire();
    }
  }
}

const SELF = peerIdFrom('a');
const [B, C, D] = ['b', 'c', 'd'].map(peerIdFrom) as [PeerId, PeerId, PeerId];

/**
 * A prober on a fake network: `answer(peer, nonce, k)` says how the k-th ping to `peer` is answered: a list of
 * [delay ms, sender, nonce] pongs to deliver (several = duplicates or strays), or [] for no answer at all.
 */
function setup(opts: {
  answer: (peer: PeerId, nonce: number, k: number) => [number, PeerId, number][];
  connect?: (peer: PeerId) => Promise<void>;
}) {
  const clock = new FakeClock();
  const sent: { to: PeerId; msg: DasoPingMsg }[] = [];
  const perPeer = new Map<PeerId, number>();
  const connects: PeerId[] = [];
  const prober: RttProber = new RttProber({
    self: SELF, runId: 'run1', now: clock.now, sleep: clock.sleep,
    connect: (peer) => { connects.push(peer); return opts.connect?.(peer) ?? Promise.resolve(); },
    send: (to: PeerId, msg: Message) => {
      if (msg.type !== 'daso-ping') throw new Error(`unexpected ${msg.type}`);
      sent.push({ to, msg });
      const k = perPeer.get(to) ?? 0;
      perPeer.set(to, k + 1);
      for (const [delay, from, nonce] of opts.answer(to, msg.nonce, k)) clock.after(delay, () => { prober.onPong(from, nonce); });
      return Promise.resolve();
    },
  });
  return { clock, prober, sent, connects };
}

const probeMsg = (peers: PeerId[], pings: number): DasoProbeMsg => ({ type: 'daso-probe', runId: 'run1', peers, pings });

describe('minRtt', () => {
  it('takes the smallest sample: waiting on either side only adds time', () => {
    expect(minRtt([3, 1, 2])).toBe(1);
    expect(minRtt([7])).toBe(7);
    expect(minRtt([0, 4])).toBe(0);
  });

  it('is -1 without samples, and skips -1, NaN and infinite ones', () => {
    expect(minRtt([])).toBe(-1);
    expect(minRtt([-1, Number.NaN, Number.POSITIVE_INFINITY])).toBe(-1);
    expect(minRtt([-1, 5, Number.NaN, 3, Number.POSITIVE_INFINITY])).toBe(3);
  });
});

describe('RttProber', () => {
  it('reports the smallest round trip of a peer that answers and -1 for one that never does, after the timeouts', async () => {
    const delays = [3, 5, 4];
    const { clock, prober, sent } = setup({ answer: (peer, nonce, k) => (peer === B ? [[delays[k] ?? 0, B, nonce]] : []) });
    const out = await clock.drive(prober.probe(probeMsg([B, C], 3), 2000));
    expect(out.type).toBe('daso-rtt');
    expect(out.runId).toBe('run1');
    expect(out.peers).toEqual([B, C]);
    expect(out.rttMs).toEqual({ dtype: 'float64', shape: [2], data: Float64Array.of(3, -1) });
    // The peers side by side, each one's pings one at a time: B's answered ones take 3 + 5 + 4 ms, C's three
    // timeouts 3 x 2000 ms, which is also the whole probe.
    expect(clock.t).toBe(3 * 2000);
    expect(sent.filter((s) => s.to === B)).toHaveLength(3);
    expect(sent.filter((s) => s.to === C)).toHaveLength(3);
    for (const s of sent) expect(s.msg).toMatchObject({ type: 'daso-ping', runId: 'run1', pong: false });
    expect(new Set(sent.map((s) => s.msg.nonce)).size).toBe(6); // a fresh nonce each ping
  });

  it('gives -1 for a peer it cannot connect to and goes on with the next, keeping the peers\' order', async () => {
    const { clock, prober, sent, connects } = setup({
      answer: (peer, nonce) => [[peer === C ? 2 : 6, peer, nonce]],
      connect: (peer) => (peer === B ? Promise.reject(new Error('no route')) : Promise.resolve()),
    });
    const out = await clock.drive(prober.probe(probeMsg([D, B, C], 1)));
    expect(connects).toEqual([D, B, C]);
    expect(sent.map((s) => s.to)).toEqual([D, C]); // nothing sent to the unreachable one
    expect(out.peers).toEqual([D, B, C]);
    expect(out.rttMs).toEqual({ dtype: 'float64', shape: [3], data: Float64Array.of(6, -1, 2) });
  });

  it('ignores a pong from the wrong peer and one with an unknown nonce', async () => {
    // B's ping is answered by C with B's nonce at 1 ms, by B with a nonce never sent at 2 ms, then truly at 9 ms.
    const { clock, prober } = setup({ answer: (_peer, nonce) => [[1, C, nonce], [2, B, nonce + 1000], [9, B, nonce]] });
    const out = await clock.drive(prober.probe(probeMsg([B], 1)));
    expect(out.rttMs.data).toEqual(Float64Array.of(9));
  });

  it('counts a duplicated pong once: it never resolves the next ping', async () => {
    // Ping 0 is answered at 2 ms and again at 3 ms, while ping 1 (sent at 2 ms) waits for its own pong at +10 ms.
    const { clock, prober } = setup({ answer: (peer, nonce, k) => (k === 0 ? [[2, peer, nonce], [3, peer, nonce]] : [[10, peer, nonce]]) });
    const out = await clock.drive(prober.probe(probeMsg([B], 2)));
    expect(out.rttMs.data).toEqual(Float64Array.of(2)); // the smaller of 2 and 10; 1 had the duplicate resolved ping 1
  });

  it('ignores a pong that comes after its ping timed out, even while a later ping waits', async () => {
    const { clock, prober } = setup({ answer: (peer, nonce, k) => (k === 0 ? [[2500, peer, nonce]] : [[8, peer, nonce]]) });
    const out = await clock.drive(prober.probe(probeMsg([B], 2), 2000));
    expect(out.rttMs.data).toEqual(Float64Array.of(8));
  });

  it('counts a ping whose send failed as missing without waiting for the timeout', async () => {
    const clock = new FakeClock();
    const prober = new RttProber({
      self: SELF, runId: 'run1', now: clock.now, sleep: clock.sleep, connect: () => Promise.resolve(),
      send: () => Promise.reject(new Error('link closed')),
    });
    const out = await clock.drive(prober.probe(probeMsg([B], 2), 2000));
    expect(out.rttMs.data).toEqual(Float64Array.of(-1));
  });

  it('stop() settles the waiting ping as missing and ends the probe without further pings', async () => {
    const { clock, prober, sent } = setup({ answer: () => [] });
    clock.after(500, () => { prober.stop(); });
    const out = await clock.drive(prober.probe(probeMsg([B, C], 4), 2000));
    expect(out.rttMs.data).toEqual(Float64Array.of(-1, -1));
    expect(sent.map((x) => x.to)).toEqual([B, C]); // the first ping to each, then nothing more
    expect(clock.t).toBe(500);
  });

  it('ends within its budget: a link that never comes is -1, and a slow peer keeps the pings that fit', async () => {
    const { clock, prober, sent } = setup({
      answer: (peer, nonce) => [[1400, peer, nonce]],
      connect: (peer) => (peer === C ? new Promise<void>(() => undefined) : Promise.resolve()),
    });
    const out = await clock.drive(prober.probe(probeMsg([B, C], 10), 2000, 6000));
    expect(out.rttMs.data).toEqual(Float64Array.of(1400, -1));
    // Pings at 0, 1400, 2800, 4200 are answered; the one at 5600 may wait only 400 ms, so the probe ends at 6000.
    expect(sent.map((x) => x.to)).toEqual([B, B, B, B, B]);
    expect(clock.t).toBe(6000);
  });
});
