import { describe, expect, it } from 'vitest';
import { DASO_URL_DEFAULTS, parseLinkProfile, parseUrlConfig } from './url-config.ts';

describe('parseUrlConfig, DASO parameters', () => {
  it('reads algo, group, link emulation and the schedule options', () => {
    const c = parseUrlConfig(new URLSearchParams('algo=daso&group=laptop-1&emulateGlobalLink=50ms,10MBps&dasoWarmup=1&dasoCooldown=3&dasoMaxGs=4&dasoWire=fp16'));
    expect(c).toMatchObject({
      algo: 'daso', group: 'laptop-1', emulateGlobalLink: { latencyMs: 50, bytesPerSecond: 10e6 },
      daso: { warmupEpochs: 1, cooldownEpochs: 3, maxGlobalSkips: 4, wire: 'fp16' }, problems: [],
    });
  });

  it('defaults to no group, no emulation and the small-scale schedule; reports bad values', () => {
    const plain = parseUrlConfig(new URLSearchParams(''));
    expect([plain.group, plain.emulateGlobalLink, plain.daso]).toEqual([null, null, DASO_URL_DEFAULTS]);
    const bad = parseUrlConfig(new URLSearchParams('group=a b&emulateGlobalLink=fast&dasoWire=fp8&dasoMaxGs=0'));
    expect([bad.group, bad.emulateGlobalLink, bad.daso]).toEqual([null, null, DASO_URL_DEFAULTS]);
    expect(bad.problems).toHaveLength(4);
  });

  it('reads the RTT grouping threshold: off by default, 5 ms for a bare `dasoRttMs`, a bad value reported', () => {
    expect(parseUrlConfig(new URLSearchParams('algo=daso')).daso.rttThresholdMs).toBeNull();
    expect(parseUrlConfig(new URLSearchParams('dasoRttMs=2.5')).daso.rttThresholdMs).toBe(2.5);
    const bare = parseUrlConfig(new URLSearchParams('dasoRttMs='));
    expect([bare.daso.rttThresholdMs, bare.problems.length]).toEqual([5, 1]);
    const zero = parseUrlConfig(new URLSearchParams('dasoRttMs=0'));
    expect([zero.daso.rttThresholdMs, zero.problems.length]).toEqual([5, 1]);
  });

  it('parses link profiles with and without a bandwidth cap', () => {
    expect(parseLinkProfile('0ms')).toEqual({ latencyMs: 0, bytesPerSecond: Infinity });
    expect(parseLinkProfile('12.5ms,500KBps')).toEqual({ latencyMs: 12.5, bytesPerSecond: 5e5 });
    expect(parseLinkProfile('200ms,1GBps')).toEqual({ latencyMs: 200, bytesPerSecond: 1e9 });
    for (const v of ['50', 'ms', '50ms,', '50ms,10Mbps', '-5ms', '50ms,0MBps']) expect(parseLinkProfile(v)).toBeNull();
  });
});
