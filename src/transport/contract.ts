/**
 * The transport contract: one suite every Transport must pass (libp2p interface-compliance-tests style).
 * It runs on the memory hub under Vitest (memory.test.ts) and on PeerJS in a browser page
 * (src/app/contract-page.ts), so it only uses the harness and fixture interfaces of contract-kit.ts.
 *
 * @example
 * describeTransportContract('memory', { test: (n, fn) => { it(n, fn); } }, async () => makeMemoryFixture());
 */
import { MAX_MESSAGE_BYTES, TransportError, type Transport, type TransportErrorKind } from './transport.ts';
import { CHUNK_HEADER_BYTES } from '../protocol/chunk.ts';
import {
  Recorder,
  check,
  checkBytes,
  checkEqual,
  checkRejects,
  lcg,
  makeMessage,
  sleep,
  type ContractFixture,
  type ContractHarness,
} from './contract-kit.ts';

/** Largest chunk any transport may use (Chromium's SCTP max message size); bounds the header overhead. */
const LARGEST_CHUNK_BYTES = 256 * 1024;
const MIB = 1024 * 1024;

const isKind = (kind: TransportErrorKind) => (e: unknown): boolean => e instanceof TransportError && e.kind === kind;
const isTransportError = (e: unknown): boolean => e instanceof TransportError;

interface Pair {
  readonly a: Transport;
  readonly b: Transport;
  readonly ra: Recorder;
  readonly rb: Recorder;
}

/** Creates two transports, connects a → b, and waits until both sides announced the link. */
async function connectedPair(fx: ContractFixture): Promise<Pair> {
  const a = await fx.create();
  const b = await fx.create();
  const ra = new Recorder(a, fx.timeoutMs);
  const rb = new Recorder(b, fx.timeoutMs);
  await a.connect(b.self);
  await ra.untilEvent('peer-connected', b.self);
  await rb.untilEvent('peer-connected', a.self);
  return { a, b, ra, rb };
}

type Case = (fx: ContractFixture) => Promise<void>;

const CASES: Record<string, Case> = {
  'connects and announces the link on both sides': async (fx) => {
    const { a, b, ra, rb } = await connectedPair(fx);
    check(a.peers().includes(b.self), 'a.peers() lists b');
    check(b.peers().includes(a.self), 'b.peers() lists a');
    await a.connect(b.self);
    await b.connect(a.self);
    await sleep(fx.settleMs);
    checkEqual(ra.count('peer-connected', b.self), 1, 'peer-connected events on a');
    checkEqual(rb.count('peer-connected', a.self), 1, 'peer-connected events on b');
    checkEqual(a.peers().length, 1, 'a.peers() length');
  },

  'simultaneous connects from both sides make one working link': async (fx) => {
    const a = await fx.create();
    const b = await fx.create();
    const ra = new Recorder(a, fx.timeoutMs);
    const rb = new Recorder(b, fx.timeoutMs);
    await Promise.all([a.connect(b.self), b.connect(a.self)]);
    await a.send(b.self, makeMessage(1, 10));
    await b.send(a.self, makeMessage(2, 10));
    await rb.untilMessages(a.self, 1);
    await ra.untilMessages(b.self, 1);
    await sleep(fx.settleMs);
    checkEqual(ra.count('peer-connected', b.self) - ra.count('peer-disconnected', b.self), 1, 'net links on a');
    checkEqual(rb.count('peer-connected', a.self) - rb.count('peer-disconnected', a.self), 1, 'net links on b');
  },

  'messages flow both ways, whole': async (fx) => {
    const { a, b, ra, rb } = await connectedPair(fx);
    await a.send(b.self, makeMessage(7, 1000));
    await b.send(a.self, makeMessage(8, 0));
    await rb.untilMessages(a.self, 1);
    await ra.untilMessages(b.self, 1);
    checkBytes(rb.message(a.self, 0), makeMessage(7, 1000), 'a → b');
    checkBytes(ra.message(b.self, 0), makeMessage(8, 0), 'b → a (empty)');
  },

  'delivers 100 messages of random sizes whole, once, in send order': async (fx) => {
    const { a, b, rb } = await connectedPair(fx);
    const rand = lcg(12345);
    // Sizes straddle the 16 and 64 KiB chunk sizes and the empty message.
    const sizes = Array.from({ length: 100 }, (_, i) => (i % 10 === 0 ? 0 : rand(i % 3 === 0 ? 200_000 : 20_000)));
    await Promise.all(sizes.map((n, i) => a.send(b.self, makeMessage(i, n))));
    await rb.untilMessages(a.self, sizes.length);
    await sleep(fx.settleMs);
    const got = rb.messagesFrom(a.self);
    checkEqual(got.length, sizes.length, 'messages received');
    sizes.forEach((n, i) => {
      checkBytes(rb.message(a.self, i), makeMessage(i, n), `message ${i}`);
    });
  },

  'chunks a 5 MiB message and delivers it intact, counting bytes on both sides': async (fx) => {
    const { a, b, ra, rb } = await connectedPair(fx);
    const before = { a: a.stats(), b: b.stats() };
    const big = makeMessage(99, 5 * MIB);
    await a.send(b.self, big);
    await rb.untilMessages(a.self, 1);
    checkBytes(rb.message(a.self, 0), big, '5 MiB message');
    const sent = a.stats().bytesSent - before.a.bytesSent;
    const received = b.stats().bytesReceived - before.b.bytesReceived;
    const minChunks = Math.ceil(big.byteLength / (LARGEST_CHUNK_BYTES - CHUNK_HEADER_BYTES));
    check(sent >= big.byteLength + minChunks * CHUNK_HEADER_BYTES, `bytesSent ${sent} counts payload and headers`);
    // A link resumed mid-message (a stalled channel on a loaded machine; PeerJS only, announced by a notice)
    // loses the chunks that had left the old connection but not arrived, and re-sends the message: then every
    // received byte was sent, but not every sent byte arrived.
    if (ra.count('notice', b.self) + rb.count('notice', a.self) === 0) checkEqual(received, sent, 'bytesReceived on b vs bytesSent on a');
    else check(received <= sent && received >= big.byteLength, `after a resume: bytesReceived ${received} within [${big.byteLength}, bytesSent ${sent}]`);
    checkEqual(a.stats().messagesSent - before.a.messagesSent, 1, 'messagesSent');
    checkEqual(b.stats().messagesReceived - before.b.messagesReceived, 1, 'messagesReceived');
  },

  'reports a long message in transit as peer-active before it arrives; a one-chunk message does not': async (fx) => {
    const { a, b, rb } = await connectedPair(fx);
    await a.send(b.self, makeMessage(1, 100));
    await rb.untilMessages(a.self, 1);
    checkEqual(rb.count('peer-active', a.self), 0, 'peer-active events for a one-chunk message');
    await a.send(b.self, makeMessage(2, 2 * MIB));
    await rb.untilMessages(a.self, 2);
    const firstActive = rb.events.findIndex((e) => e.type === 'peer-active' && e.peer === a.self);
    const bigArrived = rb.events.findIndex((e) => e.type === 'message' && e.from === a.self && e.bytes.byteLength === 2 * MIB);
    check(firstActive >= 0 && firstActive < bigArrived, `peer-active (event ${firstActive}) precedes the 2 MiB message (event ${bigArrived})`);
  },

  'disconnect: peer-disconnected on both sides, then sends reject': async (fx) => {
    const { a, b, ra, rb } = await connectedPair(fx);
    a.disconnect(b.self, 'test');
    await ra.untilEvent('peer-disconnected', b.self);
    await rb.untilEvent('peer-disconnected', a.self);
    check(!a.peers().includes(b.self) && !b.peers().includes(a.self), 'peers() forget the link');
    await checkRejects(a.send(b.self, makeMessage(1, 10)), isTransportError, 'a.send after disconnect');
    await checkRejects(b.send(a.self, makeMessage(1, 10)), isTransportError, 'b.send after disconnect');
    a.disconnect(b.self, 'again');
    await sleep(fx.settleMs);
    checkEqual(ra.count('peer-disconnected', b.self), 1, 'peer-disconnected events on a');
    checkEqual(rb.count('peer-disconnected', a.self), 1, 'peer-disconnected events on b');
  },

  'reconnects after a disconnect': async (fx) => {
    const { a, b, ra, rb } = await connectedPair(fx);
    b.disconnect(a.self, 'test');
    await ra.untilEvent('peer-disconnected', b.self);
    await a.connect(b.self);
    await rb.until(() => rb.count('peer-connected', a.self) === 2, 'second peer-connected on b');
    await a.send(b.self, makeMessage(3, 100_000));
    await rb.untilMessages(a.self, 1);
    checkBytes(rb.message(a.self, 0), makeMessage(3, 100_000), 'message after reconnect');
  },

  'close is idempotent; the far side sees the peer leave': async (fx) => {
    const { a, b, rb } = await connectedPair(fx);
    await a.close();
    await a.close();
    await rb.untilEvent('peer-disconnected', a.self);
    checkEqual(a.peers().length, 0, 'a.peers() after close');
    await checkRejects(a.send(b.self, makeMessage(1, 1)), isTransportError, 'send after close');
    await checkRejects(a.connect(b.self), isTransportError, 'connect after close');
  },

  'rejects a message above MAX_MESSAGE_BYTES and keeps the link': async (fx) => {
    const { a, b, rb } = await connectedPair(fx);
    await checkRejects(a.send(b.self, new Uint8Array(MAX_MESSAGE_BYTES + 1)), isTransportError, 'oversized send');
    await a.send(b.self, makeMessage(4, 10));
    await rb.untilMessages(a.self, 1);
    checkBytes(rb.message(a.self, 0), makeMessage(4, 10), 'message after the refused one');
  },

  'drops a peer that sends bytes breaking the framing; other links keep working': async (fx) => {
    const { a, b, rb } = await connectedPair(fx);
    const forged = new Uint8Array(40);
    forged.set([0x53, 0x57, 0x43, 0x48]); // valid magic, then id 0, index 0, count 0: bad count
    for (const garbage of [makeMessage(5, 100), forged]) {
      const x = await fx.create();
      const rx = new Recorder(x, fx.timeoutMs);
      await b.connect(x.self);
      await rx.untilEvent('peer-connected', b.self);
      await fx.injectRaw(x, b, garbage);
      await rb.until(
        () => rb.events.some((e) => e.type === 'error' && e.error.kind === 'protocol-violation' && e.error.peer === x.self),
        `protocol-violation error for ${x.self}`,
      );
      await rb.untilEvent('peer-disconnected', x.self);
      await rx.untilEvent('peer-disconnected', b.self);
      check(!b.peers().includes(x.self), 'b dropped the misbehaving peer');
    }
    await a.send(b.self, makeMessage(6, 50_000));
    await rb.untilMessages(a.self, 1);
    checkBytes(rb.message(a.self, 0), makeMessage(6, 50_000), 'a → b after the violations');
    checkEqual(rb.count('peer-disconnected', a.self), 0, 'a was not dropped');
  },

  'refuses a taken id': async (fx) => {
    const a = await fx.create();
    await checkRejects(fx.create(a.self), isKind('unavailable-id'), 'second transport with the same id');
  },

  'rejects connect to an unknown peer and send without a link': async (fx) => {
    const a = await fx.create();
    const b = await fx.create();
    await checkRejects(a.send(b.self, makeMessage(1, 1)), isTransportError, 'send without a link');
    await checkRejects(a.connect(fx.unknownId()), isKind('peer-unavailable'), 'connect to an unknown id');
  },

  'an unsubscribed listener gets no more events': async (fx) => {
    const { a, b, rb } = await connectedPair(fx);
    let late = 0;
    const off = b.subscribe(() => {
      late++;
    });
    off();
    await a.send(b.self, makeMessage(1, 10));
    await rb.untilMessages(a.self, 1);
    checkEqual(late, 0, 'events seen after unsubscribe');
  },
};

/** Registers every contract case on `harness`, each with a fresh fixture that is disposed afterwards. */
export function describeTransportContract(
  name: string,
  harness: ContractHarness,
  makeFixture: () => Promise<ContractFixture>,
): void {
  for (const [title, body] of Object.entries(CASES)) {
    harness.test(`${name}: ${title}`, async () => {
      const fx = await makeFixture();
      try {
        await body(fx);
      } finally {
        await fx.dispose();
      }
    });
  }
}
