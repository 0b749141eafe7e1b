/**
 * The log: the last lines of the snapshot's log, newest at the bottom, coloured by level. Line elements are
 * reused; the panel follows new lines only while the reader is already at the bottom.
 */
import { card, h, setData, setText } from './dom.ts';
import { formatClock } from './format.ts';
import type { LogLine } from './snapshot.ts';
import type { View } from './view.ts';

/** How many log lines the panel shows: enough to see a run's story, few enough to update every tick. */
export const LOG_LINES_SHOWN = 50;
/** Within this many pixels of the bottom counts as "at the bottom" (sub-pixel scroll positions on phones). */
const STICK_PX = 24;

/** Creates the log panel view. */
export function createLogPanel(): View {
  const { el, body } = card('Log', 'log-card wide');
  const list = h('ol', { className: 'log', attrs: { 'aria-live': 'polite', 'data-testid': 'log' } });
  body.appendChild(list);
  let key = '';
  return {
    el,
    update(s) {
      const lines = s.log.slice(-LOG_LINES_SHOWN);
      // Skip unchanged logs: reading the scroll position below would force a layout on every render.
      const last = lines[lines.length - 1];
      const nextKey = `${s.log.length}|${last?.at ?? ''}|${last?.text ?? ''}`;
      if (nextKey === key) return;
      key = nextKey;
      const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight <= STICK_PX;
      lines.forEach((line, i) => { updateLine(lineAt(list, i), line); });
      while (list.children.length > lines.length) list.lastElementChild?.remove();
      if (atBottom) list.scrollTop = list.scrollHeight;
    },
  };
}

/** The i-th line element, created when missing. */
function lineAt(list: HTMLElement, i: number): HTMLElement {
  const existing = list.children[i];
  if (existing instanceof HTMLElement) return existing;
  const li = h('li', { className: 'log-line' }, [h('time', { className: 'log-time' }), h('span', { className: 'log-text' })]);
  list.appendChild(li);
  return li;
}

function updateLine(li: HTMLElement, line: LogLine): void {
  setData(li, 'level', line.level);
  const [time, text] = li.children;
  if (time !== undefined) setText(time, formatClock(line.at));
  if (text !== undefined) setText(text, line.text);
}
