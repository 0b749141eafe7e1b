import { describe, expect, it } from 'vitest';
import {
  CHUNK_HEADER_BYTES,
  ChunkSizeError,
  Reassembler,
  chunkCount,
  chunkMessageId,
  encodeChunk,
  parseChunkHeader,
  splitMessage,
  type ChunkErrorKind,
} from './chunk.ts';

const MAX_CHUNK = 64;
const PAYLOAD = MAX_CHUNK - CHUNK_HEADER_BYTES;
const MAX_MESSAGE = 4096;

function pattern(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed * 7) & 0xff;
  return out;
}

function makeReassembler(over: Partial<{ maxPartials: number; maxBufferedBytes: number }> = {}): Reassembler {
  return new Reassembler({ maxMessageBytes: MAX_MESSAGE, maxChunkBytes: MAX_CHUNK, ...over });
}

/** A chunk with hand-written header fields and `payloadLen` payload bytes. */
function rawChunk(fields: { magic?: number; id?: number; index: number; count: number; total: number }, payloadLen: number): Uint8Array {
  const out = new Uint8Array(CHUNK_HEADER_BYTES + payloadLen);
  const v = new DataView(out.buffer);
  v.setUint32(0, fields.magic ?? 0x48435753, true);
  v.setUint32(4, fields.id ?? 1, true);
  v.setUint32(8, fields.index, true);
  v.setUint32(12, fields.count, true);
  v.setUint32(16, fields.total, true);
  return out;
}

function errorKind(r: Reassembler, chunk: Uint8Array): ChunkErrorKind | 'ok' {
  const res = r.accept(chunk, 0);
  return res.ok ? 'ok' : res.error.kind;
}

/** Deterministic shuffle (LCG) so failures reproduce. */
function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('header layout', () => {
  it('writes magic, id, index, count and total little-endian in 20 bytes', () => {
    const chunk = encodeChunk(pattern(100), 0x01020304, 1, MAX_CHUNK);
    expect(Array.from(chunk.subarray(0, CHUNK_HEADER_BYTES))).toEqual([
      0x53, 0x57, 0x43, 0x48, // "SWCH"
      0x04, 0x03, 0x02, 0x01, // id
      1, 0, 0, 0, // index
      3, 0, 0, 0, // count = ceil(100 / 44)
      100, 0, 0, 0, // total
    ]);
    expect(chunk.byteLength).toBe(MAX_CHUNK);
  });

  it('counts chunks, one for an empty message', () => {
    expect(chunkCount(0, MAX_CHUNK)).toBe(1);
    expect(chunkCount(PAYLOAD, MAX_CHUNK)).toBe(1);
    expect(chunkCount(PAYLOAD + 1, MAX_CHUNK)).toBe(2);
    expect(() => chunkCount(10, CHUNK_HEADER_BYTES)).toThrow(ChunkSizeError);
  });

  it('never produces a chunk above the cap', () => {
    for (const n of [0, 1, 43, 44, 45, 88, 1000]) {
      const chunks = splitMessage(pattern(n), 7, MAX_CHUNK);
      expect(chunks.every((c) => c.byteLength <= MAX_CHUNK)).toBe(true);
      expect(chunks.reduce((s, c) => s + c.byteLength - CHUNK_HEADER_BYTES, 0)).toBe(n);
    }
  });
});

describe('Reassembler', () => {
  it('reassembles a message whose chunks arrive in any order', () => {
    for (const [n, seed] of [[1000, 1], [45, 2], [44 * 5, 3], [0, 4], [1, 5]] as const) {
      const msg = pattern(n, seed);
      const r = makeReassembler();
      const chunks = shuffled(splitMessage(msg, seed, MAX_CHUNK), seed);
      const results = chunks.map((c) => r.accept(c, 0));
      expect(results.every((x) => x.ok)).toBe(true);
      const last = results[results.length - 1]!;
      expect(last.ok && last.value).toEqual(msg);
      expect(results.slice(0, -1).every((x) => x.ok && x.value === null)).toBe(true);
      expect(r.partialCount).toBe(0);
      expect(r.bufferedBytes).toBe(0);
    }
  });

  it('delivers interleaved messages in completion order', () => {
    const r = makeReassembler();
    const a = splitMessage(pattern(100, 1), 1, MAX_CHUNK);
    const b = splitMessage(pattern(50, 2), 2, MAX_CHUNK);
    const order = [a[0]!, b[0]!, b[1]!, a[1]!, a[2]!];
    const out = order.map((c) => r.accept(c, 0)).flatMap((x) => (x.ok && x.value ? [x.value] : []));
    expect(out).toEqual([pattern(50, 2), pattern(100, 1)]);
  });

  it('ignores exact duplicates, also of completed messages', () => {
    const r = makeReassembler();
    const chunks = splitMessage(pattern(100), 9, MAX_CHUNK);
    expect(r.accept(chunks[0]!, 0)).toEqual({ ok: true, value: null });
    expect(r.accept(chunks[0]!, 0)).toEqual({ ok: true, value: null });
    expect(r.accept(chunks[1]!, 0)).toEqual({ ok: true, value: null });
    const done = r.accept(chunks[2]!, 0);
    expect(done.ok && done.value).toEqual(pattern(100));
    expect(r.accept(chunks[1]!, 0)).toEqual({ ok: true, value: null });
    const single = splitMessage(pattern(3), 10, MAX_CHUNK)[0]!;
    expect(r.accept(single, 0).ok && r.accept(single, 0)).toEqual({ ok: true, value: null });
  });

  it('refuses a duplicate index with different bytes', () => {
    const r = makeReassembler();
    const chunks = splitMessage(pattern(100), 9, MAX_CHUNK);
    r.accept(chunks[0]!, 0);
    const forged = chunks[0]!.slice();
    forged[CHUNK_HEADER_BYTES] = forged[CHUNK_HEADER_BYTES]! ^ 0xff;
    expect(errorKind(r, forged)).toBe('conflicting-duplicate');
  });

  it.each<[string, Uint8Array, ChunkErrorKind]>([
    ['short', new Uint8Array(5), 'truncated'],
    ['oversized chunk', new Uint8Array(MAX_CHUNK + 1), 'chunk-too-large'],
    ['bad magic', rawChunk({ magic: 0x12345678, index: 0, count: 1, total: 0 }, 0), 'bad-magic'],
    ['count 0', rawChunk({ index: 0, count: 0, total: 0 }, 0), 'bad-count'],
    ['more chunks than bytes', rawChunk({ index: 0, count: 5, total: 3 }, 1), 'bad-count'],
    ['index past count', rawChunk({ index: 2, count: 2, total: 60 }, 30), 'bad-index'],
    ['total above cap', rawChunk({ index: 0, count: 2, total: MAX_MESSAGE + 1 }, 40), 'message-too-large'],
    ['single chunk shorter than total', rawChunk({ index: 0, count: 1, total: 10 }, 9), 'bad-length'],
    ['non-last chunk too short for count', rawChunk({ index: 0, count: 2, total: 100 }, 40), 'bad-length'],
    ['non-last chunk too long for count', rawChunk({ index: 0, count: 3, total: 60 }, 30), 'bad-length'],
    ['empty non-last chunk', rawChunk({ index: 0, count: 2, total: 2 }, 0), 'bad-length'],
    ['last chunk longer than stride', rawChunk({ index: 1, count: 2, total: 60 }, 40), 'bad-length'],
    ['last chunk not dividing the rest', rawChunk({ index: 2, count: 3, total: 60 }, 9), 'bad-length'],
  ])('refuses %s', (_name, chunk, kind) => {
    expect(errorKind(makeReassembler(), chunk)).toBe(kind);
  });

  it('refuses chunks of one id that disagree on total, count or stride', () => {
    const r = makeReassembler();
    expect(errorKind(r, rawChunk({ index: 0, count: 3, total: 100 }, 40))).toBe('ok');
    expect(errorKind(r, rawChunk({ index: 1, count: 3, total: 110 }, 40))).toBe('inconsistent-header');
    expect(errorKind(r, rawChunk({ index: 1, count: 2, total: 80 }, 40))).toBe('inconsistent-header');
    expect(errorKind(r, rawChunk({ index: 1, count: 3, total: 100 }, 34))).toBe('bad-length');
    expect(errorKind(r, rawChunk({ index: 2, count: 3, total: 100 }, 20))).toBe('ok');
    expect(errorKind(r, rawChunk({ index: 1, count: 3, total: 100 }, 40))).toBe('ok');
  });

  it('bounds the number of partial messages', () => {
    const r = makeReassembler({ maxPartials: 2 });
    expect(errorKind(r, rawChunk({ id: 1, index: 0, count: 2, total: 80 }, 40))).toBe('ok');
    expect(errorKind(r, rawChunk({ id: 2, index: 0, count: 2, total: 80 }, 40))).toBe('ok');
    expect(errorKind(r, rawChunk({ id: 3, index: 0, count: 2, total: 80 }, 40))).toBe('too-many-partials');
    expect(r.partialCount).toBe(2);
  });

  it('bounds the bytes reserved by partial messages', () => {
    const r = makeReassembler({ maxBufferedBytes: 150 });
    expect(errorKind(r, rawChunk({ id: 1, index: 0, count: 3, total: 100 }, 40))).toBe('ok');
    expect(r.bufferedBytes).toBe(100);
    expect(errorKind(r, rawChunk({ id: 2, index: 0, count: 2, total: 80 }, 40))).toBe('over-budget');
    expect(r.bufferedBytes).toBe(100);
  });

  it('expires stale partials by the time passed in', () => {
    const r = makeReassembler();
    const a = splitMessage(pattern(100, 1), 1, MAX_CHUNK);
    const b = splitMessage(pattern(100, 2), 2, MAX_CHUNK);
    r.accept(a[0]!, 1000);
    r.accept(b[0]!, 1000);
    r.accept(b[1]!, 4000);
    expect(r.expire(5000, 3000)).toBe(1);
    expect(r.partialCount).toBe(1);
    expect(r.bufferedBytes).toBe(100);
    const done = r.accept(b[2]!, 5000);
    expect(done.ok && done.value).toEqual(pattern(100, 2));
    expect(r.expire(100_000, 3000)).toBe(0);
  });

  it('never throws on random bytes', () => {
    const r = makeReassembler();
    let s = 42;
    for (let i = 0; i < 2000; i++) {
      const n = i % 90;
      const bytes = new Uint8Array(n);
      for (let j = 0; j < n; j++) {
        s = (s * 1103515245 + 12345) % 2147483648;
        bytes[j] = s & 0xff;
      }
      // Half the time keep a valid magic so header validation is exercised past the first check.
      if (i % 2 === 0 && n >= 4) bytes.set([0x53, 0x57, 0x43, 0x48]);
      expect(() => r.accept(bytes, i)).not.toThrow();
    }
  });

  it('parses the header of a chunk that is a view into a larger buffer', () => {
    const chunk = encodeChunk(pattern(10), 5, 0, MAX_CHUNK);
    const big = new Uint8Array(chunk.byteLength + 8);
    big.set(chunk, 8);
    const parsed = parseChunkHeader(big.subarray(8), MAX_MESSAGE);
    expect(parsed).toEqual({ ok: true, value: { messageId: 5, index: 0, count: 1, totalBytes: 10, stride: 0 } });
  });
});

describe('chunkMessageId', () => {
  it('reads the id of a chunk and nothing from what is not one', () => {
    expect(chunkMessageId(encodeChunk(new Uint8Array(100), 0xfffffffe, 1, MAX_CHUNK))).toBe(0xfffffffe);
    expect(chunkMessageId(new Uint8Array(CHUNK_HEADER_BYTES - 1))).toBeNull();
    expect(chunkMessageId(new Uint8Array(CHUNK_HEADER_BYTES + 4))).toBeNull(); // no magic
  });
});
