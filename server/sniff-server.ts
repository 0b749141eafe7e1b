/**
 * One TCP port for both http and https: a net.Server peeks at the first byte of each connection
 * (0x16 opens a TLS handshake record) and hands the socket, byte put back, to the https or the http server.
 * It also caps concurrent connections per remote address and drops connections that never speak.
 */
import { createServer, type Server, type Socket } from 'node:net';

/** The first byte of a TLS record carrying a handshake (ClientHello). */
const TLS_HANDSHAKE_BYTE = 0x16;
/** A client that sends nothing for this long after connecting is dropped (slow-open / idle sockets). */
const FIRST_BYTE_TIMEOUT_MS = 10_000;

/** Something that accepts raw connections: http.Server and https.Server both do (`emit('connection')`). */
export interface ConnectionSink {
  emit(event: 'connection', socket: Socket): boolean;
}

/** Settings for `createSniffingServer`. */
export interface SniffingServerInit {
  readonly http: ConnectionSink;
  readonly https: ConnectionSink;
  /** Concurrent connections allowed per remote address; the next one is closed at once. */
  readonly maxConnPerIp: number;
  readonly firstByteTimeoutMs?: number;
  /** Told about each connection closed for going over maxConnPerIp (to explain tabs that cannot connect). */
  readonly onRefused?: (address: string) => void;
}

/** The listening socket plus a way to end every connection it accepted. */
export interface SniffingServer {
  readonly server: Server;
  /** Open connections per remote address (for tests and diagnostics). */
  connectionsFrom(address: string): number;
  /** Destroys every accepted connection (used by close: keep-alive and WebSockets would hold it open). */
  destroyAll(): void;
}

/** Folds IPv4-mapped IPv6 (`::ffff:1.2.3.4`) into plain IPv4 so one host counts once. */
function addressKey(remote: string | undefined): string {
  const a = remote ?? 'unknown';
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice('::ffff:'.length) : a;
}

function route(socket: Socket, init: SniffingServerInit, onIdle: () => void): void {
  socket.setTimeout(0);
  socket.off('timeout', onIdle);
  const head: unknown = socket.read(1);
  if (!(head instanceof Buffer)) {
    socket.destroy();
    return;
  }
  socket.unshift(head);
  const target = head[0] === TLS_HANDSHAKE_BYTE ? init.https : init.http;
  target.emit('connection', socket);
}

/** Creates the port-sharing server (not yet listening). */
export function createSniffingServer(init: SniffingServerInit): SniffingServer {
  const perAddress = new Map<string, number>();
  const sockets = new Set<Socket>();
  const release = (key: string): void => {
    const n = (perAddress.get(key) ?? 1) - 1;
    if (n <= 0) perAddress.delete(key);
    else perAddress.set(key, n);
  };
  const server = createServer((socket) => {
    const key = addressKey(socket.remoteAddress);
    const count = perAddress.get(key) ?? 0;
    if (count >= init.maxConnPerIp) {
      socket.destroy();
      init.onRefused?.(key);
      return;
    }
    perAddress.set(key, count + 1);
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      release(key);
    });
    // Errors before the hand-off (resets, timeouts) must not crash the process; http/https add their own.
    socket.on('error', () => undefined);
    const onIdle = (): void => {
      socket.destroy();
    };
    socket.setTimeout(init.firstByteTimeoutMs ?? FIRST_BYTE_TIMEOUT_MS, onIdle);
    socket.once('readable', () => {
      route(socket, init, onIdle);
    });
  });
  return {
    server,
    connectionsFrom: (address) => perAddress.get(addressKey(address)) ?? 0,
    destroyAll: () => {
      for (const s of sockets) s.destroy();
    },
  };
}
