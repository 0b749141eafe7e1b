import { describe, expect, it } from 'vitest';
import type { DasoScheduleConfig, DasoScheduleState } from './schedule.ts';
import { DasoConfigError, initSchedule, nextSchedule, observeLoss, scheduleConfig, ScheduleEpochError } from './schedule.ts';

function config(input: Partial<DasoScheduleConfig> & { totalEpochs: number }): DasoScheduleConfig {
  const c = scheduleConfig(input);
  if (!c.ok) throw c.error;
  return c.value;
}

/** Runs the machine over `losses` (one per epoch) and returns "phase gs,ls,B" for every epoch 0..n. */
function trace(c: DasoScheduleConfig, losses: readonly number[]): string[] {
  let s: DasoScheduleState = initSchedule(c);
  const fmt = (x: DasoScheduleState): string =>
    `${x.schedule.phase} ${x.schedule.globalSkip},${x.schedule.localSkip},${x.schedule.batchesToWait}`;
  const out = [fmt(s)];
  losses.forEach((loss, epoch) => {
    const r = nextSchedule(s, { epoch, loss });
    expect(r.schedule).toEqual(r.state.schedule);
    expect(r.schedule.epoch).toBe(epoch + 1);
    s = r.state;
    out.push(fmt(s));
  });
  return out;
}

/** (gs, ls, B) transitions only, collapsing repeats: the spec's cycle notation. */
const transitions = (t: readonly string[]): string[] =>
  t.map((x) => x.split(' ')[1]!).filter((x, i, a) => i === 0 || x !== a[i - 1]);

describe('DASO schedule', () => {
  it('reproduces the spec trace under forced plateaus (constant loss), epoch by epoch', () => {
    const c = config({ totalEpochs: 25 }); // defaults: warmup 4, cooldown 4, maxGs 8, patience 2
    const t = trace(c, Array<number>(24).fill(1));
    expect(t).toEqual([
      ...Array<string>(4).fill('warmup 0,0,0'), // epochs 0-3
      'cycling 4,1,1', // 4: cycling starts; the detector sees its first loss
      'cycling 4,1,1',
      'cycling 4,1,1',
      'cycling 2,1,1', // 7: third non-improving epoch → plateau → halve gs
      'cycling 2,1,1',
      'cycling 2,1,1',
      'cycling 1,1,1', // 10
      'cycling 1,1,1',
      'cycling 1,1,1',
      'cycling 8,2,2', // 13: gs was 1 → reset to (maxGs, maxGs/4, maxGs/4)
      'cycling 8,2,2',
      'cycling 8,2,2',
      'cycling 4,1,1', // 16: 8//2, 2//2, 2−1
      'cycling 4,1,1',
      'cycling 4,1,1',
      'cycling 2,1,1', // 19
      'cycling 2,1,1',
      ...Array<string>(4).fill('cooldown 0,0,0'), // epochs 21-24 = totalEpochs − cooldownEpochs ..
    ]);
    expect(transitions(t)).toEqual(['0,0,0', '4,1,1', '2,1,1', '1,1,1', '8,2,2', '4,1,1', '2,1,1', '0,0,0']);
  });

  it('cycles back to (4,1,1) with the ImageNet example\'s maxGlobalSkips = 4', () => {
    const t = trace(config({ totalEpochs: 40, maxGlobalSkips: 4 }), Array<number>(30).fill(2));
    expect(transitions(t).slice(0, 6)).toEqual(['0,0,0', '4,1,1', '2,1,1', '1,1,1', '4,1,1', '2,1,1']);
  });

  it('lowers B by one per plateau (heat: "old was //= 2"), visible once B exceeds 2', () => {
    const t = trace(config({ totalEpochs: 40, maxGlobalSkips: 16 }), Array<number>(30).fill(1));
    expect(transitions(t).slice(1, 9)).toEqual(['4,1,1', '2,1,1', '1,1,1', '16,4,4', '8,2,3', '4,1,2', '2,1,1', '1,1,1']);
  });

  it('keeps (4,1,1) while the loss keeps improving by more than the 5% threshold', () => {
    const losses = Array.from({ length: 12 }, (_, i) => 0.9 ** i);
    const t = trace(config({ totalEpochs: 13, warmupEpochs: 2, cooldownEpochs: 1 }), losses);
    expect(t.slice(2, 12).every((x) => x === 'cycling 4,1,1')).toBe(true);
    expect(t[12]).toBe('cooldown 0,0,0');
  });

  it('counts an improvement against the best loss with a relative threshold, not against the last epoch', () => {
    const c = config({ totalEpochs: 10 });
    const step = (losses: number[]): boolean[] => {
      let p = { best: null as number | null, bad: 0 };
      return losses.map((l) => {
        const r = observeLoss(p, l, c);
        p = r.plateau;
        return r.stable;
      });
    };
    // 0.96 is a 4% improvement each time over best = 1: not enough, so the third such epoch fires.
    expect(step([1, 0.96, 0.96, 0.96])).toEqual([false, false, false, true]);
    // 0.94 beats 1·0.95 and resets the count; 0.9 is not below 0.94·0.95 = 0.893, so it is bad.
    expect(step([1, 0.96, 0.94, 0.9, 0.9, 0.9])).toEqual([false, false, false, false, false, true]);
    // Negative losses use best·(1 + t): −1.04 is not below −1.05.
    expect(step([-1, -1.04, -1.04, -1.04])).toEqual([false, false, false, true]);
    expect(step([-1, -1.06, -1.04, -1.04, -1.04])).toEqual([false, false, false, false, true]);
    // NaN never improves; after firing the count starts again.
    expect(step([NaN, NaN, NaN, NaN, NaN, NaN])).toEqual([false, false, true, false, false, true]);
  });

  it('uses patience: the plateau fires on the (patience + 1)-th non-improving epoch', () => {
    const t = trace(config({ totalEpochs: 20, warmupEpochs: 1, cooldownEpochs: 0, patience: 0 }), Array<number>(5).fill(1));
    // Epoch 1 starts cycling (first observation); each later constant epoch fires immediately.
    expect(t.map((x) => x.split(' ')[1])).toEqual(['0,0,0', '4,1,1', '2,1,1', '1,1,1', '8,2,2', '4,1,1']);
  });

  it('marks warmup and cooldown as blocking and cycling as non-blocking', () => {
    let s = initSchedule(config({ totalEpochs: 4, warmupEpochs: 1, cooldownEpochs: 1 }));
    expect(s.schedule).toEqual({ epoch: 0, globalSkip: 0, localSkip: 0, batchesToWait: 0, phase: 'warmup', blocking: true });
    s = nextSchedule(s, { epoch: 0, loss: 1 }).state;
    expect(s.schedule).toEqual({ epoch: 1, globalSkip: 4, localSkip: 1, batchesToWait: 1, phase: 'cycling', blocking: false });
    s = nextSchedule(s, { epoch: 1, loss: 1 }).state;
    s = nextSchedule(s, { epoch: 2, loss: 1 }).state;
    expect(s.schedule).toEqual({ epoch: 3, globalSkip: 0, localSkip: 0, batchesToWait: 0, phase: 'cooldown', blocking: true });
  });

  it('starts cycling at epoch 0 when there is no warmup (heat would block forever there)', () => {
    const t = trace(config({ totalEpochs: 10, warmupEpochs: 0, cooldownEpochs: 0 }), [1, 1, 1, 1]);
    // Epoch 0's loss is the detector's first observation; epochs 1-3 are the three non-improving ones.
    expect(t).toEqual(['cycling 4,1,1', 'cycling 4,1,1', 'cycling 4,1,1', 'cycling 4,1,1', 'cycling 2,1,1']);
  });

  it('lets warmup win where warmup and cooldown overlap', () => {
    const t = trace(config({ totalEpochs: 5, warmupEpochs: 4, cooldownEpochs: 4 }), [1, 1, 1, 1]);
    expect(t).toEqual(['warmup 0,0,0', 'warmup 0,0,0', 'warmup 0,0,0', 'warmup 0,0,0', 'cooldown 0,0,0']);
  });

  it('keeps gs ≥ 1 for a reduction factor larger than gs', () => {
    const t = trace(config({ totalEpochs: 30, warmupEpochs: 1, cooldownEpochs: 0, skipReductionFactor: 8 }), Array<number>(11).fill(1));
    expect(transitions(t)).toEqual(['0,0,0', '4,1,1', '1,1,1', '8,2,2', '1,1,1']);
  });

  it('survives a JSON round trip of its state (checkpointing)', () => {
    const c = config({ totalEpochs: 25 });
    let a = initSchedule(c);
    for (let e = 0; e < 8; e++) a = nextSchedule(a, { epoch: e, loss: 1 }).state;
    const b = JSON.parse(JSON.stringify(a)) as DasoScheduleState;
    expect(b).toEqual(a);
    const ra = nextSchedule(a, { epoch: 8, loss: 1 });
    const rb = nextSchedule(b, { epoch: 8, loss: 1 });
    expect(rb).toEqual(ra);
    expect(ra.schedule.globalSkip).toBe(2);
  });

  it('does not mutate the state it is given', () => {
    const s = initSchedule(config({ totalEpochs: 10, warmupEpochs: 0 }));
    const copy = structuredClone(s);
    nextSchedule(s, { epoch: 0, loss: 3 });
    expect(s).toEqual(copy);
  });

  it('rejects a skipped or repeated epoch with a named error', () => {
    const s = initSchedule(config({ totalEpochs: 10 }));
    expect(() => nextSchedule(s, { epoch: 1, loss: 1 })).toThrow(ScheduleEpochError);
    const s1 = nextSchedule(s, { epoch: 0, loss: 1 }).state;
    expect(() => nextSchedule(s1, { epoch: 0, loss: 1 })).toThrow(ScheduleEpochError);
  });

  it('validates its configuration into a Result', () => {
    const d = scheduleConfig({ totalEpochs: 90 });
    expect(d.ok && d.value).toEqual({
      totalEpochs: 90,
      warmupEpochs: 4,
      cooldownEpochs: 4,
      maxGlobalSkips: 8,
      stabilityLevel: 0.05,
      patience: 2,
      skipReductionFactor: 2,
      localSkipFactor: 4,
    });
    for (const bad of [
      { totalEpochs: 0 },
      { totalEpochs: 10, warmupEpochs: -1 },
      { totalEpochs: 10, maxGlobalSkips: 2.5 },
      { totalEpochs: 10, skipReductionFactor: 1 },
      { totalEpochs: 10, stabilityLevel: 1 },
      { totalEpochs: 10, stabilityLevel: NaN },
    ]) {
      const r = scheduleConfig(bad);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toBeInstanceOf(DasoConfigError);
    }
  });
});
