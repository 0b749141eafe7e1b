import { describe, expect, it } from 'vitest';
import { chartBounds, project, seriesKey } from './chart-scale.ts';

describe('chartBounds', () => {
  it('spans the data', () => {
    expect(chartBounds([[0, 2], [10, 1], [5, 1.5]])).toEqual({ xMin: 0, xMax: 10, yMin: 1, yMax: 2 });
  });
  it('is 0..1 on both axes without data', () => {
    expect(chartBounds([])).toEqual({ xMin: 0, xMax: 1, yMin: 0, yMax: 1 });
  });
  it('widens a single point or a flat line into a non-empty range around it', () => {
    const b = chartBounds([[3, 0.5]]);
    expect(b.xMin).toBeCloseTo(2.7);
    expect(b.xMax).toBeCloseTo(3.3);
    expect(b.yMin).toBeCloseTo(0.45);
    expect(b.yMax).toBeCloseTo(0.55);
    expect(chartBounds([[0, 0], [1, 0]])).toEqual({ xMin: 0, xMax: 1, yMin: -1, yMax: 1 });
  });
  it('skips non-finite points', () => {
    expect(chartBounds([[0, 1], [1, Number.NaN], [Infinity, 5], [2, 3]])).toEqual({ xMin: 0, xMax: 2, yMin: 1, yMax: 3 });
  });
  it('honours fixed y limits on either side', () => {
    expect(chartBounds([[0, 0.4], [1, 0.6]], { yMin: 0, yMax: 1 })).toEqual({ xMin: 0, xMax: 1, yMin: 0, yMax: 1 });
    expect(chartBounds([[0, 0.4], [1, 0.6]], { yMin: 0 })).toEqual({ xMin: 0, xMax: 1, yMin: 0, yMax: 0.6 });
  });
});

describe('project', () => {
  const rect = { left: 10, top: 5, width: 100, height: 50 };
  const b = { xMin: 0, xMax: 10, yMin: 0, yMax: 1 };
  it('puts the minimum at the bottom left and the maximum at the top right', () => {
    expect(project([0, 0], b, rect)).toEqual([10, 55]);
    expect(project([10, 1], b, rect)).toEqual([110, 5]);
    expect(project([5, 0.5], b, rect)).toEqual([60, 30]);
  });
});

describe('seriesKey', () => {
  it('changes when a point is appended or the last point moves, not for an equal copy', () => {
    const a = [[0, 1], [1, 0.5]] as const;
    expect(seriesKey(a)).toBe(seriesKey([[0, 1], [1, 0.5]]));
    expect(seriesKey(a)).not.toBe(seriesKey([...a, [2, 0.4]]));
    expect(seriesKey(a)).not.toBe(seriesKey([[0, 1], [1, 0.6]]));
    expect(seriesKey([])).not.toBe(seriesKey([[0, 0]]));
  });
});
