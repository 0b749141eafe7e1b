import { describe, expect, it } from 'vitest';
import { ProgressBar, formatBar, formatDuration, type ProgressStream } from './progress-bar.ts';

function fakeStream(isTTY: boolean, columns = 80): ProgressStream & { out: string } {
  const s = { isTTY, columns, out: '', write: (t: string) => { s.out += t; return true; } };
  return s;
}

describe('formatDuration and formatBar', () => {
  it('formats m:ss and h:mm:ss', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(75_000)).toBe('1:15');
    expect(formatDuration(3_725_000)).toBe('1:02:05');
  });

  it('fills the bar in proportion and fits the width', () => {
    const line = formatBar({ done: 1, total: 4, label: 'baseline 2 tabs', runMs: 12_000, totalMs: 100_000, width: 200 });
    expect(line).toBe('[#####---------------] 1/4  baseline 2 tabs  0:12 (total 1:40)');
    expect(formatBar({ done: 1, total: 4, label: 'x'.repeat(200), runMs: 0, totalMs: 0, width: 40 }).length).toBeLessThan(40);
  });
});

describe('ProgressBar', () => {
  it('prints plain lines when the stream is not a terminal', () => {
    const s = fakeStream(false);
    let now = 0;
    const bar = new ProgressBar(s, 2, () => now);
    bar.begin('transport raw r1');
    now = 3000;
    bar.end('18.0 MB/s');
    bar.stop();
    expect(s.out).toBe('[1/2] transport raw r1 ...\n  transport raw r1: 18.0 MB/s (0:03)\n');
    expect(s.out).not.toContain('\r');
  });

  it('redraws in place with \\r on a terminal', () => {
    const s = fakeStream(true);
    const bar = new ProgressBar(s, 1, () => 0);
    bar.begin('backends wasm');
    bar.end('done');
    bar.stop();
    expect(s.out).toContain('\r\x1b[K[--------------------] 0/1  backends wasm');
    expect(s.out).toContain('\r\x1b[K[####################] 1/1');
  });

  it('falls back to 80 columns when the terminal reports 0', () => {
    const s = fakeStream(true, 0);
    const bar = new ProgressBar(s, 1, () => 0);
    bar.begin('baseline 4 tabs');
    bar.stop();
    expect(s.out).toContain('0/1  baseline 4 tabs  0:00 (total 0:00)');
  });
});
