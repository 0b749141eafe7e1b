/**
 * Pure geometry for the line chart: data bounds and the data → pixel mapping. Kept apart from the canvas
 * code so it can be unit-tested without a canvas.
 */

/** A chart point: [x, y], e.g. [seconds since training started, loss]. */
export type ChartPoint = readonly [number, number];

/** The data range a chart shows. Invariant: xMax > xMin and yMax > yMin. */
export interface ChartBounds {
  readonly xMin: number;
  readonly xMax: number;
  readonly yMin: number;
  readonly yMax: number;
}

/** Fixed y limits (e.g. 0..1 for accuracy); a missing side follows the data. */
export interface FixedRange {
  readonly yMin?: number | undefined;
  readonly yMax?: number | undefined;
}

/** The plot area inside the canvas, in CSS pixels. */
export interface PlotRect {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/**
 * The bounds of the finite points, widened to a non-empty range when all values are equal (a flat line
 * sits in the middle) and to 0..1 when there are none.
 * @example chartBounds([[0, 2], [10, 1]]) // { xMin: 0, xMax: 10, yMin: 1, yMax: 2 }
 */
export function chartBounds(points: readonly ChartPoint[], fixed: FixedRange = {}): ChartBounds {
  let xMin = Infinity;
  let xMax = -Infinity;
  let yMin = Infinity;
  let yMax = -Infinity;
  for (const [x, y] of points) {
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    xMin = Math.min(xMin, x);
    xMax = Math.max(xMax, x);
    yMin = Math.min(yMin, y);
    yMax = Math.max(yMax, y);
  }
  const [x0, x1] = widen(xMin, xMax);
  const [y0, y1] = widen(fixed.yMin ?? yMin, fixed.yMax ?? yMax);
  return { xMin: x0, xMax: x1, yMin: y0, yMax: y1 };
}

/** A non-empty range from possibly infinite or equal ends. */
function widen(lo: number, hi: number): readonly [number, number] {
  if (!Number.isFinite(lo) && !Number.isFinite(hi)) return [0, 1];
  if (!Number.isFinite(lo)) return [hi - 1, hi];
  if (!Number.isFinite(hi)) return [lo, lo + 1];
  if (hi > lo) return [lo, hi];
  // A flat series: give it ±10 % of its magnitude (or ±1 around zero) so it is drawn mid-height.
  const pad = Math.abs(lo) * 0.1 || 1;
  return [lo - pad, hi + pad];
}

/**
 * Maps a data point to canvas pixels (y grows downwards on a canvas).
 * @example project([5, 0.5], { xMin: 0, xMax: 10, yMin: 0, yMax: 1 }, { left: 0, top: 0, width: 100, height: 50 }) // [50, 25]
 */
export function project(p: ChartPoint, b: ChartBounds, r: PlotRect): readonly [number, number] {
  const fx = (p[0] - b.xMin) / (b.xMax - b.xMin);
  const fy = (p[1] - b.yMin) / (b.yMax - b.yMin);
  return [r.left + fx * r.width, r.top + (1 - fy) * r.height];
}

/**
 * A cheap change key for a series that normally only grows: length plus first and last point. The chart
 * redraws only when this changes, so re-rendering an unchanged snapshot draws nothing.
 */
export function seriesKey(points: readonly ChartPoint[]): string {
  const first = points[0];
  const last = points[points.length - 1];
  return `${points.length}|${first?.join(',') ?? ''}|${last?.join(',') ?? ''}`;
}
