/**
 * Model files: the room's checkpoint (saved in this browser at every epoch's end; reopening the room
 * resumes from it), a download of the trained model in TF.js format, and loading a model file to measure
 * its test accuracy here or, before training starts, to start the run from it.
 */
import { card, h, setHidden, setText } from './dom.ts';
import { formatPercent } from './format.ts';
import type { SwarmStatus } from './snapshot.ts';
import type { View } from './view.ts';

/** What the user can ask for from this card. */
export interface ModelIntents {
  /** Download the swarm's current model (model.json + weights.bin). */
  onExportModel(): void;
  /** The user chose model files (a model.json and its weights). */
  onLoadModel(files: readonly File[]): void;
}

/** One line about the room's checkpoint, or '' when there is none. */
export function checkpointText(s: SwarmStatus, now: Date = new Date()): string {
  const m = s.modelFiles;
  if (m?.checkpoint === null || m?.checkpoint === undefined) return '';
  const when = new Date(m.checkpoint.savedAt);
  const at = when.toDateString() === now.toDateString() ? when.toLocaleTimeString() : when.toLocaleString();
  const resumed = m.resumedFromEpoch === null ? '' : ` · resumed from epoch ${m.resumedFromEpoch}`;
  return `Checkpoint: epoch ${m.checkpoint.epoch}, saved ${at} in this browser${resumed}`;
}

/** One line about the loaded model file, or ''. */
export function loadedText(s: SwarmStatus): string {
  const l = s.modelFiles?.loaded ?? null;
  if (l === null) return '';
  if (l.error !== null) return `${l.name}: ${l.error}`;
  return l.accuracy === null ? `${l.name}: measuring…` : `${l.name}: test accuracy ${formatPercent(l.accuracy)}`;
}

export function createModelCard(intents: ModelIntents): View {
  const { el, body } = card('Model', 'model-card');
  const checkpoint = h('p', { className: 'small', attrs: { 'data-testid': 'checkpoint' } });
  const download = h('button', { className: 'btn', text: 'Download model (TF.js)', attrs: { type: 'button', 'data-testid': 'export-model' } });
  download.addEventListener('click', () => { intents.onExportModel(); });
  const input = h('input', { attrs: { type: 'file', multiple: '', accept: '.json,.bin', 'data-testid': 'load-model' } });
  input.addEventListener('change', () => {
    intents.onLoadModel(Array.from(input.files ?? []));
    input.value = '';
  });
  const hint = h('p', { className: 'muted small' });
  const loaded = h('p', { className: 'small', attrs: { 'data-testid': 'loaded-model' } });
  body.append(checkpoint, h('div', { className: 'start-row' }, [download]), h('label', { className: 'small', text: 'Load a model (model.json + weights.bin): ' }, [input]), hint, loaded);
  return {
    el,
    update(s) {
      const m = s.modelFiles;
      setHidden(el, m === undefined);
      if (m === undefined) return;
      setText(checkpoint, checkpointText(s));
      setHidden(checkpoint, m.checkpoint === null);
      setHidden(download, !m.canExport);
      setText(hint, m.canContinue ? 'A loaded model is evaluated here, and the run will start from it.' : 'A loaded model is evaluated on this tab\'s test set.');
      setText(loaded, loadedText(s));
      setHidden(loaded, m.loaded === null);
    },
  };
}
