/**
 * Training progress for every role: latest loss and test accuracy, how far the run is and the elapsed time.
 * "How far" depends on the algorithm: data-parallel runs show epoch and step (of all steps in the run),
 * FedAvg "round r / R" (its epochs are rounds), and the analytic algorithms "layer s / L" (their steps are
 * solved layers).
 */
import { card, setHidden, setText } from './dom.ts';
import { isAnalyticAlgo } from './federated-format.ts';
import { formatLoss, formatPercent, formatSeconds, groupThousands } from './format.ts';
import type { SwarmStatus } from './snapshot.ts';
import { createStatGrid } from './stat-grid.ts';
import type { View } from './view.ts';

/** Seconds of training so far: to `endedAt` once finished, to `now` while running, null before start. */
export function elapsedSeconds(s: SwarmStatus, now: number): number | null {
  if (s.startedAt === null) return null;
  return Math.max(0, ((s.endedAt ?? now) - s.startedAt) / 1000);
}

/** A progress tile's label and value; null hides the tile. */
export interface ProgressTile {
  readonly label: string;
  readonly value: string;
}

/**
 * The `epoch` and `step` tiles for a snapshot. FedAvg puts its rounds in the epoch tile (its step counter
 * repeats the round, so the step tile is hidden); analytic runs put their layers in the step tile (the whole
 * run is one epoch, so the epoch tile is hidden). The `data-stat` keys stay `epoch` and `step` for e2e tests.
 */
export function progressTiles(s: SwarmStatus): { readonly epoch: ProgressTile | null; readonly step: ProgressTile | null } {
  if (s.algo === 'fedavg') return { epoch: { label: 'Round', value: `${s.epoch} / ${s.epochs}` }, step: null };
  if (isAnalyticAlgo(s.algo)) {
    return { epoch: null, step: { label: 'Layer', value: s.stepsPerEpoch > 0 ? `${s.step} / ${s.stepsPerEpoch}` : String(s.step) } };
  }
  const totalSteps = s.epochs * s.stepsPerEpoch;
  return {
    epoch: { label: 'Epoch', value: `${s.epoch} / ${s.epochs}` },
    step: { label: 'Step', value: totalSteps > 0 ? `${groupThousands(s.step)} / ${groupThousands(totalSteps)}` : groupThousands(s.step) },
  };
}

/** Creates the progress card; `now` is injectable for tests. */
export function createProgressCard(now: () => number = () => Date.now()): View {
  const { el, body } = card('Training', 'progress-card');
  const stats = createStatGrid([
    ['loss', 'Loss'],
    ['accuracy', 'Test accuracy'],
    ['epoch', 'Epoch'],
    ['step', 'Step'],
    ['elapsed', 'Elapsed'],
  ] as const);
  body.appendChild(stats.el);
  const setTile = (key: 'epoch' | 'step', tile: ProgressTile | null): void => {
    const value = stats.value(key);
    // A tile is `<div.stat><dt.stat-label/><dd.stat-value/></div>` (stat-grid.ts): relabel and hide it whole.
    const box = value.parentElement;
    const label = value.previousElementSibling;
    if (box !== null) setHidden(box, tile === null);
    if (tile === null) return;
    if (label !== null) setText(label, tile.label);
    setText(value, tile.value);
  };
  return {
    el,
    update(s) {
      stats.set('loss', formatLoss(s.loss));
      stats.set('accuracy', formatPercent(s.testAccuracy));
      const tiles = progressTiles(s);
      setTile('epoch', tiles.epoch);
      setTile('step', tiles.step);
      const elapsed = elapsedSeconds(s, now());
      stats.set('elapsed', elapsed === null ? 'not started' : formatSeconds(elapsed));
    },
  };
}
