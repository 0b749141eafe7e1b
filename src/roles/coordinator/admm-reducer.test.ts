import { describe, expect, it } from 'vitest';
import { peerIdFrom, type PeerId } from '../../core/ids.ts';
import type { AdmmRoundMsg, AdmmUpdateMsg, DeviceInfo } from '../../protocol/messages.ts';
import { testConfig } from '../../testing/run-config.ts';
import { acceptAdmmUpdate, admmWithout, advanceAdmm, startAdmm, type AdmmCommand, type AdmmContext, type AdmmOptions, type AdmmOut, type AdmmVerdict } from './admm-reducer.ts';
import { initialCoordinatorState } from './reducer.ts';
import type { AdmmRun, CoordinatorState, Member } from './state.ts';

/** Two parameter tensors of 3 and 2 values: n = 5. */
const SIZES = [3, 2];
const N = 5;
/** 84 training rows at a global batch of 12: 7 steps per epoch (not a multiple of K = 3); 2 epochs = 14 steps. */
const config = testConfig({ algo: 'dho2', optimizer: 'sgd', globalBatch: 12, epochs: 2 });
const TRAIN_ROWS = 84;
const ROWS = 4;
const OPTIONS: AdmmOptions = { localSteps: 3, rho: 0.5, refreshEvery: 5, warmup: 4, newtonRate: 0.2, clip: 3 };
const ctxOf = (options: AdmmOptions): AdmmContext => ({ paramSizes: SIZES, options, shares: (_s, ids) => Object.fromEntries(ids.map((id) => [id, ROWS])) });
const CTX = ctxOf(OPTIONS);

const device: DeviceInfo = { backend: 'cpu', adapter: '', reason: 'test', samplesPerSec: 100, memoryBytes: 0, selfTestPassed: true, userAgent: 'test' };
const A = peerIdFrom('a');
const B = peerIdFrom('b');
const C = peerIdFrom('c');
const D = peerIdFrom('d'); // a late joiner: slot set, not active yet
const E = peerIdFrom('e'); // failed the self-test: active but excluded
const member = (id: PeerId, slot: number | null, active = true, excluded = false): Member => ({ id, device, lastSeen: 0, slot, active, excluded });

const base: CoordinatorState = {
  ...initialCoordinatorState(config, 2, true, TRAIN_ROWS),
  phase: 'training', startedAt: 0,
  members: { [A]: member(A, 0), [B]: member(B, 1), [C]: member(C, 2), [E]: member(E, null, true, true) },
};

// ---- helpers -------------------------------------------------------------------------------------

const f32 = (a: readonly number[]): Float32Array => Float32Array.from(a);
/** float32 rounding of a number (what a Float32Array stores). */
const r32 = (v: number): number => Math.fround(v);

function update(round: number, x: readonly number[], count = 8, lossSum = 2, runId = 'run1'): AdmmUpdateMsg {
  const params = [x.slice(0, 3), x.slice(3)].map((p) => ({ dtype: 'float32' as const, shape: [p.length], data: f32(p) }));
  return { type: 'admm-update', runId, round, count, lossSum, params };
}
function okOut(v: AdmmVerdict): AdmmOut {
  if (v.kind !== 'ok') throw new Error(`expected ok, got ${v.kind}: ${v.reason}`);
  return v.out;
}
const roundsOf = (cs: readonly AdmmCommand[]): { to: PeerId; msg: AdmmRoundMsg }[] =>
  cs.flatMap((c) => (c.type === 'send' && c.msg.type === 'admm-round' ? [{ to: c.to, msg: c.msg }] : []));
const anchorOf = (m: AdmmRoundMsg | undefined): number[][] => (m?.anchor ?? []).map((t) => Array.from(t.data));
function runOf(s: CoordinatorState): AdmmRun {
  if (s.admm === null) throw new Error('no ADMM run');
  return s.admm;
}
const zOf = (s: CoordinatorState): number[] => Array.from(runOf(s).z ?? []);
const dualOf = (s: CoordinatorState, id: PeerId): number[] => Array.from(runOf(s).duals[id] ?? []);

/** Feeds one update per member in the given order; only the last may close the round. */
function closeRound(s: CoordinatorState, xs: readonly (readonly [PeerId, readonly number[]])[], ctx: AdmmContext = CTX, count = 8, lossSum = 2): AdmmOut {
  const round = runOf(s).round;
  let out: AdmmOut = { state: s, commands: [] };
  xs.forEach(([id, x], i) => {
    out = okOut(acceptAdmmUpdate(out.state, ctx, id, update(round, x, count, lossSum)));
    if (i < xs.length - 1) expect(out.commands).toEqual([]);
  });
  return out;
}

function expectClose(actual: readonly number[], want: readonly number[], tol = 1e-5): void {
  expect(actual.length).toBe(want.length);
  actual.forEach((a, j) => {
    const w = want[j] ?? Number.NaN;
    expect(Math.abs(a - w), `index ${j}: ${a} vs ${w}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(w)));
  });
}

// Independent float64 oracles (inputs rounded to float32, as the messages carry them).
const add = (a: readonly number[], b: readonly number[]): number[] => a.map((x, j) => x + (b[j] ?? 0));
const sub = (a: readonly number[], b: readonly number[]): number[] => a.map((x, j) => x - (b[j] ?? 0));
const scale = (a: readonly number[], k: number): number[] => a.map((x) => x * k);
const norm = (a: readonly number[]): number => Math.sqrt(a.reduce((s, x) => s + x * x, 0));
const mean = (vs: readonly (readonly number[])[]): number[] => scale(vs.reduce<number[]>((acc, v) => add(acc, v), new Array<number>(N).fill(0)), 1 / vs.length);
const as32 = (a: readonly number[]): number[] => a.map(r32);

/** Textbook scaled consensus ADMM z/u/residual step, from Boyd et al. §3.4.1 and §7.1, in float64. */
function oracle(xs: readonly (readonly number[])[], us: readonly (readonly number[])[], zPrev: readonly number[] | null, rho: number) {
  const x32 = xs.map(as32);
  const u32 = us.map(as32);
  const z = mean(x32.map((x, i) => add(x, u32[i] ?? [])));
  const primal = Math.sqrt(x32.reduce((s, x) => s + norm(sub(x, z)) ** 2, 0));
  const dual = zPrev === null ? Number.NaN : rho * Math.sqrt(xs.length) * norm(sub(z, as32(zPrev)));
  const factor = zPrev === null ? 1 : primal > 10 * dual ? 0.5 : dual > 10 * primal ? 2 : 1;
  const newRho = factor === 0.5 ? 2 * rho : factor === 2 ? rho / 2 : rho;
  const duals = x32.map((x, i) => scale(sub(add(u32[i] ?? [], x), z), factor));
  return { z, primal, dual, rho: newRho, duals };
}

// ---- data ----------------------------------------------------------------------------------------

const XA = [1, 2, 3, 4, 5];
const XB = [2, 1, 0, -1, 3];
const XC = [0.5, 0.5, 1, 2, -1];
const UA = [0.1, -0.2, 0.3, 0, 0.05];
const UB = [-0.1, 0.1, 0, 0.2, -0.05];
const UC = [0, 0.1, -0.3, -0.2, 0];

const started = startAdmm(base, CTX);

/** Round 4 of a run in progress (z and duals known, every member back from a first round): restart false. */
function midRun(zPrev: readonly number[], duals: Readonly<Record<string, readonly number[]>>, extra: Partial<AdmmRun> = {}, s: CoordinatorState = started.state): CoordinatorState {
  const run = runOf(s);
  return {
    ...s,
    admm: {
      ...run, round: 4, z: f32(zPrev), duals: Object.fromEntries(Object.entries(duals).map(([k, v]) => [k, f32(v)])),
      rho: 0.5, expected: [A, B, C], received: {}, steps: 3, nextRefresh: 1000, ...extra,
    },
  };
}

// ---- tests ---------------------------------------------------------------------------------------

describe('startAdmm', () => {
  it('sends round 0 to every active, non-excluded member: restart, empty anchor, K steps, ρ₀', () => {
    const rounds = roundsOf(started.commands);
    expect(rounds.map((r) => r.to)).toEqual([A, B, C]);
    for (const r of rounds) {
      expect(r.msg).toEqual({
        type: 'admm-round', runId: 'run1', round: 0, step: 0, steps: 3, batchSize: ROWS, rho: 0.5, newtonRate: 0.2, clip: 3, restart: true, anchor: [],
      });
    }
    const run = runOf(started.state);
    expect(run.expected).toEqual([A, B, C]);
    expect(run.z).toBeNull();
    expect(run.duals).toEqual({});
    expect(run.received).toEqual({});
    expect([run.round, run.steps, run.rho]).toEqual([0, 3, 0.5]);
    expect(started.commands[0]?.type).toBe('log');
  });

  it('never sends a first round past the epoch end: 2 steps left in the epoch give steps = 2', () => {
    // Resumed at step 5 of a 7-step epoch.
    const resumed: CoordinatorState = { ...base, step: 5, epoch: 0 };
    const out = startAdmm(resumed, CTX);
    expect(roundsOf(out.commands).map((r) => [r.msg.step, r.msg.steps])).toEqual([[5, 2], [5, 2], [5, 2]]);
    expect(runOf(out.state).steps).toBe(2);
  });

  it('fails the run when no member is active', () => {
    const nobody: CoordinatorState = { ...base, members: { [E]: member(E, null, true, true) } };
    const out = startAdmm(nobody, CTX);
    expect(out.state.phase).toBe('failed');
    expect(out.commands.some((c) => c.type === 'finished' && !c.ok)).toBe(true);
  });
});

describe('closing a round', () => {
  it('round 0 (no z yet): z = mean(x_i), duals = x_i − z, dual residual NaN and no balancing', () => {
    const out = closeRound(started.state, [[A, XA], [B, XB], [C, XC]]);
    const want = oracle([XA, XB, XC], [[0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]], null, 0.5);
    expectClose(zOf(out.state), want.z);
    expectClose(dualOf(out.state, A), want.duals[0] ?? []);
    expectClose(dualOf(out.state, B), want.duals[1] ?? []);
    expectClose(dualOf(out.state, C), want.duals[2] ?? []);
    const res = runOf(out.state).residuals;
    expect(res?.round).toBe(0);
    expect(res?.dual).toBeNaN();
    expect(res?.primal ?? 0).toBeCloseTo(want.primal, 5);
    // With z_prev = z the dual residual would be 0 and balancing would double ρ: it must not.
    expect(res?.rho).toBe(0.5);
    expect(runOf(out.state).rho).toBe(0.5);
    expect(runOf(out.state).round).toBe(1);
  });

  it('z = mean(x_i + u_i), u_i ← u_i + x_i − z, r = √Σ‖x_i − z‖², s = ρ√N‖z − z_prev‖; balanced: ρ unchanged', () => {
    const zPrev = [0, 0, 0, 0, 0];
    const s = midRun(zPrev, { [A]: UA, [B]: UB, [C]: UC });
    const out = closeRound(s, [[B, XB], [A, XA], [C, XC]], CTX, 12, 3);
    const want = oracle([XB, XA, XC], [UB, UA, UC], zPrev, 0.5);
    // Guard: the crafted data really lie in the no-change band.
    expect(want.primal).toBeLessThan(10 * want.dual);
    expect(want.dual).toBeLessThan(10 * want.primal);
    expectClose(zOf(out.state), want.z);
    expectClose(dualOf(out.state, B), want.duals[0] ?? []);
    expectClose(dualOf(out.state, A), want.duals[1] ?? []);
    expectClose(dualOf(out.state, C), want.duals[2] ?? []);
    const res = runOf(out.state).residuals;
    expect(res?.round).toBe(4);
    expect(res?.primal ?? 0).toBeCloseTo(want.primal, 5);
    expect(res?.dual ?? 0).toBeCloseTo(want.dual, 5);
    expect(res?.rho).toBe(0.5);
    expect(runOf(out.state).rho).toBe(0.5);
    // Pooled loss: 3 members × 3 / (3 × 12).
    expect(out.state.loss).toBeCloseTo(9 / 36, 12);
    expect([out.state.step, out.state.epoch, runOf(out.state).round]).toEqual([3, 0, 5]);
  });

  it('the next round anchors member i to z − u_i per tensor in model order, restart false, at the new ρ', () => {
    const s = midRun([0, 0, 0, 0, 0], { [A]: UA, [B]: UB, [C]: UC });
    const out = closeRound(s, [[A, XA], [B, XB], [C, XC]]);
    const want = oracle([XA, XB, XC], [UA, UB, UC], [0, 0, 0, 0, 0], 0.5);
    const rounds = roundsOf(out.commands);
    expect(rounds.map((r) => r.to)).toEqual([A, B, C]);
    rounds.forEach((r, i) => {
      expect(r.msg).toMatchObject({ round: 5, step: 3, steps: 3, batchSize: ROWS, rho: want.rho, restart: false });
      expect(r.msg.anchor.map((t) => [t.dtype, t.shape])).toEqual([['float32', [3]], ['float32', [2]]]);
      const anchor = sub(want.z, want.duals[i] ?? []);
      const got = anchorOf(r.msg);
      expectClose(got[0] ?? [], anchor.slice(0, 3));
      expectClose(got[1] ?? [], anchor.slice(3));
    });
    expect(runOf(out.state).expected).toEqual([A, B, C]);
  });

  it('residual balancing, r > 10 s: ρ doubles and the new duals are halved', () => {
    // z_prev = the new z (float32), so s ≈ 0 while the x_i are spread out.
    const zNew = as32(mean([add(as32(XA), as32(UA)), add(as32(XB), as32(UB)), add(as32(XC), as32(UC))]));
    const s = midRun(zNew, { [A]: UA, [B]: UB, [C]: UC });
    const out = closeRound(s, [[A, XA], [B, XB], [C, XC]]);
    const want = oracle([XA, XB, XC], [UA, UB, UC], zNew, 0.5);
    expect(want.primal).toBeGreaterThan(10 * want.dual);
    expect(runOf(out.state).rho).toBe(1);
    expect(runOf(out.state).residuals?.rho).toBe(1);
    // Independent: (u_i + x_i − z) / 2.
    expectClose(dualOf(out.state, A), scale(sub(add(UA, XA), want.z), 0.5));
    expectClose(dualOf(out.state, B), scale(sub(add(UB, XB), want.z), 0.5));
    expectClose(dualOf(out.state, C), scale(sub(add(UC, XC), want.z), 0.5));
    expect(roundsOf(out.commands).every((r) => r.msg.rho === 1)).toBe(true);
  });

  it('residual balancing, s > 10 r: ρ halves and the new duals are doubled', () => {
    // All x_i equal (r ≈ 0), duals that sum to zero (z = w), z_prev far away (s large).
    const w = [0.25, -0.5, 1, 2, 0.75];
    const d = [0.5, -0.25, 0.125, 1, -2];
    const uA = d;
    const uB = scale(d, -1);
    const uC = [0, 0, 0, 0, 0];
    const zPrev = add(w, [10, 10, 10, 10, 10]);
    const s = midRun(zPrev, { [A]: uA, [B]: uB, [C]: uC });
    const out = closeRound(s, [[A, w], [B, w], [C, w]]);
    const want = oracle([w, w, w], [uA, uB, uC], zPrev, 0.5);
    expect(want.dual).toBeGreaterThan(10 * want.primal);
    expect(runOf(out.state).rho).toBe(0.25);
    expectClose(zOf(out.state), w);
    expectClose(dualOf(out.state, A), scale(d, 2));
    expectClose(dualOf(out.state, B), scale(d, -2));
    expectClose(dualOf(out.state, C), [0, 0, 0, 0, 0]);
    expect(runOf(out.state).residuals?.dual ?? 0).toBeCloseTo(0.5 * Math.sqrt(3) * 10 * Math.sqrt(5), 4);
  });
});

describe('the round schedule', () => {
  const x = (k: number): number[] => [k, 1, -k, 0.5, 2];
  /** Runs every round to the end with fixed x_i; returns each closing's output. */
  function runAll(options: AdmmOptions): AdmmOut[] {
    const ctx = ctxOf(options);
    let out = startAdmm(base, ctx);
    const outs: AdmmOut[] = [];
    for (let guard = 0; guard < 50 && out.state.phase === 'training'; guard++) {
      out = closeRound(out.state, [[A, x(1)], [B, x(2)], [C, x(3)]], ctx);
      outs.push(out);
    }
    return outs;
  }

  it('advances step and epoch by the round\'s steps, never across an epoch end, with a checkpoint at each epoch end', () => {
    const outs = runAll(OPTIONS);
    // By hand: K = 3 in 7-step epochs over 14 steps → boundaries 3, 6, 7 | 10, 13, 14.
    expect(outs.map((o) => o.state.step)).toEqual([3, 6, 7, 10, 13, 14]);
    expect(outs.map((o) => o.state.epoch)).toEqual([0, 0, 1, 1, 1, 2]);
    // Steps of the round each closing sends (none after the last).
    expect(outs.map((o) => roundsOf(o.commands)[0]?.msg.steps ?? null)).toEqual([3, 1, 3, 3, 1, null]);
    expect(outs.map((o) => roundsOf(o.commands)[0]?.msg.step ?? null)).toEqual([3, 6, 7, 10, 13, null]);
    const checkpoints = outs.flatMap((o) => o.commands.filter((c) => c.type === 'checkpoint'));
    expect(checkpoints).toEqual([{ type: 'checkpoint', step: 7, epoch: 1 }, { type: 'checkpoint', step: 14, epoch: 2 }]);
  });

  it('evaluates z (split into the model\'s tensors) at every round end; the last one moves to evaluating-final with no new round', () => {
    const outs = runAll(OPTIONS);
    for (const o of outs) {
      const evals = o.commands.filter((c) => c.type === 'evaluate');
      expect(evals).toHaveLength(1);
      const e = evals[0];
      const z = zOf(o.state);
      expect(e?.type === 'evaluate' ? e.step : null).toBe(o.state.step);
      expect(e?.type === 'evaluate' ? e.params?.map((p) => Array.from(p)) : null).toEqual([z.slice(0, 3), z.slice(3)]);
    }
    // x_i = [k, 1, −k, 0.5, 2] with k = 1, 2, 3 and the duals summing to 0 each round: z = [2, 1, −2, 0.5, 2].
    expectClose(zOf(outs[0]?.state ?? base), [2, 1, -2, 0.5, 2]);
    const last = outs[outs.length - 1];
    expect(last?.state.phase).toBe('evaluating-final');
    expect(roundsOf(last?.commands ?? [])).toEqual([]);
    const progress = (last?.commands ?? []).flatMap((c) => (c.type === 'send' && c.msg.type === 'progress' ? [c.msg] : []));
    expect(progress.length).toBe(3); // A, B, C; not the excluded E
    expect(progress[0]).toMatchObject({ phase: 'evaluating-final', step: 14, epoch: 2 });
    // A late update is stale now.
    expect(acceptAdmmUpdate(last?.state ?? base, CTX, A, update(6, x(1))).kind).toBe('ignore');
  });

  const curvatureCases: [string, number, number, number[]][] = [
    // Boundaries 3, 6, 7, 10, 13 (14 is the end). W = 4, T = 5: targets 4, 9, 14 → 6, 10.
    ['W = 4, T = 5', 4, 5, [6, 10]],
    // Targets 3, 6, 9, 12 → 3, 6, 10, 13.
    ['W = 3, T = 3', 3, 3, [3, 6, 10, 13]],
    // Targets 7, 8, 9, 10, 11, 12, 13 → 7, 10, 13 (once per boundary, never twice).
    ['W = 7, T = 1', 7, 1, [7, 10, 13]],
    // A refresh beyond the run: none.
    ['W = 20, T = 5', 20, 5, []],
  ];
  for (const [name, warmup, refreshEvery, want] of curvatureCases) {
    it(`runs a curvature job at the first round boundary at or after W, W + T, … (${name}), before the round goes out`, () => {
      const outs = runAll({ ...OPTIONS, warmup, refreshEvery });
      const at = outs.flatMap((o) => o.commands.filter((c) => c.type === 'admm-curvature').map((c) => c.step));
      expect(at).toEqual(want);
      for (const o of outs) {
        const i = o.commands.findIndex((c) => c.type === 'admm-curvature');
        if (i < 0) continue;
        const c = o.commands[i];
        expect(c?.type === 'admm-curvature' ? c.to : null).toEqual([A, B, C]);
        const firstRound = o.commands.findIndex((c2) => c2.type === 'send' && c2.msg.type === 'admm-round');
        expect(firstRound).toBeGreaterThan(i);
      }
    });
  }
});

describe('acceptAdmmUpdate', () => {
  const s = started.state;
  const good = update(0, XA, 8, 2);

  it('ignores stale rounds, other runs, unexpected senders, duplicates and updates outside training', () => {
    const ignored = (v: AdmmVerdict): boolean => v.kind === 'ignore';
    expect(ignored(acceptAdmmUpdate(s, CTX, A, update(1, XA)))).toBe(true);
    expect(ignored(acceptAdmmUpdate(s, CTX, A, update(0, XA, 8, 2, 'other')))).toBe(true);
    expect(ignored(acceptAdmmUpdate(s, CTX, D, good))).toBe(true);
    expect(ignored(acceptAdmmUpdate(s, CTX, E, good))).toBe(true);
    expect(ignored(acceptAdmmUpdate({ ...s, phase: 'evaluating-final' }, CTX, A, good))).toBe(true);
    expect(ignored(acceptAdmmUpdate(base, CTX, A, good))).toBe(true); // no ADMM run
    const once = okOut(acceptAdmmUpdate(s, CTX, A, good)).state;
    expect(runOf(once).received[A]?.count).toBe(8);
    const dup = acceptAdmmUpdate(once, CTX, A, update(0, XB, 4, 1));
    expect(ignored(dup)).toBe(true);
  });

  it('evicts wrong tensor counts and sizes, non-float32 data, non-finite values and impossible row counts', () => {
    const tensors = (ps: number[][]): AdmmUpdateMsg => ({ ...good, params: ps.map((p) => ({ dtype: 'float32' as const, shape: [p.length], data: f32(p) })) });
    const cases: [string, AdmmUpdateMsg][] = [
      ['tensors', tensors([[1, 2, 3, 4, 5]])],
      ['tensors', tensors([[1, 2, 3], [4, 5], [6]])],
      ['float32[3]', tensors([[1, 2, 3, 4], [4, 5]])],
      ['float32[2]', tensors([[1, 2, 3], [5]])],
      ['non-finite', update(0, [1, Number.NaN, 3, 4, 5])],
      ['non-finite', update(0, [1, 2, 3, 4, Number.NEGATIVE_INFINITY])],
      ['rows', update(0, XA, 3 * 12 + 1)], // 3 steps of a global batch of 12
      ['float32', { ...good, params: [{ dtype: 'float64', shape: [3], data: Float64Array.of(1, 2, 3) }, { dtype: 'float32', shape: [2], data: f32([4, 5]) }] }],
    ];
    for (const [word, m] of cases) {
      const v = acceptAdmmUpdate(s, CTX, A, m);
      expect(v.kind, word).toBe('evict');
      if (v.kind === 'evict') expect(v.reason).toContain(word);
    }
    expect(runOf(s).received).toEqual({});
    expect(okOut(acceptAdmmUpdate(s, CTX, A, update(0, XA, 36))).state.admm?.received[A]?.count).toBe(36);
  });

  it('stores x_i flattened in model order', () => {
    const once = okOut(acceptAdmmUpdate(s, CTX, B, update(0, XB, 5, 1.5))).state;
    expect(Array.from(runOf(once).received[B]?.x ?? [])).toEqual(XB);
    expect(runOf(once).received[B]?.lossSum).toBe(1.5);
  });
});

describe('members leaving and joining', () => {
  const duals = { [A]: UA, [B]: UB, [C]: UC };
  const zPrev = [0, 0, 0, 0, 0];
  /** What the coordinator reducer does when `id` leaves: drop the member and call admmWithout. */
  const leave = (s: CoordinatorState, id: PeerId): CoordinatorState => ({
    ...s, members: Object.fromEntries(Object.entries(s.members).filter(([k]) => k !== id)), admm: admmWithout(s.admm, id),
  });

  it('admmWithout drops the member\'s pending x and dual; the round closes with the rest', () => {
    let s = midRun(zPrev, duals);
    s = okOut(acceptAdmmUpdate(s, CTX, A, update(4, XA))).state;
    s = okOut(acceptAdmmUpdate(s, CTX, B, update(4, XB))).state;
    expect(advanceAdmm(s, CTX).commands).toEqual([]); // C is still expected
    const gone = leave(s, C);
    expect(runOf(gone).expected).toEqual([A, B]);
    expect(Object.keys(runOf(gone).duals).sort()).toEqual([A, B]);
    const out = advanceAdmm(gone, CTX);
    const want = oracle([XA, XB], [UA, UB], zPrev, 0.5);
    expectClose(zOf(out.state), want.z);
    expectClose(dualOf(out.state, A), want.duals[0] ?? []);
    expectClose(dualOf(out.state, B), want.duals[1] ?? []);
    expect(runOf(out.state).duals[C]).toBeUndefined();
    expect(runOf(out.state).residuals?.primal ?? 0).toBeCloseTo(want.primal, 5);
    expect(runOf(out.state).residuals?.dual ?? 0).toBeCloseTo(want.dual, 5); // √N with N = 2
    expect(roundsOf(out.commands).map((r) => r.to)).toEqual([A, B]);
    expect(out.state.step).toBe(3);
  });

  it('an x_i already received from a member that then leaves is not averaged in', () => {
    let s = midRun(zPrev, duals);
    s = okOut(acceptAdmmUpdate(s, CTX, C, update(4, XC))).state;
    s = okOut(acceptAdmmUpdate(s, CTX, A, update(4, XA))).state;
    s = leave(s, C);
    expect(runOf(s).received[C]).toBeUndefined();
    const out = okOut(acceptAdmmUpdate(s, CTX, B, update(4, XB)));
    expectClose(zOf(out.state), oracle([XA, XB], [UA, UB], zPrev, 0.5).z);
  });

  it('admmWithout(null) is null; a round nobody is left to answer fails the run', () => {
    expect(admmWithout(null, A)).toBeNull();
    let s = started.state;
    for (const id of [A, B, C]) s = leave(s, id);
    const out = advanceAdmm(s, CTX);
    expect(out.state.phase).toBe('failed');
  });

  it('activates a late joiner at the round boundary: its start (batch 0) after evaluate, then its round with restart', () => {
    const withD = midRun(zPrev, duals, { nextRefresh: 3 }, { ...started.state, members: { ...started.state.members, [D]: member(D, 3, false) } });
    const out = closeRound(withD, [[A, XA], [B, XB], [C, XC]]);
    expect(out.state.members[D]?.active).toBe(true);
    const types = out.commands.map((c) => (c.type === 'send' ? `${c.msg.type}:${c.to}` : c.type));
    const evaluate = types.indexOf('evaluate');
    const start = out.commands.findIndex((c) => c.type === 'send-start');
    const joinerRound = types.indexOf(`admm-round:${D}`);
    expect(out.commands[start]).toEqual({ type: 'send-start', to: D, step: 3, epoch: 0, batchSize: 0 });
    expect(evaluate).toBeGreaterThanOrEqual(0);
    expect(start).toBeGreaterThan(evaluate);
    expect(joinerRound).toBeGreaterThan(start);
    // The others' rounds go out before evaluate; D's has restart and no anchor, u_D = 0.
    for (const id of [A, B, C]) expect(types.indexOf(`admm-round:${id}`)).toBeLessThan(evaluate);
    const rd = roundsOf(out.commands).find((r) => r.to === D);
    expect(rd?.msg).toMatchObject({ round: 5, step: 3, steps: 3, restart: true, anchor: [], batchSize: ROWS });
    expect(runOf(out.state).expected).toEqual([A, B, C, D]);
    expect(runOf(out.state).duals[D]).toBeUndefined();
    // The curvature job due at step 3 runs on the members that hold an x_i, not on D.
    const curv = out.commands.find((c) => c.type === 'admm-curvature');
    expect(curv?.type === 'admm-curvature' ? curv.to : null).toEqual([A, B, C]);
    // D's first update (from z) counts with u_D = 0.
    const z1 = zOf(out.state);
    const uNew = [A, B, C].map((id) => dualOf(out.state, id));
    const xs: [PeerId, number[]][] = [[A, XB], [B, XC], [C, XA], [D, XA]];
    const next = closeRound(out.state, xs);
    const want = oracle(xs.map(([, v]) => v), [...uNew, [0, 0, 0, 0, 0]], z1, runOf(out.state).rho);
    expectClose(zOf(next.state), want.z);
  });
});

describe('end to end: consensus ADMM on quadratics', () => {
  it('z converges to Σ a_i c_i / Σ a_i when each worker solves its x-update exactly', () => {
    const a = [1, 2.5, 0.4];
    const cs = [[1, -2, 3, 0.5, 4], [-1, 0, 2, 2, -3], [3, 1, -1, -4, 0.25]];
    const ids = [A, B, C];
    const start = [0.5, 0.5, 0.5, 0.5, 0.5]; // the replica the workers' `start` carries
    const sumA = a.reduce((p, q) => p + q, 0);
    const target = Array.from({ length: N }, (_, j) => cs.reduce((acc, c, i) => acc + (a[i] ?? 0) * (c[j] ?? 0), 0) / sumA);

    const long = testConfig({ algo: 'dho2', optimizer: 'sgd', globalBatch: 12, epochs: 1000 });
    const s0: CoordinatorState = { ...initialCoordinatorState(long, 2, true, TRAIN_ROWS), phase: 'training', startedAt: 0, members: base.members };
    let out = startAdmm(s0, CTX);
    for (let round = 0; round < 150; round++) {
      const rounds = roundsOf(out.commands);
      expect(rounds.map((r) => r.to)).toEqual(ids);
      let next: AdmmOut | null = null;
      for (const { to, msg } of rounds) {
        const i = ids.indexOf(to);
        const ai = a[i] ?? 0;
        const ci = cs[i] ?? [];
        const v = msg.restart ? start : msg.anchor.flatMap((t) => Array.from(t.data));
        expect(v).toHaveLength(N);
        // argmin ½a‖x − c‖² + ½ρ‖x − v‖²
        const x = ci.map((cj, j) => (ai * cj + msg.rho * (v[j] ?? 0)) / (ai + msg.rho));
        next = okOut(acceptAdmmUpdate((next ?? out).state, CTX, to, update(msg.round, x, msg.steps * ROWS, 1)));
      }
      if (next === null) throw new Error('no round closed');
      out = next;
      expect(out.state.phase).toBe('training');
    }
    const z = zOf(out.state);
    const err = norm(sub(z, target)) / norm(target);
    expect(err).toBeLessThan(1e-4);
    // The optimal scaled duals: a_i(x − c_i) + ρ(x − z + u_i) = 0 at x = z = z* → ρ u_i = a_i (c_i − z*).
    const rho = runOf(out.state).rho;
    ids.forEach((id, i) => {
      const y = scale(dualOf(out.state, id), rho);
      const want = scale(sub(cs[i] ?? [], target), a[i] ?? 0);
      expect(norm(sub(y, want)) / norm(want), `dual of ${id}`).toBeLessThan(1e-3);
    });
  });
});

describe('a member that sits a round out', () => {
  it('keeps its dual, rescaled with ρ, and is anchored to z − u_i when it has rows again', () => {
    // Round 0 closes with A, B and C; round 1 gives C no rows (share 0), so only A and B take part.
    const noC: AdmmContext = { ...CTX, shares: (_s, ids) => Object.fromEntries(ids.map((id) => [id, id === C ? 0 : ROWS])) };
    const first = closeRound(started.state, [[A, XA], [B, XB], [C, XC]], noC);
    expect(runOf(first.state).expected).toEqual([A, B]);
    expect(roundsOf(first.commands).map((r) => r.to)).toEqual([A, B]);
    const uC = dualOf(first.state, C);
    expect(uC).toHaveLength(N);
    // Round 1 closes without C; round 2 has rows for everyone again.
    const second = closeRound(first.state, [[A, XB], [B, XA]]);
    const o = oracle([XB, XA], [dualOf(first.state, A), dualOf(first.state, B)], zOf(first.state), runOf(first.state).rho);
    expectClose(zOf(second.state), o.z);
    const factor = o.rho === runOf(first.state).rho ? 1 : o.rho > runOf(first.state).rho ? 0.5 : 2;
    expectClose(dualOf(second.state, C), scale(uC, factor));
    const toC = roundsOf(second.commands).find((r) => r.to === C);
    expect(toC?.msg.restart).toBe(false);
    expectClose(anchorOf(toC?.msg).flat(), sub(zOf(second.state), dualOf(second.state, C)));
  });
});

describe('ρ guards', () => {
  it('keeps ρ at ρ₀ / 1000 when balancing would go lower, rescaling the duals only by what ρ really changed', () => {
    // Every x_i equal and Σu_i = 0: z = x, primal 0, dual > 0, so balancing asks for ρ / 2 from ρ = ρ₀ / 1000.
    const floor = OPTIONS.rho / 1000;
    const s = midRun([0, 0, 0, 0, 0], { [A]: UA, [B]: UB, [C]: UC }, { rho: floor });
    const out = closeRound(s, [[A, XA], [B, XA], [C, XA]]);
    const run = runOf(out.state);
    expect(run.rho).toBe(floor);
    expectClose(zOf(out.state), XA);
    // Scaled duals move with ρ: unchanged ρ, unchanged scale: u_i + x_i − z = u_i.
    expectClose(dualOf(out.state, A), UA);
  });

  it('does not balance with a single member, whose primal residual is 0 by construction', () => {
    const solo: CoordinatorState = { ...base, members: { [A]: member(A, 0) } };
    const first = closeRound(startAdmm(solo, CTX).state, [[A, XA]]);
    const second = closeRound(first.state, [[A, XB]]);
    expect(runOf(second.state).residuals?.primal).toBe(0);
    expect(runOf(second.state).residuals?.dual).toBeGreaterThan(0);
    expect(runOf(second.state).rho).toBe(OPTIONS.rho);
  });

  it('evicts a member whose x_i holds a value beyond ±MAX_ADMM_PARAM_ABS (its duals would overflow float32)', () => {
    const s = midRun([0, 0, 0, 0, 0], { [A]: UA, [B]: UB, [C]: UC });
    const v = acceptAdmmUpdate(s, CTX, A, update(4, [1, 2, 3e38, 4, 5]));
    expect(v.kind).toBe('evict');
    expect(acceptAdmmUpdate(s, CTX, A, update(4, [1, 2, 1e6, 4, 5])).kind).toBe('ok');
  });
});
