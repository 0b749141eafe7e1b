/**
 * The transport contract on real PeerJS transports in headless Chromium: contract.html runs every case of
 * src/transport/contract.ts on several Peer objects in one page, through the e2e PeerServer (/peerjs).
 */
import { expect, test } from '@playwright/test';

test('PeerJS transports pass the transport contract', async ({ page }) => {
  test.setTimeout(300_000);
  page.on('console', (m) => {
    if (m.type() === 'log' || m.type() === 'error') console.log(`[page] ${m.text()}`);
  });
  await page.goto('/contract.html');
  await page.waitForFunction(() => window.contractDone === true, null, { timeout: 280_000 });
  const results = await page.evaluate(() => window.contractResults ?? []);
  const failures = results.filter((r) => !r.ok).map((r) => `${r.name}: ${r.error ?? ''}`);
  expect(results.length).toBeGreaterThan(0);
  expect(failures, failures.join('\n')).toEqual([]);
});
