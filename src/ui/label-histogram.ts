/**
 * A tiny inline bar chart of a partition's label histogram (one bar per class, 10 for MNIST), so a glance
 * at the devices table shows whether a device got an IID or a skewed slice of the data.
 */
import { h, setAttr } from './dom.ts';

/** A mounted histogram; `update` reuses its bars. */
export interface LabelHistogram {
  readonly el: HTMLElement;
  update(counts: readonly number[]): void;
}

/** Bar heights as percentages of the largest count (all zero for an empty or all-zero histogram). */
export function barHeights(counts: readonly number[]): number[] {
  const max = counts.reduce((m, c) => (Number.isFinite(c) && c > m ? c : m), 0);
  return counts.map((c) => (max > 0 && Number.isFinite(c) && c > 0 ? Math.round((c / max) * 100) : 0));
}

/** Creates the histogram element (`span.hist` holding one `span.hist-bar` per class). */
export function createLabelHistogram(): LabelHistogram {
  const el = h('span', { className: 'hist', attrs: { role: 'img' } });
  let last = '';
  return {
    el,
    update(counts) {
      const key = counts.join(',');
      if (key === last) return;
      last = key;
      while (el.children.length < counts.length) el.appendChild(h('span', { className: 'hist-bar' }));
      while (el.children.length > counts.length) el.lastElementChild?.remove();
      barHeights(counts).forEach((pct, i) => {
        const bar = el.children[i];
        // A 1 px floor keeps an empty class visible as "zero" rather than missing.
        if (bar instanceof HTMLElement) bar.style.height = pct > 0 ? `${pct}%` : '1px';
      });
      setAttr(el, 'aria-label', `labels: ${counts.map((c, i) => `${i}:${c}`).join(' ')}`);
      setAttr(el, 'title', counts.map((c, i) => `${i}: ${c}`).join('\n'));
    },
  };
}
