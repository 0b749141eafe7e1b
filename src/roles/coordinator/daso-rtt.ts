/**
 * RTT grouping for DASO (`?dasoRttMs=T`; ALGORITHMS.md 3.8: "peers clustered by RTT below 5 ms"): before the
 * first plan the coordinator asks the workers to measure their round-trip times to each other and groups with
 * core/daso/groups.ts's complete-linkage rule on what they report. Pure: the caller (daso-reducer.ts) plans.
 *
 * - Only devices without a `?group=` label are probed (labelled groups never merge), and each pair once, by
 *   its lower id: worker i gets `daso-probe` with the unlabelled ids above its own.
 * - The coordinator waits for every asked worker, at most PROBE_TIMEOUT_MS; a worker that never answers, or a
 *   pair that was not measured (-1), counts as +Inf, so it never merges (groups.ts).
 * - A report that names other peers than asked is misbehaviour (evict); a late, repeated or foreign one is
 *   ignored.
 * - The table is kept in the DasoRun and reused when the groups are re-formed; a tab that joins later has no
 *   times, so it gets a group of its own (or its machine's / label's).
 */
import type { RttLookup } from '../../core/daso/groups.ts';
import type { PeerId } from '../../core/ids.ts';
import type { DasoRttMsg, Message } from '../../protocol/messages.ts';
import type { DasoProbe, Member, RttTable } from './state.ts';

/** Pings per probed peer: the smallest of 5 (rtt-probe.ts) sees past a few slow answers (a GC pause, a busy tab). */
export const PROBE_PINGS = 5;
/**
 * How long the coordinator waits for the reports. A worker measures its peers side by side and answers within
 * its own 6 s budget with whatever it measured (worker/rtt-probe.ts PROBE_BUDGET_MS; on a LAN a probe takes
 * well under a second); the 4 s beyond that are for the answer's way back on a loaded machine.
 */
export const PROBE_TIMEOUT_MS = 10_000;

export interface ProbeStart {
  readonly probe: DasoProbe;
  readonly messages: readonly { readonly to: PeerId; readonly msg: Message }[];
}

/** The probes for `workers` (sorted by id), or null when fewer than two unlabelled workers could be clustered. */
export function startProbe(runId: string, workers: readonly Member[], now: number): ProbeStart | null {
  const ids = workers.filter((m) => (m.device.groupLabel ?? '') === '').map((m) => m.id).sort();
  if (ids.length < 2) return null;
  const asked: Record<string, readonly PeerId[]> = {};
  const messages: { to: PeerId; msg: Message }[] = [];
  ids.forEach((id, i) => {
    const peers = ids.slice(i + 1);
    if (peers.length === 0) return;
    asked[id] = peers;
    messages.push({ to: id, msg: { type: 'daso-probe', runId, peers, pings: PROBE_PINGS } });
  });
  return { probe: { asked, reported: [], rtt: {}, deadline: now + PROBE_TIMEOUT_MS }, messages };
}

export type RttVerdict =
  | { readonly kind: 'ok'; readonly probe: DasoProbe }
  | { readonly kind: 'ignore' | 'evict'; readonly reason: string };

/** Adds a worker's `daso-rtt` to the probe (see the module comment for what is ignored or evicted). */
export function acceptRtt(probe: DasoProbe, from: PeerId, m: DasoRttMsg): RttVerdict {
  const asked = probe.asked[from];
  if (asked === undefined || probe.reported.includes(from)) return { kind: 'ignore', reason: `ignored unexpected or repeated daso-rtt from ${from}` };
  if (m.peers.length !== asked.length || m.peers.some((p, i) => p !== asked[i])) {
    return { kind: 'evict', reason: `its daso-rtt names other peers than it was asked to probe (${m.peers.join(', ')})` };
  }
  const row: Record<string, number> = {};
  m.peers.forEach((p, i) => { const v = m.rttMs.data[i] ?? -1; if (v >= 0) row[p] = v; });
  return { kind: 'ok', probe: { ...probe, reported: [...probe.reported, from], rtt: { ...probe.rtt, [from]: row } } };
}

/** A worker that left is no longer waited for (its pairs stay unmeasured). */
export function probeWithout(probe: DasoProbe, id: PeerId): DasoProbe {
  const { [id]: _gone, ...asked } = probe.asked;
  return { ...probe, asked, reported: probe.reported.filter((x) => x !== id) };
}

/** Every asked worker has reported. */
export const probeComplete = (probe: DasoProbe): boolean => Object.keys(probe.asked).every((id) => probe.reported.includes(id as PeerId));

/** The asked workers that have not reported. */
export const probeMissing = (probe: DasoProbe): PeerId[] => (Object.keys(probe.asked) as PeerId[]).filter((id) => !probe.reported.includes(id));

/** The table as groups.ts's lookup: a → b as measured by a (groups.ts takes the larger of both directions). */
export function rttLookup(table: RttTable): RttLookup {
  return (a, b) => table[a]?.[b];
}

/** "w0-w1 0.4 ms, w0-w2 51.2 ms, ...": every measured pair, for the log. */
export function describeRtt(table: RttTable): string {
  const pairs = Object.entries(table).flatMap(([a, row]) => Object.entries(row).map(([b, ms]) => `${a}-${b} ${ms.toFixed(1)} ms`));
  return pairs.length === 0 ? 'no pair measured' : pairs.join(', ');
}
