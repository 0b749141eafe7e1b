import { describe, expect, it } from 'vitest';
import { PeerRateLimiter } from './rate-limit.ts';

describe('PeerRateLimiter', () => {
  it('allows a burst, then refuses, then refills at the sustained rate', () => {
    const r = new PeerRateLimiter(10, 5);
    const at0 = Array.from({ length: 7 }, () => r.take('a', 0));
    expect(at0).toEqual([true, true, true, true, true, false, false]);
    expect(r.take('a', 50)).toBe(false); // 0.5 token refilled: still short
    expect(r.take('a', 100)).toBe(true); // 1 token after 100 ms at 10/s
    expect(r.take('a', 100)).toBe(false);
  });
  it('keeps peers apart and forgets them', () => {
    const r = new PeerRateLimiter(1, 1);
    expect(r.take('a', 0)).toBe(true);
    expect(r.take('a', 0)).toBe(false);
    expect(r.take('b', 0)).toBe(true);
    r.forget('a');
    expect(r.take('a', 0)).toBe(true);
  });
  it('a steady honest rate below the budget is never refused', () => {
    const r = new PeerRateLimiter();
    for (let i = 0; i < 20_000; i++) expect(r.take('w', i * 2.5)).toBe(true); // 400 messages/s for 50 s
  });
});
