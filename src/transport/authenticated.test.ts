import { describe, expect, it } from 'vitest';
import { peerIdFrom, type PeerId } from '../core/ids.ts';
import { createAuthenticatedTransport } from './authenticated.ts';
import { describeTransportContract } from './contract.ts';
import type { ContractFixture } from './contract-kit.ts';
import { createMemoryHub } from './memory.ts';
import { TransportError, type Transport, type TransportEvent } from './transport.ts';

const KEY = Uint8Array.from({ length: 16 }, (_, i) => 3 * i + 1);
const OTHER_KEY = Uint8Array.from({ length: 16 }, (_, i) => 3 * i + 2);

function fixture(): Promise<ContractFixture> {
  const hub = createMemoryHub({});
  const made: Transport[] = [];
  let n = 0;
  return Promise.resolve<ContractFixture>({
    create: (id?: PeerId) => {
      try {
        const t = createAuthenticatedTransport(hub.createTransport(id ?? peerIdFrom(`m${n++}`)), { key: KEY });
        made.push(t);
        return Promise.resolve(t);
      } catch (e: unknown) {
        return Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
    },
    injectRaw: (from, to, bytes) => { hub.injectRaw(from.self, to.self, bytes); },
    unknownId: () => peerIdFrom('nobody'),
    dispose: async () => { await Promise.all(made.map((t) => t.close())); },
    timeoutMs: 2000,
    settleMs: 5,
  });
}

describe('authenticated memory transports (same key) pass the transport contract', () => {
  describeTransportContract('authenticated', { test: (name, fn) => { it(name, fn); } }, fixture);
});

function record(t: Transport): TransportEvent[] {
  const events: TransportEvent[] = [];
  t.subscribe((e) => events.push(e));
  return events;
}
const unauthenticatedErrors = (events: TransportEvent[], peer: PeerId): TransportError[] =>
  events.flatMap((e) => (e.type === 'error' && e.error.kind === 'unauthenticated' && e.error.peer === peer ? [e.error] : []));
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 20));

describe('admission', () => {
  it('refuses a peer with another key on both sides: connect rejects, no link is announced, nothing can be sent', async () => {
    const hub = createMemoryHub({});
    const a = createAuthenticatedTransport(hub.createTransport(peerIdFrom('a')), { key: KEY });
    const b = createAuthenticatedTransport(hub.createTransport(peerIdFrom('b')), { key: OTHER_KEY });
    const ea = record(a);
    const eb = record(b);
    const e = await a.connect(b.self).then(() => null, (x: unknown) => x);
    expect(e).toBeInstanceOf(TransportError);
    expect((e as TransportError).kind).toBe('unauthenticated');
    await settle();
    expect(unauthenticatedErrors(ea, b.self)).toHaveLength(1);
    expect(unauthenticatedErrors(eb, a.self)[0]?.message).toMatch(/wrong room key/);
    expect([...ea, ...eb].filter((x) => x.type === 'peer-connected' || x.type === 'message')).toEqual([]);
    expect(a.peers()).toEqual([]);
    expect(b.peers()).toEqual([]);
    await expect(a.send(b.self, Uint8Array.of(1))).rejects.toThrow(TransportError);
  });

  it('drops a peer that skips admission and sends protocol bytes; they never reach the layers above', async () => {
    const hub = createMemoryHub({});
    const a = createAuthenticatedTransport(hub.createTransport(peerIdFrom('a')), { key: KEY });
    const rogue = hub.createTransport(peerIdFrom('rogue'));
    const ea = record(a);
    await rogue.connect(a.self);
    await rogue.send(a.self, new TextEncoder().encode('SWRM gradients, poisoned'));
    await settle();
    expect(ea.filter((x) => x.type === 'message' || x.type === 'peer-connected')).toEqual([]);
    expect(unauthenticatedErrors(ea, rogue.self)[0]?.message).toMatch(/did not prove the room key/);
    expect(rogue.peers()).toEqual([]); // a hung up
  });

  it('drops a peer that never finishes admission, after the timeout', async () => {
    const hub = createMemoryHub({});
    const a = createAuthenticatedTransport(hub.createTransport(peerIdFrom('a')), { key: KEY, timeoutMs: 30 });
    const silent = hub.createTransport(peerIdFrom('silent'));
    const ea = record(a);
    await silent.connect(a.self);
    await new Promise((r) => setTimeout(r, 80));
    expect(unauthenticatedErrors(ea, silent.self)[0]?.message).toMatch(/no admission within 30 ms/);
    expect(silent.peers()).toEqual([]);
  });

  it('admits peers sharing the key and then carries their messages both ways', async () => {
    const hub = createMemoryHub({ seed: 3 });
    const a = createAuthenticatedTransport(hub.createTransport(peerIdFrom('a')), { key: KEY });
    const b = createAuthenticatedTransport(hub.createTransport(peerIdFrom('b')), { key: KEY });
    const eb = record(b);
    await a.connect(b.self);
    await a.send(b.self, Uint8Array.of(7, 8));
    await settle();
    expect(eb.map((x) => x.type)).toEqual(['peer-connected', 'message']);
    expect(a.peers()).toEqual([b.self]);
  });

  it('refuses a key of the wrong length at construction', () => {
    const hub = createMemoryHub({});
    expect(() => createAuthenticatedTransport(hub.createTransport(peerIdFrom('a')), { key: new Uint8Array(4) })).toThrow(RangeError);
  });
});
