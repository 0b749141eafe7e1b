/**
 * A one-line terminal progress bar: `[#####-----] 3/7  backends wasm  0:12 (total 1:40)`, redrawn in
 * place with \r on a TTY once a second; plain lines when output is not a terminal (CI logs, pipes).
 */

/** The part of a Node write stream the bar uses (process.stderr in the runner, a fake in tests). */
export interface ProgressStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): boolean;
}

/** What one redraw shows. */
export interface BarState {
  readonly done: number;
  readonly total: number;
  readonly label: string;
  readonly runMs: number;
  readonly totalMs: number;
  /** Terminal width in characters. */
  readonly width: number;
}

/** Cells of the bar itself; 20 leaves room for a label on an 80-column terminal. */
const BAR_CELLS = 20;
/** Redraw period on a TTY: the elapsed clock moves in whole seconds. */
const TICK_MS = 1000;

/** 75_000 → "1:15"; 3_725_000 → "1:02:05". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** The bar line, cut to `width` so that \r redraws never wrap. */
export function formatBar(s: BarState): string {
  const frac = s.total > 0 ? Math.min(1, Math.max(0, s.done / s.total)) : 0;
  const filled = Math.round(frac * BAR_CELLS);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(BAR_CELLS - filled)}]`;
  const line = `${bar} ${s.done}/${s.total}  ${s.label}  ${formatDuration(s.runMs)} (total ${formatDuration(s.totalMs)})`;
  return line.length > s.width ? line.slice(0, Math.max(0, s.width - 1)) : line;
}

/** Progress over a known number of runs. Call `stop()` when done (clears the timer). */
export class ProgressBar {
  private done = 0;
  private label = 'starting';
  private runStart: number;
  private readonly start: number;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly stream: ProgressStream,
    private total: number,
    private readonly now: () => number = Date.now,
  ) {
    this.start = now();
    this.runStart = this.start;
  }

  private get tty(): boolean {
    return this.stream.isTTY === true;
  }

  /** Adds runs to the total (a suite learns its run count late, e.g. after detecting backends). */
  grow(extra: number): void {
    this.total += extra;
    this.draw();
  }

  /** A run starts. */
  begin(label: string): void {
    this.label = label;
    this.runStart = this.now();
    if (this.tty) {
      this.timer ??= setInterval(() => { this.draw(); }, TICK_MS);
      this.draw();
    } else {
      this.stream.write(`[${this.done + 1}/${this.total}] ${label} ...\n`);
    }
  }

  /** A run ended; `summary` is printed on its own line (e.g. "12.3 MB/s"). */
  end(summary: string): void {
    this.done++;
    this.note(`  ${this.label}: ${summary} (${formatDuration(this.now() - this.runStart)})`);
  }

  /** Prints a line above the bar. */
  note(text: string): void {
    if (this.tty) this.stream.write(`\r\x1b[K${text}\n`);
    else this.stream.write(`${text}\n`);
    this.draw();
  }

  /** Stops redrawing and leaves the cursor on a clean line. */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    if (this.tty) this.stream.write('\r\x1b[K');
  }

  private draw(): void {
    if (!this.tty) return;
    const t = this.now();
    const line = formatBar({
      done: this.done, total: this.total, label: this.label, runMs: t - this.runStart, totalMs: t - this.start,
      // A pseudo-terminal may report 0 columns; 80 is the classic default width.
      width: this.stream.columns !== undefined && this.stream.columns > 0 ? this.stream.columns : 80,
    });
    this.stream.write(`\r\x1b[K${line}`);
  }
}
