/**
 * DHO2 end to end: four real Chromium tabs train MNIST with distributed FOSI over real WebRTC (PeerJS,
 * loopback PeerServer): the curvature state is sharded over the tabs, the Lanczos jobs run as shard ops and
 * data-parallel HVPs, and each variant (blocking curvature, parallel curvature, the released code's
 * extrapolation, consensus ADMM) reaches the accuracy the data-parallel baseline reaches in train.spec.ts (90 %).
 */
import { expect, test } from '@playwright/test';
import { openTab, uniqueRoom, waitForStatus } from './fixtures/swarm.ts';

const VARIANTS = [
  { name: 'sync', query: { dho2Variant: 'sync' } },
  { name: 'parallel curvature', query: { dho2Variant: 'parallel', dho2CurvTabs: 1 } },
  { name: 'sync + extrapolation', query: { dho2Variant: 'sync', dho2Extrapolate: 1 } },
  { name: 'consensus ADMM', query: { dho2Variant: 'admm' } },
] as const;

for (const v of VARIANTS) {
  test(`4 tabs train MNIST with DHO2 (${v.name}) over WebRTC to >= 90% with sharded curvature`, async ({ browser }) => {
    const room = uniqueRoom('dho2');
    // train.spec.ts's run (3 epochs, batch 128); curvature every 60 steps from step 30 with k = 5 (m = 20).
    const common = { room, dataset: 'mnist', model: 'mlp', backend: 'wasm', seed: 7, algo: 'dho2', dho2K: 5, dho2Refresh: 60, dho2Warmup: 30, ...v.query };
    const coord = await openTab(browser, { ...common, role: 'coordinator', minPeers: 3, autostart: 1, epochs: 3 });
    await waitForStatus(coord, (s) => s.phase === 'recruiting', 60_000, 'coordinator recruiting');
    const workers = [];
    for (let i = 0; i < 3; i++) workers.push(await openTab(browser, { ...common, role: 'worker' }));

    const final = await waitForStatus(coord, (s) => s.phase === 'done' || s.phase === 'failed', 220_000, 'training to finish');
    expect(final.phase).toBe('done');
    expect(final.testAccuracy!).toBeGreaterThanOrEqual(0.9);
    const so = final.secondOrder;
    if (so == null) throw new Error('no second-order status');
    expect(so.installs).toBeGreaterThanOrEqual(2);
    expect(so.eigvals).toHaveLength(5);
    expect(so.eigvals.every((x) => Number.isFinite(x))).toBe(true);
    // Four shards, one per tab, covering the 101,770 parameters; each tab's curvature peak is about its own share.
    expect(so.shards).toHaveLength(4);
    expect(so.shards.reduce((s, x) => s + x.size, 0)).toBe(101_770);
    const perCoordinate = so.shards.map((x) => x.peakFloats / x.size);
    expect(Math.max(...perCoordinate) / Math.min(...perCoordinate)).toBeLessThan(1.05);
    // Consensus ADMM reports its last closed round (residuals and the penalty ρ); the other variants report none.
    if (v.query.dho2Variant === 'admm') {
      const admm = so.admm ?? null;
      if (admm === null) throw new Error('no ADMM status after a consensus ADMM run');
      expect(admm.round).toBeGreaterThanOrEqual(1);
      expect([admm.primal, admm.dual, admm.rho].every((x) => Number.isFinite(x))).toBe(true);
      expect(admm.primal).toBeGreaterThanOrEqual(0);
      expect(admm.dual).toBeGreaterThanOrEqual(0);
      expect(admm.rho).toBeGreaterThan(0);
    } else {
      expect(so.admm ?? null).toBeNull();
    }
    for (const w of workers) {
      const s = await waitForStatus(w, (x) => x.phase === 'done', 30_000, 'worker done');
      expect(s.secondOrder?.ownFloats ?? 0).toBeGreaterThan(0);
    }
  });
}
