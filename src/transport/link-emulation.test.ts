import { describe, expect, it } from 'vitest';
import { peerIdFrom, type PeerId } from '../core/ids.ts';
import { createMemoryHub, type MemoryHub } from './memory.ts';
import { describeTransportContract } from './contract.ts';
import type { ContractFixture } from './contract-kit.ts';
import { TransportError, type Transport } from './transport.ts';
import { createEmulatedTransport, type LinkClock, type LinkProfile } from './link-emulation.ts';

const A = peerIdFrom('a');
const B = peerIdFrom('b');
const C = peerIdFrom('c');
const MB = 1_000_000;
/** The DASO benchmark's slow link: 50 ms one way, 10 MB/s. */
const SLOW: LinkProfile = { latencyMs: 50, bytesPerSecond: 10 * MB };

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly resolve: () => void;
}

/** Virtual time: sleeps resolve only when the test advances the clock past their deadline. */
class FakeClock implements LinkClock {
  private t = 0;
  private seq = 0;
  private timers: Timer[] = [];

  now(): number {
    return this.t;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer: Timer = { at: this.t + Math.max(0, ms), seq: this.seq++, resolve };
      this.timers.push(timer);
      signal?.addEventListener('abort', () => {
        this.timers = this.timers.filter((x) => x !== timer);
        reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      }, { once: true });
    });
  }

  /** Number of sleeps not yet resolved. */
  pending(): number {
    return this.timers.length;
  }

  /** Fires every timer due by `target` in deadline order, letting promise chains settle in between. */
  async advanceTo(target: number): Promise<void> {
    for (;;) {
      await settle();
      const due = this.timers.filter((x) => x.at <= target).sort((x, y) => x.at - y.at || x.seq - y.seq)[0];
      if (!due) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t = Math.max(this.t, due.at);
      due.resolve();
    }
    this.t = target;
    await settle();
  }
}

/** Lets microtasks and the memory hub's deliveries run. */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/** Records the virtual arrival time and first byte of every message `t` receives. */
function arrivals(t: Transport, clock: LinkClock): { at: number; from: PeerId; first: number; length: number }[] {
  const log: { at: number; from: PeerId; first: number; length: number }[] = [];
  t.subscribe((e) => {
    if (e.type === 'message') log.push({ at: clock.now(), from: e.from, first: e.bytes[0] ?? -1, length: e.bytes.length });
  });
  return log;
}

/** Tracks whether a promise has settled yet, without leaving a rejection unhandled. */
function track(p: Promise<void>): { state: () => 'pending' | 'resolved' | 'rejected'; error: () => unknown } {
  let state: 'pending' | 'resolved' | 'rejected' = 'pending';
  let error: unknown;
  p.then(
    () => { state = 'resolved'; },
    (e: unknown) => { state = 'rejected'; error = e; },
  );
  return { state: () => state, error: () => error };
}

/** A (emulated, slow towards B only) connected to B and C over one memory hub. */
async function setup(links: (p: PeerId) => LinkProfile | null = (p) => (p === B ? SLOW : null)) {
  const hub: MemoryHub = createMemoryHub();
  const clock = new FakeClock();
  const innerA = hub.createTransport(A);
  const a = createEmulatedTransport(innerA, { links, clock });
  const b = hub.createTransport(B);
  const c = hub.createTransport(C);
  await a.connect(B);
  await a.connect(C);
  return { hub, clock, innerA, a, b, c, atB: arrivals(b, clock), atC: arrivals(c, clock) };
}

describe('link emulation', () => {
  it('delivers a 1 MB message at 10 MB/s + 50 ms after 150 ms, and send() resolves then', async () => {
    const { clock, a, atB } = await setup();
    const sent = track(a.send(B, new Uint8Array(MB).fill(1)));
    await clock.advanceTo(149.9);
    expect(atB).toEqual([]);
    expect(sent.state()).toBe('pending');
    expect(a.emulationStats().messagesPending).toBe(1);
    await clock.advanceTo(150);
    expect(atB).toEqual([{ at: 150, from: A, first: 1, length: MB }]);
    expect(sent.state()).toBe('resolved');
    expect(a.emulationStats()).toEqual({ emulatedDelayMs: 150, messagesDelayed: 1, bytesDelayed: MB, messagesPending: 0 });
  });

  it('queues a second message behind the first: arrivals at 150 and 250 ms, in order', async () => {
    const { clock, a, atB } = await setup();
    const first = track(a.send(B, new Uint8Array(MB).fill(1)));
    const second = track(a.send(B, new Uint8Array(MB).fill(2)));
    await clock.advanceTo(200);
    expect(atB.map((x) => [x.at, x.first])).toEqual([[150, 1]]);
    expect([first.state(), second.state()]).toEqual(['resolved', 'pending']);
    await clock.advanceTo(1000);
    expect(atB.map((x) => [x.at, x.first])).toEqual([[150, 1], [250, 2]]);
    expect(second.state()).toBe('resolved');
    expect(a.emulationStats().emulatedDelayMs).toBe(150 + 250);
  });

  it('pipelines latency: it does not hold the wire for the next message', async () => {
    const { clock, a, atB } = await setup(() => ({ latencyMs: 100, bytesPerSecond: MB }));
    const sends = [1, 2, 3].map((i) => a.send(B, new Uint8Array(1000).fill(i))); // 1 ms on the wire each
    await clock.advanceTo(500);
    await Promise.all(sends);
    expect(atB.map((x) => [x.at, x.first])).toEqual([[101, 1], [102, 2], [103, 3]]);
  });

  it('a message sent later starts on an idle wire at its send time', async () => {
    const { clock, a, atB } = await setup();
    void a.send(B, new Uint8Array(MB).fill(1));
    await clock.advanceTo(400);
    void a.send(B, new Uint8Array(MB / 2).fill(2));
    await clock.advanceTo(1000);
    expect(atB.map((x) => x.at)).toEqual([150, 400 + 50 + 50]);
  });

  it('does not delay a peer with a null profile, even while another link is busy', async () => {
    const { clock, a, atB, atC } = await setup();
    const toB = track(a.send(B, new Uint8Array(MB).fill(1)));
    await a.send(C, new Uint8Array(MB).fill(3));
    await settle();
    expect(atC).toEqual([{ at: 0, from: A, first: 3, length: MB }]);
    expect(atB).toEqual([]);
    expect(toB.state()).toBe('pending');
    expect(a.emulationStats().messagesDelayed).toBe(0);
    await clock.advanceTo(150);
    expect(atB.map((x) => x.at)).toEqual([150]);
  });

  it('does not delay received messages', async () => {
    const { a, b } = await setup();
    const got: number[] = [];
    a.subscribe((e) => { if (e.type === 'message') got.push(e.bytes.length); });
    await b.send(A, new Uint8Array(MB));
    await settle();
    expect(got).toEqual([MB]);
  });

  it('close() rejects pending sends with TransportError(closed) and nothing arrives afterwards', async () => {
    const { clock, a, atB } = await setup();
    const first = a.send(B, new Uint8Array(MB).fill(1));
    const second = a.send(B, new Uint8Array(MB).fill(2));
    await clock.advanceTo(100);
    await a.close();
    await expect(first).rejects.toMatchObject({ name: 'TransportError', kind: 'closed', peer: B });
    await expect(second).rejects.toBeInstanceOf(TransportError);
    await clock.advanceTo(10_000);
    expect(atB).toEqual([]);
    expect(clock.pending()).toBe(0);
    expect(a.emulationStats()).toMatchObject({ messagesDelayed: 0, messagesPending: 0 });
    await expect(a.send(B, new Uint8Array(1))).rejects.toMatchObject({ kind: 'closed' });
  });

  it('disconnect() rejects pending sends; after a reconnect the wire starts fresh', async () => {
    const { clock, a, atB } = await setup();
    const pending = a.send(B, new Uint8Array(MB).fill(1));
    await clock.advanceTo(120);
    a.disconnect(B, 'test');
    await expect(pending).rejects.toMatchObject({ kind: 'closed', peer: B });
    await a.connect(B);
    void a.send(B, new Uint8Array(MB).fill(2));
    await clock.advanceTo(10_000);
    expect(atB.map((x) => [x.at, x.first])).toEqual([[120 + 150, 2]]);
  });

  it('rejects pending sends when the far side drops the link', async () => {
    const { hub, clock, a, atB } = await setup();
    const pending = a.send(B, new Uint8Array(MB));
    hub.dropLink(A, B, 'cable cut');
    await expect(pending).rejects.toMatchObject({ kind: 'closed', peer: B });
    await clock.advanceTo(10_000);
    expect(atB).toEqual([]);
  });

  it('an aborted send leaves the queue; the next messages still arrive in order', async () => {
    const { clock, a, atB } = await setup();
    const ctl = new AbortController();
    void a.send(B, new Uint8Array(MB).fill(1));
    const aborted = a.send(B, new Uint8Array(MB).fill(2), { signal: ctl.signal });
    void a.send(B, new Uint8Array(MB).fill(3));
    ctl.abort(new Error('gave up'));
    await expect(aborted).rejects.toThrow('gave up');
    await clock.advanceTo(10_000);
    // The aborted message had booked its wire time (100 ms), as bytes already half-sent would.
    expect(atB.map((x) => [x.at, x.first])).toEqual([[150, 1], [350, 3]]);
  });

  it('keeps order when a link switches from slow to undelayed mid-queue', async () => {
    let profile: LinkProfile | null = SLOW;
    const { clock, a, atB } = await setup(() => profile);
    void a.send(B, new Uint8Array(MB).fill(1));
    profile = null;
    void a.send(B, new Uint8Array(10).fill(2));
    await clock.advanceTo(10_000);
    expect(atB.map((x) => [x.at, x.first])).toEqual([[150, 1], [150, 2]]);
    expect(a.emulationStats().emulatedDelayMs).toBe(150 + 150);
  });

  it('passes sends without a link, oversized sends and stats straight to the inner transport', async () => {
    const { a, innerA } = await setup();
    await expect(a.send(peerIdFrom('nobody'), new Uint8Array(1))).rejects.toBeInstanceOf(TransportError);
    await expect(a.send(B, new Uint8Array(64 * 1024 * 1024 + 1))).rejects.toBeInstanceOf(TransportError);
    expect(a.emulationStats().messagesPending).toBe(0);
    await a.send(C, new Uint8Array(10));
    expect(a.stats()).toEqual(innerA.stats());
    expect(a.stats().messagesSent).toBe(1);
    expect(a.self).toBe(A);
    expect(a.peers()).toEqual([B, C]);
  });

  it('rejects a send over an invalid profile with a RangeError', async () => {
    const { a } = await setup(() => ({ latencyMs: 10, bytesPerSecond: 0 }));
    await expect(a.send(B, new Uint8Array(1))).rejects.toBeInstanceOf(RangeError);
  });

  it('uses real timers by default', async () => {
    const hub = createMemoryHub();
    const a = createEmulatedTransport(hub.createTransport(A), { links: () => ({ latencyMs: 40, bytesPerSecond: Infinity }) });
    hub.createTransport(B);
    await a.connect(B);
    const t0 = performance.now();
    await a.send(B, new Uint8Array(100));
    // Timers may fire up to ~1 ms early against performance.now() (the event loop caches its time).
    expect(performance.now() - t0).toBeGreaterThanOrEqual(38);
    const late = track(a.send(B, new Uint8Array(100)));
    await a.close();
    await settle();
    expect(late.state()).toBe('rejected');
  });
});

/** The memory hub with every endpoint wrapped in a zero-cost emulation: the decorator must be invisible. */
function zeroCostFixture(): Promise<ContractFixture> {
  const hub = createMemoryHub();
  const made: Transport[] = [];
  let n = 0;
  const free: LinkProfile = { latencyMs: 0, bytesPerSecond: Infinity };
  return Promise.resolve<ContractFixture>({
    create: (id?: PeerId) => {
      try {
        const t = createEmulatedTransport(hub.createTransport(id ?? peerIdFrom(`e${n++}`)), { links: () => free });
        made.push(t);
        return Promise.resolve(t);
      } catch (e: unknown) {
        return Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
    },
    injectRaw: (from, to, bytes) => {
      hub.injectRaw(from.self, to.self, bytes);
    },
    unknownId: () => peerIdFrom('nobody'),
    dispose: async () => {
      await Promise.all(made.map((t) => t.close()));
    },
    timeoutMs: 2000,
    settleMs: 5,
  });
}

describe('link emulation with a zero-cost profile passes the transport contract', () => {
  describeTransportContract('emulated memory', { test: (name, fn) => { it(name, fn); } }, zeroCostFixture);
});
