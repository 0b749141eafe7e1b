import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderReport } from './report-html.ts';
import { sampleResult } from './sample-result.ts';
import { barChart, lineChart } from './svg-charts.ts';
import { InvalidResultError, writeSuiteResult } from './write-results.ts';

describe('renderReport', () => {
  const html = renderReport(sampleResult());

  it('is a self-contained page: no scripts, no external resources', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|src="http|href="http/);
  });

  it('lists every run, escaped, with the command line and machine', () => {
    expect(html).toContain('<td>1 tab</td>');
    expect(html).toContain('2 tabs &#60;b&#62;');
    expect(html).not.toContain('2 tabs <b>');
    expect(html).toContain('npm run bench -- --suite baseline --tabs 2');
    expect(html).toContain('Test CPU');
    expect(html).toContain('a note &#38; more');
  });

  it('shows ratios with their verdicts', () => {
    expect(html).toMatch(/<td>speedup2<\/td><td class="num">0\.500<\/td><td>≥ 1<\/td><td class="miss">miss<\/td>/);
    expect(html).toMatch(/<td>efficiency2<\/td><td class="num">—<\/td><td>—<\/td><td class="n\/a">n\/a<\/td>/);
  });

  it('plots the curves of the runs and a bar chart of samples/s', () => {
    expect(html.match(/<polyline /g)).toHaveLength(2);
    expect(html).toContain('Training throughput (samples/s)');
  });
});

describe('svg charts', () => {
  it('draws one polyline per series and one bar per entry', () => {
    const line = lineChart([{ name: 'a', points: [[0, 0], [1, 1]] }, { name: 'b', points: [[0, 0.5]] }], 's', 'acc');
    expect(line.match(/<polyline /g)).toHaveLength(2);
    const bars = barChart([{ label: 'x', value: 10 }, { label: 'y', value: 5 }], 'MB/s');
    expect(bars.match(/<rect /g)).toHaveLength(2);
    expect(bars).toContain('10.0 MB/s');
  });

  it('scales the largest bar to the full width and half the value to half of it', () => {
    const widths = [...barChart([{ label: 'x', value: 10 }, { label: 'y', value: 5 }], 'u').matchAll(/<rect [^>]*width="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(widths[1]! * 2).toBeCloseTo(widths[0]!, 0);
  });

  it('spans the y axis over the data and draws the target as a dashed line', () => {
    const line = lineChart([{ name: 'a', points: [[0, 0.8], [10, 0.95]] }], 's', 'acc', 0.9);
    expect(line).toContain('stroke-dasharray');
    expect(line).toContain('<title>target 0.9</title>');
    const yTicks = [...line.matchAll(/text-anchor="end">([\d.]+)</g)].map((m) => Number(m[1]));
    expect(Math.min(...yTicks)).toBeGreaterThan(0.7); // the y axis does not start at 0 for accuracies near 0.9
    expect(Math.max(...yTicks)).toBeLessThan(1);
    expect(lineChart([{ name: 'a', points: [[0, 0.8]] }], 's', 'acc')).not.toContain('stroke-dasharray');
  });

  it('says so when there is nothing to plot', () => {
    expect(lineChart([], 's', 'acc')).toContain('no data');
  });
});

describe('writeSuiteResult', () => {
  it('writes NAME.json and NAME.html, and refuses a malformed result', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bench-'));
    try {
      const files = await writeSuiteResult(dir, sampleResult());
      const json = JSON.parse(await readFile(files.json, 'utf8')) as { suite: string; runs: unknown[] };
      expect(json.suite).toBe('baseline');
      expect(json.runs).toHaveLength(2);
      expect(await readFile(files.html, 'utf8')).toContain('<td>1 tab</td>');
      const bad = { ...sampleResult(), runs: [{ ...sampleResult().runs[0]!, wallSeconds: Number.NaN }] };
      await expect(writeSuiteResult(dir, bad)).rejects.toBeInstanceOf(InvalidResultError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
