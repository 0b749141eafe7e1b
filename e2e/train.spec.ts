/**
 * The foundation's end-to-end proof: four real Chromium tabs join one room through a loopback PeerServer,
 * train MNIST data-parallel over real WebRTC data channels, and reach 90% test accuracy — while a rogue
 * tab that sends garbage (or floods) is dropped and training goes on.
 */
import { expect, test } from '@playwright/test';
import { openTab, roomKeyFragment, status, uniqueRoom, waitForStatus } from './fixtures/swarm.ts';

test('4 tabs train MNIST data-parallel over WebRTC to >= 90% accuracy; a garbage-sending tab is dropped', async ({ browser }) => {
  const room = uniqueRoom('e2e');
  const common = { room, dataset: 'mnist', model: 'mlp', backend: 'wasm', seed: 7 };
  const coord = await openTab(browser, { ...common, role: 'coordinator', minPeers: 3, autostart: 1, epochs: 3 });
  await waitForStatus(coord, (s) => s.phase === 'recruiting', 60_000, 'coordinator recruiting');
  const workers = [];
  for (let i = 0; i < 3; i++) workers.push(await openTab(browser, { ...common, role: 'worker' }));

  await waitForStatus(coord, (s) => s.phase === 'training', 90_000, 'training to start');
  const before = await status(coord);
  expect(before.devices.filter((d) => d.active)).toHaveLength(4); // 3 remote workers + the coordinator's own

  // A tab with a wrong key is refused before it gets anything; then a rogue insider (right key) sends
  // garbage: it must be dropped, and nobody crashes.
  const rogue = await browser.newPage();
  await rogue.goto(`/rogue.html?room=${room}#${roomKeyFragment(room)}`);
  const rogueReport = await rogue.evaluate(() => window.rogue.attack());
  expect(rogueReport.wrongKey.refused).toMatch(/^unauthenticated: wrong room key/);
  expect(rogueReport.wrongKey.bytesReceived).toBeLessThan(500); // the coordinator's nonce and proof frames only: no model data
  expect(rogueReport.sent).toBeGreaterThan(0);
  expect(rogueReport.ids).toHaveLength(4);
  await waitForStatus(coord, (s) => rogueReport.ids.every((id) => !s.peers.includes(id)), 20_000, 'rogues to be dropped');
  const afterRogue = await status(coord);
  for (const id of rogueReport.ids) expect(afterRogue.log.some((l) => l.text.includes(id) && l.level !== 'info'), `log names ${id}`).toBe(true);
  expect(afterRogue.phase).toBe('training');
  expect(afterRogue.devices.map((d) => d.id)).not.toContain(rogueReport.ids[2]);
  expect(afterRogue.log.some((l) => l.text.includes(`${rogueReport.ids[3]} sends too many messages`))).toBe(true);
  expect(afterRogue.log.some((l) => l.text.includes(rogueReport.wrongKey.id) && l.text.includes('unauthenticated'))).toBe(true);
  expect(afterRogue.devices.map((d) => d.id)).not.toContain(rogueReport.wrongKey.id);

  // A real worker tab opened from a link without the key says why it cannot join.
  const keyless = await openTab(browser, { ...common, role: 'worker' }, { key: false });
  await expect.poll(async () => (await status(keyless)).error ?? '', { timeout: 30_000 }).toMatch(/refused this tab: wrong room key/);

  const final = await waitForStatus(coord, (s) => s.phase === 'done', 200_000, 'training to finish');
  expect(final.testAccuracy).not.toBeNull();
  expect(final.testAccuracy!).toBeGreaterThanOrEqual(0.9);
  expect(final.bytesSent).toBeGreaterThan(1_000_000); // model traffic really went over WebRTC
  expect(final.step).toBe(final.epochs * final.stepsPerEpoch);
  for (const w of workers) {
    const s = await waitForStatus(w, (x) => x.phase === 'done', 30_000, 'worker done');
    expect(s.bytesReceived).toBeGreaterThan(1_000_000);
    expect(s.backend).toBe('wasm');
  }
});
