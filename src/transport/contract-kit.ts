/**
 * The small toolkit the transport contract (contract.ts) is written in: a harness interface (so the same
 * cases run under Vitest and in a plain browser page), a fixture interface, assertions that throw
 * ContractFailure, and an event recorder with timed waits. No test framework is imported here.
 */
import type { PeerId } from '../core/ids.ts';
import type { Transport, TransportEvent } from './transport.ts';

/** What the contract needs from a test runner: register a named async case. */
export interface ContractHarness {
  test(name: string, fn: () => Promise<void>): void;
}

/** One network of transports, made fresh for every case and disposed after it. */
export interface ContractFixture {
  /** Creates a transport on this network; `id` picks its own id, else a fresh unique one is used. */
  create(id?: PeerId): Promise<Transport>;
  /** Makes `to` receive `bytes` as one raw link message from `from` (they must have an open link). */
  injectRaw(from: Transport, to: Transport, bytes: Uint8Array): void | Promise<void>;
  /** An id that no transport on this network has. */
  unknownId(): PeerId;
  /** Closes everything `create` made. */
  dispose(): Promise<void>;
  /** How long a case waits for an expected event before failing, ms. */
  readonly timeoutMs: number;
  /** How long a case waits to be sure that nothing more arrives, ms. */
  readonly settleMs: number;
}

/** Thrown when a contract assertion fails. */
export class ContractFailure extends Error {
  static readonly NAME = 'ContractFailure';
  constructor(message: string) {
    super(message);
    this.name = ContractFailure.NAME;
  }
}

/** Fails with `message` unless `cond` holds. */
export function check(cond: boolean, message: string): asserts cond {
  if (!cond) throw new ContractFailure(message);
}

/** Fails unless `actual === expected`. */
export function checkEqual<T>(actual: T, expected: T, what: string): void {
  if (actual !== expected) throw new ContractFailure(`${what}: expected ${String(expected)}, got ${String(actual)}`);
}

/** Fails unless both byte arrays hold the same bytes; names the first difference. */
export function checkBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  checkEqual(actual.byteLength, expected.byteLength, `${what} length`);
  for (let i = 0; i < expected.byteLength; i++) {
    if (actual[i] !== expected[i]) throw new ContractFailure(`${what}: byte ${i} is ${actual[i]}, expected ${expected[i]}`);
  }
}

/** Awaits `p`, failing unless it rejects with an error accepted by `accept`; returns that error. */
export async function checkRejects(p: Promise<unknown>, accept: (e: unknown) => boolean, what: string): Promise<unknown> {
  try {
    await p;
  } catch (e: unknown) {
    check(accept(e), `${what}: rejected with an unexpected error: ${String(e)}`);
    return e;
  }
  throw new ContractFailure(`${what}: resolved, expected a rejection`);
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Records every event of one transport and waits for conditions over them. */
export class Recorder {
  readonly events: TransportEvent[] = [];
  private readonly wakers = new Set<() => void>();
  private readonly unsubscribe: () => void;

  constructor(
    readonly transport: Transport,
    private readonly timeoutMs: number,
  ) {
    this.unsubscribe = transport.subscribe((e) => {
      this.events.push(e);
      for (const w of [...this.wakers]) w();
    });
  }

  /** Messages received from `peer`, in arrival order. */
  messagesFrom(peer: PeerId): Uint8Array[] {
    return this.events.flatMap((e) => (e.type === 'message' && e.from === peer ? [e.bytes] : []));
  }

  /** Number of recorded events of `type` about `peer` (peer-connected / peer-disconnected / error). */
  count(type: 'peer-connected' | 'peer-disconnected' | 'peer-active' | 'notice' | 'error', peer: PeerId): number {
    return this.events.filter((e) => {
      switch (e.type) {
        case 'error':
          return type === 'error' && e.error.peer === peer;
        case 'message':
          return false;
        case 'peer-connected':
        case 'peer-disconnected':
        case 'peer-active':
        case 'notice':
          return e.type === type && e.peer === peer;
      }
    }).length;
  }

  /** Resolves once `cond()` holds (checked now and after every event); fails after the timeout. */
  until(cond: () => boolean, what: string): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.wakers.delete(wake);
        reject(new ContractFailure(`${this.transport.self}: timed out after ${this.timeoutMs} ms waiting for ${what}`));
      }, this.timeoutMs);
      const wake = (): void => {
        if (!cond()) return;
        clearTimeout(timer);
        this.wakers.delete(wake);
        resolve();
      };
      this.wakers.add(wake);
    });
  }

  /** The `i`-th message received from `peer`; fails if there is none. */
  message(peer: PeerId, i: number): Uint8Array {
    const m = this.messagesFrom(peer)[i];
    if (!m) throw new ContractFailure(`${this.transport.self}: no message ${i} from ${peer}`);
    return m;
  }

  /** Waits until `n` messages from `peer` were received. */
  untilMessages(peer: PeerId, n: number): Promise<void> {
    return this.until(() => this.messagesFrom(peer).length >= n, `${n} message(s) from ${peer}`);
  }

  /** Waits until at least one event of `type` about `peer` was recorded. */
  untilEvent(type: 'peer-connected' | 'peer-disconnected' | 'error', peer: PeerId): Promise<void> {
    return this.until(() => this.count(type, peer) > 0, `${type} for ${peer}`);
  }

  stop(): void {
    this.unsubscribe();
  }
}

/** A deterministic message: 4-byte little-endian tag (when it fits) then a tag-dependent pattern. */
export function makeMessage(tag: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 131 + tag * 17 + (i >>> 8)) & 0xff;
  if (size >= 4) new DataView(out.buffer).setUint32(0, tag, true);
  return out;
}

/** Deterministic pseudo-random integers in [0, n) (an LCG; contract cases must reproduce). */
export function lcg(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}
