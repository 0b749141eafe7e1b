import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, type RawData } from 'ws';
import { MAX_SIGNAL_MESSAGE_BYTES } from './peer-signalling.ts';
import { DistMissingError, startServer, type RunningServer } from './start.ts';

interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** GET over http or https (self-signed accepted) with Node's own clients. */
function get(url: string): Promise<Reply> {
  const request = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { rejectUnauthorized: false, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** A ws frame as JSON (text frames arrive as Buffers). */
function json(data: RawData): unknown {
  const bytes = Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? Buffer.from(data) : data;
  return JSON.parse(bytes.toString('utf8'));
}

/** Opens a PeerJS signalling socket and resolves with it and its first message. */
function openPeer(base: string, id: string): Promise<{ ws: WebSocket; first: unknown; next: () => Promise<unknown> }> {
  const ws = new WebSocket(`${base}/peerjs/peerjs?key=swarm&id=${id}&token=t-${id}`, { rejectUnauthorized: false });
  const queue: unknown[] = [];
  const waiters: ((m: unknown) => void)[] = [];
  ws.on('message', (data) => {
    const m = json(data);
    const w = waiters.shift();
    if (w) w(m);
    else queue.push(m);
  });
  const next = (): Promise<unknown> =>
    queue.length > 0 ? Promise.resolve(queue.shift()) : new Promise((resolve) => waiters.push(resolve));
  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    void next().then((first) => {
      resolve({ ws, first, next });
    });
  });
}

let dir: string;
let server: RunningServer;
let http: string;
let https: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swarm-start-'));
  const dist = join(dir, 'dist');
  await mkdir(join(dist, 'assets'), { recursive: true });
  await writeFile(join(dist, 'index.html'), '<!doctype html><title>swarm test</title>');
  await writeFile(join(dist, 'assets', 'main-AbC123_x.js'), 'console.log(1)');
  await writeFile(join(dist, 'tfjs-backend-wasm-simd.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d]));
  server = await startServer({
    port: 0,
    host: '127.0.0.1',
    distDir: dist,
    tls: { kind: 'self-signed', dir: join(dir, 'tls') },
    lanAddresses: [],
  });
  http = `http://127.0.0.1:${server.port}`;
  https = `https://127.0.0.1:${server.port}`;
});

afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('startServer', () => {
  it('listens on a free port and answers http and https on that same port', async () => {
    expect(server.port).toBeGreaterThan(0);
    const plain = await get(`${http}/`);
    const secure = await get(`${https}/`);
    expect(plain.status).toBe(200);
    expect(secure.status).toBe(200);
    expect(plain.body).toContain('swarm test');
    expect(secure.body).toBe(plain.body);
  });

  it('serves /swarm-config.json with the peer path, key and no ICE servers by default', async () => {
    const r = await get(`${https}/swarm-config.json`);
    expect(r.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(r.body)).toEqual({ peerPath: '/peerjs', peerKey: 'swarm', iceServers: [] });
  });

  it('answers /healthz and 404s unknown paths', async () => {
    expect(JSON.parse((await get(`${http}/healthz`)).body)).toEqual({ ok: true });
    expect((await get(`${http}/nope.txt`)).status).toBe(404);
  });

  it('caches hashed assets for a year, revalidates the rest, serves wasm as application/wasm', async () => {
    const asset = await get(`${http}/assets/main-AbC123_x.js`);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const index = await get(`${http}/index.html`);
    expect(index.headers['cache-control']).toBe('no-cache');
    const wasm = await get(`${http}/tfjs-backend-wasm-simd.wasm`);
    expect(wasm.headers['content-type']).toBe('application/wasm');
    expect(wasm.headers['cache-control']).toBe('no-cache');
  });

  it('keeps PeerServer discovery off', async () => {
    expect((await get(`${http}/peerjs/swarm/peers`)).status).toBe(401);
  });

  it('accepts PeerJS sockets over ws and wss, and they can signal each other', async () => {
    const a = await openPeer(`ws://127.0.0.1:${server.port}`, 'alice');
    const b = await openPeer(`wss://127.0.0.1:${server.port}`, 'bob');
    expect(a.first).toEqual({ type: 'OPEN' });
    expect(b.first).toEqual({ type: 'OPEN' });
    a.ws.send(JSON.stringify({ type: 'OFFER', dst: 'bob', payload: { sdp: 'x' } }));
    expect(await b.next()).toEqual({ type: 'OFFER', src: 'alice', dst: 'bob', payload: { sdp: 'x' } });
    b.ws.send(JSON.stringify({ type: 'ANSWER', dst: 'alice', payload: { sdp: 'y' } }));
    expect(await a.next()).toEqual({ type: 'ANSWER', src: 'bob', dst: 'alice', payload: { sdp: 'y' } });
    a.ws.close();
    b.ws.close();
  });

  it('rejects a wrong key and closes sockets that send oversized frames', async () => {
    const bad = new WebSocket(`ws://127.0.0.1:${server.port}/peerjs/peerjs?key=nope&id=c&token=t`);
    const msg = await new Promise<unknown>((resolve) => {
      bad.once('message', (d) => {
        resolve(json(d));
      });
    });
    expect(msg).toMatchObject({ type: 'ERROR', payload: { msg: 'Invalid key provided' } });
    const big = await openPeer(`ws://127.0.0.1:${server.port}`, 'big');
    const code = new Promise<number>((resolve) => big.ws.once('close', resolve));
    big.ws.send('x'.repeat(MAX_SIGNAL_MESSAGE_BYTES + 1));
    expect(await code).toBe(1009); // 1009 = message too big
  });

  it('refuses WebSocket upgrades on other paths', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/elsewhere`);
    const error = await new Promise<Error>((resolve) => ws.once('error', resolve));
    expect(error.message).toContain('404');
  });
});

describe('startServer options', () => {
  it('sends the configured ICE servers and peer key to browsers', async () => {
    const iceServers = [{ urls: 'turn:turn.example:3478', username: 'u', credential: 'p' }];
    const s = await startServer({
      port: 0,
      host: '127.0.0.1',
      distDir: join(dir, 'dist'),
      tls: { kind: 'self-signed', dir: join(dir, 'tls') },
      lanAddresses: [],
      peerKey: 'room-7',
      iceServers,
    });
    try {
      const r = await get(`http://127.0.0.1:${s.port}/swarm-config.json`);
      expect(JSON.parse(r.body)).toEqual({ peerPath: '/peerjs', peerKey: 'room-7', iceServers });
      expect(s.tls.origin).toBe('cached'); // same names as the first server: the stored certificate is reused
    } finally {
      await s.close();
    }
  });

  it('fails with DistMissingError (telling to build) when the folder is missing', async () => {
    const missing = startServer({ port: 0, host: '127.0.0.1', distDir: join(dir, 'no-dist') });
    await expect(missing).rejects.toBeInstanceOf(DistMissingError);
    await expect(missing).rejects.toThrow('run npm run build first');
  });

  it('rejects when the port is taken', async () => {
    const taken = startServer({ port: server.port, host: '127.0.0.1', distDir: join(dir, 'dist'), tls: { kind: 'self-signed', dir: join(dir, 'tls') } });
    await expect(taken).rejects.toThrow('EADDRINUSE');
  });

  it('closes idempotently and stops answering', async () => {
    const s = await startServer({ port: 0, host: '127.0.0.1', distDir: join(dir, 'dist'), tls: { kind: 'self-signed', dir: join(dir, 'tls') }, lanAddresses: [] });
    const peer = await openPeer(`ws://127.0.0.1:${s.port}`, 'z');
    const closed = new Promise<void>((resolve) => {
      peer.ws.once('close', () => {
        resolve();
      });
    });
    await Promise.all([s.close(), s.close()]);
    await closed;
    await expect(get(`http://127.0.0.1:${s.port}/healthz`)).rejects.toThrow('ECONNREFUSED');
  });
});
