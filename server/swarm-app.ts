/**
 * The express app behind both the http and the https server: `/healthz`, `/swarm-config.json`, then
 * (added by start.ts) the PeerServer and the static files.
 */
import express, { type Express } from 'express';
import type { IceServerConfig } from './ice-servers.ts';

/** What browsers read from `GET /swarm-config.json` to find the signalling server. */
export interface SwarmClientConfig {
  /** PeerJS `path` option, e.g. '/peerjs'. Host, port and secure come from the page's own URL. */
  readonly peerPath: string;
  /** PeerJS `key` option. */
  readonly peerKey: string;
  /** PeerJS `config.iceServers`; [] unless the operator gave --ice-servers. */
  readonly iceServers: readonly IceServerConfig[];
}

/** Creates the app with its two API routes; the caller adds the PeerServer, static files and 404 after. */
export function createSwarmApp(config: SwarmClientConfig): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use((_req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    next();
  });
  app.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ ok: true });
  });
  app.get('/swarm-config.json', (_req, res) => {
    res.set('Cache-Control', 'no-store').json(config);
  });
  return app;
}
