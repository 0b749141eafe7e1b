/**
 * The top bar: app name, room, role badge, phase pill, run description, epoch x/y, step and an overall
 * progress bar. Shown for every role.
 */
import { h, setAttr, setData, setHidden, setText } from './dom.ts';
import { groupThousands } from './format.ts';
import type { SwarmPhase, SwarmStatus } from './snapshot.ts';
import type { View } from './view.ts';

/** Human words for each phase (the snapshot's values are kebab-case identifiers). */
export const PHASE_LABEL: Readonly<Record<SwarmPhase, string>> = {
  starting: 'starting',
  connecting: 'connecting',
  recruiting: 'recruiting',
  joined: 'joined',
  training: 'training',
  'evaluating-final': 'final evaluation',
  done: 'done',
  failed: 'failed',
};

/** Fraction of all steps done, in [0, 1]; 0 when the run length is not known yet. */
export function overallProgress(s: SwarmStatus): number {
  const total = s.epochs * s.stepsPerEpoch;
  if (s.phase === 'done') return 1;
  return total > 0 ? Math.min(1, Math.max(0, s.step / total)) : 0;
}

/** Creates the header view. */
export function createHeader(): View {
  const room = h('span', { className: 'chip room' });
  const role = h('span', { className: 'badge role' });
  const phase = h('span', { className: 'pill phase', attrs: { 'data-testid': 'phase' } });
  const run = h('span', { className: 'run muted' });
  const epoch = h('span', { className: 'stat-inline', attrs: { 'data-testid': 'epoch' } });
  const step = h('span', { className: 'stat-inline', attrs: { 'data-testid': 'step' } });
  const fill = h('div', { className: 'progress-fill' });
  const bar = h('div', { className: 'progress', attrs: { role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100' } }, [fill]);
  const brand = h('h1', { className: 'brand', text: 'swarm' });
  const left = h('div', { className: 'topbar-left' }, [brand, room, role, phase]);
  const right = h('div', { className: 'topbar-right' }, [run, epoch, step]);
  const el = h('header', { className: 'topbar' }, [h('div', { className: 'topbar-row' }, [left, right]), bar]);

  return {
    el,
    update(s) {
      setText(room, s.room === '' ? 'no room' : `room ${s.room}`);
      // Before a role is known the phase pill already says "starting": no badge.
      setHidden(role, s.role === null);
      setText(role, s.role ?? '');
      setData(role, 'role', s.role ?? 'none');
      setText(phase, PHASE_LABEL[s.phase]);
      setData(phase, 'phase', s.phase);
      setText(run, [s.dataset, s.model, s.algo].filter((x) => x !== '').join(' · '));
      // Analytic runs count solved layers, FedAvg counts communication rounds, dp counts epochs and steps.
      const analytic = s.algo === 'fedacnnl' || s.algo === 'pfedacnnl';
      setText(epoch, analytic ? `layer ${s.step}/${s.stepsPerEpoch}` : s.algo === 'fedavg' ? `round ${s.epoch}/${s.epochs}` : `epoch ${s.epoch}/${s.epochs}`);
      setText(step, `step ${groupThousands(s.step)}`);
      setHidden(step, analytic || s.algo === 'fedavg');
      const pct = Math.round(overallProgress(s) * 100);
      if (fill.style.width !== `${pct}%`) fill.style.width = `${pct}%`;
      setAttr(bar, 'aria-valuenow', String(pct));
      setHidden(bar, s.epochs * s.stepsPerEpoch <= 0);
    },
  };
}
