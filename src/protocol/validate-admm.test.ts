import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from './codec.ts';
import { HEADER_BYTES } from './frame.ts';
import { TYPE_CODES } from './type-codes.ts';
import { MAX_GLOBAL_BATCH, parseMessage } from './validate.ts';
import { MAX_ADMM_RHO, MAX_ADMM_STEPS } from './validate-second-order.ts';
import { f32, f64, i32 } from './wire-tensor.ts';
import type { WireTensor } from './wire-tensor.ts';

const isTensor = (v: unknown): v is WireTensor => typeof v === 'object' && v !== null && 'dtype' in v;

/**
 * Validates `m` as a frame's metadata would carry it: every tensor (top-level, or in a top-level array) replaced
 * by its section index. 'ok' or the error code and detail.
 */
function code(m: Record<string, unknown>): string {
  const sections: WireTensor[] = [];
  const ref = (t: WireTensor): number => sections.push(t) - 1;
  const meta = Object.fromEntries(Object.entries(m).map(([k, v]) => {
    if (isTensor(v)) return [k, ref(v)];
    if (Array.isArray(v) && v.every(isTensor)) return [k, v.map(ref)];
    return [k, v];
  }));
  const r = parseMessage(meta, sections);
  return r.ok ? 'ok' : `${r.error.code}: ${r.error.detail}`;
}

const params = (): WireTensor[] => [f32([2, 3], Float32Array.of(0.5, -0.25, 1e-6, 0, 3, -7)), f32([3], Float32Array.of(0.125, -2, 4))];
const ROUND = {
  type: 'admm-round', runId: 'run-1', round: 4, step: 32, steps: 8, batchSize: 32, rho: 0.1, newtonRate: 0.01, clip: 1,
  restart: false, anchor: params(),
} as const;
const UPDATE = { type: 'admm-update', runId: 'run-1', round: 4, count: 256, lossSum: 143.5, params: params() } as const;
const CURVATURE = {
  type: 'admm-curvature', runId: 'run-1', snapshotStep: 100, eigvals: f64([2], Float64Array.of(0.75, 41.5)),
  eigvecs: f32([2, 3], Float32Array.of(0.6, 0, -0.8, 0, 1, 0)),
} as const;

describe('consensus ADMM messages: well-formed ones', () => {
  it.each([
    ['admm-round', ROUND], ['admm-round (restart, no anchor)', { ...ROUND, restart: true, anchor: [] }],
    ['admm-update', UPDATE], ['admm-curvature', CURVATURE],
  ] as const)('%s round-trips through encode and decode unchanged', (_name, m) => {
    const bytes = encodeMessage(m);
    expect(bytes[5]).toBe(TYPE_CODES[m.type]);
    const r = decodeMessage(bytes);
    expect(r).toEqual({ ok: true, value: m });
    expect(bytes.byteLength).toBeGreaterThan(HEADER_BYTES);
  });

  it('keeps the tensors bit for bit and in order', () => {
    const r = decodeMessage(encodeMessage(UPDATE));
    if (!r.ok || r.value.type !== 'admm-update') throw new Error(`decode failed: ${JSON.stringify(r)}`);
    expect(r.value.params.map((t) => [t.shape, Array.from(t.data)])).toEqual([
      [[2, 3], [0.5, -0.25, Math.fround(1e-6), 0, 3, -7]], [[3], [0.125, -2, 4]],
    ]);
    const c = decodeMessage(encodeMessage(CURVATURE));
    if (!c.ok || c.value.type !== 'admm-curvature') throw new Error('decode failed');
    expect(c.value.eigvals.data).toBeInstanceOf(Float64Array);
    expect(Array.from(c.value.eigvals.data)).toEqual([0.75, 41.5]);
    expect(Array.from(c.value.eigvecs.data)).toEqual([0.6, 0, -0.8, 0, 1, 0].map(Math.fround));
  });

  it('accepts the boundaries: ρ in [0, MAX_ADMM_RHO], steps in [1, MAX_ADMM_STEPS], count 1, lossSum 0', () => {
    expect(code({ ...ROUND, rho: 0 })).toBe('ok');
    expect(code({ ...ROUND, rho: MAX_ADMM_RHO })).toBe('ok');
    expect(code({ ...ROUND, steps: 1 })).toBe('ok');
    expect(code({ ...ROUND, steps: MAX_ADMM_STEPS })).toBe('ok');
    expect(code({ ...ROUND, batchSize: MAX_GLOBAL_BATCH })).toBe('ok');
    expect(code({ ...UPDATE, count: 1, lossSum: 0 })).toBe('ok');
    expect(code({ ...CURVATURE, eigvals: f64([1], Float64Array.of(2)), eigvecs: f32([1, 3], Float32Array.of(1, 0, 0)) })).toBe('ok');
  });
});

describe('consensus ADMM messages: rejected ones', () => {
  it.each([
    ['rho < 0', { rho: -1e-9 }, /admm-round\.rho/],
    ['rho > MAX_ADMM_RHO', { rho: MAX_ADMM_RHO * 2 }, /admm-round\.rho/],
    ['rho not a number', { rho: null }, /admm-round\.rho/],
    ['rho infinite', { rho: Infinity }, /admm-round\.rho/],
    ['steps 0', { steps: 0 }, /admm-round\.steps/],
    ['steps over MAX_ADMM_STEPS', { steps: MAX_ADMM_STEPS + 1 }, /admm-round\.steps/],
    ['fractional steps', { steps: 2.5 }, /admm-round\.steps/],
    ['batchSize over MAX_GLOBAL_BATCH', { batchSize: MAX_GLOBAL_BATCH + 1 }, /admm-round\.batchSize/],
    ['negative round', { round: -1 }, /admm-round\.round/],
    ['clip below 1', { clip: 0.5 }, /admm-round\.clip/],
    ['restart as a string', { restart: 'yes' }, /admm-round\.restart/],
    ['restart with an anchor', { restart: true }, /admm-round\.anchor/],
    ['no anchor without restart', { anchor: [] }, /admm-round\.anchor/],
    ['a float64 anchor', { anchor: [f64([2], Float64Array.of(1, 2))] }, /admm-round\.anchor\[0\].*float32/],
  ] as const)('admm-round with %s', (_name, change, detail) => {
    const out = code({ ...ROUND, ...change });
    expect(out).toMatch(/^invalid-field: /);
    expect(out).toMatch(detail);
  });

  it.each([
    ['count 0', { count: 0 }, /admm-update\.count/],
    ['count over the frame limit', { count: 2 ** 40 }, /admm-update\.count/],
    ['negative lossSum', { lossSum: -0.5 }, /admm-update\.lossSum/],
    ['NaN lossSum', { lossSum: Number.NaN }, /admm-update\.lossSum/],
    ['infinite lossSum', { lossSum: Infinity }, /admm-update\.lossSum/],
    ['int32 params', { params: [i32([2], Int32Array.of(1, 2))] }, /admm-update\.params\[0\].*float32/],
    ['params not a list', { params: 'all of them' }, /admm-update\.params/],
  ] as const)('admm-update with %s', (_name, change, detail) => {
    const out = code({ ...UPDATE, ...change });
    expect(out).toMatch(/^invalid-field: /);
    expect(out).toMatch(detail);
  });

  it.each([
    ['more eigvecs rows than eigvals', { eigvecs: f32([3, 2], new Float32Array(6)) }, /eigvecs.*\[2, n\].*3x2/],
    ['fewer eigvecs rows than eigvals', { eigvecs: f32([1, 6], new Float32Array(6)) }, /eigvecs.*1x6/],
    ['rank-1 eigvecs', { eigvecs: f32([6], new Float32Array(6)) }, /eigvecs/],
    ['rank-3 eigvecs', { eigvecs: f32([2, 3, 1], new Float32Array(6)) }, /eigvecs/],
    ['float64 eigvecs', { eigvecs: f64([2, 3], new Float64Array(6)) }, /eigvecs.*float32/],
    ['float32 eigvals', { eigvals: f32([2], Float32Array.of(1, 2)) }, /eigvals.*float64/],
    ['rank-2 eigvals', { eigvals: f64([1, 2], Float64Array.of(1, 2)) }, /eigvals/],
    ['no eigvals', { eigvals: f64([0], new Float64Array(0)), eigvecs: f32([0, 3], new Float32Array(0)) }, /eigvals/],
    ['negative snapshotStep', { snapshotStep: -1 }, /snapshotStep/],
  ] as const)('admm-curvature with %s', (_name, change, detail) => {
    const out = code({ ...CURVATURE, ...change });
    expect(out).toMatch(/^invalid-field: admm-curvature\./);
    expect(out).toMatch(detail);
  });

  it('refuses to encode what it would reject on receipt', () => {
    expect(() => encodeMessage({ ...UPDATE, count: 0 })).toThrow(/admm-update\.count/);
    expect(() => encodeMessage({ ...CURVATURE, eigvecs: f32([3, 2], new Float32Array(6)) })).toThrow(/eigvecs/);
  });
});

describe('shard op eigvecs', () => {
  const op = { type: 'shard-op', runId: 'run-1', planEpoch: 1, seq: 9, arg: 10, values: f64([0], new Float64Array(0)), vector: f32([0], new Float32Array(0)) };

  it('is a shard op name; an unknown name is not', () => {
    expect(code({ ...op, op: 'eigvecs' })).toBe('ok');
    expect(code({ ...op, op: 'eigvals' })).toMatch(/^invalid-field: shard-op\.op/);
    const r = decodeMessage(encodeMessage({ ...op, type: 'shard-op', op: 'eigvecs' }));
    expect(r.ok && r.value.type === 'shard-op' && r.value.op).toBe('eigvecs');
  });
});
