/**
 * Keeps the newest checkpoints of each room in a key-value backend (IndexedDB in the browser, memory in
 * tests), so reopening a room after every tab closed resumes from the last completed epoch.
 *
 * Keys are `${room}/e${epoch, 6 digits}`; a room is an id ([A-Za-z0-9_-], checked by the codec), so '/' is a
 * safe separator and the keys of one room sort by epoch. Saving epoch e also deletes the room's entries
 * with a higher epoch: they belong to an abandoned run (a restart, or a new run without `clear`), so "the
 * highest epoch" always means "the newest save". Stored bytes are untrusted: `latest` decodes them and
 * falls back past corrupt entries.
 *
 * @example
 *   const store = new CheckpointStore(createIndexedDbBackend(), 2, (key, why) => log.warn(`${key}: ${why}`));
 *   await store.save({ room, runId, config, epoch, step, savedAt: Date.now(), params, slots });
 *   const last = await store.latest(room); // ok(null) = nothing saved; err = entries exist, none readable
 */
import { err, ok } from '../core/result.ts';
import type { Result } from '../core/result.ts';
import type { Checkpoint } from './checkpoint-codec.ts';
import { decodeCheckpoint, encodeCheckpoint } from './checkpoint-codec.ts';

/** A string-keyed byte store. Methods reject on storage failure (quota, a closed database). */
export interface CheckpointBackend {
  get(key: string): Promise<Uint8Array | undefined>;
  put(key: string, bytes: Uint8Array): Promise<void>;
  delete(key: string): Promise<void>;
  keys(): Promise<string[]>;
}

/** In-memory backend for tests; stores copies, so callers cannot alias what is stored. */
export function createMemoryBackend(): CheckpointBackend {
  const entries = new Map<string, Uint8Array>();
  return {
    get: (key) => Promise.resolve(entries.get(key)?.slice()),
    put: (key, bytes) => { entries.set(key, bytes.slice()); return Promise.resolve(); },
    delete: (key) => { entries.delete(key); return Promise.resolve(); },
    keys: () => Promise.resolve([...entries.keys()]),
  };
}

const STORE_NAME = 'checkpoints';

function requestDone<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => { resolve(req.result); };
    req.onerror = () => { reject(req.error ?? new Error('IndexedDB request failed')); };
  });
}

function transactionDone(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => { resolve(); };
    tx.onerror = () => { reject(tx.error ?? new Error('IndexedDB transaction failed')); };
    tx.onabort = () => { reject(tx.error ?? new Error('IndexedDB transaction aborted')); };
  });
}

/** Browser backend: one IndexedDB database with one object store of Uint8Array values (out-of-line keys). */
export function createIndexedDbBackend(dbName = 'swarm-checkpoints'): CheckpointBackend {
  let opened: Promise<IDBDatabase> | null = null;
  const db = (): Promise<IDBDatabase> => {
    opened ??= new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open(dbName, 1);
      req.onupgradeneeded = () => { req.result.createObjectStore(STORE_NAME); };
      req.onsuccess = () => {
        // Another tab upgrading the schema asks us to let go; reopen lazily on the next call.
        req.result.onversionchange = () => { req.result.close(); opened = null; };
        resolve(req.result);
      };
      req.onerror = () => { opened = null; reject(req.error ?? new Error(`cannot open IndexedDB '${dbName}'`)); };
      req.onblocked = () => { opened = null; reject(new Error(`IndexedDB '${dbName}' is blocked by another tab`)); };
    });
    return opened;
  };
  const write = async (action: (store: IDBObjectStore) => void): Promise<void> => {
    const tx = (await db()).transaction(STORE_NAME, 'readwrite');
    const done = transactionDone(tx);
    action(tx.objectStore(STORE_NAME));
    await done;
  };
  return {
    async get(key) {
      const value: unknown = await requestDone((await db()).transaction(STORE_NAME).objectStore(STORE_NAME).get(key));
      // Anything but bytes is corruption; hand the codec an empty array so it is reported as such.
      if (value === undefined) return undefined;
      return value instanceof Uint8Array ? value : new Uint8Array(0);
    },
    put: (key, bytes) => write((s) => { s.put(bytes, key); }),
    delete: (key) => write((s) => { s.delete(key); }),
    async keys() {
      const all = await requestDone((await db()).transaction(STORE_NAME).objectStore(STORE_NAME).getAllKeys());
      return all.filter((k): k is string => typeof k === 'string');
    },
  };
}

/** Called for each entry `latest` skips: its key and why it could not be used. */
export type CorruptEntryHandler = (key: string, reason: string) => void;

const EPOCH_DIGITS = 6;
const keyFor = (room: string, epoch: number): string => `${room}/e${String(epoch).padStart(EPOCH_DIGITS, '0')}`;

export class CheckpointStore {
  /**
   * @param keep how many checkpoints to keep per room (≥ 1); 2 leaves a fallback if the newest is damaged.
   * @param onCorrupt told about every entry `latest` had to skip.
   */
  constructor(
    private readonly backend: CheckpointBackend,
    private readonly keep = 2,
    private readonly onCorrupt: CorruptEntryHandler = () => undefined,
  ) {
    if (!Number.isSafeInteger(keep) || keep < 1) throw new RangeError(`keep must be an integer ≥ 1, got ${keep}`);
  }

  /** The room's entries, newest (highest epoch) first. Keys not of our form are ignored. */
  private async roomEntries(room: string): Promise<{ key: string; epoch: number }[]> {
    const prefix = `${room}/e`;
    const entries: { key: string; epoch: number }[] = [];
    for (const key of await this.backend.keys()) {
      const digits = key.startsWith(prefix) ? key.slice(prefix.length) : '';
      if (/^\d+$/.test(digits)) entries.push({ key, epoch: Number(digits) });
    }
    return entries.sort((a, b) => b.epoch - a.epoch);
  }

  /**
   * Stores `c` under its room and epoch, then deletes the room's later-epoch entries and all but the
   * newest `keep`.
   * @throws RangeError (from encodeCheckpoint) for a checkpoint that cannot be encoded, e.g. non-finite values;
   *   rejects when the backend fails.
   */
  async save(c: Checkpoint): Promise<void> {
    const bytes = encodeCheckpoint(c);
    await this.backend.put(keyFor(c.room, c.epoch), bytes);
    const entries = await this.roomEntries(c.room);
    const kept = entries.filter((e) => e.epoch <= c.epoch).slice(0, this.keep);
    for (const e of entries) if (!kept.includes(e)) await this.backend.delete(e.key);
  }

  /**
   * The newest readable checkpoint of `room`: ok(null) when the room has none, err when it has entries and
   * none decodes (or the key listing fails). Skipped entries go to `onCorrupt`. Never rejects.
   */
  async latest(room: string): Promise<Result<Checkpoint | null, string>> {
    let entries: { key: string; epoch: number }[];
    try {
      entries = await this.roomEntries(room);
    } catch (e) {
      return err(`cannot list checkpoints: ${e instanceof Error ? e.message : String(e)}`);
    }
    const problems: string[] = [];
    for (const { key, epoch } of entries) {
      const r = await this.read(key, room, epoch);
      if (r.ok) return r;
      problems.push(`${key}: ${r.error}`);
      this.onCorrupt(key, r.error);
    }
    return problems.length === 0 ? ok(null) : err(`no readable checkpoint for room '${room}' (${problems.join('; ')})`);
  }

  private async read(key: string, room: string, epoch: number): Promise<Result<Checkpoint, string>> {
    let bytes: Uint8Array | undefined;
    try {
      bytes = await this.backend.get(key);
    } catch (e) {
      return err(`read failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (bytes === undefined) return err('vanished while reading');
    const c = decodeCheckpoint(bytes);
    if (!c.ok) return c;
    // A valid checkpoint under the wrong key was written by something else: do not resume from it.
    if (c.value.room !== room || c.value.epoch !== epoch) return err(`holds room '${c.value.room}' epoch ${c.value.epoch}`);
    return c;
  }

  /** Deletes every checkpoint of `room` (a new run starts there). */
  async clear(room: string): Promise<void> {
    for (const e of await this.roomEntries(room)) await this.backend.delete(e.key);
  }
}
