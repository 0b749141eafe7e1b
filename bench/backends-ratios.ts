/** The backends suite's ratios, from each backend's measured throughput. Pure. */
import type { BenchRun, RatioTarget } from './result-types.ts';
import { maxOf, ratio } from './stats.ts';
import type { SuiteOutcome } from './suite-context.ts';

/** One backend's throughput, samples/s (median over rounds), or null when not measured. */
export interface BackendThroughput {
  readonly backend: string;
  /** The project's training loop (Replica). */
  readonly loop: number | null;
  /** tfjs model.fit of the same model. */
  readonly fit: number | null;
}

/** The auto-chosen backend should be within 10% of the fastest backend (10% ≈ run-to-run noise). */
export const CHOSEN_VS_FASTEST_TARGET = 0.9;
/** The project's loop should be within 20% of tfjs model.fit on the same backend. */
export const LOOP_VS_FIT_TARGET = 0.8;

/**
 * chosenVsFastest = loop samples/s of the auto-chosen backend / best loop samples/s of any backend;
 * loopVsModelFit = loop / model.fit on the chosen backend; loopVsModelFit<Backend> for each backend.
 * `measured` holds each backend's median over rounds (null when it could not be measured).
 */
export function summariseBackends(chosen: string, measured: readonly BackendThroughput[], runs: readonly BenchRun[], notes: readonly string[]): SuiteOutcome {
  const fastest = maxOf(measured.map((m) => m.loop));
  const mine = measured.find((m) => m.backend === chosen);
  const ratios: Record<string, number | null> = {
    chosenVsFastest: ratio(mine?.loop, fastest),
    loopVsModelFit: ratio(mine?.loop, mine?.fit),
  };
  const ratioTargets: Record<string, RatioTarget> = {
    chosenVsFastest: { target: CHOSEN_VS_FASTEST_TARGET, direction: 'min', meaning: `project-loop samples/s of the auto-chosen backend (${chosen}) / of the fastest backend` },
    loopVsModelFit: { target: LOOP_VS_FIT_TARGET, direction: 'min', meaning: `project loop samples/s / tfjs model.fit samples/s, on the chosen backend (${chosen})` },
  };
  for (const m of measured) {
    const key = `loopVsModelFit${m.backend[0]?.toUpperCase() ?? ''}${m.backend.slice(1)}`;
    ratios[key] = ratio(m.loop, m.fit);
    ratioTargets[key] = { target: null, direction: 'min', meaning: `project loop / model.fit on ${m.backend}` };
  }
  const best = measured.find((m) => m.loop !== null && m.loop === fastest);
  const extra = best === undefined ? [] : [`fastest backend for the project loop: ${best.backend} (${Math.round(best.loop ?? 0)} samples/s, median of rounds)`];
  return { runs, ratios, ratioTargets, notes: [...notes, ...extra] };
}
