/**
 * Headless Chromium for the benchmark: one browser, one browser context per tab (so tabs share nothing
 * but the network, as separate devices would), JS-heap sampling for `peakBytesPerTab`.
 */
import { chromium, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { CHROMIUM_ARGS } from '../playwright.config.ts';

/**
 * The flags of playwright.config.ts (no background networking on this closed machine, WebGPU on, no
 * throttling of background tabs: several tabs train at once), plus precise heap figures:
 * `performance.memory` is otherwise rounded and updated only every ~20 minutes.
 */
export const BENCH_CHROMIUM_ARGS: readonly string[] = [...CHROMIUM_ARGS, '--enable-precise-memory-info'];

/** Starts Chromium at $CHROMIUM_PATH or /usr/bin/chromium (Debian's; Playwright cannot download one here). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: [...BENCH_CHROMIUM_ARGS] });
}

/** Console errors kept per tab, for failure reports. */
const MAX_KEPT_ERRORS = 20;

/** One tab in its own browser context. */
export interface Tab {
  readonly name: string;
  readonly context: BrowserContext;
  readonly page: Page;
  /** The tab's last console errors and uncaught exceptions. */
  readonly errors: string[];
  close(): Promise<void>;
}

/** Opens `url` in a fresh context and waits for the page's load event. */
export async function openTab(browser: Browser, url: string, name: string): Promise<Tab> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  const keep = (text: string): void => {
    errors.push(text);
    if (errors.length > MAX_KEPT_ERRORS) errors.shift();
  };
  page.on('console', (m) => { if (m.type() === 'error') keep(m.text()); });
  page.on('pageerror', (e) => { keep(`${e.name}: ${e.message}`); });
  await page.goto(url);
  return { name, context, page, errors, close: () => context.close().catch(() => undefined) };
}

/**
 * The tab's used JS heap in bytes (Chromium's non-standard `performance.memory`), 0 when unavailable or
 * when the page is gone (a sample must never fail a run).
 */
export async function usedJsHeap(page: Page): Promise<number> {
  try {
    return await page.evaluate(() => {
      const p = performance as Performance & { memory?: { usedJSHeapSize: number } };
      return p.memory?.usedJSHeapSize ?? 0;
    });
  } catch {
    return 0;
  }
}

/** Keeps the largest heap sample seen per tab. */
export class HeapTracker {
  private readonly peaks = new Map<string, number>();

  /** Samples every tab once, one after another. */
  async sample(tabs: readonly Tab[]): Promise<void> {
    for (const t of tabs) this.record(t.name, await usedJsHeap(t.page));
  }

  /** Records a value measured elsewhere (e.g. tfjs bytes reported by a bench page). */
  record(tab: string, bytes: number): void {
    if (Number.isFinite(bytes)) this.peaks.set(tab, Math.max(this.peaks.get(tab) ?? 0, bytes));
  }

  /** Max over tabs of each tab's peak. */
  peakPerTab(): number {
    return Math.max(0, ...this.peaks.values());
  }
}
