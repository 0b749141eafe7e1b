// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { barHeights, createLabelHistogram } from './label-histogram.ts';

describe('barHeights', () => {
  it('scales counts to percentages of the largest', () => {
    expect(barHeights([50, 100, 0, 25])).toEqual([50, 100, 0, 25]);
    expect(barHeights([1, 3])).toEqual([33, 100]);
  });
  it('is all zero for an empty or all-zero histogram and ignores bad counts', () => {
    expect(barHeights([])).toEqual([]);
    expect(barHeights([0, 0])).toEqual([0, 0]);
    expect(barHeights([Number.NaN, 10, -5])).toEqual([0, 100, 0]);
  });
});

describe('createLabelHistogram', () => {
  it('draws one bar per class and reuses the bars on update', () => {
    const hist = createLabelHistogram();
    hist.update([10, 20, 0, 5, 5, 5, 5, 5, 5, 5]);
    const bars = Array.from(hist.el.children) as HTMLElement[];
    expect(bars).toHaveLength(10);
    expect(bars[1]!.style.height).toBe('100%');
    expect(bars[0]!.style.height).toBe('50%');
    expect(bars[2]!.style.height).toBe('1px');
    hist.update([20, 10, 0, 5, 5, 5, 5, 5, 5, 5]);
    expect(hist.el.children[0]).toBe(bars[0]);
    expect(bars[0]!.style.height).toBe('100%');
    expect(hist.el.getAttribute('aria-label')).toContain('0:20');
    hist.update([]);
    expect(hist.el.children).toHaveLength(0);
  });
});
