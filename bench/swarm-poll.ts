/**
 * What every swarm suite does with its tabs: build an app URL from parameters, read `window.swarm.status()`
 * and poll one tab until a condition holds (sampling every tab's heap on the way).
 */
import { randomBytes } from 'node:crypto';
import type { SwarmStatus } from '../src/ui/snapshot.ts';
import type { HeapTracker, Tab } from './browser-driver.ts';

/** The README's status poll cadence for automation. */
export const POLL_MS = 500;

/** URL parameters of the app (README, "URL parameters"). */
export type Query = Readonly<Record<string, string | number>>;

/** One random room key per room name, like the one a real join link carries after '#key='. */
const roomKeys = new Map<string, string>();
function roomKeyOf(room: string): string {
  const known = roomKeys.get(room);
  if (known !== undefined) return known;
  const key = randomBytes(16).toString('base64url');
  roomKeys.set(room, key);
  return key;
}

/** The app URL of a tab of `q.room` with the room's key in the fragment (every tab of a room gets the same). */
export const urlOf = (base: string, q: Query): string => {
  const query = new URLSearchParams(Object.entries(q).map(([k, v]) => [k, String(v)])).toString();
  return `${base}/?${query}${q.room === undefined ? '' : `#key=${roomKeyOf(String(q.room))}`}`;
};

/** The tab's status, or null while the app has not booted (or the page is gone). */
export const readStatus = (tab: Tab): Promise<SwarmStatus | null> =>
  tab.page.evaluate(() => (typeof window.swarm === 'undefined' ? null : window.swarm.status())).catch(() => null);

/** Polls `tab` (sampling the heap of every tab `tabs()` lists) until `pred` holds, it fails, or time runs out. */
export async function pollUntil(tab: Tab, tabs: () => readonly Tab[], heap: HeapTracker, pred: (s: SwarmStatus) => boolean, timeoutMs: number): Promise<{ status: SwarmStatus | null; outcome: 'ok' | 'failed' | 'timeout' }> {
  const deadline = Date.now() + timeoutMs;
  let last: SwarmStatus | null = null;
  while (Date.now() < deadline) {
    last = (await readStatus(tab)) ?? last;
    await heap.sample(tabs());
    if (last !== null && pred(last)) return { status: last, outcome: 'ok' };
    if (last?.phase === 'failed') return { status: last, outcome: 'failed' };
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  return { status: last, outcome: 'timeout' };
}

/** Log lines a suite keeps per tab. */
export const KEPT_LOG_LINES = 20;

/**
 * A tab's warnings, errors and the info lines matching `milestone`, consecutive repeats collapsed into one line
 * with a count, the last KEPT_LOG_LINES of them.
 */
export function keptLog(s: SwarmStatus | null, milestone: RegExp): string[] {
  const out: { text: string; n: number }[] = [];
  for (const l of s?.log ?? []) {
    if (l.level === 'info' && !milestone.test(l.text)) continue;
    const text = `${l.level}: ${l.text}`;
    const last = out[out.length - 1];
    if (last?.text === text) last.n += 1;
    else out.push({ text, n: 1 });
  }
  return out.slice(-KEPT_LOG_LINES).map((x) => (x.n > 1 ? `${x.text} (x${x.n})` : x.text));
}
