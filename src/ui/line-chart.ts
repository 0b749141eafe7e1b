/**
 * A small canvas line chart: axes, min/max labels on both axes, one series. It is devicePixelRatio aware,
 * follows its container's size (ResizeObserver) and colours itself from CSS custom properties so dark mode
 * works. Without a 2D context (happy-dom, old browsers) it keeps its state and draws nothing.
 */
import { chartBounds, project, seriesKey, type ChartBounds, type ChartPoint, type FixedRange, type PlotRect } from './chart-scale.ts';
import { h } from './dom.ts';

/** Options for {@link createLineChart}. */
export interface LineChartInit extends FixedRange {
  /** Accessible name of the chart (also its `aria-label`). */
  readonly label: string;
  readonly formatX: (x: number) => string;
  readonly formatY: (y: number) => string;
  /** CSS custom property holding the line colour, e.g. `--chart-loss`. */
  readonly colorVar: string;
  /** Shown while there are no points. */
  readonly emptyText?: string;
}

/** A mounted chart. `el` goes wherever the caller wants; its CSS decides the size. */
export interface LineChart {
  readonly el: HTMLElement;
  /** Replaces the series; redraws only when it differs from the last one. */
  setData(points: readonly ChartPoint[]): void;
  /** Re-reads the container size and redraws (called by the ResizeObserver). */
  redraw(): void;
  destroy(): void;
}

/** Space around the plot for labels, in CSS pixels. */
const PAD = { top: 10, right: 12, bottom: 22, left: 8 } as const;
/** Label font size in CSS pixels: readable on a phone without crowding a 180 px tall chart. */
const FONT_PX = 11;

/** Creates a chart element; append `chart.el` to the page and feed it with `setData`. */
export function createLineChart(init: LineChartInit): LineChart {
  const canvas = h('canvas', { className: 'chart-canvas' });
  const el = h('div', { className: 'chart', attrs: { role: 'img', 'aria-label': init.label } }, [canvas]);
  let points: readonly ChartPoint[] = [];
  let key = '';

  const redraw = (): void => {
    const width = el.clientWidth;
    const height = el.clientHeight;
    if (width <= 0 || height <= 0) return;
    const dpr = fitCanvas(canvas, width, height);
    const ctx = getContext(canvas);
    if (ctx === null) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    draw(ctx, el, init, points, width, height);
  };

  const observer = typeof ResizeObserver === 'undefined' ? null : new ResizeObserver(() => { redraw(); });
  observer?.observe(el);
  const scheme = typeof window.matchMedia === 'function' ? window.matchMedia('(prefers-color-scheme: dark)') : null;
  const onScheme = (): void => { redraw(); };
  scheme?.addEventListener('change', onScheme);

  return {
    el,
    setData(next) {
      const nextKey = seriesKey(next);
      points = next;
      if (nextKey === key) return;
      key = nextKey;
      redraw();
    },
    redraw,
    destroy() {
      observer?.disconnect();
      scheme?.removeEventListener('change', onScheme);
      el.remove();
    },
  };
}

/** Sizes the canvas backing store in device pixels (sharp lines on high-DPI phones); returns the ratio. */
function fitCanvas(canvas: HTMLCanvasElement, width: number, height: number): number {
  const dpr = typeof window.devicePixelRatio === 'number' && window.devicePixelRatio > 0 ? window.devicePixelRatio : 1;
  const w = Math.round(width * dpr);
  const hgt = Math.round(height * dpr);
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== hgt) canvas.height = hgt;
  return dpr;
}

/** The 2D context, or null where the environment has no canvas implementation. */
function getContext(canvas: HTMLCanvasElement): CanvasRenderingContext2D | null {
  try {
    return typeof canvas.getContext === 'function' ? canvas.getContext('2d') : null;
  } catch {
    return null;
  }
}

/** Colours from CSS custom properties, with fallbacks for a page without styles.css. */
function colours(el: HTMLElement, colorVar: string): { line: string; axis: string; text: string } {
  const css = getComputedStyle(el);
  const read = (name: string, fallback: string): string => css.getPropertyValue(name).trim() || fallback;
  return { line: read(colorVar, '#3b82f6'), axis: read('--chart-axis', '#c8ccd4'), text: read('--muted', '#6b7280') };
}

function draw(ctx: CanvasRenderingContext2D, el: HTMLElement, init: LineChartInit, points: readonly ChartPoint[], width: number, height: number): void {
  const c = colours(el, init.colorVar);
  ctx.font = `${FONT_PX}px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif`;
  const b = chartBounds(points, init);
  // Without data the bounds are a placeholder range: label nothing rather than invent numbers.
  const empty = points.length === 0;
  const yTop = empty ? '' : init.formatY(b.yMax);
  const yBottom = empty ? '' : init.formatY(b.yMin);
  const labelW = Math.max(ctx.measureText(yTop).width, ctx.measureText(yBottom).width);
  const left = PAD.left + labelW + 6;
  const rect: PlotRect = { left, top: PAD.top, width: Math.max(1, width - left - PAD.right), height: Math.max(1, height - PAD.top - PAD.bottom) };
  drawAxes(ctx, rect, c.axis);
  drawLabels(ctx, rect, c.text, { yTop, yBottom, xLeft: empty ? '' : init.formatX(b.xMin), xRight: empty ? '' : init.formatX(b.xMax) });
  if (empty) {
    ctx.fillStyle = c.text;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.fillText(init.emptyText ?? 'waiting for data', rect.left + rect.width / 2, rect.top + rect.height / 2);
    return;
  }
  drawSeries(ctx, points, b, rect, c.line);
}

function drawAxes(ctx: CanvasRenderingContext2D, r: PlotRect, colour: string): void {
  ctx.strokeStyle = colour;
  ctx.lineWidth = 1;
  ctx.beginPath();
  // Half-pixel offsets put 1 px lines on pixel centres so they are crisp, not blurred over two pixels.
  const x0 = Math.round(r.left) + 0.5;
  const y0 = Math.round(r.top + r.height) + 0.5;
  const yTop = Math.round(r.top) + 0.5;
  ctx.moveTo(x0, yTop);
  ctx.lineTo(x0, y0);
  ctx.lineTo(r.left + r.width, y0);
  ctx.stroke();
  ctx.setLineDash([3, 3]);
  ctx.beginPath();
  ctx.moveTo(x0, yTop);
  ctx.lineTo(r.left + r.width, yTop);
  ctx.stroke();
  ctx.setLineDash([]);
}

function drawLabels(ctx: CanvasRenderingContext2D, r: PlotRect, colour: string, t: { yTop: string; yBottom: string; xLeft: string; xRight: string }): void {
  ctx.fillStyle = colour;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  ctx.fillText(t.yTop, r.left - 6, r.top);
  ctx.fillText(t.yBottom, r.left - 6, r.top + r.height);
  ctx.textBaseline = 'top';
  ctx.textAlign = 'left';
  ctx.fillText(t.xLeft, r.left, r.top + r.height + 6);
  ctx.textAlign = 'right';
  ctx.fillText(t.xRight, r.left + r.width, r.top + r.height + 6);
}

function drawSeries(ctx: CanvasRenderingContext2D, points: readonly ChartPoint[], b: ChartBounds, r: PlotRect, colour: string): void {
  const px = points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)).map((p) => project(p, b, r));
  const first = px[0];
  const last = px[px.length - 1];
  if (first === undefined || last === undefined) return;
  ctx.beginPath();
  ctx.moveTo(first[0], first[1]);
  for (const [x, y] of px) ctx.lineTo(x, y);
  ctx.strokeStyle = colour;
  ctx.lineWidth = 2;
  ctx.lineJoin = 'round';
  ctx.stroke();
  // A faint fill under the line reads as "area so far" and makes a thin line easier to see on a phone.
  ctx.lineTo(last[0], r.top + r.height);
  ctx.lineTo(first[0], r.top + r.height);
  ctx.closePath();
  ctx.globalAlpha = 0.12;
  ctx.fillStyle = colour;
  ctx.fill();
  ctx.globalAlpha = 1;
  ctx.beginPath();
  ctx.arc(last[0], last[1], 3, 0, Math.PI * 2);
  ctx.fill();
}
