/**
 * `startServer`: the whole swarm server in one process on one port, for main.ts, Playwright and the
 * benchmark runner. http and https share the port (first-byte sniffing); both reach the same express app
 * and the same PeerServer realm.
 */
import { stat } from 'node:fs/promises';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { isIP, type AddressInfo } from 'node:net';
import type { TlsSource } from './cli-args.ts';
import { SERVER_DEFAULTS } from './defaults.ts';
import type { IceServerConfig } from './ice-servers.ts';
import { listLanIPv4 } from './lan-addresses.ts';
import { mountPeerServer } from './peer-signalling.ts';
import { createSniffingServer } from './sniff-server.ts';
import { staticFiles } from './static-files.ts';
import { createSwarmApp } from './swarm-app.ts';
import { ensureSelfSignedCertificate, loadCertificateFiles, type TlsMaterial } from './tls-cert.ts';

/** Options for `startServer`; every field has a default (SERVER_DEFAULTS). */
export interface StartServerInit {
  /** 0 picks a free port; read the chosen one from the result. */
  readonly port?: number;
  readonly host?: string;
  readonly distDir?: string;
  readonly peerKey?: string;
  readonly iceServers?: readonly IceServerConfig[];
  readonly tls?: TlsSource;
  readonly maxConnPerIp?: number;
  /** LAN IPv4 addresses to advertise and put in the certificate (default: detected). */
  readonly lanAddresses?: readonly string[];
  /** PeerServer errors (bad frames from clients); default: ignored. */
  readonly onPeerError?: (error: Error) => void;
}

/** A listening server. */
export interface RunningServer {
  readonly port: number;
  readonly host: string;
  /** The LAN addresses reachable through `host` (empty when bound to one non-LAN address). */
  readonly lanAddresses: readonly string[];
  readonly peerPath: string;
  readonly peerKey: string;
  readonly iceServers: readonly IceServerConfig[];
  /** Where the certificate came from and what it covers (no key material). */
  readonly tls: Omit<TlsMaterial, 'key' | 'cert'>;
  /** Stops listening and ends every connection, WebSockets included. Idempotent. */
  close(): Promise<void>;
}

/** The folder to serve does not exist: the app has not been built. */
export class DistMissingError extends Error {
  static readonly NAME = 'DistMissingError';
  constructor(readonly distDir: string) {
    super(`${distDir} does not exist or is not a folder: run npm run build first`);
    this.name = DistMissingError.NAME;
  }
}

const WILDCARD_HOSTS: readonly string[] = ['0.0.0.0', '::', ''];
/** Idle keep-alive sockets are closed after this long; WebSockets are exempt (ws clears the timeout). */
const IDLE_SOCKET_TIMEOUT_MS = 120_000;

async function assertDist(distDir: string): Promise<void> {
  const info = await stat(distDir).catch(() => undefined);
  if (info?.isDirectory() !== true) throw new DistMissingError(distDir);
}

function reachableLan(host: string, lan: readonly string[]): readonly string[] {
  if (WILDCARD_HOSTS.includes(host)) return lan;
  return lan.filter((ip) => ip === host);
}

async function loadTls(source: TlsSource, ips: readonly string[]): Promise<TlsMaterial> {
  if (source.kind === 'files') return loadCertificateFiles(source.certFile, source.keyFile);
  return ensureSelfSignedCertificate({ dir: source.dir, ips });
}

function listen(server: ReturnType<typeof createSniffingServer>['server'], port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: { close(cb: () => void): unknown }): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => {
      resolve();
    });
  });
}

/**
 * Starts the server and resolves once it listens. Rejects with DistMissingError when `distDir` is missing,
 * CertificateError for unusable --cert/--key, or the listen error (EADDRINUSE...).
 * @example const s = await startServer({ port: 0, host: '127.0.0.1' }); ...; await s.close();
 */
export async function startServer(init: StartServerInit = {}): Promise<RunningServer> {
  const host = init.host ?? SERVER_DEFAULTS.host;
  const distDir = init.distDir ?? SERVER_DEFAULTS.distDir;
  await assertDist(distDir);
  const lan = reachableLan(host, init.lanAddresses ?? listLanIPv4());
  const certIps = isIP(host) !== 0 && !WILDCARD_HOSTS.includes(host) ? [...lan, host] : lan;
  const material = await loadTls(init.tls ?? { kind: 'self-signed', dir: SERVER_DEFAULTS.tlsDir }, certIps);
  const config = { peerPath: SERVER_DEFAULTS.peerPath, peerKey: init.peerKey ?? SERVER_DEFAULTS.peerKey, iceServers: init.iceServers ?? [] };

  const app = createSwarmApp(config);
  const http = createHttpServer(app);
  const https = createHttpsServer({ cert: material.cert, key: material.key }, app);
  const inner: readonly (HttpServer | HttpsServer)[] = [http, https];
  const peer = mountPeerServer(app, { path: config.peerPath, key: config.peerKey, servers: inner, onError: init.onPeerError });
  app.use(staticFiles(distDir));
  app.use((_req, res) => {
    res.status(404).type('text/plain').send('Not found');
  });
  const maxConnPerIp = init.maxConnPerIp ?? SERVER_DEFAULTS.maxConnPerIp;
  let lastRefusalNote = -Infinity;
  const onRefused = (address: string): void => {
    // A refused tab just fails to load or to reach the PeerServer: say why, at most once a minute.
    if (Date.now() - lastRefusalNote < 60_000) return;
    lastRefusalNote = Date.now();
    console.warn(`swarm server: refused a connection from ${address}: it already holds ${maxConnPerIp} (raise --max-conn-per-ip)`);
  };
  const sniff = createSniffingServer({ http, https, maxConnPerIp, onRefused });
  const port = await listen(sniff.server, init.port ?? SERVER_DEFAULTS.port, host);
  for (const s of inner) {
    s.timeout = IDLE_SOCKET_TIMEOUT_MS;
    // They never listen themselves; 'listening' starts their header/request timeout checks (slow clients).
    s.emit('listening');
  }

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      peer.close();
      const done = closeServer(sniff.server);
      sniff.destroyAll();
      await Promise.all([done, ...inner.map((s) => closeServer(s))]);
    })();
    return closing;
  };
  const { key: _key, cert: _cert, ...tlsInfo } = material;
  return { port, host, lanAddresses: lan, ...config, tls: tlsInfo, close };
}
