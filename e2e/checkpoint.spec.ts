/**
 * Checkpoints and model files end to end: a coordinator tab and a worker train MNIST data-parallel; after
 * the first epoch's checkpoint (IndexedDB) every tab is closed; the room is reopened in the same browser
 * profile and the run resumes from that checkpoint and finishes. The trained model is then downloaded in
 * TF.js format and loaded into another tab, which measures the same test accuracy.
 */
import { expect, test } from '@playwright/test';
import type { BrowserContext, Download, Page } from '@playwright/test';
import { openTab, status, swarmPath, uniqueRoom, waitForStatus } from './fixtures/swarm.ts';

async function coordinatorIn(context: BrowserContext, query: Record<string, string | number>): Promise<Page> {
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') console.log(`[tab coordinator] ${m.text()}`); });
  await page.goto(swarmPath(query));
  return page;
}

test('a closed room resumes from its last checkpoint; the model downloads and loads elsewhere with the same accuracy', async ({ browser }, testInfo) => {
  const room = uniqueRoom('e2e-ckpt');
  const common = { room, dataset: 'mnist', model: 'mlp', backend: 'wasm', seed: 5, algo: 'dp', epochs: 2 };
  const profile = await browser.newContext(); // IndexedDB lives in the browser profile: the reopened tab shares it
  const coordQuery = { ...common, role: 'coordinator', minPeers: 1, autostart: 1 };

  const coord1 = await coordinatorIn(profile, coordQuery);
  await waitForStatus(coord1, (s) => s.phase === 'recruiting', 60_000, 'coordinator recruiting');
  const worker1 = await openTab(browser, { ...common, role: 'worker' });
  const saved = await waitForStatus(coord1, (s) => (s.modelFiles?.checkpoint?.epoch ?? 0) >= 1, 120_000, 'the epoch-1 checkpoint');
  expect(saved.modelFiles?.resumedFromEpoch).toBeNull();
  const stepsPerEpoch = saved.stepsPerEpoch;
  // The worker first: a worker that loses its coordinator mid-run takes over (failover), which would race
  // the reopened coordinator for the room's id.
  await worker1.context().close();
  await coord1.close();

  const coord2 = await coordinatorIn(profile, coordQuery);
  const reopened = await waitForStatus(coord2, (s) => s.phase === 'recruiting', 60_000, 'reopened coordinator recruiting');
  expect(reopened.modelFiles?.resumedFromEpoch).toBe(1);
  const worker2 = await openTab(browser, { ...common, role: 'worker' });
  const training = await waitForStatus(coord2, (s) => s.phase === 'training', 60_000, 'the resumed run to start');
  expect(training.step).toBeGreaterThanOrEqual(stepsPerEpoch); // it went on from epoch 1, not from step 0
  expect(training.log.some((l) => l.text.includes(`resuming at step ${stepsPerEpoch} (epoch 1)`))).toBe(true);
  const final = await waitForStatus(coord2, (s) => s.phase === 'done', 120_000, 'the resumed run to finish');
  expect(final.step).toBe(2 * stepsPerEpoch);
  expect(final.testAccuracy!).toBeGreaterThanOrEqual(0.9);
  // The last checkpoint is written to IndexedDB asynchronously, a moment after the run reports done.
  await expect.poll(async () => (await status(coord2)).modelFiles?.checkpoint?.epoch, { timeout: 10_000 }).toBe(2);

  // Download (TF.js writes model.json and its weights as two downloads), then load both into the worker tab.
  const downloads: Download[] = [];
  coord2.on('download', (d) => { downloads.push(d); });
  await coord2.getByTestId('export-model').click();
  await expect.poll(() => downloads.length, { timeout: 30_000 }).toBe(2);
  const paths: string[] = [];
  for (const d of downloads) {
    const path = testInfo.outputPath(d.suggestedFilename());
    await d.saveAs(path);
    paths.push(path);
  }
  expect(paths.map((p) => p.split('/').pop()).sort()).toEqual(['swarm-mnist-mlp.json', 'swarm-mnist-mlp.weights.bin']);
  await worker2.getByTestId('load-model').setInputFiles(paths);
  await expect.poll(async () => (await status(worker2)).modelFiles?.loaded?.accuracy ?? null, { timeout: 60_000 }).not.toBeNull();
  const loaded = (await status(worker2)).modelFiles?.loaded;
  expect(loaded?.error).toBeNull();
  expect(loaded!.accuracy!).toBeCloseTo(final.testAccuracy!, 3); // the same weights on the same 10,000 test images
  await profile.close();
});
