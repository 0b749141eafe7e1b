/**
 * Number, byte and time formatting for the dashboard. Pure functions, no DOM, deterministic (no locale
 * lookups), so the same snapshot renders the same text in every browser and in tests.
 */

/** What every formatter shows for a value it cannot format (null, NaN, ±Infinity, negative sizes). */
export const MISSING = '–';

/** Byte units, each 1024 times the previous: the dashboard writes KB/MB for KiB/MiB, as most UIs do. */
const BYTE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB'] as const;
/** Binary step between byte units. */
const BYTES_PER_UNIT = 1024;

/**
 * Groups the integer part of a non-negative number with commas: 1234567 → "1,234,567".
 * @example groupThousands(12345) // "12,345"
 */
export function groupThousands(n: number): string {
  const [int = '0', frac] = Math.abs(n).toString().split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return (n < 0 ? '-' : '') + (frac === undefined ? grouped : `${grouped}.${frac}`);
}

/**
 * A byte count in human units: 1 decimal below 100 of a unit, none above.
 * @example formatBytes(1536) // "1.5 KB"; formatBytes(0) // "0 B"
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return MISSING;
  let value = bytes;
  let unit = 0;
  while (value >= BYTES_PER_UNIT && unit < BYTE_UNITS.length - 1) {
    value /= BYTES_PER_UNIT;
    unit += 1;
  }
  const text = unit === 0 || value >= 100 ? Math.round(value).toString() : value.toFixed(1);
  return `${text} ${BYTE_UNITS[unit] ?? 'B'}`;
}

/** Memory as bytes, where 0 means "unknown" (the DeviceInfo convention). */
export function formatMemory(bytes: number): string {
  return bytes === 0 ? 'unknown' : formatBytes(bytes);
}

/**
 * A throughput or count: integers grouped by thousands, small values with one decimal.
 * @example formatCount(2300.4) // "2,300"; formatCount(3.25) // "3.3"
 */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return MISSING;
  // Below 10 the decimal carries information (a slow phone doing 3.4 samples/s); above it is noise.
  return Math.abs(n) < 10 && !Number.isInteger(n) ? n.toFixed(1) : groupThousands(Math.round(n));
}

/**
 * A fraction in [0, 1] as a percentage with one decimal.
 * @example formatPercent(0.9234) // "92.3%"
 */
export function formatPercent(fraction: number | null): string {
  if (fraction === null || !Number.isFinite(fraction)) return MISSING;
  return `${(fraction * 100).toFixed(1)}%`;
}

/**
 * A loss value with 4 significant digits (no exponent for ordinary magnitudes).
 * @example formatLoss(0.234567) // "0.2346"
 */
export function formatLoss(loss: number | null): string {
  if (loss === null || !Number.isFinite(loss)) return MISSING;
  return formatSignificant(loss, 4);
}

/** `n` rounded to `digits` significant digits, without trailing zeros or exponent notation. */
export function formatSignificant(n: number, digits: number): string {
  if (!Number.isFinite(n)) return MISSING;
  if (n === 0) return '0';
  const magnitude = Math.floor(Math.log10(Math.abs(n)));
  const decimals = Math.max(0, digits - 1 - magnitude);
  // Above 1e15 toFixed switches to exponent notation; the dashboard never shows such numbers as digits.
  const fixed = Math.abs(n) >= 1e15 ? n.toPrecision(digits) : n.toFixed(Math.min(decimals, 20));
  return fixed.includes('.') && !fixed.includes('e') ? fixed.replace(/\.?0+$/, '') : fixed;
}

/**
 * Seconds as a compact duration for chart axes and elapsed time: "45 s", "2:05", "1:02:03".
 * @example formatSeconds(125) // "2:05"
 */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return MISSING;
  if (seconds < 10) return `${formatSignificant(seconds, 2)} s`;
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = h > 0 ? m.toString().padStart(2, '0') : m.toString();
  return `${h > 0 ? `${h}:` : ''}${mm}:${s.toString().padStart(2, '0')}`;
}

/**
 * How long ago, from a millisecond age: "now", "12 s ago", "3 min ago", "2 h ago".
 * @example formatAgo(12_400) // "12 s ago"
 */
export function formatAgo(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return MISSING;
  // Under one second the coordinator heard from it within a heartbeat: call that "now".
  if (ms < 1000) return 'now';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  return `${Math.floor(s / 3600)} h ago`;
}

/**
 * A wall-clock time (epoch milliseconds) as local HH:MM:SS, for log lines.
 * @example formatClock(new Date(2024, 0, 1, 9, 5, 7).getTime()) // "09:05:07"
 */
export function formatClock(epochMs: number): string {
  if (!Number.isFinite(epochMs)) return MISSING;
  const d = new Date(epochMs);
  const two = (n: number): string => n.toString().padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}
