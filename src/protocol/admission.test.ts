import { describe, expect, it } from 'vitest';
import { ADMISSION_NONCE_BYTES, AdmissionHandshake, admissionProof, isAdmissionFrame } from './admission.ts';

const key = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
const nonce = (fill: number): Uint8Array => new Uint8Array(ADMISSION_NONCE_BYTES).fill(fill);

/** Runs both sides to completion, delivering frames in order; returns each side's admitted flag and errors. */
function pair(keyA: Uint8Array, keyB: Uint8Array): { a: AdmissionHandshake; b: AdmissionHandshake; errors: string[] } {
  const a = new AdmissionHandshake(keyA, 'A', 'B', nonce(1));
  const b = new AdmissionHandshake(keyB, 'B', 'A', nonce(2));
  const errors: string[] = [];
  const toB = [a.opening()];
  const toA = [b.opening()];
  while (toA.length + toB.length > 0) {
    const fb = toB.shift();
    if (fb) { const r = b.accept(fb); if (r.ok) { if (r.value.reply) toA.push(r.value.reply); } else errors.push(`B: ${r.error}`); }
    const fa = toA.shift();
    if (fa) { const r = a.accept(fa); if (r.ok) { if (r.value.reply) toB.push(r.value.reply); } else errors.push(`A: ${r.error}`); }
  }
  return { a, b, errors };
}

describe('admission handshake', () => {
  it('admits both sides when they share the key', () => {
    const { a, b, errors } = pair(key, key);
    expect(errors).toEqual([]);
    expect(a.admitted && b.admitted).toBe(true);
  });

  it('admits neither side when the keys differ, and says why', () => {
    const other = key.slice();
    other[15] = 0;
    const { a, b, errors } = pair(key, other);
    expect(a.admitted || b.admitted).toBe(false);
    expect(errors).toHaveLength(2);
    for (const e of errors) expect(e).toMatch(/wrong room key/);
  });

  it('refuses a reflected proof, a replayed proof for another nonce, protocol frames first and malformed frames', () => {
    const b = new AdmissionHandshake(key, 'B', 'A', nonce(2));
    expect(b.accept(Uint8Array.of(0x53, 0x57, 0x52, 0x4d, 5, 1)).ok).toBe(false); // a swarm frame ('SWRM') before admission
    const fresh = (): AdmissionHandshake => { const h = new AdmissionHandshake(key, 'B', 'A', nonce(2)); h.accept(new AdmissionHandshake(key, 'A', 'B', nonce(1)).opening()); return h; };
    /** A proof frame: version 2, kind 2, the prover's nonce, then the MAC. */
    const proofFrame = (proverNonce: Uint8Array, mac: Uint8Array): Uint8Array => {
      const f = new Uint8Array(6 + proverNonce.length + mac.length);
      f.set([0x53, 0x57, 0x41, 0x55, 2, 2]);
      f.set(proverNonce, 6);
      f.set(mac, 6 + proverNonce.length);
      return f;
    };
    // B's own proof (B to A) sent back to B:
    expect(fresh().accept(proofFrame(nonce(2), admissionProof(key, 'B', 'A', nonce(2), nonce(1)))).ok).toBe(false);
    // A's proof made for another nonce of B (a recorded session):
    expect(fresh().accept(proofFrame(nonce(1), admissionProof(key, 'A', 'B', nonce(1), nonce(3)))).ok).toBe(false);
    // A valid proof carrying another nonce than the one A sent:
    expect(fresh().accept(proofFrame(nonce(4), admissionProof(key, 'A', 'B', nonce(4), nonce(2))))).toMatchObject({ ok: false, error: 'proof for another nonce than the peer sent' });
    // The right proof is accepted (the refusals above were not for another reason):
    expect(fresh().accept(proofFrame(nonce(1), admissionProof(key, 'A', 'B', nonce(1), nonce(2))))).toEqual({ ok: true, value: { reply: null, admitted: true } });
    const bad = [new Uint8Array(0), Uint8Array.of(0x53, 0x57, 0x41, 0x55), Uint8Array.of(0x53, 0x57, 0x41, 0x55, 9, 1), Uint8Array.of(0x53, 0x57, 0x41, 0x55, 2, 7), Uint8Array.of(0x53, 0x57, 0x41, 0x55, 2, 1, 0)];
    for (const f of bad) expect(new AdmissionHandshake(key, 'B', 'A', nonce(2)).accept(f).ok).toBe(false);
    expect(new AdmissionHandshake(key, 'B', 'A', nonce(2)).accept(proofFrame(nonce(1), new Uint8Array(32))).ok).toBe(false); // a wrong MAC, nonce first or not
  });

  it('completes when a side\'s nonce frame is lost: its proof carries the nonce, and the answer is the other proof', () => {
    const a = new AdmissionHandshake(key, 'A', 'B', nonce(1));
    const b = new AdmissionHandshake(key, 'B', 'A', nonce(2));
    a.opening(); // lost on the way to B
    const proofA = a.accept(b.opening());
    if (!proofA.ok || proofA.value.reply === null) throw new Error('A must answer B\'s nonce with its proof');
    const atB = b.accept(proofA.value.reply);
    expect(atB.ok && atB.value.admitted).toBe(true);
    if (!atB.ok || atB.value.reply === null) throw new Error('B must answer with its own proof');
    expect(a.accept(atB.value.reply)).toEqual({ ok: true, value: { reply: null, admitted: true } });
    expect(a.admitted && b.admitted).toBe(true);
    const other = key.slice();
    other[0] = 99;
    const stranger = new AdmissionHandshake(other, 'B', 'A', nonce(2));
    expect(stranger.accept(proofA.value.reply)).toMatchObject({ ok: false, error: expect.stringMatching(/wrong room key/) as unknown });
  });

  it('tells admission frames from protocol frames, and refuses keys of the wrong length', () => {
    expect(isAdmissionFrame(new AdmissionHandshake(key, 'A', 'B', nonce(1)).opening())).toBe(true);
    expect(isAdmissionFrame(Uint8Array.of(0x53, 0x57, 0x52, 0x4d))).toBe(false);
    expect(() => new AdmissionHandshake(new Uint8Array(8), 'A', 'B', nonce(1))).toThrow(RangeError);
  });
});
