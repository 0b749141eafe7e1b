/**
 * A keyed mailbox with waiters, for the DASO runner: messages from peers may arrive before the runner wants
 * them (a group peer one batch ahead), so they wait here under a key (e.g. `step:from`); the runner awaits a
 * key or any condition, and is woken whenever something arrives. `stop` makes every wait reject, so a
 * finished or failed run unwinds its loop.
 */

/** Thrown into waiting code when the inbox is stopped. */
export class InboxStopped extends Error {
  static readonly NAME = 'InboxStopped';
  constructor(reason: string) {
    super(reason);
    this.name = InboxStopped.NAME;
  }
}

/** Wakes waiters; shared by several typed inboxes of one runner. */
export class Signal {
  private wakers: (() => void)[] = [];
  private stopped: InboxStopped | null = null;

  wake(): void {
    const w = this.wakers;
    this.wakers = [];
    for (const f of w) f();
  }

  stop(reason: string): void {
    this.stopped ??= new InboxStopped(reason);
    this.wake();
  }

  get isStopped(): boolean {
    return this.stopped !== null;
  }

  /** Resolves once `pred()` holds (checked now and after every wake); rejects once stopped. */
  async until(pred: () => boolean): Promise<void> {
    for (;;) {
      if (this.stopped !== null) throw this.stopped;
      if (pred()) return;
      await new Promise<void>((resolve) => this.wakers.push(resolve));
    }
  }
}

/** Values by key; the first value put under a key wins (a duplicate message is ignored). */
export class Inbox<V> {
  private readonly items = new Map<string, V>();

  constructor(private readonly signal: Signal) {}

  /** Stores `v` under `key` unless one is there; false when it was a duplicate. */
  put(key: string, v: V): boolean {
    if (this.items.has(key)) return false;
    this.items.set(key, v);
    this.signal.wake();
    return true;
  }

  /** Waits for `key`, removes and returns its value. */
  async take(key: string): Promise<V> {
    await this.signal.until(() => this.items.has(key));
    const v = this.items.get(key);
    this.items.delete(key);
    if (v === undefined) throw new InboxStopped(`inbox lost ${key}`);
    return v;
  }

  get size(): number {
    return this.items.size;
  }
}
