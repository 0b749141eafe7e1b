/**
 * The listener set every transport uses. `emit` never throws: a listener that throws is reported
 * asynchronously (so the bug stays visible) and the other listeners still run.
 */
import type { TransportEvent, TransportListener } from './transport.ts';

/** Ordered set of transport listeners with exception-safe delivery. */
export class Listeners {
  private readonly set = new Set<TransportListener>();

  /** Adds `listener`; returns the function that removes it. */
  add(listener: TransportListener): () => void {
    this.set.add(listener);
    return () => {
      this.set.delete(listener);
    };
  }

  /** Calls every listener with `event`, in subscription order. */
  emit(event: TransportEvent): void {
    for (const listener of [...this.set]) {
      try {
        listener(event);
      } catch (e: unknown) {
        queueMicrotask(() => {
          throw e instanceof Error ? e : new Error(String(e));
        });
      }
    }
  }

  /** Removes every listener. */
  clear(): void {
    this.set.clear();
  }
}
