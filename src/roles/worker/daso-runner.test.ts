import { describe, expect, it } from 'vitest';
import { peerIdFrom, type PeerId } from '../../core/ids.ts';
import type { DasoScheduleMsg, DasoWire, Message } from '../../protocol/messages.ts';
import { testConfig } from '../../testing/run-config.ts';
import { DasoRunner, type DasoModel } from './daso-runner.ts';

/** A quadratic model: loss ½‖θ − target‖², gradient θ − target, plain SGD θ ← θ − lr·g in float32. */
function quadratic(target: Float32Array, lr: number): DasoModel & { theta: Float32Array } {
  const m = {
    theta: new Float32Array(target.length).fill(1),
    gradients: (n: number) => Promise.resolve({ count: n, lossSum: 0, grads: [m.theta.map((v, i) => v - (target[i] ?? 0))] }),
    applyGradients: (g: readonly Float32Array[]) => { m.theta = m.theta.map((v, i) => v - lr * (g[0]?.[i] ?? 0)); },
    params: () => Promise.resolve(m.theta.slice()),
    setParams: (flat: Float32Array) => { m.theta = flat.slice(); },
  };
  return m;
}

const COORD = peerIdFrom('coord');
const ids = ['a0', 'a1', 'b0', 'b1'].map(peerIdFrom);
const sched = (epoch: number, gs: number, b: number, phase: DasoScheduleMsg['phase']): DasoScheduleMsg => ({ type: 'daso-schedule', runId: 'r', epoch, globalSkip: gs, localSkip: gs === 0 ? 0 : 1, batchesToWait: b, phase });

/** Four runners in groups {a0, a1} and {b0, b1}, wired by microtasks; `tamper` may duplicate or drop messages. */
async function run(opts: { wire: DasoWire; schedules: DasoScheduleMsg[]; steps: number; tamper?: (to: PeerId, msg: Message) => number }) {
  const targets = ids.map((_, k) => Float32Array.from({ length: 3 }, (_, i) => k * 2 - i));
  const models = targets.map((t) => quadratic(t, 0.1));
  const runners = new Map<PeerId, DasoRunner>();
  const reports: Message[] = [];
  const config = testConfig({ runId: 'r', algo: 'daso', epochs: opts.schedules.length });
  const plan = { type: 'daso-plan', runId: 'r', generation: 0, members: ids, groupSizes: { dtype: 'int32', shape: [2], data: Int32Array.of(2, 2) }, stepsPerEpoch: opts.steps, wire: opts.wire } as const;
  for (const self of ids) {
    runners.set(self, new DasoRunner({
      self, coordinator: COORD, config, plan, paramSizes: [3],
      send: (to, msg) => {
        if (to === COORD) { reports.push(msg); return Promise.resolve(); }
        const copies = opts.tamper?.(to, msg) ?? 1;
        const peerMsg = msg.type === 'daso-grads' || msg.type === 'daso-global' || msg.type === 'daso-params' ? msg : null;
        for (let i = 0; i < copies && peerMsg !== null; i++) queueMicrotask(() => { runners.get(to)?.deliver(self, peerMsg); });
        return Promise.resolve();
      },
      connect: () => Promise.resolve(), linked: () => true, log: () => undefined, sleep: () => Promise.resolve(),
    }));
  }
  for (const r of runners.values()) for (const s of opts.schedules) r.deliver(COORD, s);
  await Promise.all(ids.map((id, k) => runners.get(id)!.run(models[k]!, 0, 4)));
  return { models, targets, runners: [...runners.values()], reports };
}

describe('DasoRunner', () => {
  it('blocking every batch (warmup) follows gradient descent on the mean target exactly (fp32 wire)', async () => {
    const steps = 6;
    const { models, targets } = await run({ wire: 'fp32', schedules: [sched(0, 0, 0, 'warmup')], steps });
    // Oracle: group means then the global mean of parameters = one GD step on the mean of all targets.
    const mean = Float64Array.from({ length: 3 }, (_, i) => targets.reduce((a, t) => a + (t[i] ?? 0), 0) / targets.length);
    const expected = Array.from(mean, (m) => m + 0.9 ** steps * (1 - m));
    for (const m of models) for (let i = 0; i < 3; i++) expect(m.theta[i]).toBeCloseTo(expected[i]!, 5);
  });

  it('cycling (gs 4, B 1) leaves every replica identical after the blocking epoch end, and reports each epoch', async () => {
    const { models, runners, reports } = await run({ wire: 'bf16', schedules: [sched(0, 4, 1, 'cycling'), sched(1, 2, 1, 'cycling')], steps: 9 });
    for (const m of models) expect(Array.from(m.theta)).toEqual(Array.from(models[0]!.theta));
    expect(reports.filter((r) => r.type === 'daso-epoch')).toHaveLength(8);
    // Epoch 0: syncs at b = 0, 4, 8 (the last one blocking); epoch 1: b = 0, 2, 4, 6, 8. One member per group each.
    expect(runners.reduce((a, r) => a + r.counters.globalSyncs, 0)).toBe(2 * (3 + 5));
    expect(runners.every((r) => r.failure === null && r.counters.ignored === 0)).toBe(true);
  });

  it('ignores a duplicated global message instead of merging it twice', async () => {
    const base = await run({ wire: 'bf16', schedules: [sched(0, 4, 1, 'cycling')], steps: 9 });
    const dup = await run({ wire: 'bf16', schedules: [sched(0, 4, 1, 'cycling')], steps: 9, tamper: (_to, msg) => (msg.type === 'daso-global' ? 2 : 1) });
    expect(dup.runners.reduce((a, r) => a + r.counters.ignored, 0)).toBe(base.runners.reduce((a, r) => a + r.counters.globalSyncs, 0));
    for (const [k, m] of dup.models.entries()) expect(Array.from(m.theta)).toEqual(Array.from(base.models[k]!.theta));
  });
});
