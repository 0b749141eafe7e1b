import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, MAX_FRAME_BYTES, ProtocolEncodeError } from './codec.ts';
import type { ProtocolError } from './codec.ts';
import { encodeFrame, HEADER_BYTES } from './frame.ts';
import type { Message, MessageOf, MessageType } from './messages.ts';
import { TYPE_CODES } from './type-codes.ts';
import { PROTOCOL_VERSION } from './version.ts';
import { f32, f64, i32, u8 } from './wire-tensor.ts';
import type { WireTensor } from './wire-tensor.ts';

const u16 = (shape: readonly number[], data: Uint16Array): WireTensor => ({ dtype: 'uint16', shape, data });
import { createRng } from '../core/rng.ts';

/** Seeded uniform [0, 1) draws so every fuzz run sees the same bytes. */
function seeded(seed: number): () => number {
  const rng = createRng(seed);
  return () => rng.next();
}

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
/** Hex dump, 16 bytes a row, so a golden frame reads like the layout table. */
const hexRows = (b: Uint8Array): string =>
  Array.from({ length: Math.ceil(b.length / 16) }, (_, r) => hex(b.subarray(r * 16, r * 16 + 16))).join('\n');

const device = {
  backend: 'wasm',
  adapter: '',
  reason: 'fastest of 3 measured',
  samplesPerSec: 2312.5,
  memoryBytes: 8 * 2 ** 30,
  selfTestPassed: true,
  userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/156',
  machineId: '3f9a0c1d2e4b5a67',
  groupLabel: 'laptop-a',
} as const;

const config = {
  runId: 'run-1',
  algo: 'dp',
  dataset: 'mnist',
  model: 'mlp',
  optimizer: 'adam',
  learningRate: 0.001,
  epochs: 3,
  globalBatch: 256,
  seed: 42,
  partition: 'dirichlet',
  alpha: 0.5,
  labelsPerClient: 2,
  clients: 20,
  trainLimit: 0,
  groups: 4,
  localEpochs: 1,
  localBatch: 32,
  masking: true,
  aggregation: 'trimmed',
} as const;

/** One message of every type: a new message type without a fixture here fails to compile. */
const FIXTURES: { readonly [K in MessageType]: MessageOf<K> } = {
  hello: { type: 'hello', protocolVersion: PROTOCOL_VERSION, role: 'worker', room: 'lab-7', device },
  welcome: { type: 'welcome', protocolVersion: PROTOCOL_VERSION, coordinator: 'swarm-lab-7', members: ['w1', 'w_2'] },
  incompatible: { type: 'incompatible', reason: 'peer-too-new', protocolVersion: PROTOCOL_VERSION },
  heartbeat: { type: 'heartbeat', sentAt: 1234.5 },
  assign: {
    type: 'assign', config, indices: i32([5], Int32Array.of(0, 7, 59999, 3, 12)),
    clientIds: i32([2], Int32Array.of(3, 17)), offsets: i32([3], Int32Array.of(0, 2, 5)), clientGroups: i32([2], Int32Array.of(1, 0)),
  },
  start: {
    type: 'start',
    runId: 'run-1',
    step: 10,
    epoch: 1,
    optimizerStep: 10,
    batchSize: 64,
    params: [f32([2, 3], Float32Array.of(1, -2, 3.5, 0, 1e-7, -0)), f32([3], Float32Array.of(0.25, 0.5, 0.75))],
    slots: [f32([], Float32Array.of(42)), f32([0, 4], new Float32Array(0))],
  },
  gradients: { type: 'gradients', runId: 'run-1', step: 10, count: 64, lossSum: 147.25, grads: [f32([1], Float32Array.of(-1.5))] },
  update: { type: 'update', runId: 'run-1', step: 10, epoch: 1, nextBatchSize: 0, grads: [] },
  progress: { type: 'progress', runId: 'run-1', phase: 'training', epoch: 1, step: 10, loss: 0.6931, testAccuracy: 0.875 },
  succession: { type: 'succession', runId: 'run-1', order: ['w-b', 'w-a'] },
  done: { type: 'done', runId: 'run-1', ok: false, reason: 'coordinator stopped the run' },
  error: { type: 'error', code: 'protocol-violation', detail: 'malformed: "ünïcødé" ✓' },
  'layer-request': {
    type: 'layer-request', runId: 'run-1', layer: 1, weights: [f64([3, 2], Float64Array.of(0.1, -0.2, 1 / 3, 1e-300, -0, 2 ** 60))],
    groups: 2, roster: ['w1', 'w_2'], rosterKeys: u8([2, 65], Uint8Array.from({ length: 130 }, (_, i) => (i % 65 === 0 ? 4 : i))),
  },
  'layer-stats': {
    type: 'layer-stats', runId: 'run-1', layer: 1, counts: i32([1], Int32Array.of(2)),
    a: f64([1, 6], Float64Array.of(5, 1 / 3, 2, 7, 1, 2)), b: f64([1, 3, 2], Float64Array.of(1, 0, 0.1 + 0.2, 1, 1, 1)),
  },
  'mask-key': { type: 'mask-key', runId: 'run-1', publicKey: u8([65], Uint8Array.from({ length: 65 }, (_, i) => (i === 0 ? 4 : 255 - i))) },
  'masked-stats': { type: 'masked-stats', runId: 'run-1', layer: 0, ring: f64([3], Float64Array.of(0, 2 ** 52 - 1, 12345)) },
  'unmask-request': { type: 'unmask-request', runId: 'run-1', layer: 1, dropped: ['w_2'] },
  'mask-reveal': { type: 'mask-reveal', runId: 'run-1', layer: 1, dropped: ['w_2'], keys: u8([1, 32], Uint8Array.from({ length: 32 }, (_, i) => i * 7)) },
  personalize: { type: 'personalize', runId: 'run-1', weights: [f64([2, 2], Float64Array.of(1, 2, 3, 4))], groupHeads: f64([1, 2, 2], Float64Array.of(4, 3, 2, 1)) },
  'client-report': { type: 'client-report', runId: 'run-1', clients: f64([1, 6], Float64Array.of(3, 120, 0.9, NaN, Infinity, 0)) },
  'fedavg-round': { type: 'fedavg-round', runId: 'run-1', round: 2, params: [f32([2], Float32Array.of(0.5, -0.5))] },
  'fedavg-update': { type: 'fedavg-update', runId: 'run-1', round: 2, count: 96, lossSum: 40.5, params: [f32([2], Float32Array.of(0.25, -0.75))] },
  'daso-plan': { type: 'daso-plan', runId: 'run-1', generation: 0, members: ['w1', 'w_2', 'w3'], groupSizes: i32([2], Int32Array.of(2, 1)), stepsPerEpoch: 63, wire: 'bf16' },
  'daso-schedule': { type: 'daso-schedule', runId: 'run-1', epoch: 4, globalSkip: 8, localSkip: 2, batchesToWait: 2, phase: 'cycling' },
  'daso-grads': { type: 'daso-grads', runId: 'run-1', generation: 2, step: 130, count: 32, lossSum: 20.25, grads: [f32([2], Float32Array.of(-0.5, 1e-8)), f32([1], Float32Array.of(3))] },
  'daso-global': { type: 'daso-global', runId: 'run-1', generation: 1, syncId: 128, wire: 'bf16', params: u16([3], Uint16Array.of(0x3f80, 0x4049, 0x7fc0)) },
  'daso-params': { type: 'daso-params', runId: 'run-1', generation: 0, step: 129, params: f32([3], Float32Array.of(1, 3.140625, -0)) },
  'daso-epoch': { type: 'daso-epoch', runId: 'run-1', generation: 3, epoch: 2, count: 2000, lossSum: 812.5, params: f32([0], new Float32Array(0)) },
  'daso-probe': { type: 'daso-probe', runId: 'run-1', peers: ['peer-b', 'peer-c'], pings: 5 },
  'daso-ping': { type: 'daso-ping', runId: 'run-1', nonce: 7, pong: true },
  'daso-rtt': { type: 'daso-rtt', runId: 'run-1', peers: ['peer-b', 'peer-c'], rttMs: f64([2], Float64Array.of(0.75, -1)) },
  'shard-plan': {
    type: 'shard-plan', runId: 'run-1', epoch: 1, owners: ['w1', 'w2'], sizes: i32([2], Int32Array.of(50_944, 50_826)), base: 'adam',
    learningRate: 1e-3, newtonRate: 0.01, clip: 1, decay: 0.9, eigenvalueShift: 0, extrapolationSigma: 5e-9, damping: 0.001,
  },
  'shard-op': { type: 'shard-op', runId: 'run-1', planEpoch: 1, seq: 77, op: 'form-ritz', arg: 0, values: f64([2, 3], Float64Array.of(1, 0.5, -0.25, 0, 1, 1e-300)), vector: f32([0], new Float32Array(0)) },
  'shard-reply': { type: 'shard-reply', runId: 'run-1', seq: 77, values: f64([2], Float64Array.of(0.75, 2)), vector: f32([2], Float32Array.of(0.5, -1)), heldFloats: 2_048_000, error: '' },
  'curvature-request': { type: 'curvature-request', runId: 'run-1', seq: 9, kind: 'hvp', seed: 123, rows: 128, vector: f32([3], Float32Array.of(0.6, 0, -0.8)) },
  'curvature-reply': { type: 'curvature-reply', runId: 'run-1', seq: 9, count: 128, vector: f32([3], Float32Array.of(1, 2, 3)), factors: [f64([3], Float64Array.of(4, 2, 5))], error: '' },
  'admm-round': {
    type: 'admm-round', runId: 'run-1', round: 3, step: 24, steps: 8, batchSize: 32, rho: 0.2, newtonRate: 0.01, clip: 1, restart: false,
    anchor: [f32([2, 2], Float32Array.of(0.5, -0.25, 1e-6, 0)), f32([2], Float32Array.of(-0.125, 2))],
  },
  'admm-update': {
    type: 'admm-update', runId: 'run-1', round: 3, count: 256, lossSum: 117.75,
    params: [f32([2, 2], Float32Array.of(0.5, -0.5, 1e-6, 0.25)), f32([2], Float32Array.of(-0.125, 1.875))],
  },
  'admm-curvature': {
    type: 'admm-curvature', runId: 'run-1', snapshotStep: 100, eigvals: f64([2], Float64Array.of(3.25, 41.23456)),
    eigvecs: f32([2, 3], Float32Array.of(0.6, 0, -0.8, 0, 1, 0)),
  },
};
const ALL: readonly Message[] = Object.values(FIXTURES);

describe('encodeMessage / decodeMessage round trip', () => {
  it.each(ALL.map((m) => [m.type, m] as const))('%s survives a round trip unchanged', (_type, m) => {
    const r = decodeMessage(encodeMessage(m));
    expect(r).toEqual({ ok: true, value: m });
  });

  it('keeps typed-array classes and dtypes, including scalars and empty tensors', () => {
    const r = decodeMessage(encodeMessage(FIXTURES.start));
    if (!r.ok || r.value.type !== 'start') throw new Error(`decode failed: ${JSON.stringify(r)}`);
    expect(r.value.params[0]?.data).toBeInstanceOf(Float32Array);
    expect(r.value.slots[0]).toEqual({ dtype: 'float32', shape: [], data: Float32Array.of(42) });
    expect(r.value.slots[1]?.data.length).toBe(0);
    expect(Object.is(r.value.params[0]?.data[5], -0)).toBe(true);
    const a = decodeMessage(encodeMessage(FIXTURES.assign));
    expect(a.ok && a.value.type === 'assign' && a.value.indices.data).toBeInstanceOf(Int32Array);
  });

  it('decodes tensors as views over the received bytes, without copying', () => {
    const bytes = encodeMessage(FIXTURES.start);
    const r = decodeMessage(bytes);
    if (!r.ok || r.value.type !== 'start') throw new Error('decode failed');
    for (const t of [...r.value.params, ...r.value.slots]) expect(t.data.buffer).toBe(bytes.buffer);
  });

  it('still decodes (by copying) a frame that starts unaligned in its buffer', () => {
    const bytes = encodeMessage(FIXTURES.gradients);
    const shifted = new Uint8Array(bytes.byteLength + 1).subarray(1);
    shifted.set(bytes);
    const r = decodeMessage(shifted);
    expect(r).toEqual({ ok: true, value: FIXTURES.gradients });
    expect(r.ok && r.value.type === 'gradients' && r.value.grads[0]?.data.buffer).not.toBe(shifted.buffer);
  });

  it('decodes float64 sections bit for bit, by view when 8-aligned and by copy when only 4-aligned', () => {
    for (const shift of [0, 4]) {
      const bytes = encodeMessage(FIXTURES['layer-stats']);
      const moved = new Uint8Array(bytes.byteLength + shift).subarray(shift);
      moved.set(bytes);
      const r = decodeMessage(moved);
      if (!r.ok || r.value.type !== 'layer-stats') throw new Error(`decode failed: ${JSON.stringify(r)}`);
      expect(r.value.a.data).toBeInstanceOf(Float64Array);
      expect(Array.from(r.value.b.data)).toEqual([1, 0, 0.1 + 0.2, 1, 1, 1]);
      expect(r.value).toEqual(FIXTURES['layer-stats']);
    }
  });

  it('drops unknown extra fields (forward compatibility)', () => {
    const extra = { ...FIXTURES.heartbeat, debug: 'x' };
    expect(decodeMessage(encodeMessage(extra))).toEqual({ ok: true, value: FIXTURES.heartbeat });
  });
});

describe('golden bytes', () => {
  it('writes the header byte by byte as docs/PROTOCOL.md says', () => {
    const bytes = encodeMessage(FIXTURES.heartbeat);
    // magic 'SWRM' | version 9 | type 4 (heartbeat) | flags 0 | metadata length 62 (u32 LE) | 0 sections | reserved 0
    expect(hex(bytes.subarray(0, HEADER_BYTES))).toMatchInlineSnapshot(`"53 57 52 4d 09 04 00 00 3e 00 00 00 00 00 00 00"`);
    const meta = '{"message":{"type":"heartbeat","sentAt":1234.5},"sections":[]}';
    expect(new TextDecoder().decode(bytes.subarray(HEADER_BYTES, HEADER_BYTES + 62))).toBe(meta);
    expect(Array.from(bytes.subarray(HEADER_BYTES + 62))).toEqual([0, 0]); // zero padding to 80
    expect(bytes.byteLength).toBe(80); // 16 + 62, padded to a multiple of 4
  });

  it('lays out a tensor frame exactly (metadata, padding, aligned section)', () => {
    // header with type 8 (update), metadata length 165 = 0xa5, 1 section; metadata; 3 zero bytes of padding
    // to offset 184; then the float32 section [1, -2] little-endian: 00 00 80 3f, 00 00 00 c0
    const m: Message = { type: 'update', runId: 'r', step: 1, epoch: 0, nextBatchSize: 2, grads: [f32([2], Float32Array.of(1, -2))] };
    expect(hexRows(encodeMessage(m))).toMatchInlineSnapshot(`
      "53 57 52 4d 09 08 00 00 a5 00 00 00 01 00 00 00
      7b 22 6d 65 73 73 61 67 65 22 3a 7b 22 74 79 70
      65 22 3a 22 75 70 64 61 74 65 22 2c 22 72 75 6e
      49 64 22 3a 22 72 22 2c 22 73 74 65 70 22 3a 31
      2c 22 65 70 6f 63 68 22 3a 30 2c 22 6e 65 78 74
      42 61 74 63 68 53 69 7a 65 22 3a 32 2c 22 67 72
      61 64 73 22 3a 5b 30 5d 7d 2c 22 73 65 63 74 69
      6f 6e 73 22 3a 5b 7b 22 64 74 79 70 65 22 3a 22
      66 6c 6f 61 74 33 32 22 2c 22 73 68 61 70 65 22
      3a 5b 32 5d 2c 22 62 79 74 65 4f 66 66 73 65 74
      22 3a 30 2c 22 62 79 74 65 4c 65 6e 67 74 68 22
      3a 38 7d 5d 7d 00 00 00 00 00 80 3f 00 00 00 c0"
    `);
  });
});

describe('decodeMessage rejects bad input with a Result', () => {
  const code = (r: ReturnType<typeof decodeMessage>): string => (r.ok ? 'ok' : r.error.code);

  it('rejects input over maxBytes before parsing it', () => {
    const bytes = encodeMessage(FIXTURES.heartbeat);
    expect(code(decodeMessage(bytes, { maxBytes: bytes.byteLength - 1 }))).toBe('too-large');
    expect(code(decodeMessage(bytes, { maxBytes: bytes.byteLength }))).toBe('ok');
    // garbage that is too large is refused as too large, not as bad magic: nothing was read
    expect(code(decodeMessage(new Uint8Array(MAX_FRAME_BYTES + 1)))).toBe('too-large');
  });

  it('answers a version mismatch with bad-version and the peer version', () => {
    const bytes = encodeMessage(FIXTURES.hello);
    bytes[4] = PROTOCOL_VERSION + 1;
    const r = decodeMessage(bytes);
    expect(r.ok).toBe(false);
    const e = (r as { error: ProtocolError }).error;
    expect(e.code).toBe('bad-version');
    expect(e.peerVersion).toBe(PROTOCOL_VERSION + 1);
    expect(e.detail).toContain(String(PROTOCOL_VERSION + 1));
  });

  it('rejects a header type that disagrees with the metadata type', () => {
    const bytes = encodeMessage(FIXTURES.heartbeat);
    bytes[5] = TYPE_CODES.error;
    expect(code(decodeMessage(bytes))).toBe('malformed');
  });

  it('rejects bad magic and unknown type codes', () => {
    const bytes = encodeMessage(FIXTURES.heartbeat);
    expect(code(decodeMessage(Uint8Array.of(0x53, 0x57, 0x52, 0x4e)))).toBe('bad-magic');
    bytes[5] = 200;
    expect(code(decodeMessage(bytes))).toBe('unknown-type');
  });
});

describe('encodeMessage refuses what a receiver would reject', () => {
  it.each([
    ['NaN lossSum', { ...FIXTURES.gradients, lossSum: Number.NaN }],
    ['Infinity sentAt', { type: 'heartbeat', sentAt: Number.POSITIVE_INFINITY }],
    ['shape/data mismatch', { ...FIXTURES.gradients, grads: [f32([3], Float32Array.of(1, 2))] }],
    ['int32 grads', { ...FIXTURES.gradients, grads: [i32([1], Int32Array.of(1))] }],
    ['bad peer id', { ...FIXTURES.welcome, members: ['has space'] }],
    ['float32 Gram', { ...FIXTURES['layer-stats'], a: f32([6], new Float32Array(6)) }],
    ['packed A of the wrong length', { ...FIXTURES['layer-stats'], a: f64([5], new Float64Array(5)) }],
    ['weights for the wrong layer count', { ...FIXTURES['layer-request'], layer: 2 }],
    ['rank-1 weights', { ...FIXTURES['layer-request'], weights: [f64([6], new Float64Array(6))] }],
  ] as const)('%s throws ProtocolEncodeError', (_name, m) => {
    expect(() => encodeMessage(m as Message)).toThrow(ProtocolEncodeError);
  });
});

const ERROR_CODES = new Set(['too-large', 'bad-magic', 'bad-version', 'unknown-type', 'malformed', 'invalid-field']);

/** Decodes every input; returns how often each outcome occurred, and the first contract breach found. */
function fuzz(inputs: Iterable<Uint8Array>): { counts: Record<string, number>; breach: string | null } {
  const counts: Record<string, number> = {};
  let breach: string | null = null;
  for (const bytes of inputs) {
    let r: ReturnType<typeof decodeMessage>;
    try {
      r = decodeMessage(bytes);
    } catch (e) {
      breach ??= `threw ${String(e)} on ${hex(bytes.subarray(0, 64))}`;
      continue;
    }
    const outcome = r.ok ? 'ok' : r.error.code;
    counts[outcome] = (counts[outcome] ?? 0) + 1;
    if (!r.ok && (!ERROR_CODES.has(r.error.code) || r.error.detail.startsWith('internal'))) breach ??= r.error.detail;
    if (r.ok) {
      try {
        encodeMessage(r.value); // whatever decodes must be a message we could send ourselves
      } catch (e) {
        breach ??= `decoded a message that does not re-encode: ${String(e)}`;
      }
    }
  }
  return { counts, breach };
}

function* randomInputs(rand: () => number, n: number): Generator<Uint8Array> {
  const validCodes = Object.values(TYPE_CODES);
  for (let i = 0; i < n; i++) {
    const bytes = new Uint8Array(Math.floor(rand() * (rand() < 0.9 ? 96 : 4096)));
    for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(rand() * 256);
    // 0: raw noise; 1: valid magic; 2: + valid version and type code; 3: + zero flags, a metadata length
    // that fits and 0-3 sections, so the noise reaches the JSON and section parsers
    const depth = i % 4;
    if (depth >= 1) bytes.set([0x53, 0x57, 0x52, 0x4d].slice(0, bytes.length));
    if (depth >= 2 && bytes.length >= 6) bytes.set([PROTOCOL_VERSION, validCodes[i % validCodes.length] ?? 1], 4);
    if (depth === 3 && bytes.length >= HEADER_BYTES) {
      const view = new DataView(bytes.buffer);
      view.setUint16(6, 0, true);
      view.setUint32(8, Math.floor(rand() * (bytes.length - HEADER_BYTES + 1)), true);
      view.setUint16(12, Math.floor(rand() * 4), true);
      view.setUint16(14, 0, true);
    }
    yield bytes;
  }
}

function mutate(rand: () => number, frame: Uint8Array): Uint8Array {
  const pick = (n: number): number => Math.floor(rand() * n);
  const out = frame.slice();
  const view = new DataView(out.buffer);
  switch (pick(6)) {
    case 0: // 1..8 bit flips anywhere
      for (let k = 1 + pick(8); k > 0; k--) out[pick(out.length)]! ^= 1 << pick(8);
      return out;
    case 1: // truncation
      return out.slice(0, pick(out.length));
    case 2: { // extension with random bytes
      const longer = new Uint8Array(out.length + 1 + pick(64));
      longer.set(out);
      for (let j = out.length; j < longer.length; j++) longer[j] = pick(256);
      return longer;
    }
    case 3: // huge or random metadata length
      view.setUint32(8, rand() < 0.5 ? 0xffffffff : pick(2 ** 32), true);
      return out;
    case 4: // huge or random section count
      view.setUint16(12, rand() < 0.5 ? 0xffff : pick(2 ** 16), true);
      return out;
    default: // overwrite a byte inside the metadata (breaks JSON, numbers, strings)
      out[HEADER_BYTES + pick(Math.max(1, view.getUint32(8, true)))] = pick(256);
      return out;
  }
}

/** Structured fuzz: valid frames whose JSON has one field replaced by a hostile value. */
function* fieldMutations(rand: () => number, n: number): Generator<Uint8Array> {
  const hostile: readonly unknown[] = [null, -1, 1e308, -0.5, 2 ** 53, '', 'x'.repeat(5000), [], [0, 0], {}, true, 'a b', 1e6, 7];
  for (let i = 0; i < n; i++) {
    const m = ALL[i % ALL.length]!;
    const bytes = encodeMessage(m);
    const meta = JSON.parse(new TextDecoder().decode(bytes.subarray(HEADER_BYTES, HEADER_BYTES + new DataView(bytes.buffer).getUint32(8, true)))) as {
      message: Record<string, unknown>;
    };
    const keys = Object.keys(meta.message);
    const key = keys[Math.floor(rand() * keys.length)]!;
    const target = key === 'device' || key === 'config' ? (meta.message[key] as Record<string, unknown>) : meta.message;
    const targetKeys = Object.keys(target);
    target[targetKeys[Math.floor(rand() * targetKeys.length)]!] = hostile[Math.floor(rand() * hostile.length)];
    const sections = 'grads' in m ? m.grads : 'indices' in m ? [m.indices] : m.type === 'start' ? [...m.params, ...m.slots] : [];
    yield encodeFrame(m.type, JSON.stringify(meta.message), sections);
  }
}

describe('fuzz: decodeMessage never throws and always returns a Result', () => {
  it('survives 20,000 random byte arrays', () => {
    const { counts, breach } = fuzz(randomInputs(seeded(1), 20_000));
    expect(breach).toBeNull();
    expect(counts['bad-magic']).toBeGreaterThan(4500); // the pure-noise quarter
    expect(counts.malformed).toBeGreaterThan(8000); // the valid-prefix quarters get past the header checks
  });

  it('survives 5,000 mutations of valid frames (bit flips, truncations, extensions, huge lengths)', () => {
    const rand = seeded(2);
    const frames = ALL.map((m) => encodeMessage(m));
    const inputs = Array.from({ length: 5000 }, (_, i) => mutate(rand, frames[i % frames.length]!));
    const { counts, breach } = fuzz(inputs);
    expect(breach).toBeNull();
    expect(counts.malformed).toBeGreaterThan(1000);
    expect(counts.ok).toBeGreaterThan(0); // some flips land in padding or harmless digits
  });

  it('survives 3,000 hostile field values in otherwise valid frames', () => {
    const { counts, breach } = fuzz(fieldMutations(seeded(3), 3000));
    expect(breach).toBeNull();
    expect(counts['invalid-field']).toBeGreaterThan(1500);
  });
});
