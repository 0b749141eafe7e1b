/**
 * contract.html: runs the transport contract (src/transport/contract.ts) on PeerJS transports, several
 * Peer objects in this one page, against a real PeerServer. Results land on `window.contractResults`
 * (and `window.contractDone` turns true) for e2e/transport-contract.spec.ts; they are also listed on the page.
 *
 * URL parameters: peerHost, peerPort, peerPath, key (defaults: this page's host and port, '/peerjs',
 * 'swarm'), grep (run only cases whose name contains it).
 */
import { peerIdFrom, type PeerId } from '../core/ids.ts';
import { describeTransportContract } from '../transport/contract.ts';
import { Recorder, check, checkBytes, checkEqual, checkRejects, lcg, makeMessage, sleep, type ContractFixture, type ContractHarness } from '../transport/contract-kit.ts';
import { TransportError } from '../transport/transport.ts';
import { createPeerJsTransport, type PeerJsTransport, type PeerJsTransportInit } from '../transport/peerjs.ts';

/** One case's outcome. */
export interface ContractResult {
  readonly name: string;
  readonly ok: boolean;
  readonly error: string | null;
  readonly ms: number;
}

declare global {
  interface Window {
    contractResults?: ContractResult[];
    contractDone?: boolean;
  }
}

/** A case that has not finished by then failed (the slowest, peer-unavailable, waits ~10 s for the server). */
const CASE_TIMEOUT_MS = 60_000;

function serverInit(params: URLSearchParams): Omit<PeerJsTransportInit, 'id'> {
  const secure = location.protocol === 'https:';
  const defaultPort = location.port === '' ? (secure ? 443 : 80) : Number(location.port);
  return {
    host: params.get('peerHost') ?? location.hostname,
    port: Number(params.get('peerPort') ?? defaultPort),
    path: params.get('peerPath') ?? '/peerjs',
    key: params.get('key') ?? 'swarm',
    secure,
    iceServers: [],
  };
}

function randomTag(): string {
  return Math.random().toString(36).slice(2, 10);
}

function peerJsFixture(server: Omit<PeerJsTransportInit, 'id'>): () => Promise<ContractFixture> {
  return () => {
    const tag = randomTag();
    const made: PeerJsTransport[] = [];
    let n = 0;
    return Promise.resolve<ContractFixture>({
      create: async (id?: PeerId) => {
        const t = await createPeerJsTransport({ ...server, id: id ?? `ct-${tag}-${n++}` });
        made.push(t);
        return t;
      },
      injectRaw: (from, to, bytes) => {
        const sender = made.find((t) => t === from);
        if (!sender) throw new Error('injectRaw: unknown sender');
        sender.sendRawForTest(to.self, bytes);
      },
      unknownId: () => peerIdFrom(`ct-${tag}-nobody`),
      dispose: async () => {
        await Promise.all(made.map((t) => t.close()));
      },
      timeoutMs: 20_000,
      settleMs: 300,
    });
  };
}

/**
 * Two PeerJS transports stream messages of random sizes both ways; a's link to b is resumed (as if stuck)
 * while messages are in flight. Every message must arrive whole, once, in send order, and neither side may
 * see the link go down.
 */
async function resumeMidStream(a: PeerJsTransport, b: PeerJsTransport): Promise<void> {
  const ra = new Recorder(a, 20_000);
  const rb = new Recorder(b, 20_000);
  await a.connect(b.self);
  await ra.untilEvent('peer-connected', b.self);
  await rb.untilEvent('peer-connected', a.self);
  const rand = lcg(777);
  const sizes = Array.from({ length: 120 }, (_, i) => rand(i % 4 === 0 ? 300_000 : 5_000));
  const sends: Promise<void>[] = [];
  sizes.forEach((n, i) => {
    sends.push(a.send(b.self, makeMessage(i, n)), b.send(a.self, makeMessage(1000 + i, n)));
  });
  await rb.untilMessages(a.self, 10);
  check(a.resumeForTest(b.self), 'a started a resume');
  await Promise.all(sends);
  await rb.untilMessages(a.self, sizes.length);
  await ra.untilMessages(b.self, sizes.length);
  await sleep(300);
  checkEqual(rb.messagesFrom(a.self).length, sizes.length, 'messages a → b');
  checkEqual(ra.messagesFrom(b.self).length, sizes.length, 'messages b → a');
  sizes.forEach((n, i) => {
    checkBytes(rb.message(a.self, i), makeMessage(i, n), `a → b message ${i}`);
    checkBytes(ra.message(b.self, i), makeMessage(1000 + i, n), `b → a message ${i}`);
  });
  checkEqual(ra.count('peer-disconnected', b.self) + rb.count('peer-disconnected', a.self), 0, 'link drops');
  const resumed = (r: Recorder): boolean => r.events.some((e) => e.type === 'notice' && e.text.includes('resumed on a new connection'));
  check(resumed(ra) && resumed(rb), 'both sides report the resume');
}

function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`case timed out after ${ms} ms`)); }, ms);
    p.then(
      () => { clearTimeout(timer); resolve(); },
      (e: unknown) => { clearTimeout(timer); reject(e instanceof Error ? e : new Error(String(e))); },
    );
  });
}

function show(result: ContractResult): void {
  const li = document.createElement('li');
  li.className = result.ok ? 'ok' : 'fail';
  li.textContent = `${result.name} (${result.ms.toFixed(0)} ms)${result.error === null ? '' : `: ${result.error}`}`;
  document.getElementById('results')?.append(li);
}

async function main(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const grep = params.get('grep') ?? '';
  const cases: { name: string; fn: () => Promise<void> }[] = [];
  const harness: ContractHarness = { test: (name, fn) => { if (name.includes(grep)) cases.push({ name, fn }); } };
  const server = serverInit(params);
  describeTransportContract('peerjs', harness, peerJsFixture(server));
  harness.test('peerjs: rejects with server-error when the signalling server is unreachable', async () => {
    // Nothing listens on this high loopback port on the test machines: connections are refused at once.
    const unreachable = { ...server, host: '127.0.0.1', port: 65_533 };
    const isServerError = (e: unknown): boolean => e instanceof TransportError && e.kind === 'server-error';
    // With an id PeerJS opens the WebSocket directly; without one it first fetches an id over HTTP.
    for (const id of [`ct-${randomTag()}-lost`, undefined]) {
      await checkRejects(createPeerJsTransport({ ...unreachable, id }), isServerError, `create with id ${String(id)}`);
    }
  });
  harness.test('peerjs: a link resumed on a fresh connection mid-stream delivers every message whole, once, in order, both ways', async () => {
    const tag = randomTag();
    const a = await createPeerJsTransport({ ...server, id: `ct-${tag}-resume-a` });
    const b = await createPeerJsTransport({ ...server, id: `ct-${tag}-resume-b` });
    try {
      await resumeMidStream(a, b);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
  const results: ContractResult[] = [];
  window.contractResults = results;
  for (const c of cases) {
    const start = performance.now();
    let error: string | null = null;
    try {
      await withTimeout(c.fn(), CASE_TIMEOUT_MS);
    } catch (e: unknown) {
      error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    }
    const result = { name: c.name, ok: error === null, error, ms: performance.now() - start };
    results.push(result);
    show(result);
    console.log(`${result.ok ? 'ok' : 'FAIL'} ${result.name} (${result.ms.toFixed(0)} ms)${error === null ? '' : `: ${error}`}`);
  }
  const failed = results.filter((r) => !r.ok).length;
  const status = document.getElementById('status');
  if (status) status.textContent = `${results.length - failed} passed, ${failed} failed`;
  window.contractDone = true;
}

void main();
