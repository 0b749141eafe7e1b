/**
 * Training progress for every role: latest loss and test accuracy, epoch, step (of all steps in the run) and
 * the elapsed time.
 */
import { card } from './dom.ts';
import { formatLoss, formatPercent, formatSeconds, groupThousands } from './format.ts';
import type { SwarmStatus } from './snapshot.ts';
import { createStatGrid } from './stat-grid.ts';
import type { View } from './view.ts';

/** Seconds of training so far: to `endedAt` once finished, to `now` while running, null before start. */
export function elapsedSeconds(s: SwarmStatus, now: number): number | null {
  if (s.startedAt === null) return null;
  return Math.max(0, ((s.endedAt ?? now) - s.startedAt) / 1000);
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
  return {
    el,
    update(s) {
      stats.set('loss', formatLoss(s.loss));
      stats.set('accuracy', formatPercent(s.testAccuracy));
      stats.set('epoch', `${s.epoch} / ${s.epochs}`);
      const totalSteps = s.epochs * s.stepsPerEpoch;
      stats.set('step', totalSteps > 0 ? `${groupThousands(s.step)} / ${groupThousands(totalSteps)}` : groupThousands(s.step));
      const elapsed = elapsedSeconds(s, now());
      stats.set('elapsed', elapsed === null ? 'not started' : formatSeconds(elapsed));
    },
  };
}
