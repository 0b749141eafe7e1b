import { defineConfig } from '@playwright/test';

/** Port of the e2e server (the app from dist/ plus the PeerServer, started by Playwright); E2E_PORT overrides. */
export const E2E_PORT = Number(process.env.E2E_PORT ?? 8090);

// Debian's Chromium (a test tool cannot download its own browser here). The background-networking flags
// stop Chromium from calling home, which this machine's closed network would refuse; WebGPU is enabled so
// capability detection sees it as a real user's Chromium would.
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

export default defineConfig({
  testDir: 'e2e',
  timeout: 240_000,
  expect: { timeout: 30_000 },
  fullyParallel: false,
  workers: 1, // 2-core machines: tabs of one test already use every core
  retries: 0,
  reporter: process.env.CI ? [['list']] : [['list']],
  use: {
    baseURL: `http://127.0.0.1:${E2E_PORT}`,
    trace: 'retain-on-failure',
    launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS },
  },
  webServer: {
    command: `npx tsx server/main.ts --port ${E2E_PORT} --quiet`,
    url: `http://127.0.0.1:${E2E_PORT}/healthz`,
    reuseExistingServer: !process.env.CI,
    timeout: 60_000,
    stdout: 'pipe',
  },
});
