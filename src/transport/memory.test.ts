import { describe, expect, it } from 'vitest';
import { peerIdFrom, type PeerId } from '../core/ids.ts';
import { createMemoryHub, MEMORY_CHUNK_BYTES, type MemoryHubInit } from './memory.ts';
import { describeTransportContract } from './contract.ts';
import type { ContractFixture } from './contract-kit.ts';
import { TransportError, type Transport, type TransportEvent } from './transport.ts';
import { splitMessage } from '../protocol/chunk.ts';

function memoryFixture(init: MemoryHubInit): () => Promise<ContractFixture> {
  return () => {
    const hub = createMemoryHub(init);
    const made: Transport[] = [];
    let n = 0;
    return Promise.resolve<ContractFixture>({
      create: (id?: PeerId) => {
        try {
          const t = hub.createTransport(id ?? peerIdFrom(`m${n++}`));
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
  };
}

const vitestHarness = { test: (name: string, fn: () => Promise<void>) => { it(name, fn); } };

describe('memory transport contract (microtask delivery)', () => {
  describeTransportContract('memory', vitestHarness, memoryFixture({}));
});

describe('memory transport contract (seeded delivery order)', () => {
  describeTransportContract('memory seed 7', vitestHarness, memoryFixture({ seed: 7 }));
});

const A = peerIdFrom('a');
const B = peerIdFrom('b');
const C = peerIdFrom('c');

function record(t: Transport): TransportEvent[] {
  const events: TransportEvent[] = [];
  t.subscribe((e) => events.push(e));
  return events;
}

describe('memory hub', () => {
  it('throws unavailable-id for a taken id and frees it on close', async () => {
    const hub = createMemoryHub();
    const a = hub.createTransport(A);
    expect(() => hub.createTransport(A)).toThrow(TransportError);
    await a.close();
    expect(hub.createTransport(A).self).toBe(A);
  });

  it('delivers nothing until flush() in manualFlush mode', async () => {
    const hub = createMemoryHub({ manualFlush: true });
    const a = hub.createTransport(A);
    const b = hub.createTransport(B);
    const eb = record(b);
    const connected = a.connect(B);
    expect(eb).toEqual([]);
    expect(hub.flush()).toBe(2); // one 'open' item per side
    await connected;
    await a.send(B, new Uint8Array(40_000));
    expect(eb.filter((e) => e.type === 'message')).toHaveLength(0);
    const chunks = splitMessage(new Uint8Array(40_000), 0, MEMORY_CHUNK_BYTES).length;
    expect(hub.pending()).toBe(chunks);
    expect(hub.step()).toBe(true);
    expect(eb.map((e) => e.type)).toEqual(['peer-connected', 'peer-active']); // the first chunk proves a is alive
    expect(hub.flush()).toBe(chunks - 1);
    expect(eb.map((e) => e.type)).toEqual(['peer-connected', 'peer-active', 'message']); // throttled: no event per chunk
  });

  it('counts chunk headers in stats', async () => {
    const hub = createMemoryHub({ manualFlush: true });
    const a = hub.createTransport(A);
    const b = hub.createTransport(B);
    const connected = a.connect(B);
    hub.flush();
    await connected;
    await a.send(B, new Uint8Array(40_000));
    hub.flush();
    const chunks = splitMessage(new Uint8Array(40_000), 0, MEMORY_CHUNK_BYTES).length;
    expect(a.stats()).toEqual({ bytesSent: 40_000 + 20 * chunks, bytesReceived: 0, messagesSent: 1, messagesReceived: 0 });
    expect(b.stats().bytesReceived).toBe(40_000 + 20 * chunks);
  });

  it('dropLink disconnects both sides with the reason', async () => {
    const hub = createMemoryHub();
    const a = hub.createTransport(A);
    const b = hub.createTransport(B);
    const [ea, eb] = [record(a), record(b)];
    await a.connect(B);
    hub.dropLink(A, B, 'cable cut');
    hub.flush();
    expect(ea.at(-1)).toEqual({ type: 'peer-disconnected', peer: B, reason: 'cable cut' });
    expect(eb.at(-1)).toEqual({ type: 'peer-disconnected', peer: A, reason: 'cable cut' });
    await expect(a.send(B, new Uint8Array(1))).rejects.toBeInstanceOf(TransportError);
  });

  it('rejects a pending connect when the link is dropped before it opens', async () => {
    const hub = createMemoryHub({ manualFlush: true });
    const a = hub.createTransport(A);
    hub.createTransport(B);
    const connected = a.connect(B);
    a.disconnect(B, 'changed my mind');
    await expect(connected).rejects.toMatchObject({ kind: 'closed' });
  });

  it('honours an abort signal on connect', async () => {
    const hub = createMemoryHub({ manualFlush: true });
    const a = hub.createTransport(A);
    hub.createTransport(B);
    const ctl = new AbortController();
    const connected = a.connect(B, { signal: ctl.signal });
    ctl.abort(new Error('gave up'));
    await expect(connected).rejects.toThrow('gave up');
  });

  it('gives the same delivery order for the same seed, and keeps per-pair order', async () => {
    async function run(seed: number): Promise<string[]> {
      const hub = createMemoryHub({ seed, manualFlush: true });
      const [a, b, c] = [hub.createTransport(A), hub.createTransport(B), hub.createTransport(C)];
      const log: string[] = [];
      c.subscribe((e) => {
        if (e.type === 'message') log.push(`${e.from}:${e.bytes[0]}`);
      });
      const links = [a.connect(C), b.connect(C)];
      hub.flush();
      await Promise.all(links);
      for (let i = 0; i < 20; i++) {
        await a.send(C, new Uint8Array(20_000).fill(i));
        await b.send(C, new Uint8Array(20_000).fill(i));
      }
      hub.flush();
      return log;
    }
    const first = await run(3);
    expect(await run(3)).toEqual(first);
    for (const from of ['a', 'b']) {
      const seq = first.filter((s) => s.startsWith(`${from}:`)).map((s) => Number(s.split(':')[1]));
      expect(seq).toEqual(Array.from({ length: 20 }, (_, i) => i));
    }
    expect(await run(4)).not.toEqual(first);
  });

  it('reports a protocol violation from injected bytes and drops only that peer', async () => {
    const hub = createMemoryHub();
    const [a, b, c] = [hub.createTransport(A), hub.createTransport(B), hub.createTransport(C)];
    const eb = record(b);
    await b.connect(A);
    await b.connect(C);
    hub.injectRaw(C, B, new Uint8Array([1, 2, 3]));
    hub.flush();
    expect(eb.find((e) => e.type === 'error')).toMatchObject({ error: { kind: 'protocol-violation', peer: C } });
    expect(b.peers()).toEqual([A]);
    expect(c.peers()).toEqual([]);
    expect(a.peers()).toEqual([B]);
  });
});
