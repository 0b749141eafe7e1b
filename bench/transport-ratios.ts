/**
 * The transport suite's ratios and notes, from its runs. Pure. Runs carry `phase` ('main' rounds compare
 * the two methods; 'sweep' rounds vary the size); raw runs have method 'raw-datachannel', the project's
 * 'peerjs-transport'.
 */
import type { BenchRun, RatioTarget } from './result-types.ts';
import { median, ratio } from './stats.ts';
import type { SuiteOutcome } from './suite-context.ts';

const KIB = 1024;
/** Chunk sizes of the sweep: the portable size, the project's default, Chromium's SCTP maximum. */
export const SWEEP_BYTES: readonly number[] = [16 * KIB, 64 * KIB, 256 * KIB];
/** transportVsRaw target: the project transport should keep 85% of a raw channel's throughput. */
export const TRANSPORT_TARGET = 0.85;
/** Which part of the suite a run belongs to. */
export type TransportPhase = 'main' | 'sweep';

const num = (v: unknown): number => (typeof v === 'number' ? v : Number.NaN);
const mbpsOf = (runs: readonly BenchRun[], method: string): number[] => runs.filter((r) => r.method === method).map((r) => num(r.throughputMBps));

/** Where a project round's time goes: codec share, framing overhead, best chunk size of the sweep. */
function bottleneckNotes(project: readonly BenchRun[], sweep: readonly BenchRun[]): string[] {
  const notes: string[] = [];
  const share = median(project.map((r) => (num(r.encodeMs) + num(r.decodeMs)) / 1000 / num(r.seconds)));
  if (share !== null) notes.push(`encodeMessage + decodeMessage took ${(share * 100).toFixed(0)}% of each project round (same page, same thread as both ends of the channel)`);
  const overhead = median(project.map((r) => r.bytesSent / num(r.totalBytes) - 1));
  if (overhead !== null) notes.push(`chunk framing adds ${(overhead * 100).toFixed(2)}% bytes on the wire`);
  for (const [method, what] of [['peerjs-transport', 'project chunk-size'], ['raw-datachannel', 'raw message-size']] as const) {
    const bySize = SWEEP_BYTES.map((size) => ({ size, mbps: median(mbpsOf(sweep.filter((r) => r.chunkBytes === size), method)) }));
    const measured = bySize.filter((s): s is { size: number; mbps: number } => s.mbps !== null);
    const best = [...measured].sort((a, b) => b.mbps - a.mbps)[0];
    if (best === undefined) continue;
    const all = measured.map((s) => `${s.size / KIB} KiB ${s.mbps.toFixed(1)}`).join(', ');
    notes.push(`${what} sweep, median MB/s: ${all}; fastest: ${best.size / KIB} KiB`);
  }
  return notes;
}

/**
 * transportVsRaw = median project MB/s / median raw MB/s over the main rounds; chunkNKiBVsRaw = median of
 * the project forced to N KiB chunks (sweep) / the same raw median. `peak` (the page's sampled heap peak) is applied
 * to every run, since all rounds share one page.
 */
export function summariseTransport(all: readonly BenchRun[], notes: readonly string[], peak: number): SuiteOutcome {
  const runs = all.map((r): BenchRun => ({ ...r, peakBytesPerTab: Math.max(r.peakBytesPerTab, peak) }));
  const main = runs.filter((r) => r.phase === 'main');
  const sweep = runs.filter((r) => r.phase === 'sweep');
  const rawMedian = median(mbpsOf(main, 'raw-datachannel'));
  const ratios: Record<string, number | null> = { transportVsRaw: ratio(median(mbpsOf(main, 'peerjs-transport')), rawMedian) };
  const ratioTargets: Record<string, RatioTarget> = {
    transportVsRaw: { target: TRANSPORT_TARGET, direction: 'min', meaning: 'median MB/s of the project transport (gradient messages) / median MB/s of a raw data channel' },
  };
  for (const size of SWEEP_BYTES) {
    const key = `chunk${size / KIB}KiBVsRaw`;
    ratios[key] = ratio(median(mbpsOf(sweep.filter((r) => r.chunkBytes === size), 'peerjs-transport')), rawMedian);
    ratioTargets[key] = { target: null, direction: 'min', meaning: `median MB/s of the project transport forced to ${size / KIB} KiB chunks / median raw of the main rounds` };
  }
  const value = ratios.transportVsRaw ?? null;
  const why = bottleneckNotes(main.filter((r) => r.method === 'peerjs-transport'), sweep);
  const miss = value !== null && value < TRANSPORT_TARGET ? [`transportVsRaw ${value.toFixed(2)} is below the ${TRANSPORT_TARGET} target; where the time goes:`] : [];
  return { runs, ratios, ratioTargets, notes: [...notes, ...miss, ...why] };
}
