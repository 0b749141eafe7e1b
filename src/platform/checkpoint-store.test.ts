import { describe, expect, it } from 'vitest';
import { testConfig } from '../testing/run-config.ts';
import type { Checkpoint } from './checkpoint-codec.ts';
import { encodeCheckpoint } from './checkpoint-codec.ts';
import type { CheckpointBackend } from './checkpoint-store.ts';
import { CheckpointStore, createMemoryBackend } from './checkpoint-store.ts';

function checkpoint(room: string, epoch: number, fill = epoch): Checkpoint {
  return {
    room, runId: 'run1', config: testConfig(), epoch, step: epoch * 100, savedAt: 1000 + epoch,
    params: [{ name: 'w', shape: [2, 3], data: new Float32Array(6).fill(fill) }],
    slots: [{ name: 'm', shape: [2, 3], data: new Float32Array(6).fill(-fill) }],
  };
}

function recorder(): { skipped: [string, string][]; onCorrupt: (k: string, r: string) => void } {
  const skipped: [string, string][] = [];
  return { skipped, onCorrupt: (k, r) => { skipped.push([k, r]); } };
}

async function latestEpoch(store: CheckpointStore, room: string): Promise<number | null | string> {
  const r = await store.latest(room);
  return r.ok ? (r.value?.epoch ?? null) : r.error;
}

describe('CheckpointStore', () => {
  it('an unknown room has no checkpoint', async () => {
    expect(await new CheckpointStore(createMemoryBackend()).latest('nobody')).toEqual({ ok: true, value: null });
  });

  it('returns the newest save intact and keeps only the newest `keep` per room', async () => {
    const backend = createMemoryBackend();
    const store = new CheckpointStore(backend);
    for (const e of [1, 2, 3]) await store.save(checkpoint('room', e));
    await store.save(checkpoint('room-2', 9));
    expect(await store.latest('room')).toEqual({ ok: true, value: checkpoint('room', 3) });
    expect((await backend.keys()).sort()).toEqual(['room-2/e000009', 'room/e000002', 'room/e000003']);
    const three = new CheckpointStore(backend, 3);
    await three.save(checkpoint('room', 4));
    await three.save(checkpoint('room', 5));
    expect((await backend.keys()).filter((k) => k.startsWith('room/')).sort()).toEqual(['room/e000003', 'room/e000004', 'room/e000005']);
    await new CheckpointStore(backend, 1).save(checkpoint('room', 6));
    expect((await backend.keys()).filter((k) => k.startsWith('room/'))).toEqual(['room/e000006']);
    expect(() => new CheckpointStore(backend, 0)).toThrow(RangeError);
  });

  it('orders by epoch number, not by key text, past the padding width', async () => {
    const store = new CheckpointStore(createMemoryBackend());
    await store.save(checkpoint('r', 999));
    await store.save(checkpoint('r', 1000));
    expect(await latestEpoch(store, 'r')).toBe(1000);
  });

  it('saving an earlier epoch (a restarted run) drops the later ones, so the newest save wins', async () => {
    const backend = createMemoryBackend();
    const store = new CheckpointStore(backend);
    for (const e of [3, 4, 5]) await store.save(checkpoint('room', e));
    await store.save(checkpoint('room', 1, 42));
    expect(await store.latest('room')).toEqual({ ok: true, value: checkpoint('room', 1, 42) });
    expect(await backend.keys()).toEqual(['room/e000001']);
  });

  it('skips and reports a corrupt newest entry, falling back to the next-newest valid one', async () => {
    const backend = createMemoryBackend();
    const { skipped, onCorrupt } = recorder();
    const store = new CheckpointStore(backend, 3, onCorrupt);
    for (const e of [1, 2, 3]) await store.save(checkpoint('room', e));
    const bytes = (await backend.get('room/e000003'))!;
    await backend.put('room/e000003', bytes.subarray(0, bytes.length - 7)); // a write cut short
    expect(await store.latest('room')).toEqual({ ok: true, value: checkpoint('room', 2) });
    expect(skipped).toHaveLength(1);
    expect(skipped[0]![0]).toBe('room/e000003');
    expect(skipped[0]![1]).toMatch(/corrupt checkpoint/);
  });

  it('rejects a valid checkpoint stored under another room or epoch key', async () => {
    const backend = createMemoryBackend();
    const { skipped, onCorrupt } = recorder();
    const store = new CheckpointStore(backend, 2, onCorrupt);
    await store.save(checkpoint('room', 1));
    await backend.put('room/e000007', encodeCheckpoint(checkpoint('other', 7)));
    await backend.put('room/e000008', encodeCheckpoint(checkpoint('room', 2)));
    expect(await latestEpoch(store, 'room')).toBe(1);
    expect(skipped.map(([k, r]) => `${k} ${r}`)).toEqual(["room/e000008 holds room 'room' epoch 2", "room/e000007 holds room 'other' epoch 7"]);
  });

  it('gives err when entries exist but none is readable, naming each', async () => {
    const backend = createMemoryBackend();
    await backend.put('room/e000001', new Uint8Array([1, 2, 3]));
    await backend.put('room/e000002', new TextEncoder().encode('SWCK but not really a checkpoint'));
    const r = await new CheckpointStore(backend).latest('room');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/no readable checkpoint for room 'room' \(room\/e000002: .*; room\/e000001: .*\)/);
  });

  it('ignores keys that are not its own and keeps rooms apart', async () => {
    const backend = createMemoryBackend();
    const store = new CheckpointStore(backend);
    await backend.put('room', new Uint8Array(1));
    await backend.put('room/notes', new Uint8Array(1));
    await backend.put('room/e12x', new Uint8Array(1));
    await store.save(checkpoint('room', 1));
    await store.save(checkpoint('room-b', 5));
    expect(await latestEpoch(store, 'room')).toBe(1);
    await store.clear('room');
    expect(await store.latest('room')).toEqual({ ok: true, value: null });
    expect((await backend.keys()).sort()).toEqual(['room', 'room-b/e000005', 'room/e12x', 'room/notes']);
  });

  it('never rejects from latest when the backend fails; save refuses a non-finite checkpoint', async () => {
    const mem = createMemoryBackend();
    const store = new CheckpointStore(mem);
    await store.save(checkpoint('room', 1));
    await store.save(checkpoint('room', 2));
    const flaky: CheckpointBackend = {
      ...mem,
      get: (key) => (key.endsWith('2') ? Promise.reject(new Error('disk gone')) : mem.get(key)),
    };
    const { skipped, onCorrupt } = recorder();
    expect(await latestEpoch(new CheckpointStore(flaky, 2, onCorrupt), 'room')).toBe(1);
    expect(skipped).toEqual([['room/e000002', 'read failed: disk gone']]);
    const broken: CheckpointBackend = { ...mem, keys: () => Promise.reject(new Error('quota')) };
    expect(await new CheckpointStore(broken).latest('room')).toEqual({ ok: false, error: 'cannot list checkpoints: quota' });
    const bad = checkpoint('room', 3);
    bad.params[0]!.data[0] = Number.NaN;
    await expect(store.save(bad)).rejects.toThrow(/non-finite/);
    expect(await latestEpoch(store, 'room')).toBe(2);
  });
});
