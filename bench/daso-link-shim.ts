/**
 * A slow link injected into a page, for the `daso` suite's flat synchronous baseline (algo=dp).
 *
 * Why: the app's `?emulateGlobalLink=` only wraps the transport of DASO workers (src/app/join-room.ts applies
 * it when algo is 'daso', and GroupLinks slows only worker-to-worker links across groups). A dp run ignores it,
 * so the bench emulates the same link itself, from outside the app: an init script patches the tab's
 * `RTCDataChannel` so that every chunk it sends, and every chunk it receives, first crosses an emulated serial
 * wire with the model of src/transport/link-emulation.ts (FIFO, `bytes / bytesPerSecond` of wire time,
 * pipelined one-way latency; one wire per channel and direction). Installed in the tabs of the "far" group,
 * whose only data channel in a dp run is the one to the coordinator, it makes that link slow both ways.
 *
 * Only `send` and `addEventListener('message')` are patched: the paths PeerJS 1.5 uses with serialization
 * 'raw' (its `onmessage` handler only logs). Counters land on `globalThis[SHIM_STATS_KEY]`.
 */

/** One direction of the emulated link (as link-emulation.ts LinkProfile). */
export interface ShimProfile {
  readonly latencyMs: number;
  readonly bytesPerSecond: number;
}

/** The booking state of one emulated wire, ms. */
export interface WireState {
  /** When the wire finishes transmitting the last booked message. */
  freeAt: number;
  /** Delivery time of the last booked message (deliveries never overtake each other). */
  lastDeliverAt: number;
}

/** What the shim counted in one tab (payload bytes of data channel messages, both directions). */
export interface ShimStats {
  bytesSent: number;
  bytesReceived: number;
  messagesSent: number;
  messagesReceived: number;
  /** Sum over messages of the modelled delay (queueing + transmission + latency), ms. */
  delayMs: number;
  /** Sends dropped because the channel closed while they were on the emulated wire. */
  dropped: number;
}

/** Where the page keeps its ShimStats. */
export const SHIM_STATS_KEY = '__dasoLinkShim';

/**
 * Books `bytes` sent at `now` on `wire` and returns when they are delivered: transmission starts when the
 * wire is free, takes bytes / bytesPerSecond, and the latency is added after it (link-emulation.ts enqueue()).
 * @example bookWire({ freeAt: 0, lastDeliverAt: 0 }, 1e6, 0, { latencyMs: 50, bytesPerSecond: 10e6 }) // 150
 */
export function bookWire(wire: WireState, bytes: number, now: number, profile: ShimProfile): number {
  const start = Math.max(now, wire.freeAt);
  wire.freeAt = start + (bytes / profile.bytesPerSecond) * 1000; // s → ms
  const deliverAt = Math.max(wire.freeAt + profile.latencyMs, wire.lastDeliverAt);
  wire.lastDeliverAt = deliverAt;
  return deliverAt;
}

type Send = (this: RTCDataChannel, data: unknown) => void;
type AddListener = (this: RTCDataChannel, type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions) => void;

/** The page side. Serialised with toString(), so it must use nothing from this module but its arguments. */
function installLinkShim(profile: ShimProfile, book: typeof bookWire, key: string): void {
  interface Item { readonly at: number; readonly run: () => void }
  interface Queue { readonly wire: WireState; readonly items: Item[]; timer: boolean }
  const stats: ShimStats = { bytesSent: 0, bytesReceived: 0, messagesSent: 0, messagesReceived: 0, delayMs: 0, dropped: 0 };
  (globalThis as unknown as Record<string, unknown>)[key] = stats;
  const proto = RTCDataChannel.prototype;
  const send = Object.getOwnPropertyDescriptor(proto, 'send')?.value as Send;
  const add = Object.getOwnPropertyDescriptor(proto, 'addEventListener')?.value as AddListener | undefined
    ?? Object.getOwnPropertyDescriptor(EventTarget.prototype, 'addEventListener')?.value as AddListener;
  const queues = new WeakMap<RTCDataChannel, { out: Queue; in: Queue }>();
  const booked = new WeakMap<Event, number>();
  const queueOf = (ch: RTCDataChannel, dir: 'out' | 'in'): Queue => {
    let q = queues.get(ch);
    if (q === undefined) {
      const now = performance.now();
      const fresh = (): Queue => ({ wire: { freeAt: now, lastDeliverAt: now }, items: [], timer: false });
      q = { out: fresh(), in: fresh() };
      queues.set(ch, q);
    }
    return q[dir];
  };
  // Runs every item that is due, in booking order, then sleeps until the next one is.
  const pump = (q: Queue): void => {
    const now = performance.now();
    for (let head = q.items[0]; head !== undefined && head.at <= now; head = q.items[0]) {
      q.items.shift();
      head.run();
    }
    const next = q.items[0];
    if (next === undefined || q.timer) return;
    q.timer = true;
    setTimeout(() => { q.timer = false; pump(q); }, Math.max(0, next.at - now));
  };
  const enqueue = (q: Queue, at: number, run: () => void): void => {
    q.items.push({ at, run });
    pump(q);
  };
  const sizeOf = (d: unknown): number => {
    if (typeof d === 'string') return d.length;
    if (ArrayBuffer.isView(d)) return d.byteLength;
    const o = d as { byteLength?: unknown; size?: unknown };
    return typeof o.byteLength === 'number' ? o.byteLength : typeof o.size === 'number' ? o.size : 0;
  };
  proto.send = function shimSend(this: RTCDataChannel, data: unknown): void {
    if (this.readyState !== 'open') { send.call(this, data); return; } // throws as the real one does
    const bytes = sizeOf(data);
    const now = performance.now();
    const at = book(queueOf(this, 'out').wire, bytes, now, profile);
    stats.bytesSent += bytes;
    stats.messagesSent += 1;
    stats.delayMs += at - now;
    enqueue(queueOf(this, 'out'), at, () => {
      if (this.readyState !== 'open') { stats.dropped += 1; return; }
      try { send.call(this, data); } catch { stats.dropped += 1; }
    });
  };
  proto.addEventListener = function shimAdd(this: RTCDataChannel, type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void {
    if (type !== 'message' || typeof listener !== 'function') { add.call(this, type, listener, options); return; }
    add.call(this, type, (e: Event) => {
      let at = booked.get(e); // several listeners: the message crosses the wire once
      if (at === undefined) {
        const bytes = sizeOf((e as MessageEvent).data);
        const now = performance.now();
        at = book(queueOf(this, 'in').wire, bytes, now, profile);
        booked.set(e, at);
        stats.bytesReceived += bytes;
        stats.messagesReceived += 1;
        stats.delayMs += at - now;
      }
      enqueue(queueOf(this, 'in'), at, () => { listener.call(this, e); });
    }, options);
  } as RTCDataChannel['addEventListener'];
}

/**
 * The init script that installs the shim (for `BrowserContext.addInitScript({ content })`). `__name` is
 * defined because tsx/esbuild wrap named functions in `__name(...)` calls that a page does not have.
 */
export function linkShimScript(profile: ShimProfile): string {
  const args = `${JSON.stringify(profile)}, ${bookWire.toString()}, ${JSON.stringify(SHIM_STATS_KEY)}`;
  return `(() => { const __name = (f) => f; (${installLinkShim.toString()})(${args}); })();`;
}
