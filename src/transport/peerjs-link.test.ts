import { describe, expect, it } from 'vitest';
import type { DataConnection } from 'peerjs';
import { peerIdFrom } from '../core/ids.ts';
import { splitMessage } from '../protocol/chunk.ts';
import { encodeControl } from '../protocol/link-control.ts';
import { PeerJsLink, type LinkCounters, type LinkOwner } from './peerjs-link.ts';

/** Just enough of a PeerJS DataConnection and its RTCDataChannel to drive a link by hand. */
class FakeConnection {
  readonly handlers = new Map<string, (arg?: unknown) => void>();
  readonly sent: Uint8Array[] = [];
  /** Frames written and not yet delivered to the partner. */
  private readonly outbound: Uint8Array[] = [];
  partner: FakeConnection | null = null;
  /** While true, frames stay in the send buffer (bufferedAmount grows): a stuck channel. */
  stuck = false;
  closed = false;
  readonly dataChannel = {
    readyState: 'connecting' as RTCDataChannelState,
    binaryType: 'blob',
    bufferedAmount: 0,
    bufferedAmountLowThreshold: 0,
    addEventListener: (): void => undefined,
    removeEventListener: (): void => undefined,
    send: (b: Uint8Array): void => {
      this.sent.push(b.slice());
      this.outbound.push(b.slice());
      if (this.stuck) this.dataChannel.bufferedAmount += b.byteLength;
    },
  };
  readonly peerConnection = null;
  on(event: string, fn: (arg?: unknown) => void): void {
    this.handlers.set(event, fn);
  }
  removeAllListeners(): void {
    this.handlers.clear();
  }
  close(): void {
    this.closed = true;
  }
  fire(event: string, arg?: unknown): void {
    this.handlers.get(event)?.(arg);
  }
  /** Opens this end (readyState and the 'open' event). */
  open(): void {
    this.dataChannel.readyState = 'open';
    this.fire('open');
  }
  /** Delivers every written frame to the partner, unless stuck; returns how many. */
  flush(): number {
    if (this.stuck || this.partner === null) return 0;
    const frames = this.outbound.splice(0);
    for (const f of frames) this.partner.fire('data', f.slice().buffer);
    return frames.length;
  }
}

/** Two ends of one connection. */
function pair(): [FakeConnection, FakeConnection] {
  const a = new FakeConnection();
  const b = new FakeConnection();
  a.partner = b;
  b.partner = a;
  return [a, b];
}

interface Side {
  readonly link: PeerJsLink;
  readonly events: string[];
  readonly messages: Uint8Array[];
  /** Connections this side dialled to resume its link (the far ends are in `farEnds`). */
  readonly redials: FakeConnection[];
  readonly farEnds: FakeConnection[];
  readonly counters: LinkCounters;
}

function side(peer: string, conn: FakeConnection, outgoing: boolean): Side {
  const events: string[] = [];
  const messages: Uint8Array[] = [];
  const redials: FakeConnection[] = [];
  const farEnds: FakeConnection[] = [];
  const counters: LinkCounters = { bytesSent: 0, bytesReceived: 0, messagesSent: 0, messagesReceived: 0 };
  const owner: LinkOwner = {
    counters,
    opened: () => { events.push('opened'); },
    message: (_l, bytes) => { events.push('message'); messages.push(bytes); },
    active: () => { events.push('active'); },
    violation: (_l, detail) => { events.push(`violation ${detail}`); },
    notice: (_l, text) => { events.push(`notice ${text}`); },
    redial: () => {
      const [mine, far] = pair();
      redials.push(mine);
      farEnds.push(far);
      return mine as unknown as DataConnection;
    },
    closed: (_l, reason) => { events.push(`closed ${reason}`); },
  };
  const link = new PeerJsLink(peerIdFrom(peer), conn as unknown as DataConnection, outgoing, owner, 1024);
  return { link, events, messages, redials, farEnds, counters };
}

function setup(): { conn: FakeConnection; link: PeerJsLink; events: string[]; messages: Uint8Array[] } {
  const conn = new FakeConnection();
  const { link, events, messages } = side('far', conn, false);
  return { conn, link, events, messages };
}

/** Lets the links' send pumps run (they write after an await). */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

/** Two open links joined by one fake connection, tokens exchanged. */
async function linked(): Promise<{ a: Side; b: Side; ca: FakeConnection; cb: FakeConnection }> {
  const [ca, cb] = pair();
  const a = side('b', ca, true); // a's link leads to peer 'b'
  const b = side('a', cb, false);
  ca.open();
  cb.open();
  await settle();
  ca.flush();
  cb.flush();
  return { a, b, ca, cb };
}

/** Drives `s`'s stall check through `ms` of (fake) time in 250 ms steps. */
function tick(s: Side, from: number, ms: number): void {
  for (let t = 0; t <= ms; t += 250) s.link.checkProgress(from + t);
}

/** b answers a's (first) re-dial and a's end opens: a writes its `resume` (not yet delivered). */
function answerRedial(a: Side, b: Side): [FakeConnection, FakeConnection] {
  const [na, nb] = [a.redials[0], a.farEnds[0]];
  if (na === undefined || nb === undefined) throw new Error('no redial');
  b.link.answerResume(nb as unknown as DataConnection, false);
  nb.dataChannel.readyState = 'open';
  na.open();
  return [na, nb];
}

const bytesOf = (ms: readonly Uint8Array[]): number[] => ms.map((m) => m[0] ?? -1);

let nextId = 0;
/** One single-chunk message as it arrives off the data channel (each with its own message id). */
function wire(bytes: Uint8Array): ArrayBuffer {
  const [chunk] = splitMessage(bytes, nextId++, 1024);
  if (chunk === undefined) throw new Error('no chunk');
  return chunk.slice().buffer;
}

describe('PeerJsLink', () => {
  it('opens on the open event and delivers a whole message', () => {
    const { conn, link, events, messages } = setup();
    conn.dataChannel.readyState = 'open';
    conn.fire('open');
    expect(link.isOpen).toBe(true);
    conn.fire('data', wire(new Uint8Array([1, 2, 3])));
    expect(events).toEqual(['opened', 'message']);
    expect([...(messages[0] ?? [])]).toEqual([1, 2, 3]);
  });

  it('keeps a message that arrives on an open channel before its open event (Chromium answerer order)', () => {
    const { conn, link, events, messages } = setup();
    conn.dataChannel.readyState = 'open';
    conn.fire('data', wire(new Uint8Array([9])));
    conn.fire('open'); // late: must not announce the link twice
    expect(link.isOpen).toBe(true);
    expect(events).toEqual(['opened', 'message']);
    expect([...(messages[0] ?? [])]).toEqual([9]);
  });

  it('holds chunks that arrive before the channel is open and delivers them, in order, right after it opens (Chromium dialler order)', () => {
    const { conn, link, events, messages } = setup();
    conn.fire('data', wire(new Uint8Array([1])));
    conn.fire('data', wire(new Uint8Array([2])));
    expect(link.isOpen).toBe(false);
    expect(events).toEqual([]);
    conn.dataChannel.readyState = 'open';
    conn.fire('open');
    expect(events).toEqual(['opened', 'message', 'message']);
    expect(messages.map((m) => m[0])).toEqual([1, 2]);
  });

  it('closes a link flooded with chunks before it opened', () => {
    const { conn, events } = setup();
    for (let i = 0; i < 65; i++) conn.fire('data', wire(new Uint8Array([i])));
    expect(events).toEqual(['closed more than 64 chunks before the channel opened']);
  });

  it('ignores data after close', () => {
    const { conn, link, events } = setup();
    conn.dataChannel.readyState = 'open';
    conn.fire('open');
    link.close('test');
    conn.fire('data', wire(new Uint8Array([2])));
    expect(events).toHaveLength(2);
    expect(events[1]).toMatch(/^closed test \(last chunk in never, out never; no sends queued, 0 B buffered\)$/);
    expect(conn.closed).toBe(true);
  });

  it('names what was stuck when the link closes: chunks each way, queued sends, buffered bytes', async () => {
    const { conn, link, events } = setup();
    conn.dataChannel.readyState = 'open';
    conn.fire('open');
    conn.fire('data', wire(new Uint8Array([1])));
    await link.send(new Uint8Array(10));
    conn.dataChannel.bufferedAmount = 2 * 1024 * 1024; // above the high-water mark: the next send waits
    const stuck = link.send(new Uint8Array(10));
    stuck.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 0)); // the send reaches its wait for 'bufferedamountlow'
    link.close('closed by the remote side');
    await expect(stuck).rejects.toThrow(/closed/);
    expect(events.at(-1)).toMatch(/^closed closed by the remote side \(last chunk in 0\.\d s ago, out 0\.\d s ago; 1 sends queued, oldest 0\.\d s, 2097152 B buffered\)$/);
  });

  it('writes its link token first on open and takes the peer\'s token from its first frame', async () => {
    const { a, b, ca, cb } = await linked();
    expect(ca.sent).toHaveLength(1);
    expect(cb.sent).toHaveLength(1);
    expect(a.events).toEqual(['opened']);
    expect(b.events).toEqual(['opened']); // control frames are no messages
    expect(a.link.resumeNow()).toBe(true); // possible only once the peer's token is known
  });

  it('a second token frame is a violation', async () => {
    const { b, ca } = await linked();
    ca.partner?.fire('data', ca.sent[0]?.slice().buffer);
    expect(b.events.at(-1)).toBe('violation unexpected token frame');
  });

  it('resumes a link whose sends stopped draining: every message arrives once, in order, over the new connection', async () => {
    const { a, b, ca, cb } = await linked();
    await a.link.send(new Uint8Array([0]));
    await b.link.send(new Uint8Array([100]));
    ca.flush();
    cb.flush();
    ca.stuck = true; // a -> b stops; b -> a still flows
    await a.link.send(new Uint8Array([1]));
    await a.link.send(new Uint8Array([2]));
    await b.link.send(new Uint8Array([101]));
    cb.flush();
    expect(bytesOf(b.messages)).toEqual([0]);
    tick(a, performance.now(), 1250);
    expect(a.redials).toHaveLength(1);
    expect(a.events.at(-1)).toMatch(/^notice link to b stalled \(no byte of \d+ B left in 1\.\d s\): re-dialling it$/);
    const [na, nb] = answerRedial(a, b); // a asks to resume, with b's token
    na.flush();
    expect(b.events).toContain('active'); // a proven resume is a sign of life
    await settle();
    nb.flush(); // 'resumed', then b re-sends nothing a lacks
    await settle();
    na.flush(); // a re-sends 1 and 2
    await settle();
    nb.flush();
    expect(bytesOf(b.messages)).toEqual([0, 1, 2]);
    expect(bytesOf(a.messages)).toEqual([100, 101]);
    expect(ca.closed && cb.closed).toBe(true);
    expect(a.link.resumeCount).toBe(1);
    expect(b.link.resumeCount).toBe(1);
    // The link goes on over the new connection.
    await a.link.send(new Uint8Array([3]));
    await b.link.send(new Uint8Array([102]));
    na.flush();
    nb.flush();
    expect(bytesOf(b.messages)).toEqual([0, 1, 2, 3]);
    expect(bytesOf(a.messages)).toEqual([100, 101, 102]);
    expect([...a.events, ...b.events].filter((e) => e.startsWith('closed') || e.startsWith('violation'))).toEqual([]);
    // The chunks of 1 and 2 left in the stuck channel's buffer never left a: they are not counted as sent, so
    // a's bytes sent are b's bytes received (0, then 1 and 2 once, over the new connection, then 3).
    expect(a.counters.bytesSent).toBeGreaterThan(0);
    expect(a.counters.bytesSent).toBe(b.counters.bytesReceived);
    expect(b.counters.bytesSent).toBe(a.counters.bytesReceived);
  });

  it('waits 2 s, not 1, before resuming a link that stalls again within 10 s of its last resume', async () => {
    const { a, b, ca } = await linked();
    ca.stuck = true;
    await a.link.send(new Uint8Array([1]));
    const t0 = performance.now();
    tick(a, t0, 1000);
    expect(a.redials).toHaveLength(1);
    const [na, nb] = answerRedial(a, b);
    na.flush();
    await settle();
    nb.flush();
    await settle();
    na.flush();
    expect(bytesOf(b.messages)).toEqual([1]);
    na.stuck = true; // the fresh connection stalls at once: load, not a stuck channel
    await a.link.send(new Uint8Array([2]));
    const t1 = t0 + 2000;
    tick(a, t1, 1750);
    expect(a.redials).toHaveLength(1); // 1 s would have re-dialled by now
    tick(a, t1 + 2000, 500);
    expect(a.redials).toHaveLength(2);
    // Long after the last resume, a new stall is judged at 1 s again.
    const c = await linked();
    c.ca.stuck = true;
    await c.a.link.send(new Uint8Array([3]));
    tick(c.a, t0 + 60_000, 1000);
    expect(c.a.redials).toHaveLength(1);
  });

  it('delivers messages that arrived over both connections once', async () => {
    const { a, b, ca, cb } = await linked();
    ca.stuck = true;
    await a.link.send(new Uint8Array([1]));
    // Written by b, not yet delivered to a; more than the reassembler's own memory of recent ids (16).
    const many = Array.from({ length: 20 }, (_, i) => 100 + i);
    for (const m of many) await b.link.send(new Uint8Array([m]));
    expect(a.link.resumeNow()).toBe(true);
    const [na, nb] = answerRedial(a, b); // a says: I have had nothing from you yet
    cb.flush(); // ...but b's messages then arrive over the old connection
    na.flush();
    await settle();
    nb.flush(); // b re-sends them all
    await settle();
    na.flush();
    expect(bytesOf(a.messages)).toEqual(many);
    expect(bytesOf(b.messages)).toEqual([1]);
  });

  it('refuses a resume that does not carry its own token, and keeps the link', async () => {
    const { a, b } = await linked();
    const [evil, far] = pair();
    b.link.answerResume(far as unknown as DataConnection, false);
    far.dataChannel.readyState = 'open';
    evil.dataChannel.readyState = 'open';
    evil.dataChannel.send(encodeControl({ kind: 'resume', token: new Uint8Array(16).fill(7), nextExpected: 0 }));
    evil.flush();
    expect(far.closed).toBe(true);
    expect(b.link.isOpen).toBe(true);
    expect(b.events).not.toContain('active');
    expect(a.link.isOpen).toBe(true);
  });

  it('closes a link whose sends stay stuck and whose resume never completes', async () => {
    const { a, ca } = await linked();
    ca.stuck = true;
    await a.link.send(new Uint8Array([1]));
    const t0 = performance.now();
    tick(a, t0, 1000);
    expect(a.redials).toHaveLength(1);
    tick(a, t0 + 1250, 5250);
    expect(a.events.at(-1)).toMatch(/^closed sending stuck and no resume within 5 s/);
    expect(a.redials[0]?.closed).toBe(true);
  });

  it('waits for the resume when the far side closes the old connection first', async () => {
    const { a, b, ca } = await linked();
    ca.stuck = true;
    await a.link.send(new Uint8Array([1]));
    expect(a.link.resumeNow()).toBe(true);
    const [na, nb] = answerRedial(a, b);
    na.flush(); // b swaps and closes its old end...
    ca.fire('close'); // ...which a sees before b's 'resumed' arrives
    expect(a.link.isOpen).toBe(true);
    await settle();
    nb.flush();
    await settle();
    na.flush();
    expect(bytesOf(b.messages)).toEqual([1]);
    expect(a.events.filter((e) => e.startsWith('closed'))).toEqual([]);
  });

  it('a send stuck behind a full buffer finishes on the new connection', async () => {
    const { a, b, ca } = await linked();
    ca.stuck = true;
    ca.dataChannel.bufferedAmount = 2 * 1024 * 1024; // over the high-water mark
    const pending = a.link.send(new Uint8Array([5]));
    await settle();
    expect(a.link.resumeNow()).toBe(true);
    const [na, nb] = answerRedial(a, b);
    na.flush();
    await settle();
    nb.flush();
    await pending;
    na.flush();
    expect(bytesOf(b.messages)).toEqual([5]);
  });

  it('gives up on a peer after three refused resumes in a row', async () => {
    const { a, ca } = await linked();
    ca.stuck = true;
    await a.link.send(new Uint8Array([1]));
    const t0 = performance.now();
    for (let k = 0; k < 3; k++) {
      tick(a, t0 + k * 1500, 1250);
      expect(a.redials).toHaveLength(k + 1);
      a.redials[k]?.fire('close'); // the peer refused it
    }
    expect(a.events.at(-1)).toMatch(/^closed 3 resumes failed in a row \(last: closed by the remote side\)/);
  });
});
