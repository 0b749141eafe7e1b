import { describe, expect, it } from 'vitest';
import type { MessageType } from './messages.ts';
import { isMessageType, messageTypeOf, TYPE_CODES, typeCodeOf } from './type-codes.ts';

describe('TYPE_CODES', () => {
  it('is the frozen table of docs/PROTOCOL.md (a change here is a protocol change)', () => {
    expect(TYPE_CODES).toEqual({
      hello: 1,
      welcome: 2,
      incompatible: 3,
      heartbeat: 4,
      assign: 5,
      start: 6,
      gradients: 7,
      update: 8,
      progress: 9,
      done: 10,
      error: 11,
      'layer-request': 12,
      'layer-stats': 13,
      'mask-key': 14,
      'masked-stats': 15,
      'unmask-request': 16,
      'mask-reveal': 17,
      personalize: 18,
      'client-report': 19,
      'fedavg-round': 20,
      'fedavg-update': 21,
      'daso-plan': 22,
      'daso-schedule': 23,
      'daso-grads': 24,
      'daso-global': 25,
      'daso-params': 26,
      'daso-epoch': 27,
      'shard-plan': 28,
      'shard-op': 29,
      'shard-reply': 30,
      'curvature-request': 31,
      'curvature-reply': 32,
      succession: 33,
      'admm-round': 34,
      'admm-update': 35,
      'admm-curvature': 36,
      'daso-probe': 37,
      'daso-ping': 38,
      'daso-rtt': 39,
    });
    expect(Object.isFrozen(TYPE_CODES)).toBe(true);
  });

  it('gives every type a distinct code in 1..255 (0 is never a message)', () => {
    const codes = Object.values(TYPE_CODES);
    expect(new Set(codes).size).toBe(codes.length);
    for (const c of codes) expect(c >= 1 && c <= 255 && Number.isInteger(c)).toBe(true);
  });

  it('maps codes back to types and back again', () => {
    for (const type of Object.keys(TYPE_CODES) as MessageType[]) {
      expect(messageTypeOf(typeCodeOf(type))).toBe(type);
    }
    expect(messageTypeOf(0)).toBeUndefined();
    expect(messageTypeOf(40)).toBeUndefined();
    expect(messageTypeOf(1.5)).toBeUndefined();
  });

  it('recognises only own message types', () => {
    expect(isMessageType('hello')).toBe(true);
    for (const s of ['toString', '__proto__', 'constructor', 'Hello', '', 1, null]) expect(isMessageType(s)).toBe(false);
  });
});
