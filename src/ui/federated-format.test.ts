import { describe, expect, it } from 'vitest';
import {
  formatGain, formatLambda, gainPoints, gainSign, isAnalyticAlgo, layerState, layerStateText, shortPeerId,
} from './federated-format.ts';
import { analytic } from './status-fixtures.ts';

describe('gain', () => {
  it('is personal minus global accuracy in points', () => {
    expect(gainPoints(0.9, 0.935)).toBeCloseTo(3.5, 10);
    expect(gainPoints(0.8, 0.75)).toBeCloseTo(-5, 10);
    expect(gainPoints(null, 0.9)).toBeNull();
    expect(gainPoints(0.9, null)).toBeNull();
  });
  it('is written with a sign, one decimal and no sign when it rounds to zero', () => {
    expect(formatGain(3.456)).toBe('+3.5 pts');
    expect(formatGain(-1.24)).toBe('−1.2 pts');
    expect(formatGain(0.04)).toBe('0.0 pts');
    expect(formatGain(-0.04)).toBe('0.0 pts');
    expect(formatGain(null)).toBe('–');
    expect(formatGain(Number.NaN)).toBe('–');
    expect([gainSign(3.4), gainSign(-0.2), gainSign(0.04), gainSign(null)]).toEqual([1, -1, 0, 0]);
  });
});

describe('formatLambda', () => {
  it('shows λ, ∞ for the anchor (personal accuracy but no λ) and – for none', () => {
    expect(formatLambda(0.0125, 0.9)).toBe('0.0125');
    expect(formatLambda(12.345, 0.9)).toBe('12.3');
    expect(formatLambda(null, 0.9)).toBe('∞');
    expect(formatLambda(null, null)).toBe('–');
  });
});

describe('shortPeerId', () => {
  it('keeps short ids and cuts long ones in the middle', () => {
    expect(shortPeerId('w-a')).toBe('w-a');
    expect(shortPeerId('abcdefghijklmn')).toBe('abcdefghijklmn'); // 14 characters: whole
    expect(shortPeerId('3f2a9c41-7d0e-4b8a-9f1c-0a5be2d4b1e2')).toBe('3f2a9c41…b1e2');
  });
});

describe('layer states', () => {
  it('marks solved layers, the collecting one and waiting ones', () => {
    const a = analytic({ solved: 1, layers: 3, received: 2, expected: 5 });
    expect([0, 1, 2].map((i) => layerStateText(a, i))).toEqual(['solved', 'collecting 2 of 5 tabs', 'waiting']);
    expect(layerStateText(analytic({ solved: 0, received: 0, expected: 1 }), 0)).toBe('collecting 0 of 1 tab');
  });
  it('waits on the next layer while no tab is asked, and is all solved at the end', () => {
    expect(layerState(analytic({ solved: 0, received: 0, expected: 0 }), 0)).toBe('waiting');
    const done = analytic({ solved: 3, layers: 3, received: 0, expected: 0 });
    expect([0, 1, 2].map((i) => layerState(done, i))).toEqual(['solved', 'solved', 'solved']);
  });
  it('knows the analytic algorithms', () => {
    expect(['dp', 'fedacnnl', 'pfedacnnl', 'fedavg'].map(isAnalyticAlgo)).toEqual([false, true, true, false]);
  });
});
