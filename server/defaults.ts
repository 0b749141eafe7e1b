/**
 * Defaults for the one-process swarm server, shared by the CLI parser and `startServer`.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (the parent of server/); default folders are resolved against it, not the cwd. */
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Default values for every server option. */
export const SERVER_DEFAULTS = {
  /** One port for http, https and WebSockets. 8080 needs no root and is rarely taken by system services. */
  port: 8080,
  /** All IPv4 interfaces, so phones on the LAN can reach the server. */
  host: '0.0.0.0',
  /** Shared PeerServer key; it only separates swarms, it is not a secret. */
  peerKey: 'swarm',
  /** Where the PeerServer is mounted (clients use `path: '/peerjs'`). */
  peerPath: '/peerjs',
  /**
   * Concurrent TCP connections one remote address may hold. A tab uses about 2-7 (page, assets, PeerServer
   * WebSocket), and a classroom behind one NAT router shares one address: 256 fits ~40 devices while still
   * stopping one host from exhausting the server's sockets.
   */
  maxConnPerIp: 256,
  /** The built app (`npm run build` writes it). */
  distDir: join(REPO_ROOT, 'dist'),
  /** Where the self-signed certificate is kept (gitignored). */
  tlsDir: join(REPO_ROOT, '.swarm', 'tls'),
} as const;
