/**
 * The installed top eigenvalues of a second-order run: a list (largest first, 4 significant digits) and a
 * tiny inline SVG bar chart on a log scale of |λ|, or "no curvature yet (warmup)" before the first install.
 * Rebuilt only when the values change, so calling `set` on every render costs nothing.
 *
 * @example
 * const chart = createSpectrumChart();
 * chart.set([0.5, 3.2, 41]); // ascending, as the snapshot has them; shown as 41, 3.2, 0.5
 */
import { h, setHidden } from './dom.ts';
import { formatSignificant } from './format.ts';

const SVG_NS = 'http://www.w3.org/2000/svg';
/** Bar geometry in SVG user units (the chart scales to its box through the viewBox). */
const BAR_WIDTH = 8;
const BAR_GAP = 3;
const CHART_HEIGHT = 40;
/** The smallest |λ| still gets this fraction of the height, so every installed value is a visible bar. */
const MIN_BAR_FRACTION = 0.08;

/** A mounted spectrum chart. */
export interface SpectrumChart {
  readonly el: HTMLElement;
  /** Shows eigenvalues given in ascending order (the snapshot's order). */
  set(eigvalsAscending: readonly number[]): void;
}

/**
 * Bar heights in [0, 1] on a log scale of |λ|: the largest magnitude 1, the smallest nonzero
 * MIN_BAR_FRACTION, the rest by log10 in between; 0 for λ = 0 or a non-finite value.
 * @example logBarHeights([100, 10, 1]) // [1, 0.54, 0.08]
 */
export function logBarHeights(values: readonly number[]): number[] {
  const logs = values.map((v) => (Number.isFinite(v) && v !== 0 ? Math.log10(Math.abs(v)) : null));
  const finite = logs.filter((l): l is number => l !== null);
  if (finite.length === 0) return values.map(() => 0);
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  return logs.map((l) => {
    if (l === null) return 0;
    // All magnitudes equal: nothing to compare, every bar is full height.
    return hi === lo ? 1 : MIN_BAR_FRACTION + (1 - MIN_BAR_FRACTION) * (l - lo) / (hi - lo);
  });
}

/** Creates an empty spectrum chart. */
export function createSpectrumChart(): SpectrumChart {
  const list = h('ol', { className: 'so-eigvals mono small', attrs: { 'data-testid': 'so-eigvals' } });
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('class', 'so-spectrum');
  svg.setAttribute('role', 'img');
  svg.setAttribute('preserveAspectRatio', 'xMinYMax meet');
  const empty = h('p', { className: 'muted empty', text: 'no curvature yet (warmup)', attrs: { 'data-testid': 'so-spectrum-empty' } });
  const chart = h('div', { className: 'so-spectrum-chart' }, [svg]);
  const el = h('div', { className: 'so-spectrum-box' }, [chart, list, empty]);
  let key: string | null = null;

  return {
    el,
    set(eigvalsAscending) {
      const k = eigvalsAscending.join(',');
      if (k === key) return;
      key = k;
      const values = [...eigvalsAscending].reverse();
      setHidden(empty, values.length > 0);
      setHidden(list, values.length === 0);
      setHidden(chart, values.length === 0);
      const texts = values.map((v) => formatSignificant(v, 4));
      list.replaceChildren(...texts.map((t) => h('li', { text: t })));
      const width = Math.max(1, values.length * (BAR_WIDTH + BAR_GAP) - BAR_GAP);
      svg.setAttribute('viewBox', `0 0 ${width} ${CHART_HEIGHT}`);
      svg.setAttribute('aria-label', `eigenvalues on a log scale, largest first: ${texts.join(', ')}`);
      svg.replaceChildren(...logBarHeights(values).map((f, i) => bar(i, f, values[i] ?? 0, texts[i] ?? '')));
    },
  };
}

function bar(index: number, fraction: number, value: number, text: string): SVGRectElement {
  const height = fraction * CHART_HEIGHT;
  const rect = document.createElementNS(SVG_NS, 'rect');
  rect.setAttribute('x', String(index * (BAR_WIDTH + BAR_GAP)));
  rect.setAttribute('y', String(CHART_HEIGHT - height));
  rect.setAttribute('width', String(BAR_WIDTH));
  rect.setAttribute('height', String(height));
  // Negative curvature (a saddle direction) is coloured apart: the log scale shows only the magnitude.
  rect.setAttribute('class', value < 0 ? 'so-bar-negative' : 'so-bar-positive');
  const title = document.createElementNS(SVG_NS, 'title');
  title.textContent = `λ = ${text}`;
  rect.appendChild(title);
  return rect;
}
