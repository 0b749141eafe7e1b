import { createContext, runInContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { peerIdFrom } from '../src/core/ids.ts';
import { createEmulatedTransport, type LinkClock } from '../src/transport/link-emulation.ts';
import type { Transport } from '../src/transport/transport.ts';
import { bookWire, linkShimScript, SHIM_STATS_KEY, type ShimStats } from './daso-link-shim.ts';

const SLOW = { latencyMs: 50, bytesPerSecond: 10e6 };
/** (send time ms, bytes): back-to-back sends that queue, one that arrives mid-transmission, one on an idle wire. */
const SCHEDULE: readonly (readonly [number, number])[] = [[0, 1e6], [0, 1000], [30, 200_000], [500, 64]];
/** By hand, at 10,000 bytes per ms: 0→100 +50; 100→100.1 +50; 100.1→120.1 +50; 500→500.0064 +50. */
const BY_HAND = [150, 150.1, 170.1, 550.0064];

/** Virtual time for the page's setTimeout and performance.now (and, as a LinkClock, for link-emulation.ts). */
class VirtualTime implements LinkClock {
  t = 0;
  private seq = 0;
  private timers: { at: number; seq: number; fn: () => void }[] = [];
  now(): number { return this.t; }
  setTimeout(fn: () => void, ms: number): void { this.timers.push({ at: this.t + Math.max(0, ms), seq: this.seq++, fn }); }
  sleep(ms: number): Promise<void> { return new Promise((resolve) => { this.setTimeout(resolve, ms); }); }
  /** Fires every timer due by `target` in deadline order, letting promise chains settle in between. */
  async advanceTo(target: number): Promise<void> {
    for (;;) {
      await Promise.resolve();
      await Promise.resolve();
      const due = this.timers.filter((x) => x.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (due === undefined) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t = Math.max(this.t, due.at);
      due.fn();
    }
    this.t = target;
  }
}

/** A page with a fake RTCDataChannel (send and addEventListener as Chromium places them), shim installed. */
function fakePage(time: VirtualTime) {
  class FakeEventTarget {
    readonly listeners: ((e: unknown) => void)[] = [];
    addEventListener(type: string, l: (e: unknown) => void): void { if (type === 'message') this.listeners.push(l); }
  }
  class FakeChannel extends FakeEventTarget {
    readyState = 'open';
    readonly sent: { at: number; data: unknown }[] = [];
    send(data: unknown): void { this.sent.push({ at: time.now(), data }); }
    /** The browser delivering one incoming message. */
    dispatch(data: unknown): void { const e = { data }; for (const l of this.listeners) l(e); }
  }
  const page = createContext({
    RTCDataChannel: FakeChannel, EventTarget: FakeEventTarget, performance: { now: () => time.now() },
    setTimeout: (fn: () => void, ms: number) => { time.setTimeout(fn, ms); },
  });
  runInContext(linkShimScript(SLOW), page);
  return { channel: new FakeChannel(), stats: () => (page as Record<string, unknown>)[SHIM_STATS_KEY] as ShimStats };
}

/** When link-emulation.ts hands each message of SCHEDULE to its inner transport. */
async function emulatedHandOffs(): Promise<number[]> {
  const time = new VirtualTime();
  const peer = peerIdFrom('far');
  const handed: number[] = [];
  const inner = {
    self: peerIdFrom('near'), peers: () => [peer], connect: () => Promise.resolve(), disconnect: () => undefined,
    subscribe: () => () => undefined, close: () => Promise.resolve(),
    stats: () => ({ bytesSent: 0, bytesReceived: 0, messagesSent: 0, messagesReceived: 0 }),
    send: () => { handed.push(time.now()); return Promise.resolve(); },
  } as unknown as Transport;
  const t = createEmulatedTransport(inner, { links: () => SLOW, clock: time });
  for (const [at, bytes] of SCHEDULE) {
    await time.advanceTo(at);
    void t.send(peer, new Uint8Array(bytes));
  }
  await time.advanceTo(10_000);
  return handed;
}

describe('bookWire', () => {
  it('queues transmissions FIFO and pipelines the latency', () => {
    const wire = { freeAt: 0, lastDeliverAt: 0 };
    const got = SCHEDULE.map(([at, bytes]) => bookWire(wire, bytes, at, SLOW));
    BY_HAND.forEach((v, i) => { expect(got[i]).toBeCloseTo(v, 9); });
  });

  it('never lets a later message overtake an earlier one', () => {
    const wire = { freeAt: 0, lastDeliverAt: 0 };
    expect(bookWire(wire, 0, 0, { latencyMs: 200, bytesPerSecond: 1e6 })).toBe(200);
    expect(bookWire(wire, 0, 1, { latencyMs: 0, bytesPerSecond: 1e6 })).toBe(200); // lower latency, still behind
  });
});

describe('linkShimScript', () => {
  it('delays sends exactly as src/transport/link-emulation.ts hands messages over', async () => {
    const time = new VirtualTime();
    const { channel, stats } = fakePage(time);
    const payloads = SCHEDULE.map(([, bytes]) => new Uint8Array(bytes));
    for (const [i, [at]] of SCHEDULE.entries()) {
      if (at > 149) {
        await time.advanceTo(149.99);
        expect(channel.sent).toHaveLength(0); // nothing before the first delivery time
      }
      await time.advanceTo(at);
      channel.send(payloads[i]);
    }
    await time.advanceTo(10_000);
    const oracle = await emulatedHandOffs();
    expect(channel.sent).toHaveLength(payloads.length);
    payloads.forEach((p, i) => { expect(channel.sent[i]?.data).toBe(p); }); // the same objects, in order
    channel.sent.forEach((s, i) => { expect(s.at).toBeCloseTo(oracle[i] ?? Number.NaN, 9); });
    oracle.forEach((v, i) => { expect(v).toBeCloseTo(BY_HAND[i] ?? Number.NaN, 9); });
    expect(stats()).toMatchObject({ messagesSent: 4, bytesSent: 1e6 + 1000 + 200_000 + 64, messagesReceived: 0, dropped: 0 });
    expect(stats().delayMs).toBeCloseTo(150 + 150.1 + (170.1 - 30) + 50.0064, 6);
  });

  it('delays received messages on their own wire, once per message even with two listeners', async () => {
    const time = new VirtualTime();
    const { channel, stats } = fakePage(time);
    const seen: [string, number, number][] = [];
    channel.addEventListener('message', (e) => { seen.push(['a', time.now(), (e as { data: Uint8Array }).data.byteLength]); });
    channel.addEventListener('message', (e) => { seen.push(['b', time.now(), (e as { data: Uint8Array }).data.byteLength]); });
    channel.send(new Uint8Array(1e6)); // the sending wire is busy until 100: it must not hold up receiving
    for (const [at, bytes] of SCHEDULE) {
      await time.advanceTo(at);
      channel.dispatch(new Uint8Array(bytes));
    }
    await time.advanceTo(10_000);
    expect(seen.map(([who, , n]) => `${who}${n}`)).toEqual(SCHEDULE.flatMap(([, n]) => [`a${n}`, `b${n}`]));
    seen.forEach(([, at], i) => { expect(at).toBeCloseTo(BY_HAND[Math.floor(i / 2)] ?? Number.NaN, 9); });
    expect(stats()).toMatchObject({ messagesReceived: 4, bytesReceived: 1e6 + 1000 + 200_000 + 64, messagesSent: 1 });
  });

  it('drops sends still on the wire when the channel closes, and lets a closed channel throw at once', async () => {
    const time = new VirtualTime();
    const { channel, stats } = fakePage(time);
    channel.send('hello');
    channel.readyState = 'closed';
    await time.advanceTo(1000);
    expect(channel.sent).toHaveLength(0);
    expect(stats().dropped).toBe(1);
    channel.send('late'); // passes straight to the real send (which would throw InvalidStateError)
    expect(channel.sent.map((s) => s.data)).toEqual(['late']);
  });
});
