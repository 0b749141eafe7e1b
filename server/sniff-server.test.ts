import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createSniffingServer, type ConnectionSink, type SniffingServer } from './sniff-server.ts';

/** A sink that reads everything the first client handed to it sends, until that client ends. */
function recordingSink(): ConnectionSink & { readonly received: Promise<Buffer> } {
  let deliver: (b: Buffer) => void = () => undefined;
  const received = new Promise<Buffer>((resolve) => (deliver = resolve));
  return {
    received,
    emit: (_event, socket) => {
      const chunks: Buffer[] = [];
      socket.on('data', (b: Buffer) => chunks.push(b));
      socket.once('end', () => {
        deliver(Buffer.concat(chunks));
      });
      return true;
    },
  };
}

const open = new Set<Socket>();
let sniff: SniffingServer | undefined;

async function listen(init: Parameters<typeof createSniffingServer>[0]): Promise<number> {
  sniff = createSniffingServer(init);
  const server = sniff.server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

function dial(port: number): Promise<Socket> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => {
      resolve(s);
    });
    s.on('error', () => undefined);
    open.add(s);
  });
}

function closed(s: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (s.destroyed) resolve();
    else s.once('close', () => {
      resolve();
    });
  });
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5)); // up to ~1 s
  expect(check()).toBe(true);
}

afterEach(async () => {
  for (const s of open) s.destroy();
  open.clear();
  sniff?.destroyAll();
  const server = sniff?.server;
  if (server?.listening === true) await new Promise((r) => server.close(r));
});

describe('createSniffingServer', () => {
  it('hands a TLS ClientHello to https and anything else to http, first byte intact', async () => {
    const http = recordingSink();
    const https = recordingSink();
    const port = await listen({ http, https, maxConnPerIp: 8 });
    (await dial(port)).end(Buffer.from([0x16, 0x03, 0x01, 0x02]));
    (await dial(port)).end('GET / HTTP/1.1\r\n\r\n');
    expect([...(await https.received)]).toEqual([0x16, 0x03, 0x01, 0x02]);
    expect((await http.received).toString()).toBe('GET / HTTP/1.1\r\n\r\n');
  });

  it('refuses the N+1th concurrent connection from one address, and accepts again after one closes', async () => {
    const http = recordingSink();
    const refused: string[] = [];
    const port = await listen({ http, https: recordingSink(), maxConnPerIp: 2, onRefused: (addr) => { refused.push(addr); } });
    const a = await dial(port);
    await dial(port);
    await until(() => sniff?.connectionsFrom('127.0.0.1') === 2);
    const third = await dial(port);
    await closed(third); // destroyed by the server without a byte
    expect(sniff?.connectionsFrom('127.0.0.1')).toBe(2);
    expect(refused).toEqual(['127.0.0.1']); // reported, so the server can say why a tab cannot connect
    a.destroy();
    await until(() => sniff?.connectionsFrom('127.0.0.1') === 1);
    const fourth = await dial(port);
    fourth.end('GET /');
    expect((await http.received).toString()).toBe('GET /');
  });

  it('drops a connection that never sends a byte', async () => {
    const port = await listen({ http: recordingSink(), https: recordingSink(), maxConnPerIp: 8, firstByteTimeoutMs: 50 });
    const silent = await dial(port);
    await closed(silent);
    await until(() => sniff?.connectionsFrom('127.0.0.1') === 0);
  });

  it('counts IPv4-mapped IPv6 addresses as the IPv4 address', async () => {
    const port = await listen({ http: recordingSink(), https: recordingSink(), maxConnPerIp: 8 });
    await dial(port);
    await until(() => sniff?.connectionsFrom('::ffff:127.0.0.1') === 1);
  });
});
