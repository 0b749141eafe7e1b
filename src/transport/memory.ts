/**
 * In-process transport hub, for tests, simulations and the coordinator's own in-tab worker.
 *
 * Every endpoint (`hub.createTransport(id)`) chunks messages with chunk.ts exactly as the PeerJS transport
 * does, only with a small chunk size, so the contract suite exercises the same framing paths. Items (link
 * open/close and chunks) wait in one queue per directed pair and are delivered:
 * - by default in a microtask after they are queued, oldest first;
 * - with `manualFlush`, only when the test calls `flush()` / `step()` (tldraw TestSocketPair style);
 * - with a `seed`, the next pair to deliver is drawn from a seeded PRNG (yjs TestConnector style) and the
 *   chunks of each message are shuffled, to exercise out-of-order reassembly. Order between the messages of
 *   one pair is always kept (the contract: whole, once, in send order).
 *
 * Fault injection: `dropLink(a, b)` (both sides see peer-disconnected) and `injectRaw(from, to, bytes)`
 * (raw bytes arrive at `to` as if `from` had sent them on their link).
 */
import type { PeerId } from '../core/ids.ts';
import { TransportError } from './transport.ts';
import { MemoryTransport, type MemoryHubPort } from './memory-endpoint.ts';
import { createRng } from '../core/rng.ts';

/** Chunk size of the memory hub, header included: PeerJS's portable 16 KiB, so chunking really happens. */
/** Uniform [0, 1) draws from the project's seeded PRNG, to make delivery order reproducible. */
function seededUniform(seed: number): () => number {
  const rng = createRng(seed);
  return () => rng.next();
}

export const MEMORY_CHUNK_BYTES = 16 * 1024;

/** Options of `createMemoryHub`. */
export interface MemoryHubInit {
  /** Seeds the delivery order across pairs and the chunk order inside each message. */
  readonly seed?: number;
  /** Deliver only on `flush()` / `step()` instead of in a microtask. */
  readonly manualFlush?: boolean;
  /** Chunk size in bytes, header included (default MEMORY_CHUNK_BYTES). */
  readonly chunkBytes?: number;
}

/** The hub: a registry of endpoints and the queues between them. */
export interface MemoryHub {
  /** Creates an endpoint; throws TransportError('unavailable-id') when `id` is taken. */
  createTransport(id: PeerId): MemoryTransport;
  /** Delivers queued items until none is left; returns how many were delivered. */
  flush(): number;
  /** Delivers one queued item; false when none was queued. */
  step(): boolean;
  /** Number of queued, undelivered items. */
  pending(): number;
  /** Queues raw `bytes` to `to` as a chunk from `from` on their link (throws if they have none). */
  injectRaw(from: PeerId, to: PeerId, bytes: Uint8Array): void;
  /** Breaks the link between `a` and `b`: both sides get peer-disconnected with `reason`. */
  dropLink(a: PeerId, b: PeerId, reason?: string): void;
}

type Item =
  | { readonly kind: 'open' }
  | { readonly kind: 'close'; readonly reason: string }
  | { readonly kind: 'chunk'; readonly bytes: Uint8Array };

interface Queued {
  readonly seq: number;
  readonly item: Item;
}

interface Pair {
  readonly from: PeerId;
  readonly to: PeerId;
  readonly items: Queued[];
}

const undirected = (a: PeerId, b: PeerId): string => (a < b ? `${a} ${b}` : `${b} ${a}`);
const directed = (from: PeerId, to: PeerId): string => `${from}>${to}`;

class Hub implements MemoryHub, MemoryHubPort {
  readonly chunkBytes: number;
  private readonly endpoints = new Map<PeerId, MemoryTransport>();
  private readonly links = new Map<string, readonly [PeerId, PeerId]>();
  private readonly pairs = new Map<string, Pair>();
  private readonly random: (() => number) | undefined;
  private seq = 0;
  private scheduled = false;
  private flushing = false;

  constructor(private readonly init: MemoryHubInit) {
    this.chunkBytes = init.chunkBytes ?? MEMORY_CHUNK_BYTES;
    this.random = init.seed === undefined ? undefined : seededUniform(init.seed);
  }

  createTransport(id: PeerId): MemoryTransport {
    if (this.endpoints.has(id)) throw new TransportError('unavailable-id', `id ${id} is taken`);
    const t = new MemoryTransport(id, this);
    this.endpoints.set(id, t);
    return t;
  }

  has(id: PeerId): boolean {
    return this.endpoints.has(id);
  }

  isLinked(a: PeerId, b: PeerId): boolean {
    return this.links.has(undirected(a, b));
  }

  linkedPeers(id: PeerId): readonly PeerId[] {
    return [...this.links.values()].flatMap(([a, b]) => (a === id ? [b] : b === id ? [a] : []));
  }

  link(a: PeerId, b: PeerId): void {
    this.links.set(undirected(a, b), [a, b]);
    this.enqueue(b, a, { kind: 'open' });
    this.enqueue(a, b, { kind: 'open' });
  }

  unlink(local: PeerId, remote: PeerId, reason: string): void {
    this.links.delete(undirected(local, remote));
    this.pairs.delete(directed(local, remote));
    this.pairs.delete(directed(remote, local));
    this.enqueue(local, remote, { kind: 'close', reason });
  }

  enqueueChunks(from: PeerId, to: PeerId, chunks: readonly Uint8Array[]): void {
    const order = this.random ? this.shuffled(chunks) : chunks;
    for (const bytes of order) this.enqueue(from, to, { kind: 'chunk', bytes });
  }

  unregister(id: PeerId): void {
    this.endpoints.delete(id);
  }

  injectRaw(from: PeerId, to: PeerId, bytes: Uint8Array): void {
    if (!this.isLinked(from, to)) throw new TransportError('closed', `no link between ${from} and ${to}`);
    this.enqueue(from, to, { kind: 'chunk', bytes: bytes.slice() });
  }

  dropLink(a: PeerId, b: PeerId, reason = 'link dropped'): void {
    if (!this.isLinked(a, b)) return;
    this.unlink(a, b, reason);
    this.enqueue(b, a, { kind: 'close', reason });
  }

  pending(): number {
    let n = 0;
    for (const p of this.pairs.values()) n += p.items.length;
    return n;
  }

  flush(): number {
    if (this.flushing) return 0;
    this.flushing = true;
    let n = 0;
    try {
      while (this.deliverOne()) n++;
    } finally {
      this.flushing = false;
    }
    return n;
  }

  step(): boolean {
    if (this.flushing) return false;
    this.flushing = true;
    try {
      return this.deliverOne();
    } finally {
      this.flushing = false;
    }
  }

  private enqueue(from: PeerId, to: PeerId, item: Item): void {
    const key = directed(from, to);
    let pair = this.pairs.get(key);
    if (!pair) {
      pair = { from, to, items: [] };
      this.pairs.set(key, pair);
    }
    pair.items.push({ seq: this.seq++, item });
    if (!this.init.manualFlush && !this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => {
        this.scheduled = false;
        this.flush();
      });
    }
  }

  /** Picks the next pair: oldest head item, or a seeded random pair. */
  private nextPair(): Pair | undefined {
    const candidates = [...this.pairs.values()].filter((p) => p.items.length > 0);
    if (this.random) return candidates[Math.floor(this.random() * candidates.length)];
    let best: Pair | undefined;
    let bestSeq = Infinity;
    for (const p of candidates) {
      const seq = p.items[0]?.seq ?? Infinity;
      if (seq < bestSeq) [best, bestSeq] = [p, seq];
    }
    return best;
  }

  private deliverOne(): boolean {
    const pair = this.nextPair();
    const queued = pair?.items.shift();
    if (!pair || !queued) return false;
    if (pair.items.length === 0) this.pairs.delete(directed(pair.from, pair.to));
    const target = this.endpoints.get(pair.to);
    if (!target) return true;
    const item = queued.item;
    switch (item.kind) {
      case 'open':
        target.deliverOpen(pair.from);
        break;
      case 'close':
        target.deliverClose(pair.from, item.reason);
        break;
      case 'chunk':
        target.deliverChunk(pair.from, item.bytes);
        break;
    }
    return true;
  }

  private shuffled<T>(xs: readonly T[]): T[] {
    const out = [...xs];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor((this.random?.() ?? 0) * (i + 1));
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  }
}

/** Creates an in-process hub. See the module comment for delivery modes and fault injection. */
export function createMemoryHub(opts: MemoryHubInit = {}): MemoryHub {
  return new Hub(opts);
}
