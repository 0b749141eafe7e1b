/**
 * FedACnnL end to end: four real Chromium tabs (the coordinator with its own worker, and three workers)
 * join one room through the loopback PeerServer and train the closed-form MLP layer by layer over real
 * WebRTC: float64 Gram statistics up, solved weights down, one pass over MNIST, no gradients.
 */
import { expect, test } from '@playwright/test';
import { openTab, status, uniqueRoom, waitForStatus } from './fixtures/swarm.ts';

test('4 tabs train MNIST with FedACnnL over WebRTC to >= 85% accuracy', async ({ browser }) => {
  const room = uniqueRoom('e2e-analytic');
  const common = { room, algo: 'fedacnnl', dataset: 'mnist', model: 'mlp', backend: 'wasm', seed: 7 };
  const coord = await openTab(browser, { ...common, role: 'coordinator', minPeers: 3, autostart: 1 });
  await waitForStatus(coord, (s) => s.phase === 'recruiting', 60_000, 'coordinator recruiting');
  const workers = [];
  for (let i = 0; i < 3; i++) workers.push(await openTab(browser, { ...common, role: 'worker' }));

  await waitForStatus(coord, (s) => s.phase === 'training', 90_000, 'training to start');
  const before = await status(coord);
  expect(before.algo).toBe('fedacnnl');
  expect(before.devices.filter((d) => d.active)).toHaveLength(4); // 3 remote workers + the coordinator's own

  const final = await waitForStatus(coord, (s) => s.phase === 'done', 150_000, 'FedACnnL to finish');
  for (const l of final.log.filter((x) => x.level !== 'info')) console.log(`[coordinator ${l.level}] ${l.text}`);
  expect(final.testAccuracy).not.toBeNull();
  expect(final.testAccuracy!).toBeGreaterThanOrEqual(0.85);
  expect(final.step).toBe(2); // hidden layer + head, each solved once
  expect(final.curve.length).toBeGreaterThanOrEqual(1);
  expect(final.log.some((l) => l.text.includes('layer 2/2 solved'))).toBe(true);
  expect(final.bytesReceived).toBeGreaterThan(1_000_000); // the Gram matrices really came over WebRTC
  for (const w of workers) {
    const s = await waitForStatus(w, (x) => x.phase === 'done', 30_000, 'worker done');
    expect(s.bytesSent).toBeGreaterThan(1_000_000);
  }
});
