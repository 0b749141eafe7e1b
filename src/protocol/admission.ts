/**
 * Room admission: every link proves, in both directions, that the other side holds the room key before a
 * single message of the swarm protocol may cross it. A pure per-link state machine (no I/O, no clock, no
 * randomness: the caller brings the nonce); transport/authenticated.ts runs it on every link.
 *
 *     A                                   B
 *     | -- nonce Na -------------------->  |   (both sides send their nonce as soon as the link opens)
 *     |  <-------------------- nonce Nb -- |
 *     | -- proof HMAC(K, A‖B‖Na‖Nb) ---->  |   B checks it: A holds K and answered B's fresh Nb
 *     |  <---- proof HMAC(K, B‖A‖Nb‖Na) -- |   A checks it likewise
 *     | == swarm protocol frames ========= |   only now, on both sides
 *
 * Each proof names its prover first, so a proof cannot be reflected back to its sender, and covers the
 * verifier's fresh nonce, so it cannot be replayed. A proof frame also carries its prover's nonce: Chromium
 * sometimes loses a data channel's very first message as it opens (seen in CI as "proof before nonce"), and
 * then the proof alone completes the exchange. Links deliver in order, so a peer's proof comes before any
 * protocol frame; anything else is a violation. The key
 * K is 16-64 random bytes carried in the join link's fragment (`#key=`), which browsers never send to any
 * server: the signalling server never sees it, and a tab without it learns nothing but "wrong key".
 *
 * Admission frames: 'SWAU', version u8, kind u8 (1 = nonce, 2 = proof), then exactly 16 bytes (nonce) or
 * 48 bytes (proof: the prover's nonce, then the 32-byte HMAC).
 *
 * @example
 * const hs = new AdmissionHandshake(key, self, peer, crypto.getRandomValues(new Uint8Array(ADMISSION_NONCE_BYTES)));
 * send(hs.opening());
 * const r = hs.accept(bytes); // ok: { reply, admitted } / err: why the peer is refused
 */
import { constantTimeEqual, hmacSha256, SHA256_BYTES } from '../core/crypto/hmac-sha256.ts';
import { err, ok, type Result } from '../core/result.ts';

/** 128-bit nonces never repeat by chance. */
export const ADMISSION_NONCE_BYTES = 16;
export const ADMISSION_PROOF_BYTES = SHA256_BYTES;
/** A key of fewer than 128 bits could be brute-forced offline from one observed proof. */
export const ROOM_KEY_MIN_BYTES = 16;
export const ROOM_KEY_MAX_BYTES = 64;
export const ADMISSION_VERSION = 2;

const MAGIC = [0x53, 0x57, 0x41, 0x55] as const; // 'SWAU'
const HEADER_BYTES = 6;
const KIND_NONCE = 1;
const KIND_PROOF = 2;

/** True when `bytes` starts like an admission frame (the caller still validates it through `accept`). */
export function isAdmissionFrame(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && MAGIC.every((b, i) => bytes[i] === b);
}

function frame(kind: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + payload.length);
  out.set(MAGIC);
  out[4] = ADMISSION_VERSION;
  out[5] = kind;
  out.set(payload, HEADER_BYTES);
  return out;
}

/** Every field length-prefixed (u16), so no two different transcripts encode to the same bytes. */
function transcript(prover: string, verifier: string, proverNonce: Uint8Array, verifierNonce: Uint8Array): Uint8Array {
  const enc = new TextEncoder();
  const parts = [enc.encode(`swarm-admission/v${ADMISSION_VERSION}`), enc.encode(prover), enc.encode(verifier), proverNonce, verifierNonce];
  const out = new Uint8Array(parts.reduce((n, p) => n + 2 + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out[at] = p.length >>> 8;
    out[at + 1] = p.length & 0xff;
    out.set(p, at + 2);
    at += 2 + p.length;
  }
  return out;
}

/** `prover`'s proof to `verifier` under room key `key`. */
export function admissionProof(key: Uint8Array, prover: string, verifier: string, proverNonce: Uint8Array, verifierNonce: Uint8Array): Uint8Array {
  return hmacSha256(key, transcript(prover, verifier, proverNonce, verifierNonce));
}

/** Throws a RangeError unless `key` is a usable room key (a caller contract: parse untrusted keys first, room-key.ts). */
export function checkRoomKey(key: Uint8Array): void {
  if (key.length < ROOM_KEY_MIN_BYTES || key.length > ROOM_KEY_MAX_BYTES) throw new RangeError(`room key must be ${ROOM_KEY_MIN_BYTES}-${ROOM_KEY_MAX_BYTES} bytes, got ${key.length}`);
}

/** A proof frame's payload: the prover's nonce, then its HMAC. */
const PROOF_PAYLOAD_BYTES = ADMISSION_NONCE_BYTES + ADMISSION_PROOF_BYTES;

export interface HandshakeStep {
  /** A frame to send back (our proof, once the peer's nonce is known), or null. */
  readonly reply: Uint8Array | null;
  /** The peer proved the key: protocol frames may flow from now on. */
  readonly admitted: boolean;
}

/** One link's admission, from this side. */
export class AdmissionHandshake {
  private peerNonce: Uint8Array | null = null;
  private proofSent = false;
  private done = false;

  constructor(
    private readonly key: Uint8Array,
    private readonly self: string,
    private readonly peer: string,
    private readonly ownNonce: Uint8Array,
  ) {
    checkRoomKey(key);
    if (ownNonce.length !== ADMISSION_NONCE_BYTES) throw new RangeError(`nonce must be ${ADMISSION_NONCE_BYTES} bytes`);
  }

  get admitted(): boolean {
    return this.done;
  }

  /** The first frame this side sends on the link: its nonce. */
  opening(): Uint8Array {
    return frame(KIND_NONCE, this.ownNonce);
  }

  /** Takes one inbound admission frame (untrusted bytes). An err means: drop the peer, with this reason. */
  accept(bytes: Uint8Array): Result<HandshakeStep, string> {
    if (!isAdmissionFrame(bytes) || bytes.length < HEADER_BYTES) return err('not an admission frame: the peer did not prove the room key first');
    if (bytes[4] !== ADMISSION_VERSION) return err(`admission version ${String(bytes[4])} (this tab speaks ${ADMISSION_VERSION}): reload both tabs`);
    const payload = bytes.subarray(HEADER_BYTES);
    if (this.done) return err('admission frame after admission');
    if (bytes[5] === KIND_NONCE) {
      if (payload.length !== ADMISSION_NONCE_BYTES) return err(`nonce of ${payload.length} bytes, want ${ADMISSION_NONCE_BYTES}`);
      if (this.peerNonce !== null) return err('second nonce');
      this.peerNonce = payload.slice();
      return ok({ reply: this.ownProof(), admitted: false });
    }
    if (bytes[5] === KIND_PROOF) {
      if (payload.length !== PROOF_PAYLOAD_BYTES) return err(`proof of ${payload.length} bytes, want ${PROOF_PAYLOAD_BYTES}`);
      const nonce = payload.subarray(0, ADMISSION_NONCE_BYTES);
      if (this.peerNonce !== null && !constantTimeEqual(nonce, this.peerNonce)) return err('proof for another nonce than the peer sent');
      const want = admissionProof(this.key, this.peer, this.self, nonce, this.ownNonce);
      if (!constantTimeEqual(want, payload.subarray(ADMISSION_NONCE_BYTES))) return err('wrong room key: the peer\'s proof does not match this room\'s key');
      this.done = true;
      if (this.peerNonce !== null) return ok({ reply: null, admitted: true });
      this.peerNonce = nonce.slice(); // its nonce frame was lost: the proof's copy completes the exchange
      return ok({ reply: this.ownProof(), admitted: true });
    }
    return err(`unknown admission frame kind ${String(bytes[5])}`);
  }

  /** Our proof for the peer (sent once, when its nonce is first known). */
  private ownProof(): Uint8Array | null {
    if (this.proofSent || this.peerNonce === null) return null;
    this.proofSent = true;
    const mac = admissionProof(this.key, this.self, this.peer, this.ownNonce, this.peerNonce);
    const payload = new Uint8Array(PROOF_PAYLOAD_BYTES);
    payload.set(this.ownNonce);
    payload.set(mac, ADMISSION_NONCE_BYTES);
    return frame(KIND_PROOF, payload);
  }
}
