/**
 * DASO end to end: four Chromium tabs in two groups (`?group=`; each tab is its own browser context, so
 * same-machine detection does not apply here) train MNIST with algo=daso over real WebRTC: gradients averaged
 * inside each group every batch, one member per group in each global parameter sync (bf16), merged a batch
 * later, with an emulated 20 ms, 10 MB/s link between the groups. It must reach the data-parallel baseline's
 * 90 % (e2e/train.spec.ts). A second test runs two separate Chromium processes as two "machines", two tabs each
 * in one browser profile, and lets same-machine detection (the shared localStorage id) form the groups.
 */
import { chromium, expect, test } from '@playwright/test';
import type { BrowserContext, Page } from '@playwright/test';
import { CHROMIUM_ARGS } from '../playwright.config.ts';
import type { SwarmStatus } from '../src/ui/snapshot.ts';
import { openTab, status, swarmPath, uniqueRoom, waitForStatus } from './fixtures/swarm.ts';

const COMMON = {
  dataset: 'mnist', model: 'mlp', backend: 'wasm', seed: 7, algo: 'daso', optimizer: 'sgd-momentum', epochs: 4,
  dasoWarmup: 1, dasoCooldown: 1, emulateGlobalLink: '20ms,10MBps',
} as const;

/** A tab in `context` (tabs of one context share localStorage, like the tabs of one browser profile). */
async function tabIn(context: BrowserContext, query: Record<string, string | number>): Promise<Page> {
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') console.log(`[tab ${String(query.role)}] ${m.text()}`); });
  await page.goto(swarmPath(query));
  return page;
}

/** Checks the finished run on every tab and prints the measured numbers. */
async function checkFinished(label: string, coord: Page, workers: readonly Page[]): Promise<void> {
  const final = await waitForStatus(coord, (s) => s.phase === 'done', 230_000, 'DASO to finish');
  for (const l of final.log.filter((x) => x.level !== 'info')) console.log(`[coordinator ${l.level}] ${l.text}`);
  expect(final.testAccuracy).not.toBeNull();
  expect(final.testAccuracy!).toBeGreaterThanOrEqual(0.9);
  expect(final.daso?.trace.map((t) => t.phase)).toEqual(['warmup', 'cycling', 'cycling', 'cooldown']);
  const done: SwarmStatus[] = await Promise.all(workers.map((w) => waitForStatus(w, (x) => x.phase === 'done', 30_000, 'worker done')));
  const tabs = [final, ...done];
  const local = tabs.reduce((a, s) => a + (s.daso?.worker?.bytesLocal ?? 0), 0);
  const global = tabs.reduce((a, s) => a + (s.daso?.worker?.bytesGlobal ?? 0), 0);
  for (const s of tabs) expect(s.daso?.worker?.failure ?? null).toBeNull();
  expect(global).toBeGreaterThan(0);
  expect(global).toBeLessThan(local); // selective, skipped, bf16 global syncs carry less than the per-batch local ones
  console.log(`DASO e2e (${label}): accuracy ${final.testAccuracy}, ${((final.endedAt! - final.startedAt!) / 1000).toFixed(1)} s, local ${local} B, global ${global} B`);
}

test('4 tabs in 2 groups train MNIST with DASO over WebRTC to >= 90% accuracy; a tab closed mid-run is re-formed around', async ({ browser }) => {
  const common = { ...COMMON, room: uniqueRoom('e2e-daso') };
  const coord = await openTab(browser, { ...common, role: 'coordinator', group: 'a', minPeers: 3, autostart: 1 });
  await waitForStatus(coord, (s) => s.phase === 'recruiting', 60_000, 'coordinator recruiting');
  const workers: Page[] = [];
  for (const group of ['a', 'b', 'b']) workers.push(await openTab(browser, { ...common, role: 'worker', group }));
  await waitForStatus(coord, (s) => s.phase === 'training', 90_000, 'training to start');
  const running = await status(coord);
  expect(running.algo).toBe('daso');
  expect(running.daso?.groups.map((g) => [g.key, g.members.length])).toEqual(expect.arrayContaining([['label:a', 2], ['label:b', 2]]));
  // Churn: one tab of group b closes during epoch 1; the coordinator re-forms the groups and restarts the epoch.
  await waitForStatus(coord, (s) => s.epoch >= 1, 120_000, 'epoch 1');
  const [leaving] = workers.splice(1, 1);
  await leaving?.close();
  const reformed = await waitForStatus(coord, (s) => s.log.some((l) => l.text.includes('groups re-formed')), 30_000, 'the groups to re-form');
  expect(reformed.daso?.groups.map((g) => [g.key, g.members.length])).toEqual(expect.arrayContaining([['label:a', 2], ['label:b', 1]]));
  await checkFinished('?group=, 4 contexts, one closed in epoch 1', coord, workers);
});

test('two Chromium processes with two tabs each form two groups by machine and train MNIST with DASO to >= 90%', async () => {
  const machines = await Promise.all([0, 1].map(() => chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS })));
  try {
    const [one, two] = await Promise.all(machines.map((b) => b.newContext({ baseURL: test.info().project.use.baseURL })));
    const common = { ...COMMON, room: uniqueRoom('e2e-daso-machines') };
    const coord = await tabIn(one!, { ...common, role: 'coordinator', minPeers: 3, autostart: 1 });
    await waitForStatus(coord, (s) => s.phase === 'recruiting', 60_000, 'coordinator recruiting');
    // One tab after another, so each profile's machine id exists before its second tab reads it.
    const workers = [await tabIn(two!, { ...common, role: 'worker' }), await tabIn(one!, { ...common, role: 'worker' }), await tabIn(two!, { ...common, role: 'worker' })];
    await waitForStatus(coord, (s) => s.phase === 'training', 90_000, 'training to start');
    const running = await status(coord);
    expect(running.daso?.groups.map((g) => [g.source, g.members.length])).toEqual([['machine', 2], ['machine', 2]]);
    await checkFinished('2 processes', coord, workers);
  } finally {
    await Promise.all(machines.map((b) => b.close()));
  }
});

test('with ?dasoRttMs and no labels, the tabs measure their round-trip times over WebRTC and the near ones form a group', async ({ browser }) => {
  // Four contexts on one machine: no label, four machine ids, every pair on loopback. The threshold is 20 ms
  // rather than the spec's 5: this checks the probing and grouping over real links, and a loaded CI machine's
  // busy tabs add a few ms to even the smallest of 5 pings (1-4 ms here on an otherwise idle machine).
  const common = { ...COMMON, room: uniqueRoom('e2e-daso-rtt'), epochs: 1, dasoWarmup: 0, dasoCooldown: 0, dasoRttMs: 20 };
  const coord = await openTab(browser, { ...common, role: 'coordinator', minPeers: 3, autostart: 1 });
  await waitForStatus(coord, (s) => s.phase === 'recruiting', 60_000, 'coordinator recruiting');
  const workers: Page[] = [];
  for (let i = 0; i < 3; i++) workers.push(await openTab(browser, { ...common, role: 'worker' }));
  const running = await waitForStatus(coord, (s) => (s.daso?.groups.length ?? 0) > 0, 90_000, 'the groups');
  const measured = running.log.find((l) => l.text.startsWith('DASO round-trip times:'))?.text ?? '';
  console.log(`DASO e2e (RTT grouping): ${measured}`);
  expect(measured.match(/ ms/g)).toHaveLength(6); // every pair of the 4 tabs, once
  expect(running.daso?.groups.map((g) => [g.source, g.members.length])).toEqual([['rtt', 4]]);
  const final = await waitForStatus(coord, (s) => s.phase === 'done', 120_000, 'DASO to finish');
  expect(final.testAccuracy ?? 0).toBeGreaterThanOrEqual(0.85);
});
