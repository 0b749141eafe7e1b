import { describe, expect, it } from 'vitest';
import { sampleResult } from './sample-result.ts';
import { isBenchRun, validateSuiteResult } from './validate-result.ts';

/** The sample as parsed JSON, with one change applied at a path. */
function mutated(change: (o: Record<string, unknown>) => void): unknown {
  const o = JSON.parse(JSON.stringify(sampleResult())) as Record<string, unknown>;
  change(o);
  return o;
}

const runAt = (o: Record<string, unknown>, i: number): Record<string, unknown> => (o.runs as Record<string, unknown>[])[i]!;

describe('validateSuiteResult', () => {
  it('accepts a well-formed result, suite-specific run fields included', () => {
    const r = validateSuiteResult(JSON.parse(JSON.stringify(sampleResult())));
    expect(r.ok).toBe(true);
    expect(isBenchRun(sampleResult().runs[0])).toBe(true);
  });

  it.each([
    ['not an object', () => 42, 'result is not an object'],
    ['an unknown suite', () => mutated((o) => { o.suite = 'speed'; }), 'suite "speed"'],
    ['a missing machine field', () => mutated((o) => { delete (o.machine as Record<string, unknown>).cpus; }), 'machine.cpus'],
    ['a bad date', () => mutated((o) => { o.startedAt = 'yesterday'; }), 'startedAt'],
    ['a missing run field', () => mutated((o) => { delete runAt(o, 1).wallSeconds; }), 'runs[1].wallSeconds'],
    ['a string where a number belongs', () => mutated((o) => { runAt(o, 0).bytesSent = '12'; }), 'runs[0].bytesSent'],
    ['a malformed curve point', () => mutated((o) => { runAt(o, 0).curve = [[1, 0.5, 3]]; }), 'runs[0].curve'],
    ['a ratio without target', () => mutated((o) => { (o.ratios as Record<string, unknown>).extra = 1; }), 'ratioTargets.extra'],
    ['a non-numeric ratio', () => mutated((o) => { (o.ratios as Record<string, unknown>).speedup2 = 'fast'; }), 'ratios.speedup2'],
    ['notes that are not strings', () => mutated((o) => { o.notes = [1]; }), 'notes'],
  ])('rejects %s', (_what, make, message) => {
    const r = validateSuiteResult(make());
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(message);
  });

  it('allows null where a measurement may be missing', () => {
    const r = validateSuiteResult(mutated((o) => { runAt(o, 0).timeToTargetSeconds = null; runAt(o, 0).finalTestAccuracy = null; }));
    expect(r.ok).toBe(true);
  });
});
