/**
 * DASO's epoch schedule as a pure state machine (ALGORITHMS.md 3.4, heat `DASO.epoch_loss_logic` and
 * `DetectMetricPlateau`). Call `nextSchedule` once per epoch with the epoch that just ended and its training
 * loss averaged over all devices; the returned schedule applies to the following epoch.
 *
 * - warmup (epochs < warmupEpochs): gs = ls = B = 0, every batch a blocking global average;
 * - cycling: starts at (gs, ls, B) = (4, 1, 1). A plateau detector (min mode, relative threshold
 *   `stabilityLevel`, patience 2) fires on the 3rd consecutive epoch without a relative improvement; each firing
 *   halves gs and ls and lowers B by one (clamped to ≥ 1), and from gs = 1 it resets to
 *   (maxGs, maxGs / localSkipFactor, maxGs / localSkipFactor). Defaults give (4,1,1) → (2,1,1) → (1,1,1) →
 *   (8,2,2) → (4,1,1) → …;
 * - cooldown (epochs ≥ totalEpochs − cooldownEpochs): gs = ls = B = 0 again.
 *
 * The state is plain JSON-safe data (no Infinity: "no best loss yet" is `null`), so it can be checkpointed.
 *
 * @example
 * const cfg = scheduleConfig({ totalEpochs: 15, warmupEpochs: 2, cooldownEpochs: 2 });
 * if (!cfg.ok) throw cfg.error;
 * let s = initSchedule(cfg.value);            // s.schedule: epoch 0, warmup, (0,0,0)
 * ({ state: s } = nextSchedule(s, { epoch: 0, loss: 2.1 })); // s.schedule now applies to epoch 1
 */
import type { Result } from '../result.ts';
import { err, ok } from '../result.ts';

/** Which part of training an epoch belongs to. */
export type DasoPhase = 'warmup' | 'cycling' | 'cooldown';

/** The synchronisation parameters for one epoch. */
export interface DasoSchedule {
  /** Epoch (0-based) this schedule applies to. */
  readonly epoch: number;
  /** gs: batches between global syncs; 0 = a global sync every batch. */
  readonly globalSkip: number;
  /** ls: local gradient sync every ls batches; 0 and 1 both mean every batch. */
  readonly localSkip: number;
  /** B: batches between starting a global sync and merging its result; 0 = blocking. */
  readonly batchesToWait: number;
  readonly phase: DasoPhase;
  /** True when every global sync of the epoch blocks (B = 0). Epoch-end syncs block in every phase. */
  readonly blocking: boolean;
}

/** Validated configuration; build it with `scheduleConfig`. Names follow heat's `DASO.__init__`. */
export interface DasoScheduleConfig {
  readonly totalEpochs: number;
  readonly warmupEpochs: number;
  readonly cooldownEpochs: number;
  readonly maxGlobalSkips: number;
  /** Relative improvement an epoch's loss must beat to count as improving. */
  readonly stabilityLevel: number;
  /** Non-improving epochs tolerated; the plateau fires on the (patience + 1)-th. */
  readonly patience: number;
  readonly skipReductionFactor: number;
  readonly localSkipFactor: number;
}

/** Plateau detector state (heat `DetectMetricPlateau`, mode 'min', threshold mode 'rel', no cooldown). */
export interface PlateauState {
  /** Best loss so far; null before the first observation (heat's +Inf). */
  readonly best: number | null;
  /** Consecutive epochs without improvement. */
  readonly bad: number;
}

/** Everything the machine carries between epochs. */
export interface DasoScheduleState {
  readonly config: DasoScheduleConfig;
  /** Schedule of the epoch now running (or about to run). */
  readonly schedule: DasoSchedule;
  readonly plateau: PlateauState;
}

/** End-of-epoch observation. */
export interface EpochEnd {
  /** The epoch (0-based) that just ended; must equal `state.schedule.epoch`. */
  readonly epoch: number;
  /** Its training loss, averaged over all devices. A NaN loss counts as not improving. */
  readonly loss: number;
}

/** Defaults from ALGORITHMS.md 3.6 (heat's constructor defaults; patience 2 is hard-coded there). */
export const DASO_SCHEDULE_DEFAULTS = {
  warmupEpochs: 4,
  cooldownEpochs: 4,
  maxGlobalSkips: 8,
  stabilityLevel: 0.05,
  patience: 2,
  skipReductionFactor: 2,
  localSkipFactor: 4,
} as const;

/** (gs, ls, B) on the first cycling epoch: hard-coded in heat, independent of maxGlobalSkips. */
const CYCLING_START = { globalSkip: 4, localSkip: 1, batchesToWait: 1 } as const;

/** A configuration value out of range. */
export class DasoConfigError extends RangeError {
  static readonly NAME = 'DasoConfigError';
  constructor(message: string) {
    super(message);
    this.name = DasoConfigError.NAME;
  }
}

/** The `epoch` passed to `nextSchedule` is not the epoch the state is at (a caller bug). */
export class ScheduleEpochError extends RangeError {
  static readonly NAME = 'ScheduleEpochError';
  constructor(message: string) {
    super(message);
    this.name = ScheduleEpochError.NAME;
  }
}

type ConfigInput = Partial<DasoScheduleConfig> & { readonly totalEpochs: number };

const isInt = (n: number, min: number): boolean => Number.isSafeInteger(n) && n >= min;

/** Fills defaults and validates (values may come from URL parameters, so this returns a Result). */
export function scheduleConfig(input: ConfigInput): Result<DasoScheduleConfig, DasoConfigError> {
  const c: DasoScheduleConfig = { ...DASO_SCHEDULE_DEFAULTS, ...input };
  const ints: [keyof DasoScheduleConfig, number][] = [
    ['totalEpochs', 1],
    ['warmupEpochs', 0],
    ['cooldownEpochs', 0],
    ['maxGlobalSkips', 1],
    ['patience', 0],
    ['skipReductionFactor', 2],
    ['localSkipFactor', 1],
  ];
  for (const [key, min] of ints) {
    if (!isInt(c[key], min)) return err(new DasoConfigError(`${key} must be an integer ≥ ${min}, got ${c[key]}`));
  }
  if (!(c.stabilityLevel >= 0 && c.stabilityLevel < 1)) {
    return err(new DasoConfigError(`stabilityLevel must be in [0, 1), got ${c.stabilityLevel}`));
  }
  return ok(c);
}

const blockingFor = (epoch: number, phase: 'warmup' | 'cooldown'): DasoSchedule => ({
  epoch,
  globalSkip: 0,
  localSkip: 0,
  batchesToWait: 0,
  phase,
  blocking: true,
});

const cyclingFor = (epoch: number, gs: number, ls: number, b: number): DasoSchedule => ({
  epoch,
  globalSkip: gs,
  localSkip: ls,
  batchesToWait: b,
  phase: 'cycling',
  blocking: b === 0,
});

/** Phase of `epoch` from the epoch counts alone (warmup wins when they overlap, as in heat; both block). */
export function phaseOf(config: DasoScheduleConfig, epoch: number): DasoPhase {
  if (epoch < config.warmupEpochs) return 'warmup';
  return epoch >= config.totalEpochs - config.cooldownEpochs ? 'cooldown' : 'cycling';
}

/** State before epoch 0. With warmupEpochs = 0, epoch 0 already cycles at (4, 1, 1). */
export function initSchedule(config: DasoScheduleConfig): DasoScheduleState {
  const phase = phaseOf(config, 0);
  const { globalSkip: gs, localSkip: ls, batchesToWait: b } = CYCLING_START;
  const schedule = phase === 'cycling' ? cyclingFor(0, gs, ls, b) : blockingFor(0, phase);
  return { config, schedule, plateau: { best: null, bad: 0 } };
}

/** heat `is_better` in 'min'/'rel' mode: below best·(1−t), or best·(1+t) when best is negative. */
function improves(loss: number, best: number | null, threshold: number): boolean {
  if (best === null) return loss < Infinity; // heat starts from best = +Inf
  return loss < (best >= 0 ? best * (1 - threshold) : best * (1 + threshold));
}

/** One detector step: returns the new state and whether a plateau ("stable") fired. */
export function observeLoss(p: PlateauState, loss: number, c: DasoScheduleConfig): { plateau: PlateauState; stable: boolean } {
  const better = improves(loss, p.best, c.stabilityLevel);
  const next = better ? { best: loss, bad: 0 } : { best: p.best, bad: p.bad + 1 };
  if (next.bad > c.patience) return { plateau: { best: next.best, bad: 0 }, stable: true };
  return { plateau: next, stable: false };
}

/** heat's reaction to a plateau in the cycling phase. */
function reactToPlateau(gs: number, ls: number, b: number, c: DasoScheduleConfig): [number, number, number] {
  if (gs > 1) {
    const f = c.skipReductionFactor;
    // heat lets gs reach 0 when f > gs, which then blocks forever; we keep gs ≥ 1 (no effect for f = 2).
    const g = Math.max(Math.floor(gs / f), 1);
    return [g, Math.max(Math.floor(ls / f), 1), Math.max(b - 1, 1)];
  }
  const reset = Math.floor(c.maxGlobalSkips / c.localSkipFactor);
  return [c.maxGlobalSkips, reset, reset];
}

/**
 * Advances one epoch. `input.epoch` is the epoch that just ended; the returned `schedule` (also
 * `state.schedule`) applies to epoch `input.epoch + 1`. Throws `ScheduleEpochError` when epochs are skipped
 * or repeated: the caller owns the epoch counter, so that is a programming error.
 */
export function nextSchedule(state: DasoScheduleState, input: EpochEnd): { state: DasoScheduleState; schedule: DasoSchedule } {
  const { config: c, schedule: cur } = state;
  if (input.epoch !== cur.epoch) {
    throw new ScheduleEpochError(`nextSchedule expected the end of epoch ${cur.epoch}, got ${input.epoch}`);
  }
  const epoch = input.epoch + 1;
  const phase = phaseOf(c, epoch);
  if (phase !== 'cycling') {
    // Warmup and cooldown neither feed nor reset the detector (heat returns before it).
    const schedule = blockingFor(epoch, phase);
    return { state: { ...state, schedule }, schedule };
  }
  // First cycling epoch: start from (4, 1, 1), then still feed the detector, as heat falls through.
  const start = cur.phase !== 'cycling' ? CYCLING_START : cur;
  const { plateau, stable } = observeLoss(state.plateau, input.loss, c);
  const [gs, ls, b] = stable
    ? reactToPlateau(start.globalSkip, start.localSkip, start.batchesToWait, c)
    : [start.globalSkip, start.localSkip, start.batchesToWait];
  const schedule = cyclingFor(epoch, gs, ls, b);
  return { state: { config: c, schedule, plateau }, schedule };
}
