/**
 * bench-transport.html: throughput of one data channel in one page, driven by `npm run bench -- --suite
 * transport` through `window.benchTransport`.
 *
 * - `raw`: two RTCPeerConnections on loopback (SDP exchanged in the page, no ICE servers), one ordered
 *   channel, fixed-size messages with bufferedAmountLowThreshold backpressure: the ceiling.
 * - `project`: two PeerJS transports (src/transport/peerjs.ts) on the page's own PeerServer, sending real
 *   `gradients` messages (encodeMessage, MLP-shaped float32 tensors) that the far side decodeMessage's.
 * Both time from the first send until the receiver holds every byte; set-up is not timed.
 */
import type { PeerId } from '../core/ids.ts';
import { decodeMessage, encodeMessage } from '../protocol/codec.ts';
import type { WireTensor } from '../protocol/wire-tensor.ts';
import { PeerJsTransport, createPeerJsTransport, type PeerJsTransportInit } from '../transport/peerjs.ts';
import { openPeer } from '../transport/peerjs-open.ts';
import type { Transport } from '../transport/transport.ts';

/** What one round measured. */
export interface TransportRound {
  readonly method: 'raw-datachannel' | 'peerjs-transport';
  /** Payload bytes delivered (whole messages; the project's chunk headers are not counted). */
  readonly totalBytes: number;
  readonly messages: number;
  /** Bytes per message handed to send(). */
  readonly messageBytes: number;
  /** Link message size: raw = messageBytes; project = the transport's chunk size (0 = its automatic choice). */
  readonly chunkBytes: number;
  readonly seconds: number;
  readonly throughputMBps: number;
  /** Time spent in encodeMessage / decodeMessage (project only; 0 for raw). */
  readonly encodeMs: number;
  readonly decodeMs: number;
  /** Bytes the sending transport handed to its link, chunk headers included (raw: totalBytes). */
  readonly wireBytes: number;
  readonly setupMs: number;
  readonly heapBytes: number;
}

/** Options of a round. */
export interface TransportRoundInit {
  readonly totalBytes: number;
  /** Raw: message size. Ignored by `project`, whose messages are one MLP gradient each. */
  readonly messageBytes: number;
  /** Project only: force this chunk size (bytes, header included); omit for the transport's own choice. */
  readonly chunkBytes?: number;
}

/** The page's automation surface. */
export interface BenchTransportApi {
  raw(init: TransportRoundInit): Promise<TransportRound>;
  project(init: TransportRoundInit): Promise<TransportRound>;
}

declare global {
  interface Window {
    benchTransport?: BenchTransportApi;
  }
}

/** Same water marks as src/transport/peerjs-link.ts, so the raw ceiling uses the same backpressure. */
const HIGH_WATER_BYTES = 1024 * 1024;
const LOW_WATER_BYTES = 256 * 1024;
/** A round that takes longer is stuck (32 MiB needs ~2-4 s here); fail it instead of hanging the runner. */
const ROUND_TIMEOUT_MS = 120_000;
/** The MLP 784-128-10's parameter shapes: one gradient message is ~407 KB of float32. */
const MLP_SHAPES: readonly (readonly number[])[] = [[784, 128], [128], [128, 10], [10]];

const heap = (): number => (performance as Performance & { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0;

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => { reject(new Error(`${what} did not finish within ${ROUND_TIMEOUT_MS} ms`)); }, ROUND_TIMEOUT_MS);
  });
  return Promise.race([p, t]).finally(() => { clearTimeout(timer); });
}

/** Resolves when `pc` finished gathering ICE candidates (then its SDP carries them: no trickle needed). */
function gathered(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') resolve(); });
  });
}

function opened(dc: RTCDataChannel): Promise<void> {
  if (dc.readyState === 'open') return Promise.resolve();
  return new Promise((resolve, reject) => {
    dc.addEventListener('open', () => { resolve(); }, { once: true });
    dc.addEventListener('error', () => { reject(new Error('data channel failed to open')); }, { once: true });
  });
}

/** Two loopback peer connections and an open ordered channel between them. */
async function rawPair(): Promise<{ pcs: RTCPeerConnection[]; tx: RTCDataChannel; rx: RTCDataChannel }> {
  const a = new RTCPeerConnection({ iceServers: [] });
  const b = new RTCPeerConnection({ iceServers: [] });
  const tx = a.createDataChannel('bench', { ordered: true });
  const rxReady = new Promise<RTCDataChannel>((resolve) => { b.addEventListener('datachannel', (e) => { resolve(e.channel); }, { once: true }); });
  await a.setLocalDescription(await a.createOffer());
  await gathered(a);
  await b.setRemoteDescription(a.localDescription ?? { type: 'offer' });
  await b.setLocalDescription(await b.createAnswer());
  await gathered(b);
  await a.setRemoteDescription(b.localDescription ?? { type: 'answer' });
  const rx = await rxReady;
  await Promise.all([opened(tx), opened(rx)]);
  return { pcs: [a, b], tx, rx };
}

async function raw(init: TransportRoundInit): Promise<TransportRound> {
  const t0 = performance.now();
  const { pcs, tx, rx } = await rawPair();
  const setupMs = performance.now() - t0;
  const messages = Math.max(1, Math.round(init.totalBytes / init.messageBytes));
  const total = messages * init.messageBytes;
  rx.binaryType = 'arraybuffer';
  let received = 0;
  const done = new Promise<number>((resolve) => {
    rx.onmessage = (e: MessageEvent<ArrayBuffer>) => {
      received += e.data.byteLength;
      if (received >= total) resolve(performance.now());
    };
  });
  tx.bufferedAmountLowThreshold = LOW_WATER_BYTES;
  const payload = new Uint8Array(init.messageBytes).fill(7);
  const start = performance.now();
  for (let i = 0; i < messages; i++) {
    if (tx.bufferedAmount > HIGH_WATER_BYTES) await new Promise((r) => { tx.addEventListener('bufferedamountlow', r, { once: true }); });
    tx.send(payload);
  }
  const end = await withTimeout(done, 'raw round');
  for (const pc of pcs) pc.close();
  const seconds = (end - start) / 1000;
  return {
    method: 'raw-datachannel', totalBytes: total, messages, messageBytes: init.messageBytes, chunkBytes: init.messageBytes,
    seconds, throughputMBps: total / 1e6 / seconds, encodeMs: 0, decodeMs: 0, wireBytes: total, setupMs, heapBytes: heap(),
  };
}

/** Where the page's PeerServer is (the same origin; key and path from /swarm-config.json). */
async function peerInit(): Promise<PeerJsTransportInit> {
  const secure = location.protocol === 'https:';
  type Cfg = { readonly peerPath?: string; readonly peerKey?: string };
  const cfg = await fetch('/swarm-config.json').then((r) => r.json() as Promise<Cfg>).catch((): Cfg => ({}));
  return {
    host: location.hostname, port: location.port === '' ? (secure ? 443 : 80) : Number(location.port),
    path: cfg.peerPath ?? '/peerjs', secure, key: cfg.peerKey ?? 'swarm', iceServers: [],
  };
}

async function openTransport(init: PeerJsTransportInit, chunkBytes: number | undefined): Promise<PeerJsTransport> {
  if (chunkBytes === undefined) return createPeerJsTransport(init);
  const { peer, id } = await openPeer(init);
  return new PeerJsTransport(id, peer, chunkBytes);
}

/** Two connected transports; resolves once both sides announced the link. */
async function transportPair(chunkBytes: number | undefined): Promise<[Transport, Transport]> {
  const init = await peerInit();
  const a = await openTransport(init, chunkBytes);
  const b = await openTransport(init, chunkBytes);
  const bSeesA = new Promise<void>((resolve) => {
    const off = b.subscribe((e) => { if (e.type === 'peer-connected' && e.peer === a.self) { off(); resolve(); } });
  });
  await a.connect(b.self);
  await withTimeout(bSeesA, 'link set-up');
  return [a, b];
}

/** MLP-shaped gradient tensors filled with small deterministic values (content does not matter for speed). */
function mlpGradients(): WireTensor[] {
  let s = 1;
  return MLP_SHAPES.map((shape) => {
    const data = new Float32Array(shape.reduce((x, y) => x * y, 1));
    for (let i = 0; i < data.length; i++) {
      s = (s * 1103515245 + 12345) % 2147483648; // an LCG step; any cheap pseudo-random sequence does
      data[i] = s / 2147483648 - 0.5;
    }
    return { dtype: 'float32', shape, data };
  });
}

/** Receives `messages` gradient messages on `rx`, decoding each; resolves with the end time and decode ms. */
function receiveAll(rx: Transport, from: PeerId, messages: number): Promise<{ end: number; decodeMs: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    let count = 0;
    let bytes = 0;
    let decodeMs = 0;
    const off = rx.subscribe((e) => {
      if (e.type !== 'message' || e.from !== from) return;
      const t = performance.now();
      const r = decodeMessage(e.bytes);
      decodeMs += performance.now() - t;
      if (!r.ok || r.value.type !== 'gradients') {
        off();
        reject(new Error(`bad message: ${r.ok ? r.value.type : r.error.detail}`));
        return;
      }
      bytes += e.bytes.byteLength;
      if (++count === messages) { off(); resolve({ end: performance.now(), decodeMs, bytes }); }
    });
  });
}

async function project(init: TransportRoundInit): Promise<TransportRound> {
  const t0 = performance.now();
  const [a, b] = await transportPair(init.chunkBytes);
  const setupMs = performance.now() - t0;
  const grads = mlpGradients();
  const frame = (step: number): Uint8Array => encodeMessage({ type: 'gradients', runId: 'bench', step, count: 128, lossSum: 1, grads });
  const messages = Math.max(1, Math.round(init.totalBytes / frame(0).byteLength));
  const received = receiveAll(b, a.self, messages);
  let encodeMs = 0;
  const start = performance.now();
  try {
    for (let i = 0; i < messages; i++) {
      const t = performance.now();
      const bytes = frame(i);
      encodeMs += performance.now() - t;
      await a.send(b.self, bytes);
    }
    const r = await withTimeout(received, 'project round');
    const seconds = (r.end - start) / 1000;
    return {
      method: 'peerjs-transport', totalBytes: r.bytes, messages, messageBytes: Math.round(r.bytes / messages), chunkBytes: init.chunkBytes ?? 0,
      seconds, throughputMBps: r.bytes / 1e6 / seconds, encodeMs, decodeMs: r.decodeMs, wireBytes: a.stats().bytesSent, setupMs, heapBytes: heap(),
    };
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
}

window.benchTransport = { raw, project };
document.body.dataset.state = 'ready';
