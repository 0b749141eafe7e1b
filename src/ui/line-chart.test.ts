// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { createLineChart, type LineChart } from './line-chart.ts';

type Call = readonly [string, readonly unknown[]];

/** A 2D context stand-in that records every method call (happy-dom has no canvas rendering). */
function recordingContext(): { ctx: CanvasRenderingContext2D; calls: Call[] } {
  const calls: Call[] = [];
  const props: Record<string | symbol, unknown> = {};
  const ctx = new Proxy(props, {
    get(target, prop) {
      if (prop === 'measureText') return (s: string) => ({ width: s.length * 6 });
      if (prop in target) return target[prop];
      return (...args: unknown[]) => { calls.push([String(prop), args]); };
    },
    set(target, prop, value) {
      target[prop] = value;
      return true;
    },
  });
  return { ctx: ctx as unknown as CanvasRenderingContext2D, calls };
}

/** Gives the chart a layout size (happy-dom does no layout) and a context. */
function sized(chart: LineChart, width: number, height: number, ctx: CanvasRenderingContext2D | null): HTMLCanvasElement {
  Object.defineProperty(chart.el, 'clientWidth', { configurable: true, get: () => width });
  Object.defineProperty(chart.el, 'clientHeight', { configurable: true, get: () => height });
  const canvas = chart.el.querySelector('canvas')!;
  canvas.getContext = (() => ctx) as unknown as HTMLCanvasElement['getContext'];
  return canvas;
}

const init = { label: 'loss', colorVar: '--chart-loss', formatX: (x: number) => `${x}s`, formatY: (y: number) => y.toFixed(2) };
let chart: LineChart | null = null;
afterEach(() => {
  chart?.destroy();
  chart = null;
  Object.defineProperty(window, 'devicePixelRatio', { configurable: true, value: 1 });
});

describe('createLineChart', () => {
  it('tolerates an environment without a 2D context', () => {
    chart = createLineChart(init);
    document.body.appendChild(chart.el);
    sized(chart, 300, 200, null);
    expect(() => { chart?.setData([[0, 1], [1, 0.5]]); }).not.toThrow();
    expect(chart.el.getAttribute('aria-label')).toBe('loss');
  });

  it('does nothing at zero size (not laid out yet) and never throws with the default happy-dom canvas', () => {
    chart = createLineChart(init);
    expect(() => { chart?.setData([[0, 1]]); chart?.redraw(); }).not.toThrow();
    expect(chart.el.querySelector('canvas')!.width).not.toBe(0); // untouched default (300), not resized to 0
  });

  it('sizes the canvas in device pixels and draws one segment per point', () => {
    Object.defineProperty(window, 'devicePixelRatio', { configurable: true, value: 2 });
    chart = createLineChart(init);
    const { ctx, calls } = recordingContext();
    const canvas = sized(chart, 300, 180, ctx);
    chart.setData([[0, 2.3], [1, 1.2], [2, 0.7], [3, 0.5]]);
    expect(canvas.width).toBe(600);
    expect(canvas.height).toBe(360);
    expect(calls.find(([name]) => name === 'setTransform')?.[1]).toEqual([2, 0, 0, 2, 0, 0]);
    const texts = calls.filter(([name]) => name === 'fillText').map(([, args]) => args[0]);
    expect(texts).toEqual(expect.arrayContaining(['2.30', '0.50', '0s', '3s']));
    // Axes: 2 lineTo + dashed top line: 1; series: 4 points + 2 closing the fill area.
    expect(calls.filter(([name]) => name === 'lineTo')).toHaveLength(3 + 4 + 2);
  });

  it('redraws only when the series changes', () => {
    chart = createLineChart(init);
    const { ctx, calls } = recordingContext();
    sized(chart, 300, 180, ctx);
    chart.setData([[0, 1], [1, 0.5]]);
    const afterFirst = calls.length;
    expect(afterFirst).toBeGreaterThan(0);
    chart.setData([[0, 1], [1, 0.5]]);
    expect(calls.length).toBe(afterFirst);
    chart.setData([[0, 1], [1, 0.5], [2, 0.4]]);
    expect(calls.length).toBeGreaterThan(afterFirst);
  });

  it('shows the empty text without data', () => {
    chart = createLineChart({ ...init, emptyText: 'no steps yet' });
    const { ctx, calls } = recordingContext();
    sized(chart, 300, 180, ctx);
    chart.redraw();
    const texts = calls.filter(([name]) => name === 'fillText').map(([, args]) => args[0]);
    expect(texts).toContain('no steps yet');
    expect(texts.filter((t) => t !== '' && t !== 'no steps yet')).toEqual([]); // no invented axis numbers
    expect(calls.some(([name]) => name === 'arc')).toBe(false);
  });
});
