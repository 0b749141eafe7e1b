/**
 * Branded identifiers. A brand is created only through its constructor, so a step number can never be
 * passed where a peer id is expected (excalidraw `pointFrom` style).
 */
declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

/** A PeerJS / transport-level peer id: 1..64 chars of [A-Za-z0-9_-], as PeerJS ids require. */
export type PeerId = Brand<string, 'PeerId'>;
/** A training step counter (global, monotone within a run). */
export type Step = Brand<number, 'Step'>;
/** A run id: names one training run inside a room. */
export type RunId = Brand<string, 'RunId'>;

const PEER_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** True when `s` is a syntactically valid peer id. */
export function isPeerId(s: unknown): s is PeerId {
  return typeof s === 'string' && PEER_ID_RE.test(s);
}

/** Builds a PeerId or throws a programmer error (use `isPeerId` for untrusted input). */
export function peerIdFrom(s: string): PeerId {
  if (!isPeerId(s)) throw new InvalidIdError(`invalid peer id: ${JSON.stringify(s)}`);
  return s;
}

/** Builds a Step from a non-negative integer. */
export function stepFrom(n: number): Step {
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidIdError(`invalid step: ${n}`);
  return n as Step;
}

/** Builds a RunId (same alphabet as peer ids). */
export function runIdFrom(s: string): RunId {
  if (!PEER_ID_RE.test(s)) throw new InvalidIdError(`invalid run id: ${JSON.stringify(s)}`);
  return s as RunId;
}

/** Thrown when code (not a peer) builds an id from a bad value. */
export class InvalidIdError extends Error {
  static readonly NAME = 'InvalidIdError';
  constructor(message: string) {
    super(message);
    this.name = InvalidIdError.NAME;
  }
}
