import { describe, expect, it } from 'vitest';
import type { DataConnection } from 'peerjs';
import { peerIdFrom } from '../core/ids.ts';
import { splitMessage } from '../protocol/chunk.ts';
import { PeerJsLink, type LinkCounters, type LinkOwner } from './peerjs-link.ts';

/** Just enough of a PeerJS DataConnection and its RTCDataChannel to drive a link by hand. */
class FakeConnection {
  readonly handlers = new Map<string, (arg?: unknown) => void>();
  readonly sent: Uint8Array[] = [];
  closed = false;
  readonly dataChannel = {
    readyState: 'connecting' as RTCDataChannelState,
    binaryType: 'blob',
    bufferedAmount: 0,
    bufferedAmountLowThreshold: 0,
    addEventListener: (): void => undefined,
    removeEventListener: (): void => undefined,
    send: (b: Uint8Array): void => { this.sent.push(b.slice()); },
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
}

function setup(): { conn: FakeConnection; link: PeerJsLink; events: string[]; messages: Uint8Array[] } {
  const conn = new FakeConnection();
  const events: string[] = [];
  const messages: Uint8Array[] = [];
  const counters: LinkCounters = { bytesSent: 0, bytesReceived: 0, messagesSent: 0, messagesReceived: 0 };
  const owner: LinkOwner = {
    counters,
    opened: () => { events.push('opened'); },
    message: (_l, bytes) => { events.push('message'); messages.push(bytes); },
    active: () => { events.push('active'); },
    violation: (_l, detail) => { events.push(`violation ${detail}`); },
    closed: (_l, reason) => { events.push(`closed ${reason}`); },
  };
  const link = new PeerJsLink(peerIdFrom('far'), conn as unknown as DataConnection, false, owner, 1024);
  return { conn, link, events, messages };
}

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
});
