import { describe, expect, it } from 'vitest';
import {
  MISSING, formatAgo, formatBytes, formatClock, formatCount, formatLoss, formatMemory, formatPercent, formatSeconds,
  formatSignificant, groupThousands,
} from './format.ts';

describe('groupThousands', () => {
  it('groups integer digits by three and keeps a fraction and the sign', () => {
    expect(groupThousands(0)).toBe('0');
    expect(groupThousands(999)).toBe('999');
    expect(groupThousands(1000)).toBe('1,000');
    expect(groupThousands(1234567)).toBe('1,234,567');
    expect(groupThousands(-12345.5)).toBe('-12,345.5');
  });
});

describe('formatBytes', () => {
  it('uses B below 1 KB, then KB/MB/GB in steps of 1024', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1024)).toBe('1.0 KB');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(48_312_000)).toBe('46.1 MB');
    expect(formatBytes(123_456_789)).toBe('118 MB');
    expect(formatBytes(8 * 1024 ** 3)).toBe('8.0 GB');
    expect(formatBytes(3 * 1024 ** 4)).toBe('3.0 TB');
  });
  it('stays in TB beyond the largest unit', () => {
    expect(formatBytes(2048 * 1024 ** 4)).toBe('2048 TB');
  });
  it('shows the missing mark for impossible sizes', () => {
    expect(formatBytes(-1)).toBe(MISSING);
    expect(formatBytes(Number.NaN)).toBe(MISSING);
    expect(formatBytes(Infinity)).toBe(MISSING);
  });
  it('formatMemory treats 0 as unknown', () => {
    expect(formatMemory(0)).toBe('unknown');
    expect(formatMemory(4 * 1024 ** 3)).toBe('4.0 GB');
  });
});

describe('formatCount', () => {
  it('rounds and groups from 10 up, keeps one decimal below 10', () => {
    expect(formatCount(2310.4)).toBe('2,310');
    expect(formatCount(10.6)).toBe('11');
    expect(formatCount(3.25)).toBe('3.3');
    expect(formatCount(7)).toBe('7');
    expect(formatCount(Number.NaN)).toBe(MISSING);
  });
});

describe('formatPercent', () => {
  it('shows a fraction with one decimal and null as missing', () => {
    expect(formatPercent(0.9234)).toBe('92.3%');
    expect(formatPercent(1)).toBe('100.0%');
    expect(formatPercent(0)).toBe('0.0%');
    expect(formatPercent(null)).toBe(MISSING);
  });
});

describe('formatLoss and formatSignificant', () => {
  it('keeps four significant digits without trailing zeros', () => {
    expect(formatLoss(0.234567)).toBe('0.2346');
    expect(formatLoss(2.302585)).toBe('2.303');
    expect(formatLoss(12.3456)).toBe('12.35');
    expect(formatLoss(0.5)).toBe('0.5');
    expect(formatLoss(0.00012346)).toBe('0.0001235');
    expect(formatLoss(1234.5)).toBe('1235');
    expect(formatLoss(0)).toBe('0');
    expect(formatLoss(null)).toBe(MISSING);
    expect(formatLoss(Number.NaN)).toBe(MISSING);
  });
  it('does not strip zeros of an integer', () => {
    expect(formatSignificant(100, 2)).toBe('100');
    expect(formatSignificant(-0.0500, 3)).toBe('-0.05');
  });
});

describe('formatSeconds', () => {
  it('writes short durations in seconds and longer ones as m:ss or h:mm:ss', () => {
    expect(formatSeconds(0)).toBe('0 s');
    expect(formatSeconds(2.345)).toBe('2.3 s');
    expect(formatSeconds(45.4)).toBe('45 s');
    expect(formatSeconds(60)).toBe('1:00');
    expect(formatSeconds(125)).toBe('2:05');
    expect(formatSeconds(3723)).toBe('1:02:03');
    expect(formatSeconds(-1)).toBe(MISSING);
  });
});

describe('formatAgo', () => {
  it('says now within a second, then seconds, minutes and hours', () => {
    expect(formatAgo(0)).toBe('now');
    expect(formatAgo(999)).toBe('now');
    expect(formatAgo(12_400)).toBe('12 s ago');
    expect(formatAgo(3 * 60_000 + 5)).toBe('3 min ago');
    expect(formatAgo(2 * 3_600_000)).toBe('2 h ago');
    expect(formatAgo(-5)).toBe(MISSING);
  });
});

describe('formatClock', () => {
  it('shows local time as zero-padded HH:MM:SS', () => {
    expect(formatClock(new Date(2024, 0, 1, 9, 5, 7).getTime())).toBe('09:05:07');
    expect(formatClock(new Date(2024, 0, 1, 23, 59, 59).getTime())).toBe('23:59:59');
    expect(formatClock(Number.NaN)).toBe(MISSING);
  });
});
