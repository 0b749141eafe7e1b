/**
 * The PeerJS signalling server (`peer` 1.0.2), mounted into our express app. Its WebSocket server runs in
 * `noServer` mode and takes upgrades from BOTH the http and the https server, so a browser on ws:// and
 * one on wss:// share one realm and can reach each other.
 */
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { Express } from 'express';
import { ExpressPeerServer } from 'peer';
import { WebSocketServer } from 'ws';

/**
 * Largest signalling frame accepted. PeerJS frames carry one SDP offer/answer or ICE candidate (a few KiB);
 * 64 KiB leaves room for connection metadata while stopping the `ws` default of 100 MiB per message.
 */
export const MAX_SIGNAL_MESSAGE_BYTES = 64 * 1024;

/** Settings for `mountPeerServer`. */
export interface PeerSignallingInit {
  /** Mount path in the express app, e.g. '/peerjs' (the WebSocket then lives at '/peerjs/peerjs'). */
  readonly path: string;
  readonly key: string;
  /** Servers whose 'upgrade' events may carry PeerJS WebSockets (the http and the https server). */
  readonly servers: readonly (HttpServer | HttpsServer)[];
  /** Called for errors the PeerServer reports (bad frames, socket errors); they never crash the process. */
  readonly onError?: (error: Error) => void;
}

/** A mounted PeerServer. */
export interface PeerSignalling {
  /** The WebSocket path, e.g. '/peerjs/peerjs'. */
  readonly wsPath: string;
  /** Number of open signalling WebSockets. */
  clientCount(): number;
  /** Closes every signalling WebSocket and stops taking upgrades. */
  close(): void;
}

/** Thrown if `peer` did not build its WebSocket server while mounting (a version mismatch). */
export class PeerMountError extends Error {
  static readonly NAME = 'PeerMountError';
  constructor(message = 'the peer package did not create its WebSocket server on mount') {
    super(message);
    this.name = PeerMountError.NAME;
  }
}

/** Mounts the PeerServer at `init.path` in `app` and wires WebSocket upgrades from every server. */
export function mountPeerServer(app: Express, init: PeerSignallingInit): PeerSignalling {
  const [first] = init.servers;
  if (first === undefined) throw new PeerMountError('mountPeerServer needs at least one server');
  let wss: WebSocketServer | undefined;
  const peer = ExpressPeerServer(first, {
    key: init.key,
    path: '/',
    allow_discovery: false,
    createWebSocketServer: (options) => {
      wss = new WebSocketServer({ noServer: true, path: options.path, maxPayload: MAX_SIGNAL_MESSAGE_BYTES });
      return wss;
    },
  });
  // peer re-emits ws errors and unparsable frames as 'error'; an EventEmitter with no listener would throw.
  peer.on('error', (e) => init.onError?.(e));
  app.use(init.path, peer); // 'mount' fires here and peer builds its WebSocket server
  const server = wss;
  if (server === undefined) throw new PeerMountError();
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (!server.shouldHandle(req)) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    server.handleUpgrade(req, socket, head, (ws) => server.emit('connection', ws, req));
  };
  for (const s of init.servers) s.on('upgrade', onUpgrade);
  return {
    wsPath: server.options.path ?? '',
    clientCount: () => server.clients.size,
    close: () => {
      for (const s of init.servers) s.off('upgrade', onUpgrade);
      for (const ws of server.clients) ws.terminate();
      server.close();
    },
  };
}
