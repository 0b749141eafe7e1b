/**
 * Joins a room over PeerJS. The first tab to register the room's coordinator id becomes the coordinator
 * (the signalling server refuses a taken id, which makes the election atomic); everyone else joins as a
 * worker with a random id. The coordinator tab also trains: its own worker reaches it through an
 * in-process memory link merged with the PeerJS mesh (union transport).
 */
import { peerIdFrom, type PeerId } from '../core/ids.ts';
import type { Dataset } from '../core/data/dataset.ts';
import type { DeviceInfo, Role, RunConfig } from '../protocol/messages.ts';
import { TransportError, type Transport, type TransportStats } from '../transport/transport.ts';
import { createPeerJsTransport } from '../transport/peerjs.ts';
import { createAuthenticatedTransport } from '../transport/authenticated.ts';
import { createMemoryHub } from '../transport/memory.ts';
import { createUnionTransport } from '../transport/union.ts';
import { CoordinatorRuntime, type RunSnapshot } from '../roles/coordinator/runtime.ts';
import { WorkerRuntime } from '../roles/worker/runtime.ts';
import type { DasoOptions } from '../roles/coordinator/daso-reducer.ts';
import type { Dho2Options, KfacOptions } from '../roles/second-order-options.ts';
import { GroupLinks } from '../roles/worker/daso-links.ts';
import { createEmulatedTransport, type LinkProfile } from '../transport/link-emulation.ts';

export type Membership =
  | { readonly role: 'coordinator'; readonly transport: Transport; readonly coordinator: CoordinatorRuntime; readonly localWorker: WorkerRuntime; remoteStats(): TransportStats }
  | { readonly role: 'worker'; readonly transport: Transport; readonly worker: WorkerRuntime; remoteStats(): TransportStats };

export interface JoinInit {
  readonly room: string;
  /** The room key (room-key.ts): every PeerJS link must prove it before it carries anything. */
  readonly roomKey: Uint8Array;
  readonly role: Role | null;
  readonly coordinatorId: PeerId;
  readonly device: DeviceInfo;
  readonly dataset: Dataset;
  readonly config: RunConfig;
  readonly minPeers: number;
  readonly autostart: boolean;
  readonly onChange: () => void;
  /** DASO: the schedule and wire options, and the emulated link between groups (null = none). */
  readonly daso?: DasoOptions;
  readonly emulateGlobalLink?: LinkProfile | null;
  /** Second-order options (algos 'dho2', 'kfac'). */
  readonly dho2?: Dho2Options;
  readonly kfac?: KfacOptions;
  /** If this tab becomes the coordinator: continue this checkpointed run, and store each epoch's model. */
  readonly resume?: RunSnapshot;
  readonly onCheckpoint?: (s: RunSnapshot) => void;
  /** Worker: make one connection attempt of at most this long instead of retrying for a minute (failover). */
  readonly connectTimeoutMs?: number;
}

interface ServerConfig {
  readonly peerPath: string;
  readonly peerKey: string;
  readonly iceServers: RTCIceServer[];
}

/** How long a worker keeps retrying to reach a coordinator that has not appeared yet. */
const WORKER_CONNECT_ATTEMPTS = 30;
const WORKER_RETRY_MS = 2000;

async function serverConfig(): Promise<ServerConfig> {
  const fallback: ServerConfig = { peerPath: '/peerjs', peerKey: 'swarm', iceServers: [] };
  try {
    const r = await fetch('/swarm-config.json');
    if (!r.ok) return fallback;
    const j = (await r.json()) as Partial<ServerConfig>;
    return {
      peerPath: typeof j.peerPath === 'string' ? j.peerPath : fallback.peerPath,
      peerKey: typeof j.peerKey === 'string' ? j.peerKey : fallback.peerKey,
      iceServers: Array.isArray(j.iceServers) ? j.iceServers : [],
    };
  } catch {
    return fallback;
  }
}

function peerInit(sc: ServerConfig, id?: string) {
  const secure = location.protocol === 'https:';
  const port = location.port === '' ? (secure ? 443 : 80) : Number(location.port);
  return { id, host: location.hostname, port, path: sc.peerPath, secure, key: sc.peerKey, iceServers: sc.iceServers };
}

export async function joinRoom(init: JoinInit): Promise<Membership> {
  const sc = await serverConfig();
  if (init.role !== 'worker') {
    try {
      const net = await createPeerJsTransport(peerInit(sc, init.coordinatorId));
      return await startCoordinator(init, net, sc);
    } catch (e) {
      const taken = e instanceof TransportError && e.kind === 'unavailable-id';
      if (!taken) throw e;
      if (init.role === 'coordinator') throw new Error(`room ${init.room} already has a coordinator`);
    }
  }
  const net = await createPeerJsTransport(peerInit(sc));
  const admitted = createAuthenticatedTransport(net, { key: init.roomKey });
  const worker = dasoWorker(init, admitted);
  worker.host.subscribe(init.onChange);
  try {
    await connectWithRetry(worker, init.connectTimeoutMs);
  } catch (e) {
    await admitted.close();
    throw e;
  }
  return { role: 'worker', transport: admitted, worker, remoteStats: () => net.stats() };
}

async function connectWithRetry(worker: WorkerRuntime, onceWithinMs?: number): Promise<void> {
  const attempts = onceWithinMs === undefined ? WORKER_CONNECT_ATTEMPTS : 1;
  for (let attempt = 1; ; attempt++) {
    try {
      await worker.start(AbortSignal.timeout(onceWithinMs ?? 15_000));
      return;
    } catch (e) {
      worker.stop();
      if (e instanceof TransportError && e.kind === 'unauthenticated') throw new Error(`the room refused this tab: ${e.message}. Open the join link or scan the QR code shown on the coordinator's screen (the key is the part after '#').`);
      if (attempt >= attempts) throw new Error(`could not reach the coordinator: ${String(e)}`);
      worker.host.log('warn', `coordinator not reachable yet (${String(e)}); retrying`);
      await new Promise((r) => setTimeout(r, WORKER_RETRY_MS));
    }
  }
}

/**
 * A worker on `transport`, with DASO's link emulation when asked for: sends to workers of other groups cross
 * an emulated slow link (latency + bandwidth cap) once the plan names the groups.
 */
function dasoWorker(init: JoinInit, transport: Transport): WorkerRuntime {
  const profile = init.emulateGlobalLink ?? null;
  const base = { coordinator: init.coordinatorId, room: init.room, device: init.device, dataset: init.dataset };
  if (profile === null || init.config.algo !== 'daso') return new WorkerRuntime({ ...base, transport });
  const links = new GroupLinks(transport.self, profile);
  return new WorkerRuntime({ ...base, transport: createEmulatedTransport(transport, { links: (p) => links.profileFor(p) }), groupListener: links });
}

async function startCoordinator(init: JoinInit, net: Transport, sc: ServerConfig): Promise<Membership> {
  const hub = createMemoryHub();
  const local = hub.createTransport(init.coordinatorId);
  // The in-tab link to its own worker needs no admission; every PeerJS link does.
  const transport = createUnionTransport(init.coordinatorId, [createAuthenticatedTransport(net, { key: init.roomKey }), local]);
  const coordinator = new CoordinatorRuntime({
    transport, room: init.room, config: init.config, minPeers: init.minPeers, autostart: init.autostart, dataset: init.dataset,
    ...(init.daso === undefined ? {} : { daso: init.daso }),
    ...(init.dho2 === undefined ? {} : { dho2: init.dho2 }),
    ...(init.kfac === undefined ? {} : { kfac: init.kfac }),
    ...(init.resume === undefined ? {} : { resume: init.resume }),
    ...(init.onCheckpoint === undefined ? {} : { onCheckpoint: init.onCheckpoint }),
  });
  coordinator.host.subscribe(init.onChange);
  coordinator.start();
  // DASO workers talk to each other directly, so the coordinator tab's own worker needs a PeerJS id of its
  // own (still `<coordinator>-w`, the id the coordinator treats as its local worker); other algos stay in-tab.
  const localId = peerIdFrom(`${init.coordinatorId}-w`);
  const workerTransport = init.config.algo === 'daso' ? createAuthenticatedTransport(await createPeerJsTransport(peerInit(sc, localId)), { key: init.roomKey }) : hub.createTransport(localId);
  const localWorker = dasoWorker(init, workerTransport);
  localWorker.start().catch((e: unknown) => { coordinator.host.log('error', `local worker failed: ${String(e)}`); });
  return { role: 'coordinator', transport, coordinator, localWorker, remoteStats: () => net.stats() };
}
