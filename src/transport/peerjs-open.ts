/**
 * Opens a PeerJS Peer against our own PeerServer and waits until the server accepted its id. Maps PeerJS's
 * error types onto TransportError kinds. Never uses PeerJS's default (public) STUN/TURN servers: the
 * RTCConfiguration always carries `init.iceServers`, which may be empty.
 */
import { Peer, type PeerError, type PeerErrorType, type PeerJSOption } from 'peerjs';
import { isPeerId, peerIdFrom, type PeerId } from '../core/ids.ts';
import { TransportError, type TransportErrorKind } from './transport.ts';

/** Where the signalling server is and how to reach peers. */
export interface PeerJsTransportInit {
  /** Own id; when absent the server assigns one. Must satisfy `isPeerId` (InvalidIdError otherwise). */
  readonly id?: string | undefined;
  readonly host: string;
  readonly port: number;
  /** Mount path of the PeerServer, e.g. '/peerjs'. */
  readonly path: string;
  readonly secure: boolean;
  /** The PeerServer's shared key. */
  readonly key: string;
  /** ICE servers for RTCPeerConnection; [] on a LAN / loopback. */
  readonly iceServers: RTCIceServer[];
  /** PeerJS log level: 0 none … 3 all. */
  readonly debug?: 0 | 1 | 2 | 3;
}

/** Give up on the signalling server after this long (it answers in milliseconds when it is up). */
const OPEN_TIMEOUT_MS = 15_000;

/** TransportError kind for a PeerJS error type. */
export function kindOfPeerError(type: `${PeerErrorType}`): TransportErrorKind {
  switch (type) {
    case 'unavailable-id':
      return 'unavailable-id';
    case 'peer-unavailable':
      return 'peer-unavailable';
    case 'webrtc':
      return 'negotiation-failed';
    case 'browser-incompatible':
    case 'disconnected':
    case 'invalid-id':
    case 'invalid-key':
    case 'network':
    case 'ssl-unavailable':
    case 'server-error':
    case 'socket-error':
    case 'socket-closed':
      return 'server-error';
  }
}

/** Builds the Peer: our server, our ICE servers (never PeerJS's public defaults). */
function createPeer(init: PeerJsTransportInit): Peer {
  const options: PeerJSOption = {
    host: init.host,
    port: init.port,
    path: init.path,
    secure: init.secure,
    key: init.key,
    debug: init.debug ?? 0,
    config: { iceServers: init.iceServers },
  };
  // PeerJS types its options as a class and its log level as an enum, neither exported at run time, so a
  // plain object is the only way to pass them.
  // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment, @typescript-eslint/no-unsafe-enum-assignment
  return init.id === undefined ? new Peer(options) : new Peer(peerIdFrom(init.id), options);
}

/** Creates a Peer and resolves with it and its id once the server has registered it. */
export function openPeer(init: PeerJsTransportInit, signal?: AbortSignal): Promise<{ peer: Peer; id: PeerId }> {
  let peer: Peer;
  try {
    signal?.throwIfAborted();
    peer = createPeer(init);
  } catch (e: unknown) {
    return Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      clearTimeout(timer);
      peer.off('open', onOpen);
      peer.off('error', onError);
      signal?.removeEventListener('abort', onAbort);
    };
    const fail = (e: Error): void => {
      cleanup();
      peer.destroy();
      reject(e);
    };
    const onOpen = (id: string): void => {
      if (!isPeerId(id)) {
        fail(new TransportError('server-error', `server assigned an invalid id ${JSON.stringify(id)}`));
        return;
      }
      cleanup();
      resolve({ peer, id });
    };
    const onError = (e: PeerError<`${PeerErrorType}`>): void => {
      fail(new TransportError(kindOfPeerError(e.type), `PeerJS ${e.type}: ${e.message}`));
    };
    const onAbort = (): void => {
      fail(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    const timer = setTimeout(() => {
      fail(new TransportError('server-error', `signalling server did not answer within ${OPEN_TIMEOUT_MS} ms`));
    }, OPEN_TIMEOUT_MS);
    peer.on('open', onOpen);
    peer.on('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
