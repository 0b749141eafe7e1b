import { describe, expect, it } from 'vitest';
import { ResendWindow, type Written } from './resend-window.ts';

const msg = (id: number, bytes = 10, writtenAt: number | null = 0): Written => ({ id, bytes: new Uint8Array(bytes), writtenAt });
const ids = (ws: readonly Written[] | null): number[] | null => ws?.map((w) => w.id) ?? null;

describe('ResendWindow', () => {
  it('gives back the messages from the far side\'s next expected id on, in order', () => {
    const w = new ResendWindow(1000, 1000);
    for (let i = 0; i < 4; i++) w.add(msg(i), 0);
    expect(ids(w.from(0))).toEqual([0, 1, 2, 3]);
    expect(ids(w.from(2))).toEqual([2, 3]);
    expect(ids(w.from(4))).toEqual([]);
  });

  it('drops written messages past the age cap and then cannot resume from them', () => {
    const w = new ResendWindow(1000, 1_000_000);
    w.add(msg(0, 10, 0), 0);
    w.add(msg(1, 10, 500), 500);
    w.add(msg(2, 10, null), 1500); // being written: never dropped
    expect(w.size).toBe(2); // 0 is 1.5 s old
    expect(w.from(0)).toBeNull();
    expect(ids(w.from(1))).toEqual([1, 2]);
  });

  it('drops the oldest over the bytes cap but always keeps the newest', () => {
    const w = new ResendWindow(1_000_000, 25);
    w.add(msg(0), 0);
    w.add(msg(1), 0);
    w.add(msg(2), 0);
    expect(w.heldBytes).toBe(20);
    expect(w.from(0)).toBeNull();
    w.add(msg(3, 100), 0);
    expect(ids(w.from(3))).toEqual([3]);
  });

  it('forgets an aborted message', () => {
    const w = new ResendWindow();
    const m = msg(0, 10, null);
    w.add(m, 0);
    w.forget(m);
    expect(w.size).toBe(0);
    expect(ids(w.from(0))).toEqual([]);
  });

  it('works across the u32 id wrap', () => {
    const w = new ResendWindow();
    w.add(msg(0xffffffff), 0);
    w.add(msg(0), 0);
    expect(ids(w.from(0xffffffff))).toEqual([0xffffffff, 0]);
    expect(ids(w.from(0))).toEqual([0]);
  });
});
