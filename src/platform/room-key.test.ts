import { describe, expect, it } from 'vitest';
import { newRoomKey, parseRoomKey, roomKeyFragment } from './room-key.ts';

describe('room key in the URL fragment', () => {
  it('round-trips random keys of every length through the fragment', () => {
    for (const n of [16, 17, 18, 32, 64]) {
      const key = crypto.getRandomValues(new Uint8Array(n));
      const frag = roomKeyFragment(key);
      expect(frag).toMatch(/^key=[A-Za-z0-9_-]+$/);
      expect(parseRoomKey(`#${frag}`)).toEqual({ ok: true, value: key });
      expect(parseRoomKey(`#x=1&${frag}`)).toEqual({ ok: true, value: key });
    }
    expect(newRoomKey()).toHaveLength(16);
    expect(newRoomKey()).not.toEqual(newRoomKey());
  });

  it('reads no key as null, and refuses malformed or short keys with a clear message', () => {
    expect(parseRoomKey('')).toEqual({ ok: true, value: null });
    expect(parseRoomKey('#other=1')).toEqual({ ok: true, value: null });
    for (const bad of ['#key=abc+def', '#key=a', `#${roomKeyFragment(new Uint8Array(8))}`, `#${roomKeyFragment(new Uint8Array(65))}`]) {
      const r = parseRoomKey(bad);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatch(/room key/);
    }
  });
});
