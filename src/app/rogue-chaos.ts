/**
 * The chaos test's hostile insider (used by rogue-page.ts): a barrage of hostile frames over many admitted
 * links, and a poisoning worker. Holding the room key, it can pass admission; everything after that is the
 * coordinator's to survive.
 *
 * - `barrage(total)`: opens links one after another and writes up to FRAMES_PER_LINK raw frames on each at
 *   once (so they are in flight before the coordinator hangs up on the first): garbage below the chunk
 *   layer, chunks over the size cap, chunks out of order or lying about their count, well-chunked bytes that
 *   are not a frame, frames with a wrong version or type code or a metadata length that lies, and valid
 *   frames a worker may not send. Counts every frame written.
 * - `poisonWorker(...)`: a real worker (real data, real gradients) whose every gradient message is scaled by
 *   `factor` on its way out: the poisoned update a robust aggregation rule must absorb.
 */
import type { PeerId } from '../core/ids.ts';
import { decodeMessage, encodeMessage } from '../protocol/codec.ts';
import { CHUNK_HEADER_BYTES, encodeChunk } from '../protocol/chunk.ts';
import { PROTOCOL_VERSION } from '../protocol/version.ts';
import { TYPE_CODES } from '../protocol/type-codes.ts';
import type { DeviceInfo } from '../protocol/messages.ts';
import type { PeerJsTransport } from '../transport/peerjs.ts';
import type { Transport } from '../transport/transport.ts';
import { WorkerRuntime } from '../roles/worker/runtime.ts';
import type { Dataset } from '../core/data/dataset.ts';

/** Frames written on one link before it is (certainly) dropped. */
const FRAMES_PER_LINK = 1000;
/** A barrage that cannot reach a coordinator for this long gives up. */
const BARRAGE_GIVE_UP_MS = 120_000;
/** Chromium's SCTP max message size: nothing larger leaves a data channel. */
const CHANNEL_MAX_BYTES = 256 * 1024;
/** A barrage that needs more links than this is not getting its frames out: stop rather than churn peers. */
const MAX_LINKS = 100;

export interface BarrageReport {
  readonly framesSent: number;
  readonly links: number;
  readonly ids: string[];
  /** Frames by kind, to show the mix. */
  readonly kinds: Record<string, number>;
}

/** `n` random bytes (getRandomValues fills at most 64 KiB per call). */
function randomBytes(n: number): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(n);
  for (let at = 0; at < n; at += 65536) crypto.getRandomValues(b.subarray(at, Math.min(n, at + 65536)));
  return b;
}

const device: DeviceInfo = { backend: 'cpu', adapter: '', reason: 'rogue', samplesPerSec: 1, memoryBytes: 0, selfTestPassed: true, userAgent: 'rogue' };

/** The i-th hostile frame: [kind, bytes written raw to the data channel]. */
function hostileFrame(i: number, room: string): [string, Uint8Array<ArrayBuffer>] {
  const id = 1000 + i;
  switch (i % 8) {
    case 0: return ['garbage', randomBytes(64 + (i % 500))];
    case 1: {
      if (i % 16 !== 1) return ['truncated chunk header', randomBytes(CHUNK_HEADER_BYTES - 1)];
      const big = encodeChunk(randomBytes(CHANNEL_MAX_BYTES - CHUNK_HEADER_BYTES), id, 0, CHANNEL_MAX_BYTES); // the largest chunk a channel carries…
      new DataView(big.buffer).setUint32(16, 2 * 64 * 1024 * 1024, true); // …opening a 128 MiB message
      return ['oversized message', big];
    }
    case 2: return ['out-of-order chunk', encodeChunk(randomBytes(4000), id, 2, 1024 + CHUNK_HEADER_BYTES)]; // last chunk first
    case 3: {
      const lying = encodeChunk(randomBytes(500), id, 0, 1024); // says 1 chunk of 500 bytes…
      new DataView(lying.buffer).setUint32(12, 3, true); // …of 3 chunks that cannot hold them
      return ['chunk count that does not fit', lying];
    }
    case 4: return ['chunked non-frame', encodeChunk(randomBytes(800), id, 0, 1024)];
    case 5: {
      const frame = encodeMessage({ type: 'heartbeat', sentAt: 1 });
      frame[4] = (PROTOCOL_VERSION + 1) & 0xff; // wrong version
      frame[5] = i % 16 === 5 ? 250 : TYPE_CODES.heartbeat; // or an unknown type code as well
      return ['wrong version or type', encodeChunk(frame, id, 0, 1024)];
    }
    case 6: {
      const frame = encodeMessage({ type: 'heartbeat', sentAt: 1 });
      new DataView(frame.buffer, frame.byteOffset).setUint32(8, 0xfffffff0, true); // metadata length lies
      return ['metadata length lie', encodeChunk(frame, id, 0, 1024)];
    }
    default: {
      const frame = i % 2 === 0
        ? encodeMessage({ type: 'hello', protocolVersion: PROTOCOL_VERSION, role: 'coordinator', room, device })
        : encodeMessage({ type: 'done', runId: 'forged', ok: false, reason: 'forged' });
      return ['frame a worker may not send', encodeChunk(frame, id, 0, 64 * 1024)];
    }
  }
}

/** Writes `total` hostile frames over as many admitted links as it takes (`open` makes one). */
export async function barrage(total: number, room: string, coordinator: PeerId, open: () => Promise<PeerJsTransport>): Promise<BarrageReport> {
  const kinds: Record<string, number> = {};
  const ids: string[] = [];
  let sent = 0;
  const deadline = Date.now() + BARRAGE_GIVE_UP_MS;
  while (sent < total) {
    if (ids.length >= MAX_LINKS) throw new Error(`barrage: only ${sent} frames over ${ids.length} links`);
    let t: PeerJsTransport;
    try {
      t = await open();
    } catch (e) {
      // The coordinator may be away (closed, failing over): try again until the deadline.
      console.warn(`barrage: no admitted link to the coordinator (${String(e)}); retrying`);
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 1000));
      continue;
    }
    ids.push(t.self);
    const n = Math.min(FRAMES_PER_LINK, total - sent);
    for (let k = 0; k < n; k++) {
      const [kind, bytes] = hostileFrame(sent, room);
      try {
        t.sendRawForTest(coordinator, bytes);
      } catch {
        break; // the coordinator already hung up on this link: open the next one
      }
      kinds[kind] = (kinds[kind] ?? 0) + 1;
      sent++;
    }
    await new Promise((r) => setTimeout(r, 200));
    await t.close();
    console.info(`barrage: ${sent} of ${total} frames written over ${ids.length} links`);
  }
  return { framesSent: sent, links: ids.length, ids, kinds };
}

/** `inner` with every outgoing `gradients` message scaled by `factor` (counted in `poisoned.count`). */
function poisoning(inner: Transport, factor: number, poisoned: { count: number }): Transport {
  return {
    get self() { return inner.self; },
    peers: () => inner.peers(),
    connect: (peer, opts) => inner.connect(peer, opts),
    disconnect: (peer, reason) => { inner.disconnect(peer, reason); },
    subscribe: (listener) => inner.subscribe(listener),
    stats: () => inner.stats(),
    close: () => inner.close(),
    send: (to, bytes, opts) => {
      const m = decodeMessage(bytes);
      if (!m.ok || m.value.type !== 'gradients') return inner.send(to, bytes, opts);
      poisoned.count++;
      const grads = m.value.grads.map((g) => ({ dtype: 'float32' as const, shape: g.shape, data: Float32Array.from(g.data as Float32Array, (v) => v * factor) }));
      return inner.send(to, encodeMessage({ ...m.value, grads }), opts);
    },
  };
}

/** A real worker of the room whose gradients are all multiplied by `factor`. */
export async function poisonWorker(transport: Transport, coordinator: PeerId, room: string, dataset: Dataset, factor: number): Promise<{ readonly id: string; readonly poisoned: { count: number } }> {
  const poisoned = { count: 0 };
  const worker = new WorkerRuntime({ transport: poisoning(transport, factor, poisoned), coordinator, room, dataset, device: { ...device, backend: 'wasm', samplesPerSec: 3000 } });
  await worker.start(AbortSignal.timeout(15_000));
  return { id: transport.self, poisoned };
}
