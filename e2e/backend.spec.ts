/**
 * backend.html in real headless Chromium: the per-tab backend choice self-tests and measures every
 * available backend, picks one, and honours `?backend=`. Forcing wasm also proves the .wasm binaries load
 * from our own origin in the production build.
 */
import { expect, test, type Page } from '@playwright/test';
import type { BackendChoice } from '../src/platform/backend.ts';

/** Opens backend.html with a query string and waits for the choice (a WebGPU warm-up can take seconds). */
async function choiceAt(page: Page, query: string): Promise<BackendChoice> {
  await page.goto(`/backend.html${query}`);
  await page.waitForFunction(() => window.backendChoice !== undefined || window.backendError !== undefined, null, {
    timeout: 60_000,
  });
  const error = await page.evaluate(() => window.backendError);
  expect(error, 'chooseBackend must not throw').toBeUndefined();
  return page.evaluate(() => window.backendChoice!);
}

test('chooses a measured, self-tested backend and explains why', async ({ page }) => {
  const choice = await choiceAt(page, '');
  console.log(`backend choice: ${choice.backend} — ${choice.reason}`);
  for (const m of choice.measurements) console.log(`  ${m.backend}: ${m.samplesPerSec ?? '—'} samples/s (${m.note})`);
  expect(choice.selfTestPassed).toBe(true);
  expect(choice.samplesPerSec).toBeGreaterThan(0);
  expect(choice.reason).not.toBe('');
  expect(choice.measurements.map((m) => m.backend)).toEqual(['webgpu', 'webgl', 'wasm', 'cpu']);
  const chosen = choice.measurements.find((m) => m.backend === choice.backend);
  expect(chosen?.samplesPerSec).toBe(choice.samplesPerSec);
  // The winner is the fastest measured, or WebGPU within 10% of it.
  const best = Math.max(...choice.measurements.map((m) => m.samplesPerSec ?? 0));
  expect(choice.samplesPerSec >= best || (choice.backend === 'webgpu' && choice.samplesPerSec >= 0.9 * best)).toBe(true);
  expect(choice.measurements.find((m) => m.backend === 'wasm')?.samplesPerSec).toBeGreaterThan(0);
  await expect(page.getByTestId('measurements').locator('tbody tr')).toHaveCount(4);
  await expect(page.getByTestId('status')).toHaveText(`chose ${choice.backend}`);
});

test('honours ?backend=cpu', async ({ page }) => {
  const choice = await choiceAt(page, '?backend=cpu');
  expect(choice).toMatchObject({ backend: 'cpu', reason: 'forced by ?backend=cpu', selfTestPassed: true });
  expect(choice.samplesPerSec).toBeGreaterThan(0);
  expect(choice.measurements).toHaveLength(4);
  expect(await page.evaluate(() => document.body.dataset.state)).toBe('done');
});

test('honours ?backend=wasm: the .wasm binaries load from our origin', async ({ page }) => {
  const wasmRequests: string[] = [];
  page.on('request', (r) => {
    if (r.url().endsWith('.wasm')) wasmRequests.push(r.url());
  });
  const choice = await choiceAt(page, '?backend=wasm');
  expect(choice).toMatchObject({ backend: 'wasm', reason: 'forced by ?backend=wasm', selfTestPassed: true });
  expect(wasmRequests.length).toBeGreaterThan(0);
  const origin = new URL(page.url()).origin;
  for (const url of wasmRequests) expect(url.startsWith(origin)).toBe(true);
});

test('ignores an unknown ?backend= value and still chooses', async ({ page }) => {
  const choice = await choiceAt(page, '?backend=tpu');
  expect(choice.selfTestPassed).toBe(true);
  await expect(page.getByTestId('status')).toContainText('ignored ?backend=');
});
