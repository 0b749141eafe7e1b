/**
 * Test page: a hostile peer. `window.rogue.attack()` first tries the room with a wrong key (it must be
 * refused before it receives anything but admission frames). Then, holding the right key from the link's
 * fragment (an insider), it connects to the room's coordinator four times, each with a fresh id, and
 * misbehaves in a different layer each time: (1) bytes that break the chunk framing,
 * (2) well-chunked bytes that are not a valid frame, (3) a valid hello followed by a message only a
 * coordinator may send (a forged `start`), (4) a valid hello followed by a flood of heartbeats beyond the
 * inbound rate limit. The e2e test checks that each rogue is dropped and training goes on. The chaos test
 * uses `wrongKey`, `barrage` (thousands of hostile frames) and `poison` (a worker sending x100 gradients).
 */
import { peerIdFrom, type PeerId } from '../core/ids.ts';
import { encodeMessage } from '../protocol/codec.ts';
import { PROTOCOL_VERSION } from '../protocol/version.ts';
import { coordinatorIdFor } from '../platform/url-config.ts';
import { createPeerJsTransport, type PeerJsTransport } from '../transport/peerjs.ts';
import { createAuthenticatedTransport } from '../transport/authenticated.ts';
import { TransportError } from '../transport/transport.ts';
import { newRoomKey, parseRoomKey } from '../platform/room-key.ts';
import { chooseBackend } from '../platform/backend.ts';
import { loadDataset } from '../platform/load-dataset.ts';
import { barrage, poisonWorker, type BarrageReport } from './rogue-chaos.ts';

export interface RogueReport {
  /** The id that tried the wrong key, whether it was refused, and the bytes it received all the same. */
  readonly wrongKey: { readonly id: string; readonly refused: string; readonly bytesReceived: number };
  /** Ids the rogue used, one per attack. */
  readonly ids: string[];
  /** Hostile payloads sent. */
  readonly sent: number;
}

declare global {
  interface Window {
    rogue: {
      attack(): Promise<RogueReport>;
      wrongKey(): Promise<RogueReport['wrongKey']>;
      barrage(total: number): Promise<BarrageReport>;
      poison(factor: number): Promise<{ readonly id: string }>;
      poisoned(): number;
    };
  }
}

const room = new URLSearchParams(location.search).get('room') ?? 'default';
const coordinator = peerIdFrom(coordinatorIdFor(room));
const parsedKey = parseRoomKey(location.hash);
const roomKey = parsedKey.ok && parsedKey.value !== null ? parsedKey.value : newRoomKey();

function peerJs(): Promise<PeerJsTransport> {
  const secure = location.protocol === 'https:';
  const port = location.port === '' ? (secure ? 443 : 80) : Number(location.port);
  return createPeerJsTransport({ host: location.hostname, port, path: '/peerjs', secure, key: 'swarm', iceServers: [] });
}

/** An admitted link to the coordinator; returns the raw PeerJS transport under it (for framing attacks). */
async function open(): Promise<PeerJsTransport> {
  const raw = await peerJs();
  await createAuthenticatedTransport(raw, { key: roomKey }).connect(coordinator, { signal: AbortSignal.timeout(15_000) });
  return raw;
}

/** Tries the room with a random key: the coordinator must refuse it. */
async function wrongKey(): Promise<RogueReport['wrongKey']> {
  const raw = await peerJs();
  const refused = await createAuthenticatedTransport(raw, { key: newRoomKey() }).connect(coordinator, { signal: AbortSignal.timeout(15_000) })
    .then(() => '', (e: unknown) => (e instanceof TransportError ? `${e.kind}: ${e.message}` : String(e)));
  await pause(1500); // anything the coordinator might (wrongly) send after the refusal has time to arrive
  const report = { id: raw.self, refused, bytesReceived: raw.stats().bytesReceived };
  await raw.close();
  return report;
}

function randomBytes(n: number): Uint8Array {
  const b = new Uint8Array(n);
  crypto.getRandomValues(b);
  return b;
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** More than the coordinator's inbound burst (roles/rate-limit.ts: 2000) in well under a second. */
const FLOOD_MESSAGES = 3000;

async function attack(): Promise<RogueReport> {
  const refusal = await wrongKey();
  const ids: PeerId[] = [];
  let sent = 0;
  // 1. Garbage below the chunk layer.
  const t1 = await open();
  ids.push(t1.self);
  for (let i = 0; i < 5; i++, sent++) t1.sendRawForTest(coordinator, randomBytes(1000 + i));
  // 2. Valid chunks carrying a message that is not a frame.
  const t2 = await open();
  ids.push(t2.self);
  await t2.send(coordinator, randomBytes(5000)).then(() => sent++, () => undefined);
  // 3. A proper hello, then a message only a coordinator may send.
  const t3 = await open();
  ids.push(t3.self);
  const device = { backend: 'cpu' as const, adapter: '', reason: 'rogue', samplesPerSec: 1, memoryBytes: 0, selfTestPassed: true, userAgent: 'rogue' };
  await t3.send(coordinator, encodeMessage({ type: 'hello', protocolVersion: PROTOCOL_VERSION, role: 'worker', room, device }));
  await pause(500);
  const junk = { dtype: 'float32' as const, shape: [3], data: new Float32Array([1, 2, 3]) };
  const forged = { type: 'start' as const, runId: 'forged', step: 0, epoch: 0, optimizerStep: 0, batchSize: 1, params: [junk], slots: [] };
  await t3.send(coordinator, encodeMessage(forged)).then(() => sent++, () => undefined);
  // 4. A proper hello, then a flood of well-formed heartbeats (beyond the per-peer rate limit).
  const t4 = await open();
  ids.push(t4.self);
  await t4.send(coordinator, encodeMessage({ type: 'hello', protocolVersion: PROTOCOL_VERSION, role: 'worker', room, device }));
  const beat = encodeMessage({ type: 'heartbeat', sentAt: 1 });
  const flood = Array.from({ length: FLOOD_MESSAGES }, () => t4.send(coordinator, beat).then(() => sent++, () => undefined));
  await Promise.all(flood);
  await pause(1500);
  for (const t of [t1, t2, t3, t4]) await t.close();
  return { wrongKey: refusal, ids, sent };
}

let poisoned: { count: number } | null = null;

/** Joins the room as a real worker whose every gradient is multiplied by `factor` (rogue-chaos.ts). */
async function poison(factor: number): Promise<{ readonly id: string }> {
  await chooseBackend({ override: 'wasm' });
  const dataset = await loadDataset('mnist');
  const w = await poisonWorker(createAuthenticatedTransport(await peerJs(), { key: roomKey }), coordinator, room, dataset, factor);
  poisoned = w.poisoned;
  return { id: w.id };
}

window.rogue = { attack, wrongKey, barrage: (total) => barrage(total, room, coordinator, open), poison, poisoned: () => poisoned?.count ?? 0 };
