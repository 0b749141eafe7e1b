import { describe, expect, it } from 'vitest';
import { checkHello, describeIncompatibility, versionIncompatibility } from './handshake.ts';
import type { HelloMsg, IncompatibilityReason } from './messages.ts';

const hello = (protocolVersion: number, room: string): HelloMsg => ({
  type: 'hello',
  protocolVersion,
  role: 'worker',
  room,
  device: { backend: 'cpu', adapter: '', reason: 'only one', samplesPerSec: 500, memoryBytes: 0, selfTestPassed: true, userAgent: 'UA' },
});
const OWN = { protocolVersion: 3, room: 'lab' };

describe('checkHello', () => {
  it('accepts a hello of the same version and room', () => {
    expect(checkHello(hello(3, 'lab'), OWN)).toBeNull();
  });

  it.each([
    [2, 'lab', 'peer-too-old'],
    [0, 'lab', 'peer-too-old'],
    [4, 'lab', 'peer-too-new'],
    [3, 'other', 'wrong-room'],
    [3, 'Lab', 'wrong-room'], // rooms are case-sensitive ids
    [4, 'other', 'peer-too-new'], // the version is checked first
  ] as const)('version %i, room %s → %s, stamped with our version', (version, room, reason) => {
    expect(checkHello(hello(version, room), OWN)).toEqual({ type: 'incompatible', reason, protocolVersion: 3 });
  });
});

describe('versionIncompatibility', () => {
  it('demands an exact match and names the direction', () => {
    expect(versionIncompatibility(1, 1)).toBeNull();
    expect(versionIncompatibility(2, 1)).toBe('peer-too-old');
    expect(versionIncompatibility(1, 2)).toBe('peer-too-new');
  });
});

describe('describeIncompatibility', () => {
  const reasons: readonly IncompatibilityReason[] = ['peer-too-old', 'peer-too-new', 'wrong-room', 'not-coordinator'];

  it('gives a distinct, actionable text for every reason', () => {
    const texts = reasons.map(describeIncompatibility);
    expect(new Set(texts).size).toBe(reasons.length);
    expect(describeIncompatibility('peer-too-old')).toMatch(/older.*Reload/s);
    expect(describeIncompatibility('peer-too-new')).toMatch(/newer/);
    expect(describeIncompatibility('wrong-room')).toMatch(/room/);
  });
});
