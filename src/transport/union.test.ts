import { describe, expect, it } from 'vitest';
import { peerIdFrom } from '../core/ids.ts';
import { createMemoryHub } from './memory.ts';
import { createUnionTransport } from './union.ts';
import { TransportError, type TransportEvent } from './transport.ts';

const COORD = peerIdFrom('coord');
const LOCAL = peerIdFrom('local-worker');
const REMOTE = peerIdFrom('remote-worker');
const BOTH = peerIdFrom('both');

/** A coordinator reachable on two networks: `near` (in-process) and `far` (stands in for PeerJS). */
function setup() {
  const near = createMemoryHub();
  const far = createMemoryHub();
  const union = createUnionTransport(COORD, [near.createTransport(COORD), far.createTransport(COORD)]);
  const local = near.createTransport(LOCAL);
  const remote = far.createTransport(REMOTE);
  const events: TransportEvent[] = [];
  union.subscribe((e) => events.push(e));
  return { near, far, union, local, remote, events };
}

describe('union transport', () => {
  it('connects through the part that knows the peer and lists the union of peers', async () => {
    const { union, events } = setup();
    await union.connect(LOCAL);
    await union.connect(REMOTE);
    expect(union.self).toBe(COORD);
    expect(union.peers()).toEqual([LOCAL, REMOTE]);
    expect(events.flatMap((e) => (e.type === 'peer-connected' ? [e.peer] : []))).toEqual([LOCAL, REMOTE]);
  });

  it('routes sends to the part that has the peer and merges messages', async () => {
    const { union, local, remote, events, near, far } = setup();
    const got: string[] = [];
    local.subscribe((e) => { if (e.type === 'message') got.push(`local:${e.bytes.length}`); });
    remote.subscribe((e) => { if (e.type === 'message') got.push(`remote:${e.bytes.length}`); });
    await union.connect(LOCAL);
    await union.connect(REMOTE);
    await union.send(LOCAL, new Uint8Array(3));
    await union.send(REMOTE, new Uint8Array(5));
    await local.send(COORD, new Uint8Array(7));
    near.flush();
    far.flush();
    expect(got.sort()).toEqual(['local:3', 'remote:5']);
    expect(events.find((e) => e.type === 'message')).toMatchObject({ from: LOCAL, bytes: new Uint8Array(7) });
    const s = union.stats();
    expect(s.messagesSent).toBe(2);
    expect(s.messagesReceived).toBe(1);
    expect(s.bytesSent).toBe(3 + 5 + 2 * 20); // one chunk header each
  });

  it('rejects connect to an id no part knows, and send without a link', async () => {
    const { union } = setup();
    await expect(union.connect(peerIdFrom('ghost'))).rejects.toMatchObject({ kind: 'peer-unavailable' });
    await expect(union.send(LOCAL, new Uint8Array(1))).rejects.toBeInstanceOf(TransportError);
  });

  it('announces a peer reachable through two parts once, and drops it when the last link goes', async () => {
    const { near, far, union, events } = setup();
    near.createTransport(BOTH);
    const farBoth = far.createTransport(BOTH);
    await union.connect(BOTH); // through `near`, the first part
    await farBoth.connect(COORD); // a second link, on `far`
    far.flush();
    const kinds = (): string[] => events.filter((e) => e.type !== 'message').map((e) => e.type);
    expect(kinds()).toEqual(['peer-connected']);
    expect(union.peers()).toEqual([BOTH]);
    near.dropLink(COORD, BOTH, 'near link lost');
    near.flush();
    expect(kinds()).toEqual(['peer-connected']);
    const got: number[] = [];
    farBoth.subscribe((e) => { if (e.type === 'message') got.push(e.bytes.length); });
    await union.send(BOTH, new Uint8Array(9)); // now routed through `far`
    far.flush();
    expect(got).toEqual([9]);
    far.dropLink(COORD, BOTH, 'far link lost');
    far.flush();
    expect(kinds()).toEqual(['peer-connected', 'peer-disconnected']);
    expect(union.peers()).toEqual([]);
  });

  it('close closes every part and is idempotent', async () => {
    const { union, local, remote, near, far } = setup();
    await union.connect(LOCAL);
    await union.connect(REMOTE);
    const left: string[] = [];
    local.subscribe((e) => { if (e.type === 'peer-disconnected') left.push('local'); });
    remote.subscribe((e) => { if (e.type === 'peer-disconnected') left.push('remote'); });
    await union.close();
    await union.close();
    near.flush();
    far.flush();
    expect(left.sort()).toEqual(['local', 'remote']);
    await expect(union.connect(LOCAL)).rejects.toBeInstanceOf(TransportError);
  });
});
