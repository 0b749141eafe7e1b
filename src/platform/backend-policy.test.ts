import { describe, expect, it } from 'vitest';
import type { BackendName } from '../protocol/messages.ts';
import { pickBackend, type BackendMeasurement } from './backend-policy.ts';

const m = (backend: BackendName, samplesPerSec: number | null, note = ''): BackendMeasurement => ({
  backend,
  available: samplesPerSec !== null,
  samplesPerSec,
  note,
});
const swiftshader = { software: true, reason: 'adapter is software (swiftshader)' };

describe('pickBackend', () => {
  it('picks the fastest and explains a software WebGPU that lost', () => {
    const pick = pickBackend([m('webgpu', 290), m('webgl', 1800), m('wasm', 2310.4), m('cpu', null, 'skipped')], swiftshader);
    expect(pick).toEqual({
      backend: 'wasm',
      reason: 'webgpu adapter is software (swiftshader): wasm measured 2,310 samples/s vs webgpu 290; also measured webgl 1,800',
    });
  });

  it('says a hardware WebGPU was simply slower', () => {
    const pick = pickBackend([m('webgpu', 1000), m('wasm', 2000)], { software: false, reason: 'adapter nvidia / ampere' });
    expect(pick?.reason).toBe('webgpu is slower here: wasm measured 2,000 samples/s vs webgpu 1,000');
  });

  it('picks WebGPU when it is the fastest', () => {
    const pick = pickBackend([m('webgpu', 9000), m('webgl', 4000), m('wasm', 2000)]);
    expect(pick).toEqual({ backend: 'webgpu', reason: 'webgpu fastest: 9,000 samples/s vs webgl 4,000, wasm 2,000' });
  });

  it('prefers WebGPU within 10% of the fastest, not beyond', () => {
    const within = pickBackend([m('webgpu', 1810), m('webgl', 2000)]);
    expect(within?.backend).toBe('webgpu');
    expect(within?.reason).toBe('webgpu 1,810 samples/s is within 10% of webgl 2,000: preferred, a GPU frees the CPU');
    expect(pickBackend([m('webgpu', 1790), m('webgl', 2000)])?.backend).toBe('webgl');
  });

  it('mentions why WebGPU was not used when it was not measured', () => {
    const pick = pickBackend([m('webgpu', null, 'navigator.gpu is missing'), m('wasm', 2000), m('cpu', 500)]);
    expect(pick).toEqual({ backend: 'wasm', reason: 'wasm fastest: 2,000 samples/s vs cpu 500; webgpu not used: navigator.gpu is missing' });
  });

  it('handles a single measured backend', () => {
    expect(pickBackend([m('cpu', 480)])).toEqual({ backend: 'cpu', reason: 'cpu: 480 samples/s, the only backend measured' });
    expect(pickBackend([m('webgpu', 5000)])?.reason).toBe('webgpu fastest: 5,000 samples/s, the only backend measured');
  });

  it('ignores zero, NaN and infinite rates, and returns null when nothing was measured', () => {
    expect(pickBackend([m('webgl', 0), m('wasm', Number.NaN), m('webgpu', Number.POSITIVE_INFINITY), m('cpu', 10)])?.backend).toBe('cpu');
    expect(pickBackend([m('webgpu', null), m('cpu', null)])).toBeNull();
    expect(pickBackend([])).toBeNull();
  });
});
