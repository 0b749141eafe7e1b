import { describe, expect, it } from 'vitest';
import { accuracyDeltaVsClean, CHAOS_RUN, CLEAN_RUN, slowestRecovery, summariseChaos, wrongKeyRefused, type ChaosMeasurements, type WorkerClosure } from './chaos-ratios.ts';
import type { BenchRun } from './result-types.ts';
import { ratioVerdict } from './stats.ts';

function run(name: string, acc: number | null): BenchRun {
  return {
    method: 'dp', name, dataset: 'mnist', model: 'mlp', tabs: 5, seed: 1, wallSeconds: 100,
    targetAccuracy: null, timeToTargetSeconds: null, stepsToTarget: null, finalTestAccuracy: acc, bytesSent: 0,
    peakBytesPerTab: 0, curve: [], outcome: acc === null ? 'timeout' : 'ok',
  };
}

const closure = (epoch: number, recoverySeconds: number | null, peerId: string | null = `peer-${epoch}`): WorkerClosure =>
  ({ epoch, tab: `worker ${epoch}`, peerId, stepAtClose: 469 * epoch, recoverySeconds });

const good: ChaosMeasurements = {
  workerClosures: [closure(1, 1.25), closure(2, 2.75)],
  coordinatorFailoverSeconds: 8.5,
  hostileFramesSent: 10_000,
  hostileKinds: { garbage: 1250, 'oversized chunk': 7 },
  poisonedUpdatesSent: 300,
  wrongKey: { refused: 'unauthenticated: wrong room key (proof mismatch)', bytesReceived: 120 },
  tabCrashes: 0,
};

/** Verdict of every ratio against its own target, as the report computes it. */
function verdicts(out: ReturnType<typeof summariseChaos>): Record<string, string> {
  return Object.fromEntries(Object.entries(out.ratios).map(([k, v]) => {
    const t = out.ratioTargets[k]!;
    return [k, ratioVerdict(v, t.target, t.direction)];
  }));
}

describe('wrongKeyRefused', () => {
  it('needs the unauthenticated refusal and fewer than 500 bytes received', () => {
    expect(wrongKeyRefused({ refused: 'unauthenticated: wrong room key', bytesReceived: 499 })).toBe(1);
    expect(wrongKeyRefused({ refused: 'unauthenticated: wrong room key', bytesReceived: 500 })).toBe(0);
    expect(wrongKeyRefused({ refused: '', bytesReceived: 0 })).toBe(0); // admitted
    expect(wrongKeyRefused({ refused: 'timeout: no answer', bytesReceived: 0 })).toBe(0); // not a key refusal
    expect(wrongKeyRefused(null)).toBeNull();
  });
});

describe('slowestRecovery', () => {
  it('is the max, and null when there is no closure or any was not recovered', () => {
    expect(slowestRecovery([closure(1, 0.5), closure(2, 2.25), closure(3, 1)])).toBe(2.25);
    expect(slowestRecovery([closure(1, 0.5), closure(2, null)])).toBeNull();
    expect(slowestRecovery([])).toBeNull();
  });
});

describe('accuracyDeltaVsClean', () => {
  it('is chaos − clean, signed, null when a run did not finish or is missing', () => {
    expect(accuracyDeltaVsClean([run(CLEAN_RUN, 0.95), run(CHAOS_RUN, 0.9437)])).toBeCloseTo(-0.0063, 12);
    expect(accuracyDeltaVsClean([run(CHAOS_RUN, 0.97), run(CLEAN_RUN, 0.95)])).toBeCloseTo(0.02, 12);
    expect(accuracyDeltaVsClean([run(CLEAN_RUN, 0.95), run(CHAOS_RUN, null)])).toBeNull();
    expect(accuracyDeltaVsClean([run(CHAOS_RUN, 0.95)])).toBeNull();
  });
});

describe('summariseChaos', () => {
  it('passes every target when everything held', () => {
    const out = summariseChaos([run(CLEAN_RUN, 0.95), run(CHAOS_RUN, 0.945)], good, ['first']);
    expect(out.ratios).toEqual({
      accuracyDeltaVsClean: expect.closeTo(-0.005, 12) as number, workerLossRecoverySeconds: 2.75, coordinatorFailoverSeconds: 8.5,
      hostileFramesSent: 10_000, poisonedUpdatesSent: 300, wrongKeyRefused: 1, tabCrashes: 0,
    });
    expect(Object.keys(out.ratioTargets).sort()).toEqual(Object.keys(out.ratios).sort());
    expect(Object.values(verdicts(out)).every((v) => v === 'pass')).toBe(true);
    expect(out.notes[0]).toBe('first');
    expect(out.notes.some((n) => n.includes('peer-2') && n.includes('2.75 s'))).toBe(true);
    expect(out.notes.some((n) => n.includes('oversized chunk 7'))).toBe(true);
  });

  it('misses the targets it should', () => {
    const bad: ChaosMeasurements = { ...good, workerClosures: [closure(1, 3.5)], coordinatorFailoverSeconds: 16, hostileFramesSent: 9_000, poisonedUpdatesSent: 0, wrongKey: { refused: '', bytesReceived: 4000 }, tabCrashes: 1 };
    const v = verdicts(summariseChaos([run(CLEAN_RUN, 0.95), run(CHAOS_RUN, 0.935)], bad, []));
    expect(v).toEqual({ accuracyDeltaVsClean: 'miss', workerLossRecoverySeconds: 'miss', coordinatorFailoverSeconds: 'miss', hostileFramesSent: 'miss', poisonedUpdatesSent: 'miss', wrongKeyRefused: 'miss', tabCrashes: 'miss' });
  });

  it('checks the accuracy delta one-sided: a chaos run 2 points more accurate still passes', () => {
    const out = summariseChaos([run(CLEAN_RUN, 0.9), run(CHAOS_RUN, 0.92)], good, []);
    expect(out.ratios.accuracyDeltaVsClean).toBeCloseTo(0.02, 12);
    expect(verdicts(out).accuracyDeltaVsClean).toBe('pass');
    expect(out.ratioTargets.accuracyDeltaVsClean).toMatchObject({ target: -0.01, direction: 'min' });
  });

  it('reports null (not a pass) for what a failed chaos run did not measure', () => {
    const stopped: ChaosMeasurements = { workerClosures: [], coordinatorFailoverSeconds: null, hostileFramesSent: null, hostileKinds: null, poisonedUpdatesSent: null, wrongKey: null, tabCrashes: 0 };
    const out = summariseChaos([run(CLEAN_RUN, 0.95), run(CHAOS_RUN, null)], stopped, []);
    expect(out.ratios).toEqual({ accuracyDeltaVsClean: null, workerLossRecoverySeconds: null, coordinatorFailoverSeconds: null, hostileFramesSent: null, poisonedUpdatesSent: null, wrongKeyRefused: null, tabCrashes: 0 });
    const v = verdicts(out);
    expect(Object.entries(v).filter(([, x]) => x === 'n/a').map(([k]) => k).sort()).toEqual(['accuracyDeltaVsClean', 'coordinatorFailoverSeconds', 'hostileFramesSent', 'poisonedUpdatesSent', 'workerLossRecoverySeconds', 'wrongKeyRefused']);
    expect(out.notes.some((n) => n.includes('no worker tab was closed'))).toBe(true);
    expect(out.notes.some((n) => n.includes('a run did not finish'))).toBe(true);
  });

  it('makes one unrecovered closure null the headline and names it', () => {
    const out = summariseChaos([run(CLEAN_RUN, 0.95), run(CHAOS_RUN, 0.95)], { ...good, workerClosures: [closure(1, 0.8), closure(2, null), closure(3, null, null)] }, []);
    expect(out.ratios.workerLossRecoverySeconds).toBeNull();
    expect(out.notes.filter((n) => n.includes('NOT recovered'))).toHaveLength(1);
    expect(out.notes.filter((n) => n.includes('recovery not measured'))).toHaveLength(1);
  });
});
