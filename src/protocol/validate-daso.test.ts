import { describe, expect, it } from 'vitest';
import { parseMessage } from './validate.ts';
import type { WireTensor } from './wire-tensor.ts';

/** Validates `m` as a frame's metadata would carry it: every top-level tensor replaced by its section index. */
const code = (m: Record<string, unknown>): string => {
  const sections: WireTensor[] = [];
  const meta = Object.fromEntries(Object.entries(m).map(([k, v]) => {
    if (typeof v === 'object' && v !== null && 'dtype' in v) { sections.push(v as WireTensor); return [k, sections.length - 1]; }
    return [k, v];
  }));
  const r = parseMessage(meta, sections);
  return r.ok ? 'ok' : `${r.error.code}: ${r.error.detail}`;
};
const i32 = (...v: number[]) => ({ dtype: 'int32', shape: [v.length], data: Int32Array.from(v) });
const plan = { type: 'daso-plan', runId: 'r', generation: 0, members: ['a', 'b', 'c'], groupSizes: i32(2, 1), stepsPerEpoch: 10, wire: 'bf16' };

describe('DASO message validation', () => {
  it('accepts a well-formed plan and rejects sizes that do not cover the members, repeated ids or an unknown wire', () => {
    expect(code(plan)).toBe('ok');
    expect(code({ ...plan, groupSizes: i32(2, 2) })).toMatch(/invalid-field.*groupSizes/);
    expect(code({ ...plan, groupSizes: i32(3, 0) })).toMatch(/invalid-field.*groupSizes/);
    expect(code({ ...plan, members: ['a', 'a', 'c'] })).toMatch(/invalid-field.*members/);
    expect(code({ ...plan, wire: 'fp8' })).toMatch(/invalid-field.*wire/);
    expect(code({ ...plan, generation: -1 })).toMatch(/invalid-field.*generation/);
    const { generation: _omitted, ...unnumbered } = plan;
    expect(code(unnumbered)).toMatch(/invalid-field.*generation/); // protocol 7: every plan is numbered
  });

  it('requires the global payload dtype that its wire format names', () => {
    const u16 = { dtype: 'uint16', shape: [2], data: Uint16Array.of(1, 2) };
    const f32 = { dtype: 'float32', shape: [2], data: Float32Array.of(1, 2) };
    const g = { type: 'daso-global', runId: 'r', generation: 1, syncId: 4 };
    expect(code({ ...g, wire: 'bf16', params: u16 })).toBe('ok');
    expect(code({ ...g, wire: 'fp32', params: f32 })).toBe('ok');
    expect(code({ ...g, wire: 'bf16', params: f32 })).toMatch(/invalid-field.*params/);
    expect(code({ ...g, wire: 'fp32', params: u16 })).toMatch(/invalid-field.*params/);
  });

  it('bounds schedules and keeps DeviceInfo hints optional but short', () => {
    const s = { type: 'daso-schedule', runId: 'r', epoch: 1, globalSkip: 4, localSkip: 1, batchesToWait: 1, phase: 'cycling' };
    expect(code(s)).toBe('ok');
    expect(code({ ...s, phase: 'cruising' })).toMatch(/phase/);
    expect(code({ ...s, globalSkip: -1 })).toMatch(/globalSkip/);
    const device = { backend: 'cpu', adapter: '', reason: '', samplesPerSec: 1, memoryBytes: 0, selfTestPassed: true, userAgent: 'x' };
    const hello = { type: 'hello', protocolVersion: 4, role: 'worker', room: 'r', device };
    expect(code(hello)).toBe('ok');
    expect(code({ ...hello, device: { ...device, machineId: 'm', groupLabel: 'g' } })).toBe('ok');
    expect(code({ ...hello, device: { ...device, groupLabel: 'x'.repeat(65) } })).toMatch(/groupLabel/);
    expect(code({ ...hello, device: { ...device, machineId: 7 } })).toMatch(/machineId/);
  });

  it('bounds RTT probes: at least one distinct peer, 1-16 pings; reports one time per peer, -1 or within a minute', () => {
    const f64 = (...v: number[]) => ({ dtype: 'float64', shape: [v.length], data: Float64Array.from(v) });
    const probe = { type: 'daso-probe', runId: 'r', peers: ['b', 'c'], pings: 5 };
    expect(code(probe)).toBe('ok');
    expect(code({ ...probe, peers: [] })).toMatch(/invalid-field.*peers/);
    expect(code({ ...probe, peers: ['b', 'b'] })).toMatch(/invalid-field.*peers/);
    expect(code({ ...probe, pings: 0 })).toMatch(/invalid-field.*pings/);
    expect(code({ ...probe, pings: 17 })).toMatch(/invalid-field.*pings/);
    const ping = { type: 'daso-ping', runId: 'r', nonce: 3, pong: false };
    expect(code(ping)).toBe('ok');
    expect(code({ ...ping, nonce: -1 })).toMatch(/invalid-field.*nonce/);
    expect(code({ ...ping, pong: 'yes' })).toMatch(/invalid-field.*pong/);
    const rtt = { type: 'daso-rtt', runId: 'r', peers: ['b', 'c'], rttMs: f64(0.4, -1) };
    expect(code(rtt)).toBe('ok');
    expect(code({ ...rtt, rttMs: f64(0.4) })).toMatch(/invalid-field.*rttMs/);
    expect(code({ ...rtt, rttMs: f64(0.4, -2) })).toMatch(/invalid-field.*rttMs/);
    expect(code({ ...rtt, rttMs: f64(0.4, Number.NaN) })).toMatch(/invalid-field.*rttMs/);
    expect(code({ ...rtt, rttMs: f64(0.4, 60_001) })).toMatch(/invalid-field.*rttMs/);
    expect(code({ ...rtt, rttMs: { dtype: 'float32', shape: [2], data: Float32Array.of(1, 2) } })).toMatch(/invalid-field.*rttMs/);
  });
});
